import { EmbeddedStore } from '../../src/store/embedded-store';
import { INDEXES } from '../../src/store/indexes';
import { tempDir } from '../support/engine';

/**
 * NeDB keeps every document without an indexed field under one key, and updating any of them walks
 * that key's whole list (binary-search-tree's avltree delete): 20,000 ratings without
 * `spokenPlaceId` made each rating update cost milliseconds, and callers' webhooks waited seconds
 * under `npm run bench:public -- --ratings 20000` (p99 8.6 s alone; 0.2 s with 1,000 ratings).
 * `sparseOnEmbedded` leaves such documents out; lookups by value still find what they did.
 */
interface Doc { _id: string; spokenPlaceId?: string; n: number }

describe('sparse indexes on the embedded store', () => {
  let store: EmbeddedStore;
  beforeEach(() => {
    store = new EmbeddedStore(tempDir());
  });
  afterEach(async () => store.close());

  const docs = (): Doc[] => [
    ...Array.from({ length: 500 }, (_, i) => ({ _id: `r${String(i).padStart(4, '0')}`, n: i })),
    { _id: 'p1', spokenPlaceId: 'place-1', n: 1 },
    { _id: 'p2', spokenPlaceId: 'place-2', n: 2 },
    { _id: 'p3', spokenPlaceId: 'place-1', n: 3 },
  ];
  const indexOf = (name: string, field: string) =>
    (store.collection(name) as unknown as { ds: { indexes: Record<string, { getAll(): unknown[] }> } }).ds.indexes[field];

  it('holds only the documents that have the field, and finds by value, by $in, and the rest by $exists as before', async () => {
    await store.ensureIndexes([
      { collection: 'sparse_docs', keys: { spokenPlaceId: 1 }, sparseOnEmbedded: true },
      { collection: 'dense_docs', keys: { spokenPlaceId: 1 } },
    ]);
    const sparse = store.collection<Doc>('sparse_docs');
    const dense = store.collection<Doc>('dense_docs');
    await sparse.insertMany(docs());
    await dense.insertMany(docs());
    expect(indexOf('sparse_docs', 'spokenPlaceId').getAll()).toHaveLength(3);
    expect(indexOf('dense_docs', 'spokenPlaceId').getAll()).toHaveLength(503);

    // An update of a document without the field, then one that gives it the field: found by it.
    await sparse.updateOne({ _id: 'r0007' }, { $set: { n: 70 } });
    await sparse.updateOne({ _id: 'r0008' }, { $set: { spokenPlaceId: 'place-2' } });
    await dense.updateOne({ _id: 'r0007' }, { $set: { n: 70 } });
    await dense.updateOne({ _id: 'r0008' }, { $set: { spokenPlaceId: 'place-2' } });
    for (const filter of [{ spokenPlaceId: 'place-1' }, { spokenPlaceId: { $in: ['place-2', 'place-9'] } }, { spokenPlaceId: { $exists: false }, n: { $gte: 60, $lt: 80 } }]) {
      const ids = async (c: typeof sparse) => (await c.find(filter, { sort: { _id: 1 } })).map((d) => d._id);
      expect(await ids(sparse)).toEqual(await ids(dense));
    }
    expect(await sparse.find({ spokenPlaceId: { $in: ['place-2'] } }, { sort: { _id: 1 } })).toEqual([
      { _id: 'p2', spokenPlaceId: 'place-2', n: 2 }, { _id: 'r0008', spokenPlaceId: 'place-2', n: 8 },
    ]);
    expect(await sparse.countDocuments({ spokenPlaceId: { $exists: false } })).toBe(499);
    // A page sorted by the field reads every document (the index alone would miss those without it).
    const page = async (c: typeof sparse) => (await c.find({}, { sort: { spokenPlaceId: 1, _id: 1 }, limit: 5 })).map((d) => d._id);
    expect(await page(sparse)).toEqual(await page(dense));
  });

  it('a store made before the index was sparse has it made again when it opens, without losing a document', async () => {
    const dir = tempDir();
    const before = new EmbeddedStore(dir);
    await before.ensureIndexes([{ collection: 'upgraded', keys: { spokenPlaceId: 1 } }]);
    await before.collection<Doc>('upgraded').insertMany(docs());
    await before.close();
    const after = new EmbeddedStore(dir);
    try {
      await after.ensureIndexes([{ collection: 'upgraded', keys: { spokenPlaceId: 1 }, sparseOnEmbedded: true }]);
      const index = (after.collection('upgraded') as unknown as { ds: { indexes: Record<string, { getAll(): unknown[]; sparse: boolean }> } }).ds.indexes.spokenPlaceId;
      expect({ sparse: index.sparse, indexed: index.getAll().length }).toEqual({ sparse: true, indexed: 3 });
      expect((await after.collection<Doc>('upgraded').find({ spokenPlaceId: 'place-1' }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['p1', 'p3']);
      expect(await after.collection<Doc>('upgraded').countDocuments({})).toBe(503);
    } finally {
      await after.close();
    }
  });

  it('is asked for where most documents lack the field, and never on a date (NeDB drops Date keys from sparse indexes)', () => {
    const sparse = INDEXES.filter((s) => s.sparseOnEmbedded).map((s) => `${s.collection}.${Object.keys(s.keys).join(',')}`);
    expect(sparse).toEqual(expect.arrayContaining(['ratings.spokenPlaceId', 'messages.spokenPlaceId']));
    for (const s of INDEXES.filter((x) => x.sparseOnEmbedded)) {
      expect(Object.keys(s.keys)).toHaveLength(1);
      expect(Object.keys(s.keys)[0]).not.toMatch(/At$|^at$|date/i);
    }
  });
});
