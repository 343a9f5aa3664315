import * as path from 'node:path';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import { BadRequestError, StoreError } from '../errors';
import { Area } from '../reports/rating-counts';
import { Period } from '../reports/period';
import { SatisfactionTable } from '../reports/satisfaction-table';
import { Report, ReportRequest } from '../reports/scorecard-report';
import { Summary } from '../reports/scorecard-summary';
import { Runtime } from '../runtime';
import { CommuneRow } from '../reports/table-and-summary';
import type { ReportJob } from './report-worker';

/** Reports computed at once (each in a child process); more wait their turn. */
export const MAX_REPORT_WORKERS = 1;

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
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** `compute` runs one report; tests wrap it to count computations. */
  constructor(private readonly rt: Runtime, private readonly compute: (job: ReportJob) => Promise<unknown> = runReportProcess) {}

  async tableAndSummary(period: Period, area: Area): Promise<{ table: SatisfactionTable; summary: Summary }> {
    return (await this.inWorker({ kind: 'table-and-summary', period, area })) as { table: SatisfactionTable; summary: Summary };
  }

  /** An area page's table and commune rows (src/reports/table-and-summary.ts). */
  async tableAndCommuneRows(period: Period, area: Area): Promise<{ table: SatisfactionTable; communes: CommuneRow[] }> {
    return (await this.inWorker({ kind: 'table-and-communes', period, area })) as { table: SatisfactionTable; communes: CommuneRow[] };
  }

  async report(request: ReportRequest): Promise<Report> {
    return (await this.inWorker({ kind: 'report', request })) as Report;
  }

  /**
   * A report asked for while the same one (same kind, period and area) is waiting or being
   * computed shares that computation instead of queueing another: two staff members opening the
   * national table together cost the database one pass. Its figures are then as of when that
   * computation began, at most its own duration earlier; nothing is kept once it has answered.
   */
  private inWorker(job: ReportJob['job']): Promise<unknown> {
    const key = JSON.stringify(job);
    const shared = this.inFlight.get(key);
    if (shared) return shared;
    const { config } = this.rt;
    const computed = this.oneAtATime(() => this.compute({ source: this.rt.store.readerSource(), scorecardFile: config.scorecardFile, gazetteerDir: config.gazetteerDir, minCallers: config.reportMinCallers, job }));
    this.inFlight.set(key, computed);
    const done = () => this.inFlight.delete(key);
    computed.then(done, done);
    return computed;
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
 * callers. Under tsx or jest the child loads its TypeScript through tsx.
 */
export function runReportProcess(data: ReportJob): Promise<unknown> {
  const ts = __filename.endsWith('.ts');
  const file = path.join(__dirname, `report-worker${ts ? '.ts' : '.js'}`);
  const nodeArgs = ts ? ['--require', require.resolve('tsx/cjs')] : [];
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
    child.once('error', (err) => {
      if (!settled) {
        settled = true;
        reject(new StoreError(`the report process failed: ${err.message}`, { cause: err }));
      }
    });
    child.once('exit', (code, signal) => {
      if (!settled) {
        settled = true;
        reject(new StoreError(`the report process stopped (${signal ?? `exit ${code}`}) before answering`));
      }
    });
    child.send(data);
  });
}

const NICE = '/usr/bin/nice';
