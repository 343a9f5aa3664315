import * as path from 'node:path';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import { BadRequestError, StoreError } from '../errors';
import { AreaFilter } from '../jaap/jaap-register';
import { JaapReport } from '../jaap/jaap-results';
import { Area } from '../reports/rating-counts';
import { Period } from '../reports/period';
import { SatisfactionTable } from '../reports/satisfaction-table';
import { Report, ReportRequest } from '../reports/scorecard-report';
import { Summary } from '../reports/scorecard-summary';
import { Runtime } from '../runtime';
import { AreaRow, CommuneRow } from '../reports/table-and-summary';
import type { ReportJob } from './report-worker';

/** Reports computed at once (each in a child process); more wait their turn. */
export const MAX_REPORT_WORKERS = 1;
/** Reports whose figures are kept for REPORT_FRESH_SECONDS (a national CSV summary is several MB). */
export const RECENT_REPORTS = 8;

/** A report being counted (countedAt null) or counted at countedAt. */
interface Counted {
  countedAt: Date | null;
  figures: Promise<{ result: unknown; countedAt: Date }>;
}

/**
 * Where report computation runs: in a child process, so a national table over a long period does
 * not hold up the webhooks on the event loop (issue 12, finding 10). On the embedded store the
 * child reads a snapshot of DATA_DIR's files; on MongoDB it opens its own connection. On MongoDB
 * the database groups the ratings, but decoding its answer and building the figures was still
 * up to 0.8 s of JavaScript at a time in the webhooks' process for the country.
 */
export class ReportRunner {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly recent = new Map<string, Counted>();
  /**
   * `compute` runs one report; tests wrap it to count computations. `now` tells the time figures
   * are counted at and kept by: a test moves it on rather than waiting out REPORT_FRESH_SECONDS,
   * which a slow count could outlast.
   */
  constructor(
    private readonly rt: Runtime,
    private readonly compute: (job: ReportJob) => Promise<unknown> = runReportProcess,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A commune page's table, summary and the rows of its district and province, and with a
   * baseline period, that period's table and summary, counted in the same process
   * (src/reports/table-and-summary.ts).
   */
  async tableAndSummary(period: Period, area: Area, baseline?: Period): Promise<{ table: SatisfactionTable; summary: Summary; around: AreaRow[]; before?: { table: SatisfactionTable; summary: Summary }; countedAt: Date }> {
    const { result, countedAt } = await this.counted({ kind: 'table-and-summary', period, area, ...(baseline ? { baseline } : {}) });
    return { ...(result as { table: SatisfactionTable; summary: Summary; around: AreaRow[]; before?: { table: SatisfactionTable; summary: Summary } }), countedAt };
  }

  /** An area page's table, commune rows, the rows of the areas they are listed under, and a baseline period's table (src/reports/table-and-summary.ts). */
  async tableAndCommuneRows(period: Period, area: Area, baseline?: Period): Promise<{ table: SatisfactionTable; communes: CommuneRow[]; groups: AreaRow[]; before?: { table: SatisfactionTable }; countedAt: Date }> {
    const { result, countedAt } = await this.counted({ kind: 'table-and-communes', period, area, ...(baseline ? { baseline } : {}) });
    return { ...(result as { table: SatisfactionTable; communes: CommuneRow[]; groups: AreaRow[]; before?: { table: SatisfactionTable } }), countedAt };
  }

  async report(request: ReportRequest): Promise<Report> {
    return (await this.counted({ kind: 'report', request })).result as Report;
  }

  /**
   * The JAAP result indicator for the JAAPs agreed in [from, to), unfinished items counted as of
   * a Cambodian day (src/jaap/jaap-results-count.ts): about 0.27 s of JavaScript per 10,000 items
   * on the embedded store, which in the webhooks' process made callers wait.
   */
  async jaapResults(period: { from: string; to: string }, asOfDay: string, area?: AreaFilter): Promise<{ report: JaapReport; countedAt: Date }> {
    const { result, countedAt } = await this.counted({ kind: 'jaap-results', period, asOfDay, ...(area ? { area } : {}) });
    return { report: result as JaapReport, countedAt };
  }

  /**
   * The runner of a runtime, shared by every page that counts reports, so MAX_REPORT_WORKERS
   * and the kept figures hold for the report pages and the JAAP pages together.
   */
  static of(rt: Runtime): ReportRunner {
    let runner = RUNNERS.get(rt);
    if (!runner) RUNNERS.set(rt, (runner = new ReportRunner(rt)));
    return runner;
  }

  /**
   * A report's figures, counted in a child process, or the same report's figures counted less
   * than REPORT_FRESH_SECONDS ago, or those of the same report being counted right now. Staff
   * paging back and forth, or several opening the national table together, then cost the
   * database one pass rather than one each: on MongoDB that pass runs on the database the
   * webhooks need (npm run bench, staff-busy row). The page says when its figures were counted.
   * At most RECENT_REPORTS are kept, in this process only (another instance counts its own).
   */
  private counted(job: ReportJob['job']): Counted['figures'] {
    const key = JSON.stringify(job);
    const freshMs = this.rt.config.reportFreshSeconds * 1000;
    const kept = this.recent.get(key);
    if (kept && (kept.countedAt === null || this.now() - kept.countedAt.getTime() < freshMs)) return kept.figures;
    const { config } = this.rt;
    const entry = { countedAt: null } as Counted;
    entry.figures = this.oneAtATime(async () => {
      const countedAt = new Date(this.now()); // the figures are as of when the count began
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      let result: unknown;
      try {
        result = await this.compute({ source: this.rt.store.readerSource(), scorecardFile: config.scorecardFile, gazetteerDir: config.gazetteerDir, minCallers: config.reportMinCallers, facilities: this.rt.programme.areas.facilities, job });
      } catch (err) {
        this.rt.metrics.reportCounted(job.kind, 'failed', seconds());
        throw err;
      }
      this.rt.metrics.reportCounted(job.kind, 'ok', seconds());
      entry.countedAt = countedAt;
      return { result, countedAt };
    });
    this.recent.delete(key);
    this.recent.set(key, entry);
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= RECENT_REPORTS) break;
      this.recent.delete(oldest);
    }
    const forget = () => { if (this.recent.get(key) === entry) this.recent.delete(key); };
    entry.figures.then(() => { if (freshMs === 0) forget(); }, forget);
    return entry.figures;
  }

  /**
   * At most MAX_REPORT_WORKERS reports at once, on either engine; more wait their turn. A report
   * reads every rating of its period (on MongoDB the database groups them). Two at once took both
   * cores of a small machine, and callers' turns waited on them.
   */
  private async oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= MAX_REPORT_WORKERS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Runs one report in a child process (src/staff/report-worker.ts). A process, not a worker thread:
 * on Linux a nice value belongs to each thread, and a worker thread shares the process's garbage
 * collector threads, which kept competing with the webhooks at normal priority. Started through
 * `nice -n 19` where it exists, so every thread of the child, from its first, yields the CPU to
 * callers. Which file it runs: workerEntry below.
 */
