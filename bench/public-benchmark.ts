/**
 * npm run bench:public -- [options]: the speed bars of issue 26 (the public results), each as a
 * ratio measured in the same run:
 *   1. the public commune page, served from its snapshot, at p99 within 2x the floor's p99;
 *   2. 50 public page requests a second change the callers' webhook p99 by at most 1.2x;
 *   3. building a quarter's snapshot takes at most 2 full reads of that quarter's ratings.
 * The server is the built one (`npm run build` first), started as its own process as by
 * scripts/bench.ts; the snapshot builds are timed in this process, on the store before the
 * server opens it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { loadConfig } from '../src/config/config';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { asReportPeriod, quarterPeriod, yearPeriod } from '../src/public/public-periods';
import { PublicResults } from '../src/public/public-results';
import { SnapshotBuilder } from '../src/public/snapshot-builder';
import { loadScorecard } from '../src/scorecard/scorecard';
import { loadProgrammeAreas, offeredProgramme } from '../src/site/programme-areas';
import { MongoStore } from '../src/store/mongo-store';
import { Rating } from '../src/store/ratings';
import { Store } from '../src/store/store';
import {
  benchWorkDir, percentile, RatingScripts, REALISTIC, REQUEST_TIMEOUT_MS, RunningServer, runShape, Shape, ShapeResult, startFloorProcess,
  startHotlineProcess, warmUp,
} from './call-load';
import { seedRatings, YEAR_2025_FROM, YEAR_2025_TO } from './rating-seed';

export const PAGE_P99_TARGET_RATIO = 2;
export const WEBHOOK_P99_TARGET_RATIO = 1.2;
export const BUILD_TARGET_READS = 2;
const DEFAULT_RATINGS = { mongodb: 10_000_000, embedded: 1_000_000 } as const;
/** The public setting the server runs with: every period published. */
const PUBLISH_ALL = { publish: 'all' } as const;
const YEAR = 2025;
const Q1 = quarterPeriod(YEAR, 1);
const Q4 = quarterPeriod(YEAR, 4);

const HELP = `Usage: npm run bench:public -- [options]

The speed bars of issue 26, each a ratio measured in this run (loopback only):

  build    Seeds ratings over the year ${YEAR} (as npm run bench:report does, with a progress bar),
           in the order they would arrive: first Q1's share, then the rest of the year. When only
           Q1 is there it times SnapshotBuilder building Q1 (the final build, just after Q1 ends:
           ${YEAR} and its started quarters, from one read of the year's ratings) against one full
           pass over Q1's ratings through the store's cursor; when the whole year is there it
           times the Q4 build (which reads the whole year) against one full pass over Q4's
           ratings, and against one over the year's. Target: a quarter's build <= ${BUILD_TARGET_READS}x a full
           pass over that quarter's ratings (the year's ratio is printed, no target).
  page     The hotline (PUBLIC_RESULTS=all, the snapshots built above) and the floor
           (bench/floor-server.ts: a fixed small page) each get GET /public/commune/<code>
           ?period=${Q4.id} for random communes with snapshots, at --page-rate requests a second
           for --page-seconds (open loop: a request leaves on time whether or not the last one
           was answered). Target: the hotline's p99 <= ${PAGE_P99_TARGET_RATIO}x the floor's, no errors.
  webhook  The callers' load of npm run bench (realistic: --callers callers, --calls calls each,
           0.5-1.5 s between turns) alone, then with 50 public page requests a second, then alone
           again. Target: webhook p99 with the pages <= ${WEBHOOK_P99_TARGET_RATIO}x the lower p99 alone.

The public rate limit (PUBLIC_REQUESTS_PER_MINUTE) is raised for the run: one load generator is
every reader at once. Seeding and the builds are timed in this process; the server starts after.

Options:
  --engine embedded|mongodb  default embedded; mongodb needs --mongodb-uri or MONGODB_URI
  --ratings N         ratings to seed (default ${DEFAULT_RATINGS.mongodb.toLocaleString('en')} on mongodb, ${DEFAULT_RATINGS.embedded.toLocaleString('en')} embedded)
  --page-rate N       public page requests a second in the page row (default 50)
  --page-seconds N    length of each page row, floor and hotline (default 20)
  --callers N         callers in the webhook rows (default ${REALISTIC.callers})
  --calls N           calls per caller in the webhook rows (default ${REALISTIC.callsPerCaller})
  --mongodb-uri URI   the MongoDB server (default MONGODB_URI)
  --db NAME           database on it (default bench_public_<time>; dropped at the end)
  --help              this text

BENCH_KEEP_WORKDIR=1 keeps the work folder (the servers' logs and data) and prints where it is.

Exit status: 0 every target met, 1 a target missed, 2 bad options, 3 the run failed (a server
did not start, the store failed).`;

