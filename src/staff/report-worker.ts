/**
 * Runs a scorecard report in a worker thread, on a read-only snapshot of the embedded store's
 * files (src/staff/report-runner.ts starts it). On the embedded store a report's reading and
 * aggregation are JavaScript on the event loop: in the webhooks' process they made callers wait.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadGazetteer } from '../gazetteer/gazetteer';
import { Area } from '../reports/rating-counts';
import { Period } from '../reports/period';
import { ReportRequest, runReport } from '../reports/scorecard-report';
import { tableAndSummary } from '../reports/table-and-summary';
import { loadScorecard } from '../scorecard/scorecard';
import { EmbeddedStore } from '../store/embedded-store';

export interface ReportJob {
  dataDir: string;
  scorecardFile: string;
  gazetteerDir: string;
  minCallers: number;
  job: { kind: 'table-and-summary'; period: Period; area: Area } | { kind: 'report'; request: ReportRequest };
}

async function run(input: ReportJob): Promise<unknown> {
  const store = new EmbeddedStore(input.dataDir, { snapshot: true });
  try {
    const deps = { store, scorecard: loadScorecard(input.scorecardFile), gazetteer: loadGazetteer(input.gazetteerDir), minCallers: input.minCallers };
    if (input.job.kind === 'report') return await runReport(deps, input.job.request);
    return await tableAndSummary(deps, input.job.period, input.job.area);
  } finally {
    await store.close();
  }
}

if (parentPort) {
  run(workerData as ReportJob).then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (err: Error & { code?: string; status?: number }) => parentPort!.postMessage({ ok: false, error: { name: err.name, message: err.message, code: err.code, status: err.status } }),
  );
}
