import { PLACE_TO_CONFIRM_FIELD } from '../store/places-to-confirm';
import { Rating } from '../store/ratings';
import { Collection, Filter, Store } from '../store/store';
import { Counts, emptyCounts, SCALE_POINTS } from './figures';
import { Period } from './period';

/**
 * Counting ratings in the database, with one caller's repeated ratings counted once.
 *
 * Rule: within a period, a caller's ratings of one indicator of one service in one commune
 * count once, the latest. Each rating a later one replaces carries `supersededAt` (see
 * src/store/repeat-ratings.ts), so the rule is part of the $match: a rating counts in
 * [from, to) when it has no supersededAt or one at or after `to`.
 *
 * Each grouping is then one pass of portable stages: $match the scope, $group by the requested
 * keys plus the score with $sum. The result has at most (keys x 5) rows whatever the number of
 * ratings (national, per commune/service/indicator: 1,652 x 16 x 5 = 132,160 rows at most).
 */

export type Dimension = 'communeCode' | 'districtCode' | 'provinceCode' | 'service' | 'indicatorId' | 'facilityId' | 'gender' | 'ageGroup' | 'disability' | 'idPoor' | 'languageGroup';

const FIELD: Record<Dimension, string> = {
  communeCode: 'communeCode',
  districtCode: 'districtCode',
  provinceCode: 'provinceCode',
  service: 'service',
  indicatorId: 'indicatorId',
  // The facility rated (a school of several in the commune); '' when the rating names none.
  facilityId: 'facilityId',
  gender: 'demographics.gender',
  ageGroup: 'demographics.ageGroup',
  disability: 'demographics.disability',
  idPoor: 'demographics.idPoor',
  languageGroup: 'languageGroup',
};

/** Demographic answers a caller skipped (or calls before they were asked) count as unstated. */
const DEFAULT_VALUE: Partial<Record<Dimension, string>> = {
  gender: 'unstated',
  ageGroup: 'unstated',
  disability: 'unstated',
  idPoor: 'unstated',
  languageGroup: 'other',
};

export interface Area {
  communes?: string[];
  districts?: string[];
  provinces?: string[];
}

export interface CountRow {
  /** The facility may be left out (''): ratings of a commune as a whole, and rows built before facilities. */
  key: Record<Exclude<Dimension, 'facilityId'>, string> & { facilityId?: string };
  counts: Counts;
}

/** One caller's answers for one combination of keys. */
export interface CallerRow extends CountRow {
  callerId: string;
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
  // A rating whose place staff have not confirmed has no commune yet: counted apart (src/reports/places-waiting.ts).
  const filter: Filter = { ratedAt: { $gte: period.from, $lt: period.to }, [TEST_CALL_FIELD]: { $ne: true }, [PLACE_TO_CONFIRM_FIELD]: { $ne: true } };
  if (places.length === 1) Object.assign(filter, places[0]);
  // Latest in the period: not replaced by the same caller before the period ends.
  const latest: Filter = { $or: [{ supersededAt: { $exists: false } }, { supersededAt: { $gte: period.to } }] };
  if (places.length > 1) filter.$and = [{ $or: places }, latest];
  else Object.assign(filter, latest);
  return filter;
}

/**
 * Reads a rating document's values of `dims` as every count reads them (a missing answer as
 * unstated), or null for a score off the scale (left out of every count). The array returned
 * is reused for the next document.
 */
export function documentReader(dims: readonly Dimension[]): (doc: Rating) => string[] | null {
  const paths = dims.map((d) => FIELD[d].split('.'));
  const values: string[] = new Array(dims.length);
  return (doc) => {
    const score = Number(doc.score);
    if (!Number.isInteger(score) || score < 1 || score > SCALE_POINTS) return null;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      let v: unknown = (doc as unknown as Record<string, unknown>)[p[0]];
      for (let k = 1; k < p.length && v !== undefined && v !== null; k++) v = (v as Record<string, unknown>)[p[k]];
      values[i] = v === undefined || v === null || v === '' ? (DEFAULT_VALUE[dims[i]] ?? '') : String(v);
    }
    return values;
  };
}

/** One period and area, counted by any grouping. */
export class RatingScope {
  readonly filter: Filter;

  constructor(private readonly ratings: Collection<Rating>, readonly period: Period, readonly area: Area = {}) {
    this.filter = scopeFilter(period, area);
  }

  static of(store: Store, period: Period, area: Area = {}): RatingScope {
    return new RatingScope(store.collection<Rating>('ratings'), period, area);
  }

  /**
   * Counts at each scale point per combination of `dims`, each caller's latest rating of a
   * key counted once.
   */
  async countBy(dims: Dimension[]): Promise<CountRow[]> {
    return this.group(dims, false);
  }

