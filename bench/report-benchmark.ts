/**
 * npm run bench:report -- [options]: seeds ratings over every commune, then times the national
 * satisfaction table and one province's summary, and prints this process's peak memory.
 *
 *   eval "$(../shared/tools/mongo-compatible-server/start)"
 *   MONGODB_URI=$MONGODB_URI npm run bench:report                 # 1,000,000 ratings
 *   npm run bench:report -- --engine embedded                     # 100,000 ratings
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config/config';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { itemId, JaapItem, jaapId, twelveMonthsAfter } from '../src/jaap/jaap';
import { JaapRegister } from '../src/jaap/jaap-register';
import { jaapResults } from '../src/jaap/jaap-results';
import { FigureGrid } from '../src/reports/disclosure-control';
import { parsePeriod } from '../src/reports/period';
import { RatingScope } from '../src/reports/rating-counts';
import { buildSatisfactionTable } from '../src/reports/satisfaction-table';
import { buildSummary } from '../src/reports/scorecard-summary';
import { loadScorecard } from '../src/scorecard/scorecard';
import { EmbeddedStore } from '../src/store/embedded-store';
import { INDEXES } from '../src/store/indexes';
import { MongoStore } from '../src/store/mongo-store';
import { Rating } from '../src/store/ratings';
import { mulberry32, seedRatings } from './rating-seed';
import { ensureRepeatRatingsMarked, REPEAT_MARKS_MIGRATION } from '../src/store/repeat-ratings';
import { Store } from '../src/store/store';

const HELP = `Usage: npm run bench:report -- [options]

Seeds ratings over all communes (insertMany in batches; a caller's replaced ratings carry
supersededAt, as the hotline stores them), then times one full pass over the ratings (every
document read whole through the store's cursor: the floor), the national figure grid every
report counts, the national satisfaction table, one province's summary and the national
summary for the year 2025. Prints each report's time (grid + its reading) as a ratio to the
full pass (issue 15's target: at most 3x), and the peak memory (VmHWM) of this process while
seeding and while reporting.

Options:
  --engine mongodb|embedded  default: mongodb when MONGODB_URI is set, else embedded
  --ratings N                ratings to seed (default 1000000 on mongodb, 100000 embedded)
  --db NAME                  database on the MongoDB server (default bench_reports)
  --province CODE            the province to summarise (default 12, Phnom Penh)
  --reuse                    keep the ratings already in --db if there are N of them
  --keep                     do not drop the database at the end
  --no-national-summary      skip the national summary (every commune: up to 132,160 groups)
  --unmarked                 seed as an older version stored ratings (no supersededAt) and time
                             the one-time upgrade that marks them
  --jaap-items N             JAAP action items to seed for the JAAP row (default 10000, over
                             every commune): the national JAAP result indicator (npm run report
                             -- --jaap) is timed against a full pass over the items; target
                             under 1 s
  --only-jaap                seed and time the JAAP row only (no ratings)
  --help                     this text

Exit status: 0 done, 1 failed, 2 bad options.`;

function parseArgs(argv: string[]) {
  const o: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (['help', 'reuse', 'keep', 'no-national-summary', 'unmarked', 'only-jaap'].includes(name)) o[name] = true;
    else if (i + 1 < argv.length) o[name] = argv[++i];
    else throw new Error(`${a} needs a value`);
  }
  return o;
}

function memoryKb(field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS;
}

/** Resets VmHWM (Linux: "5" to clear_refs) so the reporting peak excludes seeding. */
function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/** Seconds taken by each timed step, by label. */
const seconds = new Map<string, number>();

async function time<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  seconds.set(label, ms / 1000);
  console.log(`${label.padEnd(34)} ${(ms / 1000).toFixed(2)} s`);
  return out;
}

