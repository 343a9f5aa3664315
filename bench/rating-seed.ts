/**
 * Seeds benchmark ratings the way the hotline stores them: a call's ratings of one service in one
 * commune, a caller's replaced ratings carrying supersededAt. Shared by bench/report-benchmark.ts
 * and bench/public-benchmark.ts, so both time the same data.
 */
import { Presets, SingleBar } from 'cli-progress';
import { Gazetteer } from '../src/gazetteer/gazetteer';
import { Rating } from '../src/store/ratings';
import { Scorecard } from '../src/scorecard/scorecard';
import { Store } from '../src/store/store';

/** Small deterministic PRNG so runs seed the same data. */
export function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RatingSeedOptions {
  gazetteer: Gazetteer;
  scorecard: Scorecard;
  /** Ratings to write. */
  total: number;
  /** Calls fall in [from, to) (a caller's repeat up to 30 days later, possibly past `to`). Default: the year 2025 in Cambodia. */
  from?: number;
  to?: number;
  /** Distinct callers (default total / 12: about two calls per caller over a year). */
  callers?: number;
  /** Prefix of the call ids, so two seedings into one store do not collide (default CAbench). */
  idPrefix?: string;
  /** The PRNG seed (default 20250101). */
  seed?: number;
  /** Store ratings as an older version did: no supersededAt on replaced ratings. */
  unmarked?: boolean;
  /** Draw a progress bar on stderr (default true). */
  progress?: boolean;
}

export const YEAR_2025_FROM = Date.parse('2024-12-31T17:00:00Z');
export const YEAR_2025_TO = Date.parse('2025-12-31T17:00:00Z');

/** Writes the ratings (insertMany in batches of 5000); returns how many were written. */
export async function seedRatings(store: Store, o: RatingSeedOptions): Promise<number> {
  const { gazetteer, scorecard, total } = o;
  const communes = gazetteer.communes();
  const ratings = store.collection<Rating>('ratings');
  const random = mulberry32(o.seed ?? 20250101);
  const from = o.from ?? YEAR_2025_FROM;
  const spanMs = (o.to ?? YEAR_2025_TO) - from;
  const prefix = o.idPrefix ?? 'CAbench';
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const callers = o.callers ?? Math.max(1, Math.floor(total / 12));
  const bar = o.progress === false ? null : new SingleBar({ format: 'seeding {bar} {percentage}% | {value}/{total} ratings | {eta_formatted} left' }, Presets.shades_classic);
  bar?.start(total, 0);
  const BATCH = 5000;
  let batch: Rating[] = [];
  // The last call's ratings wait here until the next call is known: if it is the same caller
  // rating again, they get its time as supersededAt, as the hotline's save would have set.
  let held: Rating[] = [];
  const ratedKeys = new Set<string>();
  let made = 0;
  let call = 0;
  let last: { callerId: string; commune: (typeof communes)[number]; service: (typeof scorecard.services)[number]; at: number } | null = null;
  while (made < total) {
    call++;
    // One call in ten is a caller rating the same commune and service again, 1 hour to 30 days
    // later (counted once by the report).
    const again: boolean = last !== null && random() < 0.1;
    const callerId: string = again ? last!.callerId : `bench-caller-${Math.floor(random() * callers).toString(36)}`;
    let commune: (typeof communes)[number] = again ? last!.commune : pick(communes);
    const service: (typeof scorecard.services)[number] = again ? last!.service : pick(scorecard.services);
    // Only the repeats above rate a key again: a chance repeat would have been marked by the
    // hotline but not by this seeder (its earlier ratings are already written).
    while (!again && ratedKeys.has(`${callerId}|${commune.code}|${service.id}`)) commune = pick(communes);
    ratedKeys.add(`${callerId}|${commune.code}|${service.id}`);
    const at: number = again ? last!.at + 3600_000 + Math.floor(random() * 30 * 24 * 3600_000) : from + Math.floor(random() * spanMs);
    last = { callerId, commune, service, at };
    const callSid = `${prefix}${call.toString(36)}`;
    const indigenous = random() < 0.08;
    const demographics = {
      gender: pick(['woman', 'woman', 'man', 'man', 'unstated']),
      ageGroup: pick(['under-25', '25-59', '25-59', '60-plus', 'unstated']),
      disability: pick(['yes', 'no', 'no', 'no', 'no', 'no', 'no', 'unstated']),
    };
    const lineage = gazetteer.lineage(commune.code);
    const current: Rating[] = [];
    for (const ind of service.indicators) {
      if (made >= total) break;
      current.push({
        _id: `${callSid}:${commune.code}:${service.id}:${ind.id}`,
        callSid,
        callerId,
        communeCode: commune.code,
        districtCode: lineage.districtCode,
        provinceCode: lineage.provinceCode,
        service: service.id,
        indicatorId: ind.id,
        score: 1 + Math.floor(random() * 5),
        language: indigenous ? 'cmo' : 'km',
        languageGroup: indigenous ? 'indigenous' : 'khmer',
        demographics,
        ratedAt: new Date(at + ind.id.length * 10_000),
      });
      made++;
    }
    if (again && !o.unmarked) {
      for (const r of current) {
        const replaced = held.find((h) => h.indicatorId === r.indicatorId);
        if (replaced) replaced.supersededAt = r.ratedAt;
      }
    }
    batch.push(...held);
    held = current;
    if (made >= total) batch.push(...held);
    if (batch.length >= BATCH || made >= total) {
      await ratings.insertMany(batch);
      bar?.update(made);
      batch = [];
    }
  }
  bar?.stop();
  return made;
}
