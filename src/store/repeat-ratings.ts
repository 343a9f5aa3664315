import { Collection, Filter, Store } from './store';
import type { Rating } from './ratings';

/**
 * A caller's repeated ratings of one thing: the rule and its bookkeeping.
 *
 * Rule (issue 5): within a period, a caller's ratings of one indicator of one service in one
 * commune count once, the latest (by ratedAt; on an exact tie, the larger _id). So a caller
 * cannot stuff a commune's score by calling again, but can change their mind.
 *
 * Bookkeeping: every rating that a later rating of the same key replaces carries
 * `supersededAt`, the ratedAt of the next rating of that key. A rating then counts in
 * [from, to) exactly when from <= ratedAt < to and it has no supersededAt, or one >= to (the
 * next rating falls after the period). Reports need one plain $match, no per-caller work, so a
 * national table is a single database pass on every engine (see src/reports/rating-counts.ts).
 *
 * The marks are recomputed for the whole key each time one of its ratings is saved, so they do
 * not depend on the order ratings arrive in, and a save interrupted between its two writes is
 * mended by the caller's next rating of that key. `markAllRepeatRatings` recomputes every key
 * (for ratings stored before this bookkeeping existed, or to repair).
 */

export type RepeatKey = Pick<Rating, 'callerId' | 'communeCode' | 'service' | 'indicatorId'>;
type Link = Pick<Rating, '_id' | 'ratedAt' | 'supersededAt'>;
export interface SupersededAtChange {
  _id: string;
  /** null: the rating is its key's latest and must carry no supersededAt. */
  supersededAt: Date | null;
}

/** Staff "try the line" ratings are never counted, so they neither replace nor are replaced. */
const COUNTED: Filter = { testCall: { $ne: true } };
const LINK_FIELDS = { _id: 1, ratedAt: 1, supersededAt: 1 } as const;
const KEY_FIELDS = { callerId: 1, communeCode: 1, service: 1, indicatorId: 1 } as const;

function time(d: Date | string | undefined): number | undefined {
  return d === undefined ? undefined : new Date(d).getTime();
}

/** The writes that bring one key's ratings to the rule: each rating's supersededAt is the next one's ratedAt. */
export function supersededAtChanges(links: readonly Link[]): SupersededAtChange[] {
  const ordered = [...links].sort((a, b) => time(a.ratedAt)! - time(b.ratedAt)! || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  const changes: SupersededAtChange[] = [];
  ordered.forEach((link, i) => {
    const next = ordered[i + 1];
    const wanted = next ? new Date(next.ratedAt) : null;
    if (time(link.supersededAt) !== (wanted ? wanted.getTime() : undefined)) changes.push({ _id: link._id, supersededAt: wanted });
  });
  return changes;
}

async function apply(ratings: Collection<Rating>, changes: readonly SupersededAtChange[], concurrency = 1): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < changes.length) {
      const c = changes[next++];
      await ratings.updateOne({ _id: c._id }, c.supersededAt ? { $set: { supersededAt: c.supersededAt } } : { $unset: { supersededAt: '' } });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, changes.length) }, worker));
}

/** After a rating of `key` is saved: recompute that key's marks (an indexed read of the caller's few ratings of it). */
export async function markRepeatsOf(ratings: Collection<Rating>, key: RepeatKey): Promise<void> {
  const { callerId, communeCode, service, indicatorId } = key;
  const links = await ratings.find({ callerId, communeCode, service, indicatorId, ...COUNTED }, { projection: LINK_FIELDS });
  await apply(ratings, supersededAtChanges(links));
}

export interface MarkAllResult {
  ratings: number;
  repeatedKeys: number;
  changed: number;
}

/**
 * Recomputes every key's marks in two passes over the ratings: the database groups to find the
 * keys rated more than once, then one streamed read collects only those keys' ratings (memory
 * grows with the repeats, not the total) and clears stray marks on keys rated once.
 */
export async function markAllRepeatRatings(store: Store, opts: { concurrency?: number } = {}): Promise<MarkAllResult> {
  const ratings = store.collection<Rating>('ratings');
  const keyOf = (r: RepeatKey) => `${r.callerId}\u0000${r.communeCode}\u0000${r.service}\u0000${r.indicatorId}`;
  const repeated = await ratings.aggregate<{ _id: { c: string; m: string; s: string; i: string } }>([
    { $match: COUNTED },
    { $group: { _id: { c: '$callerId', m: '$communeCode', s: '$service', i: '$indicatorId' }, n: { $sum: 1 } } },
    { $match: { n: { $gt: 1 } } },
  ]);
  const chains = new Map<string, Link[]>(repeated.map((r) => [keyOf({ callerId: r._id.c, communeCode: r._id.m, service: r._id.s, indicatorId: r._id.i }), []]));
  const changes: SupersededAtChange[] = [];
  let seen = 0;
  await ratings.forEach(COUNTED, { projection: { ...LINK_FIELDS, ...KEY_FIELDS } }, (r) => {
    seen++;
    const chain = chains.get(keyOf(r));
    if (chain) chain.push({ _id: r._id, ratedAt: r.ratedAt, supersededAt: r.supersededAt });
    else if (r.supersededAt !== undefined) changes.push({ _id: r._id, supersededAt: null });
  });
  for (const chain of chains.values()) changes.push(...supersededAtChanges(chain));
  await apply(ratings, changes, opts.concurrency ?? 8);
  return { ratings: seen, repeatedKeys: chains.size, changed: changes.length };
}

/** One-time upgrade of a store whose ratings predate the marks; a marker makes later starts skip it. */
export const REPEAT_MARKS_MIGRATION = 'ratings-superseded-at';

export async function ensureRepeatRatingsMarked(store: Store, log: (msg: string, fields?: Record<string, unknown>) => void): Promise<MarkAllResult | null> {
  const migrations = store.collection<{ _id: string; doneAt: Date }>('migrations');
  if (await migrations.findOne({ _id: REPEAT_MARKS_MIGRATION })) return null;
  const t0 = Date.now();
  const result = await markAllRepeatRatings(store);
  await migrations.updateOne({ _id: REPEAT_MARKS_MIGRATION }, { $set: { doneAt: new Date() } }, { upsert: true });
  if (result.changed > 0) log('upgrade: marked the ratings that the same caller later rated again (reports count the latest)', { ...result, ms: Date.now() - t0 });
  return result;
}