async function main() {
  let o: Record<string, string | boolean>;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(HELP);
    return;
  }
  const config = loadConfig();
  const engine = (o.engine as string) ?? (config.mongodbUri ? 'mongodb' : 'embedded');
  if (engine !== 'mongodb' && engine !== 'embedded') {
    console.error('--engine must be mongodb or embedded');
    process.exit(2);
  }
  if (engine === 'mongodb' && !config.mongodbUri) {
    console.error('--engine mongodb needs MONGODB_URI');
    process.exit(2);
  }
  const total = Number(o.ratings ?? (engine === 'mongodb' ? 1_000_000 : 100_000));
  if (!Number.isInteger(total) || total < 1) {
    console.error('--ratings must be a positive whole number');
    process.exit(2);
  }
  const provinceCode = String(o.province ?? '12');
  const unmarked = Boolean(o.unmarked);
  const gazetteer = loadGazetteer(config.gazetteerDir);
  const scorecard = loadScorecard(config.scorecardFile);
  const communes = gazetteer.communes();
  if (!gazetteer.find(provinceCode)) {
    console.error(`--province ${provinceCode} is not in the gazetteer`);
    process.exit(2);
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const store: Store = engine === 'mongodb'
    ? await MongoStore.connect(config.mongodbUri, String(o.db ?? 'bench_reports'), { socketTimeoutMS: 0 })
    : new EmbeddedStore(dataDir);
  // Only the ratings indexes: the report reads nothing else.
  await store.ensureIndexes(INDEXES.filter((i) => i.collection === 'ratings' || i.collection.startsWith('jaap')));

  async function ratingsRows() {
    const ratings = store.collection<Rating>('ratings');
    console.log(`target ${total.toLocaleString('en')} ratings`);

    const existing = o.reuse ? await ratings.countDocuments({}) : 0;
    const seedStart = process.hrtime.bigint();
    if (existing !== total) {
      if (existing) await ratings.deleteMany({});
      const made = await seedRatings(store, { gazetteer, scorecard, total, unmarked });
      const seedS = Number(process.hrtime.bigint() - seedStart) / 1e9;
      console.log(`seeded ${made.toLocaleString('en')} ratings in ${seedS.toFixed(1)} s (${Math.round(made / seedS).toLocaleString('en')}/s), peak memory while seeding ${mb(memoryKb('VmHWM'))}`);
      // Marked by the seeder: the upgrade has nothing left to do. --unmarked: it marks them all.
      const migrations = store.collection<{ _id: string; doneAt: Date }>('migrations');
      if (unmarked) await migrations.deleteOne({ _id: REPEAT_MARKS_MIGRATION });
      else await migrations.updateOne({ _id: REPEAT_MARKS_MIGRATION }, { $set: { doneAt: new Date() } }, { upsert: true });
    } else {
      console.log(`reusing ${existing.toLocaleString('en')} ratings already in the database`);
    }
    const marked = await time('upgrade: marking repeat ratings', () => ensureRepeatRatingsMarked(store, () => {}));
    console.log(marked
      ? `  ${marked.ratings.toLocaleString('en')} ratings read, ${marked.repeatedKeys.toLocaleString('en')} caller keys rated more than once, ${marked.changed.toLocaleString('en')} ratings marked; peak memory so far ${mb(memoryKb('VmHWM'))}`
      : '  nothing to do: the ratings were stored marked (run with --unmarked to time the upgrade)');

    resetPeak();
    const year = parsePeriod('2025-01-01', '2026-01-01');
    const deps = { scorecard, gazetteer };
    // Two yardsticks in the same run (issue 15 asks for at most 3x "one full pass over the
    // ratings"): every document read whole through the store's cursor, and, stricter, the server
    // alone counting the period's ratings (the same $match, no document leaves it).
    const COUNT_PASS = 'server-side count of the period (same $match)';
    await time(COUNT_PASS, () => store.collection<Rating>('ratings').aggregate([{ $match: RatingScope.of(store, year).filter }, { $group: { _id: null, n: { $sum: 1 } } }]));
    const FULL_PASS = 'full pass: every rating read once';
    const passed = await time(FULL_PASS, async () => {
      let n = 0;
      await ratings.forEach({}, {}, () => { n++; });
      return n;
    });
    console.log(`  peak memory during the full pass ${mb(memoryKb('VmHWM'))}`);
    const reset = resetPeak();
    // Every report counts the whole country's grid for its period (disclosure-control.ts); the
    // table and summaries are then read from it.
    const GRID = 'national figure grid (distinct callers, suppression)';
    const grid = await time(GRID, () => FigureGrid.count(store, year, deps));
    const TABLE = 'national satisfaction table';
    const table = await time(TABLE, async () => buildSatisfactionTable(grid, {}, scorecard));
    const PROVINCE = `province ${provinceCode} summary`;
    const province = await time(PROVINCE, async () => buildSummary(grid, { provinces: [provinceCode] }, deps));
    const NATIONAL = 'national summary (all levels)';
    const national = o['no-national-summary'] ? null : await time(NATIONAL, async () => buildSummary(grid, {}, deps));
    // Each report on its own counts the grid, then reads its figures from it.
    const floor = seconds.get(FULL_PASS)!;
    console.log(`each report = grid + its own reading, against the full pass (${passed.toLocaleString('en')} ratings in ${floor.toFixed(2)} s; target at most 3x):`);
    for (const label of [TABLE, PROVINCE, ...(national ? [NATIONAL] : [])]) {
      const s = seconds.get(GRID)! + seconds.get(label)!;
      console.log(`  ${label.padEnd(32)} ${s.toFixed(2)} s = ${(s / floor).toFixed(2)}x the full pass, ${(s / seconds.get(COUNT_PASS)!).toFixed(2)}x the server-side count`);
    }
    console.log(`peak memory while reporting ${reset ? mb(memoryKb('VmHWM')) : `(could not reset the peak) ${mb(memoryKb('VmHWM'))}`}; peak of the whole process ${mb(process.resourceUsage().maxRSS)}`);
    console.log(`checks: health/all callers=${table.rows[1].cells.all.callers} answers=${table.rows[1].cells.all.answers} share=${table.rows[1].cells.all.satisfiedShare}; province ${provinceCode}: ${province.communes.length} communes; national: ${national ? `${national.communes.length} communes, country health answers=${national.country?.services[1].answers}` : 'skipped'}`);
  }

  /** The JAAP row: items over every commune, agreed through 2024, their statuses as the seed's year had them. */
  async function jaapRow() {
    const n = Number(o['jaap-items'] ?? 10_000);
    const register = new JaapRegister(store);
    const random = mulberry32(2024);
    const items: JaapItem[] = [];
    const perCommune = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const commune = communes[Math.floor(random() * communes.length)].code;
      const no = (perCommune.get(commune) ?? 0) + 1;
      perCommune.set(commune, no);
      const agreedOn = `2024-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-15`;
      const section = random() < 0.22 ? 'A' : 'B';
      const done = random() < (section === 'B' ? 0.89 : 0.41);
      const item: JaapItem = {
        _id: itemId(jaapId(commune, 2024), section, no), jaapId: jaapId(commune, 2024), communeCode: commune,
        districtCode: commune.slice(0, 4), provinceCode: commune.slice(0, 2), year: 2024, agreedOn, deadline: twelveMonthsAfter(agreedOn),
        section, no, activity: 'Repair the health centre roof before the rainy season', service: scorecard.services[no % scorecard.services.length].id,
        status: done ? 'done' : 'ongoing', doneAt: done ? new Date(Date.parse(`${agreedOn}T00:00:00+07:00`) + random() * 400 * 86_400_000) : null, history: [],
      };
      items.push(item);
    }
    await store.collection('jaap_items').deleteMany({});
    for (let i = 0; i < items.length; i += 1000) await register.addItems(items.slice(i, i + 1000));
    const JAAP_PASS = 'JAAP: every item read once';
    await time(JAAP_PASS, async () => {
      let count = 0;
      await store.collection('jaap_items').forEach({}, {}, () => { count++; });
      return count;
    });
    const JAAP = 'JAAP: national result indicator';
    const report = await time(JAAP, async () => jaapResults(await register.itemsAgreedIn('2024-01-01', '2025-01-01'), { asOf: new Date('2025-12-31T05:00:00Z'), period: { from: '2024-01-01', to: '2025-01-01' }, gazetteer }));
    const s = seconds.get(JAAP)!;
    console.log(`JAAP row: ${n.toLocaleString('en')} items over ${perCommune.size.toLocaleString('en')} communes; national report ${s.toFixed(2)} s (target under 1 s${s < 1 ? ': met' : ': MISSED'}), ${(s / seconds.get(JAAP_PASS)!).toFixed(2)}x a full pass over the items; ${report.entries.length} areas, country share ${report.entries[0].share}`);
  }
  console.log(`engine ${engine}, ${communes.length} communes, node ${process.version}, ${os.cpus().length} cores`);
  if (!o['only-jaap']) await ratingsRows();
  await jaapRow();

  if (!o.keep) await store.dropEverything();
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(`benchmark failed: ${(err as Error).message}`);
  process.exit(1);
});
