import * as os from 'node:os';
import { DuplicateKeyError } from '../errors';
import { Logger } from '../logging/logger';
import { Store } from '../store/store';
import { cambodianDay, PublicationSetting } from './public-periods';
import { Runtime } from '../runtime';
import { runReportProcess } from '../staff/report-runner';
import { BuiltYear, ComposedYear, SnapshotBuilder } from './snapshot-builder';

/** How often each instance looks whether today's build has been done (it is done once a day). */
export const PUBLIC_BUILD_CHECK_MS = 60 * 60 * 1000;

/** One document per Cambodian day and setting: the instance that inserts it builds that day's results. */
interface BuildClaim {
  _id: string;
  by: string;
  at: Date;
}

const settingKey = (s: PublicationSetting) => (s.publish === 'from' ? s.from : s.publish);

/**
 * The daily build of the published results: at start-up and every hour, each instance tries to
 * claim today (Cambodian day) in `public_build_claims`; the insert is atomic, so of several
 * instances exactly one builds (SnapshotBuilder.buildDue: the running periods again, and those
 * ended since, once, as final; and stored periods the setting no longer publishes removed). The
 * claim names the setting too, so a changed PUBLIC_RESULTS is applied on the next start-up, not
 * the next day. An instance that stops mid-build leaves the day claimed: the next day's build
 * catches up (`npm run public -- build` does it at once).
 */
export class SnapshotSchedule {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly store: Store,
    private readonly builder: SnapshotBuilder,
    private readonly setting: PublicationSetting,
    private readonly logger?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Builds today's results when no instance has claimed today yet; null when another has. */
  async runIfDue(): Promise<BuiltYear[] | null> {
    const claim: BuildClaim = { _id: `${cambodianDay(this.now())}/${settingKey(this.setting)}`, by: `${os.hostname()}:${process.pid}`, at: this.now() };
    try {
      await this.store.collection<BuildClaim>('public_build_claims').insertOne(claim);
    } catch (err) {
      if (err instanceof DuplicateKeyError) return null;
      throw err;
    }
    return this.builder.buildDue();
  }

  start(): void {
    const run = () => {
      if (this.running) return;
      this.running = this.runIfDue()
        .catch((err: Error) => this.logger?.error({ err: err.message }, 'the published results could not be built; tomorrow\'s build tries again, or run npm run public -- build'))
        .finally(() => { this.running = undefined; });
    };
    run();
    this.timer = setInterval(run, PUBLIC_BUILD_CHECK_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a build under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/** The server's schedule: the builder computes each year in the report process (off the webhooks' event loop) and stores here. */
export function publicResultsScheduleFor(rt: Runtime): SnapshotSchedule {
  const { config } = rt;
  const setting = config.publicResults;
  const builder = new SnapshotBuilder({
    store: rt.store, publicResults: rt.publicResults, scorecard: rt.scorecard, gazetteer: rt.gazetteer, minCallers: config.reportMinCallers,
    setting, facilities: rt.programme.areas.facilities, logger: rt.logger, rounds: rt.rounds,
    compute: async (year, stored) => (await runReportProcess({
      source: rt.store.readerSource(), scorecardFile: config.scorecardFile, gazetteerDir: config.gazetteerDir, minCallers: config.reportMinCallers,
      facilities: rt.programme.areas.facilities, job: { kind: 'public-year', year, setting, now: new Date(), stored: [...stored] },
    })) as ComposedYear,
  });
  return new SnapshotSchedule(rt.store, builder, setting, rt.logger);
}
