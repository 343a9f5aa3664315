import { Rating } from '../store/ratings';
import { Collection, Filter, Store } from '../store/store';
import { Counts, emptyCounts, SCALE_POINTS } from './figures';
import { Period } from './period';

/**
 * Counting ratings in the database, with one caller's repeated ratings counted once.
 *
 * Rule: within a period, a caller's ratings of one indicator of one service in one commune
 * count once: the latest (by ratedAt; on an exact tie, the larger _id). So a caller cannot
 * stuff a commune's score by calling again, but can change their mind.
 *
 * Design (portable stages only: $match, $group with $sum, ...; no $first/$max/$cond):
 * 1. Counts: $match the scope, $group by the requested keys plus the score with $sum. The
 *    result has at most (keys x 5) rows whatever the number of ratings (national, per
 *    commune/service/indicator: 1,652 x 16 x 5 = 132,160 rows at most).
 * 2. Repeats: $match the same scope, $group by (callerId, commune, service, indicator) with
 *    $sum, $match n > 1. The database does the big grouping; only the (few) keys rated more
 *    than once come back.
 * 3. Those callers' ratings in the scope are fetched (by callerId, in chunks) and, per key,
 *    every rating but the latest is "superseded". Each superseded rating is subtracted from
 *    the cell it was counted in. Memory in this process grows with the repeats, not the total.
 * Periods are arbitrary, so the latest-in-period cannot be precomputed at save time without
 * rewriting older ratings on every call; this keeps the ratings immutable and the rule exact.
 * Steps 2-3 run once per scope and serve every grouping of that scope (see RatingScope).
 */

export type Dimension = 'communeCode' | 'districtCode' | 'provinceCode' | 'service' | 'indicatorId' | 'gender' | 'ageGroup' | 'disability' | 'languageGroup';

const FIELD: Record<Dimension, string> = {
  communeCode: 'communeCode',
  districtCode: 'districtCode',
  provinceCode: 'provinceCode',
  service: 'service',
  indicatorId: 'indicatorId',
  gender: 'demographics.gender',
  ageGroup: 'demographics.ageGroup',
  disability: 'demographics.disability',
  languageGroup: 'languageGroup',
};

/** Demographic answers a caller skipped (or calls before they were asked) count as unstated. */
const DEFAULT_VALUE: Partial<Record<Dimension, string>> = {
  gender: 'unstated',
  ageGroup: 'unstated',
  disability: 'unstated',
  languageGroup: 'other',
};

export interface Area {
  communes?: string[];
  districts?: string[];
  provinces?: string[];
}

export interface CountRow {
  key: Record<Dimension, string>;
  counts: Counts;
}

/**
 * Ratings made with the "try the line" test call are never counted. The flag is optional on
 * ratings, so ratings without it count.
 */
export const TEST_CALL_FIELD = 'testCall';

export function scopeFilter(period: Period, area: Area = {}): Filter {
  const places: Filter[] = [];
  if (area.communes?.length) places.push({ communeCode: { $in: area.communes } });
  if (area.districts?.length) places.push({ districtCode: { $in: area.districts } });
  if (area.provinces?.length) places.push({ provinceCode: { $in: area.provinces } });
  const filter: Filter = { ratedAt: { $gte: period.from, $lt: period.to }, [TEST_CALL_FIELD]: { $ne: true } };
  if (places.length === 1) Object.assign(filter, places[0]);
  if (places.length > 1) filter.$or = places;
  return filter;
}

type SupersededRating = Pick<Rating, 'communeCode' | 'districtCode' | 'provinceCode' | 'service' | 'indicatorId' | 'score' | 'languageGroup' | 'demographics'>;

/**
 * Callers per fetch of repeated ratings: one round trip in most periods (FerretDB scans the
 * collection for each), each query document well under MongoDB's 16 MB (20,000 ids ~ 1 MB).
 */
const CALLER_CHUNK = 20_000;
const REPEAT_FIELDS = {
  _id: 1, callerId: 1, communeCode: 1, districtCode: 1, provinceCode: 1, service: 1, indicatorId: 1,
  score: 1, ratedAt: 1, languageGroup: 1, demographics: 1,
} as const;

function valueOf(source: Record<string, unknown>, dim: Dimension): string {
  const path = FIELD[dim].split('.');
  let v: unknown = source;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v === undefined || v === null || v === '' ? (DEFAULT_VALUE[dim] ?? '') : String(v);
}

