/**
 * Runs a scorecard report or the JAAP result indicator in a child process (src/staff/report-runner.ts starts it): on a
 * read-only snapshot of the embedded store's files, or through its own connection to MongoDB.
 * Either way a report's reading and aggregation are JavaScript on an event loop (on MongoDB,
 * decoding the database's groups and building the figure grid: up to 0.8 s at a time for the
 * country at 50,000 ratings); in the webhooks' process they made callers wait.
 */
import { loadGazetteer } from '../gazetteer/gazetteer';
import { AreaFilter } from '../jaap/jaap-register';
import { PublicationSetting } from '../public/public-periods';
import { PublicResults } from '../public/public-results';
import { SnapshotBuilder, StoredFigures } from '../public/snapshot-builder';
import { countJaapResults } from '../jaap/jaap-results-count';
import { Area } from '../reports/rating-counts';
import { Period } from '../reports/period';
import { ReportRequest, runReport } from '../reports/scorecard-report';
import { tableAndCommuneRows, tableAndSummary } from '../reports/table-and-summary';
import { loadScorecard } from '../scorecard/scorecard';
import { Facility } from '../site/programme-areas';
import { EmbeddedStore } from '../store/embedded-store';
import { MongoStore } from '../store/mongo-store';
import { Store, StoreSource } from '../store/store';

export interface ReportJob {
  source: StoreSource;
  scorecardFile: string;
  gazetteerDir: string;
  minCallers: number;
  /** The programme's facilities (the hotline's, already checked), for their names in reports. */
  facilities?: Facility[];
  job:
    | { kind: 'table-and-summary'; period: Period; area: Area; baseline?: Period }
    | { kind: 'table-and-communes'; period: Period; area: Area; baseline?: Period }
    | { kind: 'report'; request: ReportRequest }
    /** The JAAP result indicator (src/jaap/jaap-results.ts) for JAAPs agreed in [from, to), as of a Cambodian day. */
    | { kind: 'jaap-results'; period: { from: string; to: string }; asOfDay: string; area?: AreaFilter }
    /** A year's published results (src/public/snapshot-builder.ts computeYear), as of `now`; the parent stores them. */
    | { kind: 'public-year'; year: number; setting: PublicationSetting; now: Date; stored: [string, StoredFigures][] };
}

async function run(input: ReportJob): Promise<unknown> {
  const store: Store = input.source.engine === 'mongodb'
    // No socket limit: a national report over a long period may take longer than a webhook may.
    ? await MongoStore.connect(input.source.uri, input.source.db, { socketTimeoutMS: 0 })
    : new EmbeddedStore(input.source.dataDir, { snapshot: true });
  try {
    const deps = { store, scorecard: loadScorecard(input.scorecardFile), gazetteer: loadGazetteer(input.gazetteerDir), minCallers: input.minCallers, facilities: input.facilities };
    if (input.job.kind === 'public-year') {
      const { year, setting, now, stored } = input.job;
      const builder = new SnapshotBuilder({ ...deps, publicResults: new PublicResults(store), setting, now: () => now });
      return await builder.computeYear(year, new Map(stored));
    }
    if (input.job.kind === 'jaap-results') return await countJaapResults(store, deps.gazetteer, input.job);
    if (input.job.kind === 'report') return await runReport(deps, input.job.request);
    if (input.job.kind === 'table-and-communes') return await tableAndCommuneRows(deps, input.job.period, input.job.area, input.job.baseline);
    return await tableAndSummary(deps, input.job.period, input.job.area, input.job.baseline);
  } finally {
    await store.close();
  }
}

// Started by src/staff/report-runner.ts as a child process at the lowest CPU priority (every
// thread of it, its garbage collector's too): it gets its job as the first message and answers once.
if (process.env.HOTLINE_REPORT_CHILD === '1' && process.send) {
  // The hotline stopped or gave up: nobody waits for the answer.
  process.once('disconnect', () => process.exit(0));
  process.once('message', (job: ReportJob) => {
    run(job).then(
      (result) => process.send!({ ok: true, result }, () => process.exit(0)),
      (err: Error & { code?: string; status?: number }) => process.send!({ ok: false, error: { name: err.name, message: err.message, code: err.code, status: err.status } }, () => process.exit(0)),
    );
  });
}
