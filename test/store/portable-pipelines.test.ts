import { aggregate as mingoAggregate } from 'mingo';
import { assertPortablePipeline, Collection, PORTABLE_AGGREGATION, Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

/**
 * The portable aggregation subset (src/store/store.ts, assertPortablePipeline): one example of
 * every stage, accumulator and expression operator it allows, run on the engine under test and
 * by mingo directly on the same documents. On the MongoDB pass this holds the server (FerretDB 2.5
 * in CI, or a real MongoDB with MONGODB_URI) to mingo's results; on the embedded pass it checks
 * the embedded store (NeDB for the leading $match, mingo for the rest) against mingo alone. The
 * expected results are MongoDB's documented semantics, written out.
 */

interface Item {
  _id: string;
  kind: string;
  n: number;
  score: number;
  d?: { g?: string };
  tags: string[];
  at: Date;
}

/** A fresh copy each time (mingo must not share objects with the store). */
const items = (): Item[] => [
  { _id: 'a', kind: 'x', n: 2, score: 5, d: { g: 'w' }, tags: ['red', 'blue'], at: new Date('2026-01-01T00:00:00Z') },
  { _id: 'b', kind: 'x', n: 3, score: 1, d: {}, tags: ['red'], at: new Date('2026-01-02T00:00:00Z') },
  { _id: 'c', kind: 'y', n: 1, score: 3, d: { g: 'm' }, tags: [], at: new Date('2026-02-03T00:00:00Z') },
  { _id: 'd', kind: 'z', n: 5, score: 4, tags: ['green'], at: new Date('2026-03-04T00:00:00Z') },
];
const ITEMS = items();

type Pipeline = Record<string, unknown>[];
const byId = { $sort: { _id: 1 } };

/** [what it shows, pipeline, expected]. Key order inside result documents is not compared. */
const CASES: [string, Pipeline, unknown[]][] = [
  ['$group with several accumulators: $sum of a field and of 1, $avg, $min, $max', [
    { $match: { n: { $gte: 1 } } },
    { $group: { _id: '$kind', total: { $sum: '$n' }, count: { $sum: 1 }, mean: { $avg: '$n' }, low: { $min: '$n' }, latest: { $max: '$at' } } },
    byId,
  ], [
    { _id: 'x', total: 5, count: 2, mean: 2.5, low: 2, latest: new Date('2026-01-02T00:00:00Z') },
    { _id: 'y', total: 1, count: 1, mean: 1, low: 1, latest: new Date('2026-02-03T00:00:00Z') },
    { _id: 'z', total: 5, count: 1, mean: 5, low: 5, latest: new Date('2026-03-04T00:00:00Z') },
  ]],
  ['$first, $last, $push after a $sort; $addToSet; $count', [
    { $sort: { n: 1 } },
    { $group: { _id: '$kind', first: { $first: '$n' }, last: { $last: '$n' }, all: { $push: '$n' }, kinds: { $addToSet: '$kind' }, c: { $count: {} } } },
    byId,
  ], [
    { _id: 'x', first: 2, last: 3, all: [2, 3], kinds: ['x'], c: 2 },
    { _id: 'y', first: 1, last: 1, all: [1], kinds: ['y'], c: 1 },
    { _id: 'z', first: 5, last: 5, all: [5], kinds: ['z'], c: 1 },
  ]],
  ['$sum of $cond (array and object forms), comparisons, $and, $or, $not, $ne, $lt, $lte, $in', [
    {
      $group: {
        _id: null,
        top: { $sum: { $cond: [{ $gte: ['$score', 4] }, 1, 0] } },
        five: { $sum: { $cond: { if: { $eq: ['$score', 5] }, then: 1, else: 0 } } },
        mixed: { $sum: { $cond: [{ $and: [{ $gt: ['$n', 1] }, { $or: [{ $eq: ['$kind', 'x'] }, { $not: [{ $ne: ['$kind', 'z'] }] }] }] }, 1, 0] } },
        low: { $sum: { $cond: [{ $or: [{ $lt: ['$score', 2] }, { $lte: ['$n', 1] }] }, 1, 0] } },
        listed: { $sum: { $cond: [{ $in: ['$kind', ['x', 'y']] }, 1, 0] } },
      },
    },
  ], [{ _id: null, top: 2, five: 1, mixed: 3, low: 2, listed: 3 }]],
  ['$ifNull names a missing field, in $project and in a $group key', [
    { $group: { _id: { k: '$kind', g: { $ifNull: ['$d.g', 'unstated'] } }, c: { $sum: 1 } } },
    { $sort: { '_id.k': 1, '_id.g': 1 } },
  ], [
    { _id: { k: 'x', g: 'unstated' }, c: 1 }, { _id: { k: 'x', g: 'w' }, c: 1 },
    { _id: { k: 'y', g: 'm' }, c: 1 }, { _id: { k: 'z', g: 'unstated' }, c: 1 },
  ]],
  ['$addFields and $set with arithmetic ($add, $subtract, $multiply, $divide, $round), then $unset', [
    { $addFields: { double: { $multiply: ['$n', 2] }, third: { $round: [{ $divide: ['$n', 3] }, 2] } } },
    { $set: { next: { $add: ['$n', 1] }, gap: { $subtract: ['$score', '$n'] } } },
    { $unset: ['tags', 'd', 'at', 'kind', 'score', 'n'] },
    byId,
  ], [
    { _id: 'a', double: 4, third: 0.67, next: 3, gap: 3 },
    { _id: 'b', double: 6, third: 1, next: 4, gap: -2 },
    { _id: 'c', double: 2, third: 0.33, next: 2, gap: 2 },
    { _id: 'd', double: 10, third: 1.67, next: 6, gap: -1 },
  ]],
  ['$project with strings, sizes, dates and $switch; $literal', [
    {
      $project: {
        label: { $concat: ['$kind', '-', { $toString: '$n' }] },
        tagCount: { $size: '$tags' },
        day: { $dateToString: { format: '%Y-%m-%d', date: '$at' } },
        year: { $year: '$at' },
        month: { $month: '$at' },
        size: { $switch: { branches: [{ case: { $gt: ['$n', 2] }, then: 'big' }], default: 'small' } },
        constant: { $literal: '$not-a-path' },
      },
    },
    byId,
  ], [
    { _id: 'a', label: 'x-2', tagCount: 2, day: '2026-01-01', year: 2026, month: 1, size: 'small', constant: '$not-a-path' },
    { _id: 'b', label: 'x-3', tagCount: 1, day: '2026-01-02', year: 2026, month: 1, size: 'big', constant: '$not-a-path' },
    { _id: 'c', label: 'y-1', tagCount: 0, day: '2026-02-03', year: 2026, month: 2, size: 'small', constant: '$not-a-path' },
    { _id: 'd', label: 'z-5', tagCount: 1, day: '2026-03-04', year: 2026, month: 3, size: 'big', constant: '$not-a-path' },
  ]],
  ['$unwind (plain and keeping empty arrays), $sortByCount', [
    { $unwind: '$tags' }, { $sortByCount: '$tags' }, { $sort: { count: -1, _id: 1 } },
  ], [{ _id: 'red', count: 2 }, { _id: 'blue', count: 1 }, { _id: 'green', count: 1 }]],
  ['$unwind with preserveNullAndEmptyArrays, $count', [
    { $unwind: { path: '$tags', preserveNullAndEmptyArrays: true } }, { $count: 'rows' },
  ], [{ rows: 5 }]],
  ['$match with $expr, $sort, $skip, $limit, $replaceRoot', [
    { $match: { $expr: { $gt: ['$n', '$score'] } } },
    { $sort: { n: -1 } }, { $skip: 0 }, { $limit: 5 },
    { $replaceRoot: { newRoot: { id: '$_id', k: '$kind' } } },
  ], [{ id: 'd', k: 'z' }, { id: 'b', k: 'x' }]],
  ['$facet: several summaries in one pass', [
    { $facet: { byKind: [{ $group: { _id: '$kind', c: { $sum: 1 } } }, byId], total: [{ $count: 'c' }] } },
  ], [{ byKind: [{ _id: 'x', c: 2 }, { _id: 'y', c: 1 }, { _id: 'z', c: 1 }], total: [{ c: 4 }] }]],
];

/** Sorts object keys (recursively) so results compare without regard to key order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

describe(`portable aggregation subset (${ENGINE} store, and mingo)`, () => {
  let store: Store;
  let collection: Collection<Item>;

  beforeAll(async () => {
    store = await openTestStore();
    collection = store.collection<Item>('portable_items');
    await collection.insertMany(ITEMS);
  });
  afterAll(async () => {
    await closeTestStore(store);
  });

  it.each(CASES)('%s: the engine and mingo give MongoDB\'s result', async (_what, pipeline, expected) => {
    expect(() => assertPortablePipeline(pipeline)).not.toThrow();
    const fromEngine = await collection.aggregate(pipeline);
    const fromMingo = mingoAggregate(items(), pipeline);
    expect(canonical(fromEngine)).toEqual(canonical(expected));
    expect(canonical(fromMingo)).toEqual(canonical(expected));
  });

  it('every stage, accumulator and expression operator the subset allows has a case above', () => {
    const used = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object' && !(v instanceof Date)) {
        for (const [k, x] of Object.entries(v)) {
          if (k.startsWith('$')) used.add(k);
          walk(x);
        }
      }
    };
    CASES.forEach(([, pipeline]) => walk(pipeline));
    const allowed = [...PORTABLE_AGGREGATION.stages, ...PORTABLE_AGGREGATION.accumulators, ...PORTABLE_AGGREGATION.expressions];
    expect(allowed.filter((op) => !used.has(op))).toEqual([]);
    // And the subset refuses what is not in that list (the store contract tests list why each is out).
    expect(() => assertPortablePipeline([{ $group: { _id: null, v: { $stdDevPop: '$n' } } }])).toThrow(/accumulator/);
  });
});