interface Options {
  engine: 'embedded' | 'mongodb';
  ratings: number;
  pageRate: number;
  pageSeconds: number;
  callers: number;
  calls: number;
  mongodbUri?: string;
  db: string;
}

function parseOptions(argv: string[]): Options | 'help' {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help') return 'help';
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
    o[a.slice(2)] = argv[++i];
  }
  const known = ['engine', 'ratings', 'page-rate', 'page-seconds', 'callers', 'calls', 'mongodb-uri', 'db'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`unknown option --${k}`);
  const engine = o.engine ?? 'embedded';
  if (engine !== 'embedded' && engine !== 'mongodb') throw new Error('--engine must be embedded or mongodb');
  const positive = (name: string, dflt: number) => {
    if (o[name] === undefined) return dflt;
    const n = Number(o[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
    return n;
  };
  const mongodbUri = o['mongodb-uri'] ?? (process.env.MONGODB_URI || undefined);
  if (engine === 'mongodb' && !mongodbUri) throw new Error('--engine mongodb needs --mongodb-uri or MONGODB_URI');
  return {
    engine, ratings: positive('ratings', DEFAULT_RATINGS[engine]), pageRate: positive('page-rate', 50), pageSeconds: positive('page-seconds', 20),
    callers: positive('callers', REALISTIC.callers), calls: positive('calls', REALISTIC.callsPerCaller!), mongodbUri, db: o.db ?? `bench_public_${Date.now()}`,
  };
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** One full pass over the ratings in [from, to) through the store's cursor, every document read whole: the floor of a build. */
async function fullPass(store: Store, from: Date, to: Date): Promise<{ ratings: number; s: number }> {
  const t0 = process.hrtime.bigint();
  let n = 0;
  await store.collection<Rating>('ratings').forEach({ ratedAt: { $gte: from, $lt: to } }, {}, () => { n++; });
  return { ratings: n, s: seconds(t0) };
}

interface BuildCase { name: string; buildS: number; periods: string[]; passes: { label: string; ratings: number; s: number; target: boolean }[] }

/** Seeds the year in two steps and times the Q1 and Q4 builds (see HELP); leaves the year's snapshots built, as of just after it ended. */
async function seedAndTimeBuilds(store: Store, o: Options, communes: string[]): Promise<BuildCase[]> {
  const config = loadConfig();
  const gazetteer = loadGazetteer(config.gazetteerDir);
  const scorecard = loadScorecard(config.scorecardFile);
  const { facilities } = offeredProgramme(loadProgrammeAreas(config.programmeAreasFile, { gazetteer, services: scorecard.services.map((s) => s.id) }));
  const q1 = asReportPeriod(Q1);
  const q4 = asReportPeriod(Q4);
  const year = asReportPeriod(yearPeriod(YEAR));
  const builderAt = (now: Date) => new SnapshotBuilder({
    store, publicResults: new PublicResults(store), scorecard, gazetteer, minCallers: config.reportMinCallers, setting: PUBLISH_ALL, facilities, now: () => now,
  });
  const timeBuild = async (now: Date) => {
    const t0 = process.hrtime.bigint();
    const built = await builderAt(now).buildYear(YEAR);
    return { s: seconds(t0), periods: built.periods };
  };
  // Q1's share of the year's ratings, arriving first (a caller's repeat may fall up to 30 days after Q1).
  const q1Share = Math.round((o.ratings * (q1.to.getTime() - YEAR_2025_FROM)) / (YEAR_2025_TO - YEAR_2025_FROM));
  const t0 = process.hrtime.bigint();
  process.stderr.write(`seeding Q1: ${q1Share.toLocaleString('en')} ratings\n`);
  await seedRatings(store, { gazetteer, scorecard, total: q1Share, from: YEAR_2025_FROM, to: q1.to.getTime(), callers: Math.max(1, Math.floor(o.ratings / 12)), idPrefix: 'CAbenchQ1' });
  const cases: BuildCase[] = [];
  const q1Pass = await fullPass(store, q1.from, q1.to);
  const q1Build = await timeBuild(new Date(q1.to.getTime() + 3600_000));
  cases.push({ name: `${Q1.id} (store holds Q1)`, buildS: q1Build.s, periods: q1Build.periods, passes: [{ label: `a full pass over ${Q1.id}`, ...q1Pass, target: true }] });
  process.stderr.write(`seeding Q2-Q4: ${(o.ratings - q1Share).toLocaleString('en')} ratings\n`);
  await seedRatings(store, { gazetteer, scorecard, total: o.ratings - q1Share, from: q1.to.getTime(), to: YEAR_2025_TO, callers: Math.max(1, Math.floor(o.ratings / 12)), idPrefix: 'CAbenchQ2', seed: 20250401 });
  process.stderr.write(`seeded ${o.ratings.toLocaleString('en')} ratings in ${seconds(t0).toFixed(1)} s\n`);
  const q4Pass = await fullPass(store, q4.from, q4.to);
  const yearPass = await fullPass(store, year.from, year.to);
  const q4Build = await timeBuild(new Date(year.to.getTime() + 3600_000));
  cases.push({
    name: `${Q4.id} (store holds the year)`, buildS: q4Build.s, periods: q4Build.periods,
    passes: [{ label: `a full pass over ${Q4.id}`, ...q4Pass, target: true }, { label: `a full pass over ${YEAR}`, ...yearPass, target: false }],
  });
  for (const a of await new PublicResults(store).areasOf(Q4.id, 'commune')) communes.push(a.code);
  return cases;
}

interface PageResult { target: string; requests: number; errors: number; errorSamples: string[]; p50: number; p99: number; seconds: number }

/** Open-loop public page load: `rate` requests a second for `ms`, or until stop() (the webhook row). */
function pageLoad(server: RunningServer, communes: string[], rate: number, ms = Infinity): { done: Promise<PageResult>; stop: () => void } {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let stopped = false;
  let random = 20251231;
  const nextCommune = () => {
    random = (random * 1664525 + 1013904223) % 2 ** 32;
    return communes[Math.floor((random / 2 ** 32) * communes.length)];
  };
  const one = async () => {
    const url = `${server.url}/public/commune/${nextCommune()}?period=${Q4.id}`;
    const t0 = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await res.arrayBuffer();
      if (res.status !== 200) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${url}: ${res.status}`);
      }
      latencies.push(performance.now() - t0);
    } catch (err) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(`${url}: ${(err as Error).name} ${(err as Error).message}`);
      latencies.push(REQUEST_TIMEOUT_MS);
    }
  };
  const done = (async () => {
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; !stopped && i * (1000 / rate) < ms; i++) {
      const wait = started + i * (1000 / rate) - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) break;
      inFlight.push(one());
    }
    await Promise.all(inFlight);
    latencies.sort((a, b) => a - b);
    return { target: server.engine, requests: latencies.length, errors, errorSamples, p50: percentile(latencies, 50), p99: percentile(latencies, 99), seconds: (performance.now() - started) / 1000 };
  })();
  return { done, stop: () => { stopped = true; } };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  let o: Options;
  try {
    const parsed = parseOptions(process.argv.slice(2));
    if (parsed === 'help') {
      console.log(HELP);
      return 0;
    }
    o = parsed;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  console.log(`engine ${o.engine}, ${o.ratings.toLocaleString('en')} ratings, node ${process.version}, ${os.cpus().length} cores`);
  const workDir = benchWorkDir();
  const communes: string[] = [];
  let builds: BuildCase[] = [];
  let hotline: RunningServer | undefined;
  let floor: RunningServer | undefined;
  const missed: string[] = [];
  try {
    try {
      hotline = await startHotlineProcess({
        engine: o.engine, workDir, mongodbUri: o.mongodbUri, mongodbDb: o.db,
        prepare: async (store) => { builds = await seedAndTimeBuilds(store, o, communes); },
        env: { PUBLIC_RESULTS: 'all', PUBLIC_REQUESTS_PER_MINUTE: '99999' },
      });
      floor = await startFloorProcess(workDir);
    } catch (err) {
      console.error(`the run failed: ${(err as Error).message}`);
      return 3;
    }

    console.log(`\nSnapshot builds (SnapshotBuilder.buildYear(${YEAR}): the year and its started quarters, read, composed and stored; target: <= ${BUILD_TARGET_READS}x a full pass over the quarter's ratings):`);
    const buildRows: string[][] = [];
    for (const c of builds) {
      for (const p of c.passes) {
        const ratio = c.buildS / p.s;
        buildRows.push([c.name, c.buildS.toFixed(2), p.label, p.ratings.toLocaleString('en'), p.s.toFixed(2), ratio.toFixed(2), p.target ? `<= ${BUILD_TARGET_READS}x` : '-']);
        if (p.target && ratio > BUILD_TARGET_READS) missed.push(`build ${c.name}: ${ratio.toFixed(2)}x ${p.label} (target <= ${BUILD_TARGET_READS}x)`);
      }
    }
    console.log(table(['build', 'build s', 'against', 'ratings read', 'pass s', 'ratio', 'target'], buildRows));
    for (const c of builds) console.log(`  ${c.name} built ${c.periods.join(', ')}`);
    if (!communes.length) {
      console.error(`no commune snapshot was built for ${Q4.id}: nothing to time`);
      return 3;
    }

    // The page row: the floor first, then the hotline, each warmed up with a few pages.
    const pages: PageResult[] = [];
    for (const server of [floor, hotline]) {
      await pageLoad(server, communes, 20, 1000).done;
      process.stderr.write(`page ${server.engine}: ${o.pageRate} requests/s for ${o.pageSeconds} s...\n`);
      pages.push(await pageLoad(server, communes, o.pageRate, 1000 * o.pageSeconds).done);
    }
    const [floorPage, hotlinePage] = pages;
    const pageRatio = hotlinePage.p99 / floorPage.p99;
    console.log(`\nPublic commune page (GET /public/commune/<code>?period=${Q4.id}, ${communes.length.toLocaleString('en')} communes; target: p99 <= ${PAGE_P99_TARGET_RATIO}x the floor's):`);
    console.log(table(['server', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'p99/floor'], pages.map((p) => [
      p.target, String(p.requests), (p.requests / p.seconds).toFixed(1), p.p50.toFixed(1), p.p99.toFixed(1), String(p.errors), (p.p99 / floorPage.p99).toFixed(2),
    ])));
    for (const p of pages.filter((x) => x.errorSamples.length)) console.log(`  ${p.target}: first errors:\n    ${p.errorSamples.join('\n    ')}`);
    if (pageRatio > PAGE_P99_TARGET_RATIO) missed.push(`public commune page: p99 ${pageRatio.toFixed(2)}x the floor's (target <= ${PAGE_P99_TARGET_RATIO}x)`);
    if (hotlinePage.errors) missed.push(`public commune page: ${hotlinePage.errors} errors (target: none)`);

    // The webhook rows: alone, with 50 public pages a second, alone again (the ratio against the lower alone, as the staff-busy row).
    const shape: Shape = { ...REALISTIC, callers: o.callers, callsPerCaller: o.calls };
    const scripts = new RatingScripts();
    await warmUp(hotline, scripts);
    process.stderr.write(`webhook: ${o.callers} callers x ${o.calls} calls alone, with 50 public pages/s, alone again...\n`);
    const before = await runShape({ server: hotline, shape, scripts });
    const load = pageLoad(hotline, communes, 50);
    const busy = await runShape({ server: hotline, shape, scripts });
    load.stop();
    const busyPages = await load.done;
    const after = await runShape({ server: hotline, shape, scripts });
    const alone = after.p99 < before.p99 ? after : before;
    const webhookRatio = busy.p99 / alone.p99;
    const row = (label: string, r: ShapeResult) => [label, String(r.calls), String(r.turns), r.p50.toFixed(1), r.p99.toFixed(1), String(r.errors), (r.p99 / alone.p99).toFixed(2)];
    console.log(`\nCallers' webhooks with 50 public pages a second (target: p99 <= ${WEBHOOK_P99_TARGET_RATIO}x the lower p99 alone):`);
    console.log(table(['row', 'calls', 'turns', 'p50 ms', 'p99 ms', 'errors', 'p99/alone'], [row('alone (before)', before), row('with pages', busy), row('alone (after)', after)]));
    console.log(`  pages meanwhile: ${busyPages.requests} at ${(busyPages.requests / busyPages.seconds).toFixed(1)}/s, p99 ${busyPages.p99.toFixed(1)} ms, ${busyPages.errors} errors`);
    for (const r of [before, busy, after].filter((x) => x.errorSamples.length)) console.log(`  first webhook errors:\n    ${r.errorSamples.join('\n    ')}`);
    if (webhookRatio > WEBHOOK_P99_TARGET_RATIO) missed.push(`webhooks with public pages: p99 ${webhookRatio.toFixed(2)}x alone (target <= ${WEBHOOK_P99_TARGET_RATIO}x)`);
    if (busy.errors) missed.push(`webhooks with public pages: ${busy.errors} caller errors`);
    if (busyPages.errors) missed.push(`webhooks with public pages: ${busyPages.errors} page errors`);
  } finally {
    await floor?.stop();
    await hotline?.stop();
    if (o.engine === 'mongodb' && o.mongodbUri) {
      try {
        const store = await MongoStore.connect(o.mongodbUri, o.db);
        await store.dropEverything();
        await store.close();
      } catch (err) {
        process.stderr.write(`could not drop the benchmark database ${o.db}: ${(err as Error).message}\n`);
      }
    }
    // BENCH_KEEP_WORKDIR=1 keeps the servers' logs and data to look at afterwards.
    if (process.env.BENCH_KEEP_WORKDIR === '1') console.log(`work folder kept: ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
  console.log(missed.length ? `\nTargets missed:\n  - ${missed.join('\n  - ')}` : '\nAll targets met.');
  return missed.length ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (err) => {
    console.error(err);
    process.exit(3);
  });
}