export function runReportProcess(data: ReportJob): Promise<unknown> {
  const { file, nodeArgs } = workerEntry();
  const viaNice = fs.existsSync(NICE);
  return new Promise((resolve, reject) => {
    const child = fork(file, [], {
      execPath: viaNice ? NICE : process.execPath,
      execArgv: viaNice ? ['-n', '19', process.execPath, ...nodeArgs] : nodeArgs,
      env: { ...process.env, HOTLINE_REPORT_CHILD: '1' },
      serialization: 'advanced', // structured clone, as between threads: Dates stay Dates
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.once('message', (m: { ok: boolean; result?: unknown; error?: { name: string; message: string } }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else if (m.error?.name === 'BadRequestError') reject(new BadRequestError(m.error.message));
      else reject(new StoreError(`the report could not be computed: ${m.error?.message ?? 'unknown error'}`));
    });
    // `on`, not `once`: a fork refused with EAGAIN reports that, then the job's send fails too;
    // a second 'error' with nobody listening would end the hotline (issue 21, item 1).
    const failed = (err: Error) => {
      if (!settled) {
        settled = true;
        reject(new StoreError(`the report process failed: ${err.message}`, { cause: err }));
      }
    };
    child.on('error', failed);
    child.once('exit', (code, signal) => {
      if (!settled) {
        settled = true;
        reject(new StoreError(`the report process stopped (${signal ?? `exit ${code}`}) before answering`));
      }
    });
    child.send(data, (err) => { if (err) failed(err); });
  });
}

const NICE = '/usr/bin/nice';

/**
 * The worker beside this file: compiled (dist/, `npm start`), or TypeScript through tsx (tsx,
 * jest). Under jest, the copy the test run compiled (TEST_COMPILED_DIR, made by
 * test/support/compile-children.ts), which starts in half the CPU of tsx; the suite starts
 * a report process for nearly every report page it opens.
 */
function workerEntry(): { file: string; nodeArgs: string[] } {
  if (!__filename.endsWith('.ts')) return { file: path.join(__dirname, 'report-worker.js'), nodeArgs: [] };
  const compiledDir = process.env.TEST_COMPILED_DIR;
  const compiled = compiledDir && path.join(compiledDir, 'src', 'staff', 'report-worker.js');
  if (compiled && fs.existsSync(compiled)) return { file: compiled, nodeArgs: [] };
  return { file: path.join(__dirname, 'report-worker.ts'), nodeArgs: ['--require', require.resolve('tsx/cjs')] };
}

const RUNNERS = new WeakMap<Runtime, ReportRunner>();