/** One period and area, with its repeats resolved once and reused by every grouping. */
export class RatingScope {
  private superseded: Promise<SupersededRating[]> | null = null;
  readonly filter: Filter;

  constructor(private readonly ratings: Collection<Rating>, readonly period: Period, readonly area: Area = {}) {
    this.filter = scopeFilter(period, area);
  }

  static of(store: Store, period: Period, area: Area = {}): RatingScope {
    return new RatingScope(store.collection<Rating>('ratings'), period, area);
  }

  /** Ratings that a later rating by the same caller of the same indicator replaces, in this scope. */
  supersededRatings(): Promise<SupersededRating[]> {
    this.superseded ??= this.findSuperseded();
    return this.superseded;
  }

  private async findSuperseded(): Promise<SupersededRating[]> {
    const repeats = await this.ratings.aggregate<{ _id: { c: string; m: string; s: string; i: string }; n: number }>([
      { $match: this.filter },
      { $group: { _id: { c: '$callerId', m: '$communeCode', s: '$service', i: '$indicatorId' }, n: { $sum: 1 } } },
      { $match: { n: { $gt: 1 } } },
    ]);
    if (repeats.length === 0) return [];
    const repeatedKeys = new Set(repeats.map((r) => `${r._id.c}|${r._id.m}|${r._id.s}|${r._id.i}`));
    const callers = [...new Set(repeats.map((r) => r._id.c))];
    const byKey = new Map<string, Rating[]>();
    for (let i = 0; i < callers.length; i += CALLER_CHUNK) {
      const chunk = callers.slice(i, i + CALLER_CHUNK);
      const inChunk = new Set(chunk);
      // callerId as a top-level $in so both engines use the callerId index; the communes of the
      // repeated keys (a subset of the scope's) keep the fetch close to the repeats themselves.
      const communes = [...new Set(repeats.filter((r) => inChunk.has(r._id.c)).map((r) => r._id.m))];
      const docs = await this.ratings.find(
        { ...this.filter, callerId: { $in: chunk }, communeCode: { $in: communes } },
        { projection: REPEAT_FIELDS },
      );
      for (const d of docs) {
        const key = `${d.callerId}|${d.communeCode}|${d.service}|${d.indicatorId}`;
        if (!repeatedKeys.has(key)) continue;
        const list = byKey.get(key) ?? [];
        list.push(d);
        byKey.set(key, list);
      }
    }
    const out: SupersededRating[] = [];
    for (const list of byKey.values()) {
      list.sort((a, b) => new Date(b.ratedAt).getTime() - new Date(a.ratedAt).getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0));
      for (const r of list.slice(1)) out.push(r);
    }
    return out;
  }

  /**
   * Counts at each scale point per combination of `dims`, after deduplication. Rows whose
   * counts drop to zero are left out.
   */
  async countBy(dims: Dimension[]): Promise<CountRow[]> {
    const groupId: Record<string, string> = { score: '$score' };
    dims.forEach((d, i) => { groupId[`k${i}`] = `$${FIELD[d]}`; });
    const [grouped, superseded] = await Promise.all([
      this.ratings.aggregate<{ _id: Record<string, unknown>; n: number }>([
        { $match: this.filter },
        { $group: { _id: groupId, n: { $sum: 1 } } },
      ]),
      this.supersededRatings(),
    ]);
    const rows = new Map<string, CountRow>();
    const rowFor = (values: string[]) => {
      const id = values.join('\u0000');
      let row = rows.get(id);
      if (!row) {
        row = { key: Object.fromEntries(dims.map((d, i) => [d, values[i]])) as Record<Dimension, string>, counts: emptyCounts() };
        rows.set(id, row);
      }
      return row;
    };
    for (const g of grouped) {
      const score = Number(g._id.score);
      if (!Number.isInteger(score) || score < 1 || score > SCALE_POINTS) continue;
      const values = dims.map((d, i) => {
        const v = g._id[`k${i}`];
        return v === undefined || v === null || v === '' ? (DEFAULT_VALUE[d] ?? '') : String(v);
      });
      rowFor(values).counts[score - 1] += g.n;
    }
    for (const r of superseded) {
      const score = Number(r.score);
      if (!Number.isInteger(score) || score < 1 || score > SCALE_POINTS) continue;
      rowFor(dims.map((d) => valueOf(r as unknown as Record<string, unknown>, d))).counts[score - 1] -= 1;
    }
    return [...rows.values()].filter((row) => row.counts.some((c) => c > 0));
  }
}