  /**
   * As countBy, per caller as well: what distinct-caller counts and the privacy threshold are
   * built from (src/reports/disclosure-control.ts). One $group stage with one accumulator, keyed
   * by the caller too, so every engine runs it. A caller with several scores for one
   * combination has a row per score (not folded: at a million ratings the rows are nearly all
   * distinct already, and folding would hold them twice).
   */
  async callerRows(dims: Dimension[]): Promise<CallerRow[]> {
    return this.group(dims, true) as Promise<CallerRow[]>;
  }

  /**
   * Visits each counted rating of the scope with its caller, the values of `dims` read as
   * countBy reads them (a missing answer as unstated) and its score; ratings with a score off the
   * scale are left out, as countBy leaves them out. `values` is one array reused for every visit.
   * Nothing is held per rating. Two ways to read, with the same visits:
   * - 'grouped' (for a database server): grouped in the database by caller and every dimension
   *   but the indicator, each group with its (indicator, score) pairs ($push), read through a
   *   cursor (aggregateEach). About one group per call, so a sixth of the documents cross from
   *   the server: on the MongoDB-compatible test server sending documents costs far more than
   *   scanning them (100,000 ratings: 5.7 s read one by one, 1.1 s grouped).
   * - 'documents' (for the embedded store, which holds them in memory anyway and whose $group is
   *   slow): each matching document.
   */
  async forEachRating(dims: Dimension[], visit: (callerId: string, values: string[], score: number) => void, read: 'grouped' | 'documents' = 'grouped'): Promise<void> {
    if (read === 'documents') return this.forEachDocument(dims, visit);
    const pushed = dims.indexOf('indicatorId');
    if (pushed < 0) throw new Error('forEachRating needs the indicator among its dimensions');
    const groupId: Record<string, string> = { caller: '$callerId' };
    dims.forEach((d, i) => { if (i !== pushed) groupId[`k${i}`] = `$${FIELD[d]}`; });
    const valueOf = (d: Dimension, v: unknown) => (v === undefined || v === null || v === '' ? (DEFAULT_VALUE[d] ?? '') : String(v));
    const values: string[] = new Array(dims.length);
    await this.ratings.aggregateEach<{ _id: Record<string, unknown>; r: { i?: unknown; s?: unknown }[] }>([
      { $match: this.filter },
      { $group: { _id: groupId, r: { $push: { i: `$${FIELD.indicatorId}`, s: '$score' } } } },
    ], (g) => {
      const callerId = String(g._id.caller);
      for (let i = 0; i < dims.length; i++) if (i !== pushed) values[i] = valueOf(dims[i], g._id[`k${i}`]);
      for (const rating of g.r) {
        const score = Number(rating.s);
        if (!Number.isInteger(score) || score < 1 || score > SCALE_POINTS) continue;
        values[pushed] = valueOf('indicatorId', rating.i);
        visit(callerId, values, score);
      }
    });
  }

  private async forEachDocument(dims: Dimension[], visit: (callerId: string, values: string[], score: number) => void): Promise<void> {
    const read = documentReader(dims);
    // No projection: NeDB copies each document either way, and projecting took longer than that.
    await this.ratings.forEach(this.filter, {}, (doc) => {
      const values = read(doc);
      if (values) visit(String(doc.callerId), values, Number(doc.score));
    });
  }

  private async group(dims: Dimension[], byCaller: boolean): Promise<CountRow[]> {
    const groupId: Record<string, string> = { score: '$score' };
    if (byCaller) groupId.caller = '$callerId';
    dims.forEach((d, i) => { groupId[`k${i}`] = `$${FIELD[d]}`; });
    const grouped = await this.ratings.aggregate<{ _id: Record<string, unknown>; n: number }>([
      { $match: this.filter },
      { $group: { _id: groupId, n: { $sum: 1 } } },
    ]);
    const rows = new Map<string, CountRow>();
    const perCaller: CallerRow[] = [];
    const keyOf = (values: string[]) => Object.fromEntries(dims.map((d, i) => [d, values[i]])) as Record<Dimension, string>;
    const rowFor = (values: string[]) => {
      const id = values.join('\u0000');
      let row = rows.get(id);
      if (!row) rows.set(id, (row = { key: keyOf(values), counts: emptyCounts() }));
      return row;
    };
    for (const g of grouped) {
      const score = Number(g._id.score);
      if (!Number.isInteger(score) || score < 1 || score > SCALE_POINTS) continue;
      const values = dims.map((d, i) => {
        const v = g._id[`k${i}`];
        return v === undefined || v === null || v === '' ? (DEFAULT_VALUE[d] ?? '') : String(v);
      });
      if (byCaller) {
        const counts = emptyCounts();
        counts[score - 1] = g.n;
        perCaller.push({ key: keyOf(values), counts, callerId: String(g._id.caller) });
      } else {
        rowFor(values).counts[score - 1] += g.n;
      }
    }
    return byCaller ? perCaller : [...rows.values()];
  }
}
