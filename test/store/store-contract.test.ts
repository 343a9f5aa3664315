import { BadRequestError, DuplicateKeyError, StoreError } from '../../src/errors';
import { FlowState } from '../../src/flow/types';
import { callerIdFor, CallersRepository } from '../../src/store/callers';
import { CallRecord, CallsRepository, LastTurn, RECENT_CALLS } from '../../src/store/calls';
import { CountersRepository } from '../../src/store/counters';
import { RatingsRepository } from '../../src/store/ratings';
import { Collection, Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

/** The storage contract (src/store/store.ts), on the engine the suite runs on. */

interface Thing {
  _id: string;
  kind: string;
  n: number;
  tags?: string[];
  at?: Date;
  state?: string;
}

const things: Thing[] = [
  { _id: 'a', kind: 'x', n: 3, tags: ['red', 'blue'], at: new Date('2026-01-03T00:00:00Z'), state: 'queued' },
  { _id: 'b', kind: 'y', n: 1, tags: ['red'], at: new Date('2026-01-01T00:00:00Z'), state: 'queued' },
  { _id: 'c', kind: 'x', n: 2, tags: [], at: new Date('2026-01-02T00:00:00Z'), state: 'done' },
  { _id: 'd', kind: 'z', n: 5, at: new Date('2026-01-05T00:00:00Z'), state: 'queued' },
];

describe(`store contract (${ENGINE} store)`, () => {
  let store: Store;
  let c: Collection<Thing>;
  beforeEach(async () => {
    store = await openTestStore();
    c = store.collection<Thing>('things');
    await c.insertMany(things.map((t) => ({ ...t })));
  });
  afterEach(async () => {
    await closeTestStore(store);
  });

  it('insertOne of an existing _id throws DuplicateKeyError and keeps the first', async () => {
    await expect(c.insertOne({ _id: 'a', kind: 'other', n: 9 })).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await c.findOne({ _id: 'a' })).toMatchObject({ kind: 'x', n: 3 });
  });

  it('a unique index refuses a second document with the same key', async () => {
    await store.ensureIndexes([{ collection: 'uniques', keys: { key: 1 }, unique: true }]);
    const u = store.collection<{ _id: string; key: string }>('uniques');
    await u.insertOne({ _id: '1', key: 'k' });
    await expect(u.insertOne({ _id: '2', key: 'k' })).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await u.countDocuments({})).toBe(1);
  });

  it('findOne returns the document with its Date fields as Dates, or null', async () => {
    const a = await c.findOne({ _id: 'a' });
    expect(a).toEqual(things[0]);
    expect(a!.at).toBeInstanceOf(Date);
    expect(await c.findOne({ _id: 'nope' })).toBeNull();
  });

  it('find with a filter, sort, skip and limit', async () => {
    expect((await c.find({}, { sort: { n: 1 } })).map((t) => t._id)).toEqual(['b', 'c', 'a', 'd']);
    expect((await c.find({}, { sort: { at: -1 }, skip: 1, limit: 2 })).map((t) => t._id)).toEqual(['a', 'c']);
    expect((await c.find({ kind: 'x' }, { sort: { n: -1 } })).map((t) => t._id)).toEqual(['a', 'c']);
    expect((await c.find({ n: { $gte: 2, $lt: 5 } }, { sort: { _id: 1 } })).map((t) => t._id)).toEqual(['a', 'c']);
    expect((await c.find({ tags: 'red' }, { sort: { _id: 1 } })).map((t) => t._id)).toEqual(['a', 'b']);
    expect((await c.find({ kind: { $in: ['y', 'z'] } }, { sort: { _id: 1 } })).map((t) => t._id)).toEqual(['b', 'd']);
    expect((await c.find({ tags: { $exists: false } })).map((t) => t._id)).toEqual(['d']);
    expect((await c.find({ at: { $gt: new Date('2026-01-02T12:00:00Z') } }, { sort: { _id: 1 } })).map((t) => t._id)).toEqual(['a', 'd']);
  });

  it('a sorted page: two keys (a date, then _id for ties), newest first, skip, limit and projection; a missing value sorts lowest', async () => {
    const log = store.collection<{ _id: string; at?: Date; who?: string }>('sorted_page');
    const day = (d: number) => new Date(Date.UTC(2026, 10, d));
    await log.insertMany([
      { _id: 'e1', at: day(3), who: 'ann' }, { _id: 'e2', at: day(5), who: 'bo' }, { _id: 'e3', at: day(5), who: 'cy' },
      { _id: 'e4', at: day(1), who: 'di' }, { _id: 'e5', who: 'ed' }, { _id: 'e6', at: day(4), who: 'fa' },
    ]);
    const page = async (skip: number, limit: number) =>
      (await log.find({}, { sort: { at: -1, _id: -1 }, skip, limit, projection: { who: 1 } })).map((d) => `${d._id}:${d.who}:${'at' in d}`);
    expect(await page(0, 3)).toEqual(['e3:cy:false', 'e2:bo:false', 'e6:fa:false']);
    expect(await page(3, 3)).toEqual(['e1:ann:false', 'e4:di:false', 'e5:ed:false']);
    expect(await page(6, 3)).toEqual([]);
    expect((await log.find({ who: { $ne: 'bo' } }, { sort: { at: 1, _id: 1 } })).map((d) => d._id)).toEqual(['e5', 'e4', 'e1', 'e6', 'e3']);
  });

  it('a sorted page read through an index on its first key is the same page as without the index (ties on the key, missing values, filters, every page)', async () => {
    const day = (d: number) => new Date(Date.UTC(2026, 10, d));
    const docs = Array.from({ length: 120 }, (_, i) => ({
      _id: `x${String((i * 37) % 120).padStart(3, '0')}`, who: ['ann', 'bo', 'cy'][i % 3], ...(i % 11 === 0 ? {} : { at: day(1 + (i % 7)) }),
    }));
    const indexed = store.collection<{ _id: string; at?: Date; who: string }>('sorted_indexed');
    const plain = store.collection<{ _id: string; at?: Date; who: string }>('sorted_plain');
    await store.ensureIndexes([{ collection: 'sorted_indexed', keys: { at: 1 } }]);
    await indexed.insertMany(docs.map((d) => ({ ...d })));
    await plain.insertMany(docs.map((d) => ({ ...d })));
    for (const filter of [{}, { who: 'bo' }, { at: { $gte: day(3) } }]) {
      for (const sort of [{ at: -1, _id: -1 }, { at: 1, _id: 1 }] as const) {
        for (const [skip, limit] of [[0, 10], [10, 10], [25, 7], [115, 10]]) {
          const ids = async (c: typeof plain) => (await c.find(filter, { sort, skip, limit })).map((d) => d._id);
          expect(await ids(indexed)).toEqual(await ids(plain));
        }
      }
    }
    expect(await indexed.countDocuments({})).toBe(120);
  });

  it('find with a projection returns only the named fields and _id', async () => {
    const rows = await c.find({ kind: 'x' }, { sort: { _id: 1 }, projection: { n: 1 } });
    expect(rows).toEqual([{ _id: 'a', n: 3 }, { _id: 'c', n: 2 }]);
  });

  it('forEach visits every match once, with the projection, Dates as Dates', async () => {
    const seen: Partial<Thing>[] = [];
    await c.forEach({ state: 'queued' }, { projection: { n: 1, at: 1 } }, (t) => seen.push(t));
    expect(seen.sort((x, y) => (x._id! < y._id! ? -1 : 1))).toEqual([
      { _id: 'a', n: 3, at: new Date('2026-01-03T00:00:00Z') },
      { _id: 'b', n: 1, at: new Date('2026-01-01T00:00:00Z') },
      { _id: 'd', n: 5, at: new Date('2026-01-05T00:00:00Z') },
    ]);
  });

  it('countDocuments counts what matches', async () => {
    expect(await c.countDocuments({})).toBe(4);
    expect(await c.countDocuments({ state: 'queued' })).toBe(3);
    expect(await c.countDocuments({ kind: 'none' })).toBe(0);
  });

  it('updateOne: $set, $inc, $push, $unset; reports how many matched', async () => {
    expect(await c.updateOne({ _id: 'a' }, { $set: { kind: 'w' }, $inc: { n: 10 }, $push: { tags: 'green' }, $unset: { state: '' } }))
      .toEqual({ matched: 1, upserted: false });
    expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', kind: 'w', n: 13, tags: ['red', 'blue', 'green'], at: things[0].at });
    expect(await c.updateOne({ _id: 'nope' }, { $set: { n: 1 } })).toEqual({ matched: 0, upserted: false });
    expect(await c.findOne({ _id: 'nope' })).toBeNull();
  });

  it('updateOne with upsert inserts once, then updates', async () => {
    expect(await c.updateOne({ _id: 'e' }, { $set: { kind: 'new', n: 1 } }, { upsert: true })).toEqual({ matched: 0, upserted: true });
    expect(await c.updateOne({ _id: 'e' }, { $set: { n: 2 } }, { upsert: true })).toEqual({ matched: 1, upserted: false });
    expect(await c.findOne({ _id: 'e' })).toEqual({ _id: 'e', kind: 'new', n: 2 });
  });

  it('an upsert marked likelyNew behaves exactly like any upsert: inserts, updates, refuses a key whose filter does not match, and loses no concurrent $inc', async () => {
    const likelyNew = { upsert: true, likelyNew: true };
    expect(await c.updateOne({ _id: 'ln' }, { $set: { kind: 'new', n: 1 } }, likelyNew)).toEqual({ matched: 0, upserted: true });
    expect(await c.updateOne({ _id: 'ln' }, { $set: { n: 2 } }, likelyNew)).toEqual({ matched: 1, upserted: false });
    expect(await c.findOne({ _id: 'ln' })).toEqual({ _id: 'ln', kind: 'new', n: 2 });
    // As a call's status: raised only past a lower rank; otherwise the upsert meets the existing _id.
    await expect(c.updateOne({ _id: 'ln', n: { $lt: 2 } }, { $set: { n: 1 } }, likelyNew)).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await c.updateOne({ _id: 'ln', n: { $lt: 3 } }, { $set: { n: 3 } }, likelyNew)).toEqual({ matched: 1, upserted: false });
    const results = await Promise.all(Array.from({ length: 20 }, () => c.updateOne({ _id: 'ln-inc' }, { $inc: { n: 1 } }, likelyNew)));
    expect(results.filter((r) => r.upserted)).toHaveLength(1);
    expect((await c.findOne({ _id: 'ln-inc' }))!.n).toBe(20);
  });

  it('many upserts of one key at the same moment: one document, no error', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.updateOne({ _id: 'race' }, { $set: { kind: 'r', n: i } }, { upsert: true })));
    expect(await c.countDocuments({ _id: 'race' })).toBe(1);
    await Promise.all(Array.from({ length: 20 }, () => c.findOneAndUpdate({ _id: 'race2' }, { $inc: { n: 1 } }, { upsert: true })));
    expect((await c.findOne({ _id: 'race2' }))!.n).toBe(20);
  });

  // FerretDB 2.5 dropped some of 20 concurrent upserts that create one key (14 left, each reported
  // as done) in about one round of four: ten fresh keys make a lossy store fail almost surely.
  it('no concurrent upsert that creates a key is lost: $inc by updateOne and by findOneAndUpdate, ten fresh keys each', async () => {
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(Array.from({ length: 20 }, () => c.updateOne({ _id: `inc-${round}` }, { $inc: { n: 1 } }, { upsert: true })));
      expect(results.filter((r) => r.upserted)).toHaveLength(1);
      expect((await c.findOne({ _id: `inc-${round}` }))!.n).toBe(20);
      const after = await Promise.all(Array.from({ length: 20 }, () => c.findOneAndUpdate({ _id: `fam-${round}` }, { $inc: { n: 1 }, $max: { level: 1 } }, { upsert: true })));
      expect(after.map((d) => d!.n).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await c.findOne({ _id: `fam-${round}` })).toEqual({ _id: `fam-${round}`, n: 20, level: 1 });
    }
  });

  it('updateMany updates every match and returns the count', async () => {
    expect(await c.updateMany({ kind: 'x' }, { $set: { state: 'checked' } })).toBe(2);
    expect(await c.countDocuments({ state: 'checked' })).toBe(2);
  });

  it('updateEachById applies each document\'s own update, skips a missing one, and works past one batch', async () => {
    await c.updateEachById([
      { _id: 'a', update: { $set: { state: 'done' } } },
      { _id: 'nope', update: { $set: { state: 'done' } } },
      { _id: 'b', update: { $unset: { state: '' } } },
    ]);
    expect(await c.findOne({ _id: 'a' })).toMatchObject({ state: 'done' });
    expect(await c.findOne({ _id: 'b' })).not.toHaveProperty('state');
    expect(await c.countDocuments({ _id: 'nope' })).toBe(0);
    const many = Array.from({ length: 5050 }, (_, i) => ({ _id: `m${i}`, kind: 'm', n: i })); // bulkWrites of 5,000 on MongoDB
    await c.insertMany(many);
    await c.updateEachById(many.map((m) => ({ _id: m._id, update: { $inc: { n: 1 } } })));
    expect((await c.find({ kind: 'm' }, { sort: { n: 1 } })).map((m) => m.n)).toEqual(many.map((m) => m.n + 1));
  });

  it('a TTL index is the database\'s own: created with expireAfterSeconds (MongoDB), expired documents gone (embedded)', async () => {
    await store.ensureIndexes([{ collection: 'ttl_things', keys: { expiresAt: 1 }, expireAfterSeconds: 0 }]);
    if (store.engine === 'mongodb') {
      // MongoDB and FerretDB 2 delete expired documents in a background pass (every 60 s on MongoDB): check the index itself.
      const db = (store as unknown as { db: import('mongodb').Db }).db;
      const ttl = (await db.collection('ttl_things').indexes()).find((i) => i.key.expiresAt === 1);
      expect(ttl).toMatchObject({ expireAfterSeconds: 0 });
    } else {
      const ttl = store.collection<{ _id: string; expiresAt: Date }>('ttl_things');
      await ttl.insertMany([{ _id: 'old', expiresAt: new Date(Date.now() - 1000) }, { _id: 'new', expiresAt: new Date(Date.now() + 60_000) }]);
      expect((await ttl.find({})).map((d) => d._id)).toEqual(['new']);
    }
  });

  it('findOneAndUpdate returns the document after the update, or null when nothing matches', async () => {
    expect(await c.findOneAndUpdate({ _id: 'b' }, { $inc: { n: 1 } })).toMatchObject({ _id: 'b', n: 2 });
    expect(await c.findOneAndUpdate({ _id: 'nope' }, { $inc: { n: 1 } })).toBeNull();
    expect(await c.findOneAndUpdate({ _id: 'f' }, { $inc: { n: 1 } }, { upsert: true })).toEqual({ _id: 'f', n: 1 });
  });

  it('findOneAndUpdate with sort claims the first match atomically: concurrent claims never take the same document', async () => {
    const claim = (worker: string) =>
      c.findOneAndUpdate({ state: 'queued' }, { $set: { state: `claimed-by-${worker}` } }, { sort: { at: 1 } });
    const first = await claim('w0');
    expect(first!._id).toBe('b'); // the oldest queued
    const rest = await Promise.all(['w1', 'w2', 'w3', 'w4'].map(claim));
    const claimed = rest.filter(Boolean).map((t) => t!._id);
    expect(claimed.sort()).toEqual(['a', 'd']);
    expect(rest.filter((t) => t === null)).toHaveLength(2);
    expect(await c.countDocuments({ state: 'queued' })).toBe(0);
  });

  it('deleteOne and deleteMany return how many went', async () => {
    expect(await c.deleteOne({ kind: 'x' })).toBe(1);
    expect(await c.deleteMany({ state: 'queued' })).toBeGreaterThanOrEqual(2);
    expect(await c.deleteMany({ kind: 'none' })).toBe(0);
    expect(await c.countDocuments({})).toBeLessThanOrEqual(1);
  });

  it('aggregate with the portable stages', async () => {
    const totals = await c.aggregate<{ _id: string; total: number }>([
      { $match: { n: { $gte: 1 } } },
      { $group: { _id: '$kind', total: { $sum: '$n' } } },
      { $sort: { _id: 1 } },
    ]);
    expect(totals).toEqual([{ _id: 'x', total: 5 }, { _id: 'y', total: 1 }, { _id: 'z', total: 5 }]);
    const counts = await c.aggregate<{ _id: { kind: string; state: string }; count: number }>([
      { $group: { _id: { kind: '$kind', state: '$state' }, count: { $sum: 1 } } },
      { $sort: { '_id.kind': 1, '_id.state': 1 } },
    ]);
    expect(counts).toEqual([
      { _id: { kind: 'x', state: 'done' }, count: 1 }, { _id: { kind: 'x', state: 'queued' }, count: 1 },
      { _id: { kind: 'y', state: 'queued' }, count: 1 }, { _id: { kind: 'z', state: 'queued' }, count: 1 },
    ]);
    const tags = await c.aggregate<{ _id: string; count: number }>([
      { $unwind: '$tags' }, { $group: { _id: '$tags', count: { $sum: 1 } } }, { $sort: { count: -1, _id: 1 } }, { $skip: 0 }, { $limit: 1 },
    ]);
    expect(tags).toEqual([{ _id: 'red', count: 2 }]);
    expect(await c.aggregate([{ $match: { kind: 'x' } }, { $project: { _id: 0, n: 1 } }, { $sort: { n: 1 } }])).toEqual([{ n: 2 }, { n: 3 }]);
    expect(await c.aggregate([{ $match: { state: 'queued' } }, { $count: 'queued' }])).toEqual([{ queued: 3 }]);
  });

  it('aggregateEach visits each result of a portable pipeline once, and refuses the rest', async () => {
    const seen: { _id: string; items: { n: number }[] }[] = [];
    await c.aggregateEach<{ _id: string; items: { n: number }[] }>([
      { $match: { n: { $gte: 1 } } },
      { $group: { _id: '$kind', items: { $push: { n: '$n' } } } },
    ], (r) => seen.push(r));
    const byKind = seen.map((r) => [r._id, r.items.map((i) => i.n).sort()]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(byKind).toEqual([['x', [2, 3]], ['y', [1]], ['z', [5]]]);
    await expect(c.aggregateEach([{ $lookup: { from: 'x', localField: 'a', foreignField: 'b', as: 'c' } }], () => {})).rejects.toThrow(BadRequestError);
  });

  it.each([
    [[{ $lookup: { from: 'x', localField: 'a', foreignField: 'b', as: 'c' } }], /stage \$lookup/],
    [[{ $bucket: { groupBy: '$n', boundaries: [0, 3, 10] } }], /stage \$bucket/],
    [[{ $group: { _id: '$kind', top: { $top: { sortBy: { n: -1 }, output: '$n' } } } }], /accumulator for top/],
    [[{ $group: { _id: '$kind', merged: { $mergeObjects: '$d' } } }], /accumulator for merged/],
    [[{ $group: { _id: '$kind', total: { $sum: { $pow: ['$n', 2] } } } }], /expression operator \$pow in \$group.total/],
    [[{ $project: { m: { $regexMatch: { input: '$kind', regex: 'x' } } } }], /expression operator \$regexMatch/],
    [[{ $match: { $where: 'this.n > 1' } }], /query operator \$where/],
    [[{ $match: { $expr: { $function: {} } } }], /expression operator \$function/],
    [[{ $match: {}, $sort: { n: 1 } }], /exactly one operator/],
    [[{ $facet: { a: [{ $unionWith: 'other' }] } }], /stage \$unionWith/],
  ])('a non-portable pipeline is refused before it runs: %j', async (pipeline, message) => {
    await expect(c.aggregate(pipeline as Record<string, unknown>[])).rejects.toThrow(BadRequestError);
    await expect(c.aggregate(pipeline as Record<string, unknown>[])).rejects.toThrow(message);
  });

  describe('files', () => {
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));

    it('write, size, read whole and by range, remove', async () => {
      await store.files.write('recording-RE1.wav', data, { callSid: 'CA1' });
      expect(await store.files.size('recording-RE1.wav')).toBe(data.length);
      expect((await store.files.read('recording-RE1.wav')).equals(data)).toBe(true);
      expect((await store.files.read('recording-RE1.wav', { start: 0, end: 9 })).equals(data.subarray(0, 10))).toBe(true);
      expect((await store.files.read('recording-RE1.wav', { start: 261_000, end: 299_999 })).equals(data.subarray(261_000))).toBe(true);
      await store.files.remove('recording-RE1.wav');
      expect(await store.files.size('recording-RE1.wav')).toBeNull();
    });

    it('writing the same id again replaces the file', async () => {
      await store.files.write('f.wav', data, {});
      await store.files.write('f.wav', Buffer.from('short'), {});
      expect(await store.files.size('f.wav')).toBe(5);
      expect(String(await store.files.read('f.wav'))).toBe('short');
    });

    it('a missing file has no size, cannot be read (StoreError), and removing it is not an error', async () => {
      expect(await store.files.size('missing.wav')).toBeNull();
      await expect(store.files.read('missing.wav')).rejects.toBeInstanceOf(StoreError);
      await expect(store.files.remove('missing.wav')).resolves.toBeUndefined();
    });
  });
});

