/**
 * Runs a scorecard report in a worker thread, on a read-only snapshot of the embedded store's
 * files (src/staff/report-runner.ts starts it). On the embedded store a report's reading and
 * aggregation are JavaScript on the event loop: in the webhooks' process they made callers wait.
 */
import * as os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadGazetteer } from '../gazetteer/gazetteer';
import { Area } from '../reports/rating-counts';
import { Period } from '../reports/period';
import { ReportRequest, runReport } from '../reports/scorecard-report';
import { tableAndCommuneRows, tableAndSummary } from '../reports/table-and-summary';
import { loadScorecard } from '../scorecard/scorecard';
import { EmbeddedStore } from '../store/embedded-store';

export interface ReportJob {
  dataDir: string;
  scorecardFile: string;
  gazetteerDir: string;
  minCallers: number;
  job:
    | { kind: 'table-and-summary'; period: Period; area: Area }
    | { kind: 'table-and-communes'; period: Period; area: Area }
    | { kind: 'report'; request: ReportRequest };
}

async function run(input: ReportJob): Promise<unknown> {
  const store = new EmbeddedStore(input.dataDir, { snapshot: true });
  try {
    const deps = { store, scorecard: loadScorecard(input.scorecardFile), gazetteer: loadGazetteer(input.gazetteerDir), minCallers: input.minCallers };
    if (input.job.kind === 'report') return await runReport(deps, input.job.request);
    if (input.job.kind === 'table-and-communes') return await tableAndCommuneRows(deps, input.job.period, input.job.area);
    return await tableAndSummary(deps, input.job.period, input.job.area);
  } finally {
    await store.close();
  }
}

/**
 * The lowest CPU priority for this thread. The worker keeps webhooks off the event loop's queue,
 * but on a small machine it still takes a core the webhooks' thread and the database need: a
 * report is staff work that can wait, a caller cannot. On Linux a nice value is per thread and
 * setpriority(0) names the calling thread, so the rest of the process keeps its priority.
 */
function yieldCpuToCallers(): void {
  try {
    os.setPriority(0, 19);
  } catch {
    // Not allowed here (some containers): the report still runs, at normal priority.
  }
}

if (parentPort) {
  if (process.platform === 'linux') yieldCpuToCallers();
  run(workerData as ReportJob).then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (err: Error & { code?: string; status?: number }) => parentPort!.postMessage({ ok: false, error: { name: err.name, message: err.message, code: err.code, status: err.status } }),
  );
}
