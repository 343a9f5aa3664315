import { Collection, Filter, Store } from './store';
import type { Rating } from './ratings';

/**
 * A caller's repeated ratings of one thing: the rule and its bookkeeping.
 *
 * Rule (issue 5): within a period, a caller's ratings of one indicator of one service in one
 * commune (and of one facility, where the caller chose one of several) count once, the latest (by ratedAt; on an exact tie, the larger _id). So a caller
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
 * mended by the caller's next rating of that key. A caller who had never chosen a commune
 * before the call has nothing to replace, and their saves skip the read (RatingsRepository.save).
 * `markAllRepeatRatings` recomputes every key (for ratings stored before this bookkeeping
 * existed, or to repair).
 */

export type RepeatKey = Pick<Rating, 'callerId' | 'communeCode' | 'service' | 'indicatorId' | 'facilityId'>;
type Link = Pick<Rating, '_id' | 'ratedAt' | 'supersededAt'>;
export interface SupersededAtChange {
  _id: string;
  /** null: the rating is its key's latest and must carry no supersededAt. */
  supersededAt: Date | null;
}

/**
 * Staff "try the line" ratings are never counted, so they neither replace nor are replaced; nor
 * are ratings whose place staff have not yet confirmed (their commune is '' until then).
 */
const COUNTED: Filter = { testCall: { $ne: true }, placeToConfirm: { $ne: true } };
const LINK_FIELDS = { _id: 1, ratedAt: 1, supersededAt: 1 } as const;
const KEY_FIELDS = { callerId: 1, communeCode: 1, service: 1, indicatorId: 1, facilityId: 1 } as const;

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

const updateFor = (c: SupersededAtChange) => (c.supersededAt ? { $set: { supersededAt: c.supersededAt } } : { $unset: { supersededAt: '' } });

/** After a rating of `key` is saved: recompute that key's marks (an indexed read of the caller's few ratings of it). */
export async function markRepeatsOf(ratings: Collection<Rating>, key: RepeatKey): Promise<void> {
  const { callerId, communeCode, service, indicatorId } = key;
  // Two schools of one commune are two things rated: each keeps the caller's latest of its own.
  const facility: Filter = key.facilityId ? { facilityId: key.facilityId } : { facilityId: { $exists: false } };
  const links = await ratings.find({ callerId, communeCode, service, indicatorId, ...facility, ...COUNTED }, { projection: LINK_FIELDS });
  // One by one: usually one change, and a write by _id waits only on that document.
  for (const c of supersededAtChanges(links)) await ratings.updateOne({ _id: c._id }, updateFor(c));
}

export interface MarkAllResult {
  ratings: number;
  repeatedKeys: number;
  changed: number;
}

/** Buckets of the first pass's key counts: 16 MB, whatever the number of ratings. */
const BUCKET_BITS = 24;

/** FNV-1a, 32 bits: spreads the keys over the buckets. */
export function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) >>> (32 - BUCKET_BITS);
}

const keyOf = (r: RepeatKey) => `${r.callerId}\u0000${r.communeCode}\u0000${r.service}\u0000${r.indicatorId}\u0000${r.facilityId ?? ''}`;

/**
 * Recomputes every key's marks in two streamed reads of the ratings, with memory bounded by the
 * repeats rather than the total:
 * 1. count the keys into hashed buckets (a key seen twice lands in a bucket counted twice);
 * 2. collect the ratings of keys in buckets counted more than once (the repeats, and a few
 *    single keys that share a bucket, which need no change), and clear stray marks elsewhere.
 * The grouping happens here, in memory bounded by the repeats, rather than in a $group over
 * every key: nearly every rating is its own key, and on the embedded store mingo would hold all of
 * them at once. Marks are written by _id, in bulk.
 */
export async function markAllRepeatRatings(store: Store): Promise<MarkAllResult> {
  const ratings = store.collection<Rating>('ratings');
  const counts = new Uint8Array(1 << BUCKET_BITS);
  await ratings.forEach(COUNTED, { projection: KEY_FIELDS }, (r) => {
    const b = bucketOf(keyOf(r));
    if (counts[b] < 2) counts[b]++;
  });
  const chains = new Map<string, Link[]>();
  const changes: SupersededAtChange[] = [];
  let seen = 0;
  await ratings.forEach(COUNTED, { projection: { ...LINK_FIELDS, ...KEY_FIELDS } }, (r) => {
    seen++;
    const key = keyOf(r);
    if (counts[bucketOf(key)] > 1) {
      const link: Link = { _id: r._id, ratedAt: r.ratedAt, supersededAt: r.supersededAt };
      const chain = chains.get(key);
      if (chain) chain.push(link);
      else chains.set(key, [link]);
    } else if (r.supersededAt !== undefined) {
      changes.push({ _id: r._id, supersededAt: null });
    }
  });
  let repeatedKeys = 0;
  for (const chain of chains.values()) {
    if (chain.length > 1) repeatedKeys++;
    changes.push(...supersededAtChanges(chain));
  }
  await ratings.updateEachById(changes.map((c) => ({ _id: c._id, update: updateFor(c) })));
  return { ratings: seen, repeatedKeys, changed: changes.length };
}

/** One-time upgrade of a store whose ratings predate the marks; a marker makes later starts skip it. */
export const REPEAT_MARKS_MIGRATION = 'ratings-superseded-at';

export async function ensureRepeatRatingsMarked(store: Store, log: (msg: string, fields?: Record<string, unknown>) => void): Promise<MarkAllResult | null> {
  const migrations = store.collection<{ _id: string; doneAt: Date }>('migrations');
  if (await migrations.findOne({ _id: REPEAT_MARKS_MIGRATION })) return null;
  const t0 = Date.now();
  // Said first, so an operator watching a long start knows what it is waiting for.
  if (await store.collection<Rating>('ratings').findOne({})) {
    log('upgrade: marking ratings that the same caller later rated again, once (two reads of every rating; minutes on a large database)');
  }
  const result = await markAllRepeatRatings(store);
  await migrations.updateOne({ _id: REPEAT_MARKS_MIGRATION }, { $set: { doneAt: new Date() } }, { upsert: true });
  if (result.changed > 0) log('upgrade: marked the ratings that the same caller later rated again (reports count the latest)', { ...result, ms: Date.now() - t0 });
  return result;
}