describe(`repositories (${ENGINE} store)`, () => {
  let store: Store;
  beforeEach(async () => {
    store = await openTestStore();
  });
  afterEach(async () => {
    await closeTestStore(store);
  });

  describe('callers', () => {
    it('a caller id is an HMAC of the number: stable, secret-dependent, and not the number', () => {
      const id = callerIdFor('+855 12 345 678', 'secret');
      expect(id).toBe(callerIdFor('+85512345678', 'secret'));
      expect(id).not.toBe(callerIdFor('+85512345678', 'other'));
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(id).not.toContain('12345678');
    });

    it('the first call creates the caller, later calls keep the first call time; language and commune are remembered', async () => {
      const callers = new CallersRepository(store);
      const t1 = new Date('2026-02-01T08:00:00Z');
      const t2 = new Date('2026-02-03T08:00:00Z');
      const first = await callers.recordCall('c1', t1);
      expect(first).toMatchObject({ _id: 'c1', firstCallAt: t1, lastCallAt: t1 });
      expect(first.language).toBeUndefined();
      await callers.rememberLanguage('c1', 'cmo');
      await callers.rememberCommune('c1', '120101');
      const again = await callers.recordCall('c1', t2);
      expect(again).toEqual({ _id: 'c1', firstCallAt: t1, lastCallAt: t2, language: 'cmo', lastCommune: '120101' });
    });
  });

  describe('calls', () => {
    const flow: FlowState = { node: 'main', language: 'km', silences: 0, invalids: 0, vars: {}, ended: false };
    const last = (turn: number): LastTurn => ({ output: { prompts: [{ id: 'main.menu' }], end: { type: 'hangup' } }, language: 'km', turn });
    const record = (sid: string): CallRecord => ({
      _id: sid, callerId: 'c1', flowVersion: '1', turn: 1, flow, last: last(1), startedAt: new Date(), updatedAt: new Date(),
    });

    it('create twice returns the first record the second time', async () => {
      const calls = new CallsRepository(store);
      expect((await calls.create(record('CA1'))).created).toBe(true);
      const second = await calls.create({ ...record('CA1'), callerId: 'someone-else' });
      expect(second.created).toBe(false);
      expect(second.record.callerId).toBe('c1');
    });

    it('advance is a compare-and-set on the turn: only one of two advances from the same turn wins', async () => {
      const calls = new CallsRepository(store);
      await calls.create(record('CA2'));
      const results = await Promise.all([
        calls.advance('CA2', 1, { ...flow, node: 'from-a' }, last(2), [{ type: 'remember-commune', communeCode: '120101' }], new Date()),
        calls.advance('CA2', 1, { ...flow, node: 'from-b' }, last(2), [{ type: 'remember-commune', communeCode: '120102' }], new Date()),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const saved = await calls.find('CA2');
      expect(saved!.turn).toBe(2);
      expect(saved!.flow.node).toBe(results[0] ? 'from-a' : 'from-b');
      // The winner's effects are saved with its turn, never the loser's.
      expect(saved!.lastEffects).toEqual([{ type: 'remember-commune', communeCode: results[0] ? '120101' : '120102' }]);
      expect(await calls.advance('CA2', 1, flow, last(2), [], new Date())).toBe(false);
      expect(await calls.advance('CA-unknown', 1, flow, last(2), [], new Date())).toBe(false);
    });

    describe('the record a turn finds: held by the instance that wrote it, read when another moved the call on', () => {
      /** The store as one instance sees it, counting its reads of calls. */
      const instance = () => {
        const reads = { n: 0 };
        const counting = Object.create(store) as Store;
        counting.collection = ((name: string) => {
          const c = store.collection(name);
          if (name !== 'calls') return c;
          return Object.assign(Object.create(c), { findOne: (f: Record<string, unknown>) => { reads.n++; return c.findOne(f); } });
        }) as Store['collection'];
        return { reads, calls: new CallsRepository(counting) };
      };

      it('the next turn of a call this instance created and moved on needs no read, and is what the database holds', async () => {
        const a = instance();
        await a.calls.create(record('CAheld1'));
        expect(await a.calls.findAtTurn('CAheld1', 1)).toMatchObject({ _id: 'CAheld1', turn: 1 });
        expect(await a.calls.advance('CAheld1', 1, { ...flow, node: 'second' }, last(2), [{ type: 'remember-commune', communeCode: '120101' }], new Date())).toBe(true);
        const held = await a.calls.findAtTurn('CAheld1', 2);
        expect(a.reads.n).toBe(0);
        expect(held).toEqual(await new CallsRepository(store).find('CAheld1'));
      });

      it('another instance moved the call on: the turn it reached is read from the database', async () => {
        const a = instance();
        const b = instance();
        await a.calls.create(record('CAheld2'));
        expect((await b.calls.findAtTurn('CAheld2', 1))?.turn).toBe(1);
        expect(b.reads.n).toBe(1);
        expect(await b.calls.advance('CAheld2', 1, { ...flow, node: 'by-b' }, last(2), [], new Date())).toBe(true);
        const atA = await a.calls.findAtTurn('CAheld2', 2);
        expect(a.reads.n).toBe(1);
        expect(atA?.flow.node).toBe('by-b');
      });

      it('two instances hold the same turn: the one that loses the compare-and-set reads the winner next', async () => {
        const a = instance();
        const b = instance();
        await a.calls.create(record('CAheld3'));
        await b.calls.find('CAheld3');
        expect(await a.calls.advance('CAheld3', 1, { ...flow, node: 'by-a' }, last(2), [], new Date())).toBe(true);
        // b still holds turn 1 (a duplicate of the request would run on it) but cannot save it.
        expect((await b.calls.findAtTurn('CAheld3', 1))?.turn).toBe(1);
        expect(await b.calls.advance('CAheld3', 1, { ...flow, node: 'by-b' }, last(2), [], new Date())).toBe(false);
        const before = b.reads.n;
        expect((await b.calls.findAtTurn('CAheld3', 2))?.flow.node).toBe('by-a');
        expect(b.reads.n).toBe(before + 1);
      });

      it('a call that has ended, or one of more than RECENT_CALLS since, is read again', async () => {
        const a = instance();
        await a.calls.create(record('CAheld4'));
        await a.calls.recordStatus('CAheld4', 'completed', 30, new Date());
        await a.calls.findAtTurn('CAheld4', 1);
        expect(a.reads.n).toBe(1);
        const others = Array.from({ length: RECENT_CALLS }, (_, i) => record(`CAheld5-${i}`));
        await a.calls.create(record('CAheld5'));
        for (const r of others) await a.calls.create(r);
        await a.calls.findAtTurn('CAheld5', 1);
        expect(a.reads.n).toBe(2);
        await a.calls.findAtTurn(`CAheld5-${RECENT_CALLS - 1}`, 1);
        expect(a.reads.n).toBe(2);
      });
    });

    it.each([
      [['ringing', 'in-progress', 'completed'], 'completed'],
      [['completed', 'ringing', 'in-progress'], 'completed'],
      [['in-progress', 'completed', 'ringing'], 'completed'],
      [['busy', 'ringing'], 'busy'],
      [['ringing', 'no-answer', 'initiated'], 'no-answer'],
      [['completed', 'failed'], 'completed'],
    ])('statuses %j in that order end as %s', async (order, final) => {
      const calls = new CallsRepository(store);
      for (const s of order) await calls.recordStatus('CA3', s, s === 'completed' ? 30 : undefined, new Date());
      expect(await calls.findStatus('CA3')).toMatchObject({ status: final });
    });

    it('statuses sent all at once still end at the final one', async () => {
      const calls = new CallsRepository(store);
      await Promise.all(['ringing', 'in-progress', 'completed', 'ringing', 'in-progress'].map((s) => calls.recordStatus('CA4', s, undefined, new Date())));
      expect(await calls.findStatus('CA4')).toMatchObject({ status: 'completed' });
    });
  });

  describe('ratings', () => {
    const base = {
      callSid: 'CA9', callerId: 'c1', communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health',
      score: 4, language: 'km', languageGroup: 'khmer' as const, demographics: {}, ratedAt: new Date('2026-03-01T10:00:00Z'),
    };

    it('saving the same indicator of the same call twice keeps one rating with the last score', async () => {
      const ratings = new RatingsRepository(store);
      await ratings.save({ ...base, indicatorId: 'staff-attitude' });
      await ratings.save({ ...base, indicatorId: 'staff-attitude', score: 2 });
      await ratings.save({ ...base, indicatorId: 'waiting-time', ratedAt: new Date('2026-03-01T10:00:05Z') });
      const saved = await ratings.forCall('CA9');
      expect(saved.map((r) => [r._id, r.score])).toEqual([
        ['CA9:120101:health:staff-attitude', 2], ['CA9:120101:health:waiting-time', 4],
      ]);
    });

    it('demographics given after the ratings are stamped on every rating of the call, and only that call', async () => {
      const ratings = new RatingsRepository(store);
      await ratings.save({ ...base, indicatorId: 'a' });
      await ratings.save({ ...base, indicatorId: 'b' });
      await ratings.save({ ...base, callSid: 'CA10', indicatorId: 'a' });
      await ratings.setDemographicsForCall('CA9', { gender: 'woman', ageGroup: '60-plus' });
      expect((await ratings.forCall('CA9')).map((r) => r.demographics)).toEqual([
        { gender: 'woman', ageGroup: '60-plus' }, { gender: 'woman', ageGroup: '60-plus' },
      ]);
      expect((await ratings.forCall('CA10'))[0].demographics).toEqual({});
    });

    it('demographics stamped by the keys of the ratings given in the call reach exactly those ratings', async () => {
      const ratings = new RatingsRepository(store);
      await ratings.save({ ...base, indicatorId: 'a' });
      await ratings.save({ ...base, indicatorId: 'b' });
      await ratings.save({ ...base, callSid: 'CA10', indicatorId: 'a' });
      await ratings.setDemographicsForCall('CA9', { disability: 'yes' }, ['120101:health:a']);
      const byIndicator = (await ratings.forCall('CA9')).sort((x, y) => x.indicatorId.localeCompare(y.indicatorId));
      expect(byIndicator.map((r) => [r.indicatorId, r.demographics])).toEqual([['a', { disability: 'yes' }], ['b', {}]]);
      expect((await ratings.forCall('CA10'))[0].demographics).toEqual({});
      await ratings.setDemographicsForCall('CA9', { disability: 'no' }, []);
      expect((await ratings.forCall('CA9')).find((r) => r.indicatorId === 'a')!.demographics).toEqual({ disability: 'yes' });
    });
  });

  describe('counters', () => {
    it('next gives every caller a different number, also when asked at once', async () => {
      const counters = new CountersRepository(store);
      const values = await Promise.all(Array.from({ length: 25 }, () => counters.next('reference')));
      expect(new Set(values).size).toBe(25);
      expect(Math.min(...values)).toBe(1);
      expect(Math.max(...values)).toBe(25);
      expect(await counters.next('other')).toBe(1);
    });

    it('two instances drawing a new sequence at once never get the same number', async () => {
      for (let round = 0; round < 10; round++) {
        const one = new CountersRepository(store);
        const two = new CountersRepository(store);
        const values = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).next(`fresh-${round}`)));
        expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
    });
  });
});
