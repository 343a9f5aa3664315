/**
 * Published results from the command line:
 *   npm run public -- build [--period 2026-Q1|2026]
 */
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { fixedPeriod, isPublished, yearOf } from '../src/public/public-periods';
import { PublicResults } from '../src/public/public-results';
import { BuiltYear, SnapshotBuilder } from '../src/public/snapshot-builder';
import { RoundRegister } from '../src/rounds/round-register';
import { loadScorecard } from '../src/scorecard/scorecard';
import { loadProgrammeAreas, offeredProgramme } from '../src/site/programme-areas';
import { openStore } from '../src/store/open-store';
import { Store } from '../src/store/store';

const HELP = `Usage:
  npm run public -- build [--period 2026-Q1|2026]

build  computes the published results (what citizens see on the public pages, in the open data
       and by phone) with today's disclosure control, and stores them. PUBLIC_RESULTS says which
       periods are published (off, all, or the quarters and years from a date); stored periods
       it no longer publishes are removed first. A year is always built with its quarters (so
       that the year minus its quarters gives nobody away): --period 2026-Q1 builds 2026 and its
       quarters that have started; without --period every year with published periods is built
       again (e.g. after REPORT_MIN_CALLERS changed). Completed scorecard rounds are published
       each time too, with their meeting results only. The hotline builds all this once a day.
Settings: --env-file FILE or HOTLINE_ENV_FILE, as the other tools.
Exit status: 0 done, 1 the store failed, 2 wrong usage (or the period is not published).`;

const summary = (b: BuiltYear) => `${b.year}: ${b.periods.length ? b.periods.join(', ') : 'nothing published'}${b.withheldAcrossPeriods ? ` (${b.withheldAcrossPeriods} figures withheld across periods)` : ''}`;

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2), allowPositionals: true, strict: true,
      options: { period: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    console.error(`public: ${(err as Error).message} (see --help)`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'build') {
    console.error('public: give build [--period 2026-Q1] (see --help)');
    return 2;
  }
  const period = values.period === undefined ? null : fixedPeriod(values.period);
  if (values.period !== undefined && !period) {
    console.error(`public: --period ${JSON.stringify(values.period)} is not a quarter like 2026-Q1 or a year like 2026`);
    return 2;
  }
  let store: Store | undefined;
  try {
    const config = loadToolConfig('npm run public', envFile);
    if (period && !isPublished(period, config.publicResults)) {
      console.error(`public: ${period.id} is not published under PUBLIC_RESULTS (${config.publicResults.publish === 'from' ? config.publicResults.from : config.publicResults.publish}); nothing was built`);
      return 2;
    }
    const gazetteer = loadGazetteer(config.gazetteerDir);
    const scorecard = loadScorecard(config.scorecardFile);
    const { facilities } = offeredProgramme(loadProgrammeAreas(config.programmeAreasFile, { gazetteer, services: scorecard.services.map((s) => s.id) }));
    store = await openStore(config, { tool: 'npm run public' });
    const builder = new SnapshotBuilder({ store, publicResults: new PublicResults(store), scorecard, gazetteer, minCallers: config.reportMinCallers, setting: config.publicResults, facilities, rounds: new RoundRegister(store) });
    let built: BuiltYear[];
    if (period) {
      await builder.removeUnpublished();
      built = [await builder.buildYear(yearOf(period))];
      await builder.publishRounds();
    } else {
      built = await builder.buildAll();
    }
    if (config.publicResults.publish === 'off') console.log('public: PUBLIC_RESULTS=off: nothing is published (stored results removed)');
    for (const b of built) console.log(`public: built ${summary(b)}`);
    return 0;
  } catch (err) {
    console.error(`public: ${(err as Error).message}`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

if (require.main === module) main().then((code) => { process.exitCode = code; });
