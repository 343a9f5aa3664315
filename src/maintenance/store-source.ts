import * as fs from 'node:fs';
import * as path from 'node:path';
import { GridFSBucket, MongoClient } from 'mongodb';
import { AppConfig } from '../config/config';
import { EmbeddedStore } from '../store/embedded-store';
import { MongoStore } from '../store/mongo-store';
import { Doc, Store } from '../store/store';

/**
 * A store read whole, for backup and migration: every collection and every stored recording.
 * The embedded store is read as a snapshot of its files (never rewritten, so it works while the
 * hotline runs); MongoDB through cursors, collection by collection.
 */
export interface StoreSource {
  readonly engine: 'embedded' | 'mongodb';
  /** The store itself, read-only by convention (reports are run on it to check a copy). */
  readonly store: Store;
  collections(): Promise<string[]>;
  fileIds(): Promise<string[]>;
  fileMetadata(id: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** GridFS keeps recordings in these; they are files, not documents. */
const GRIDFS_COLLECTIONS = /^recordings\.(files|chunks)$/;

export async function openSource(config: Pick<AppConfig, 'mongodbUri' | 'mongodbDb' | 'dataDir'>): Promise<StoreSource> {
  if (!config.mongodbUri) {
    const store = new EmbeddedStore(config.dataDir, { snapshot: true });
    const recordings = path.join(config.dataDir, 'recordings');
    return {
      engine: 'embedded',
      store,
      async collections() {
        const dir = path.join(config.dataDir, 'store');
        return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^[a-z_]+\.db$/.test(f)).map((f) => f.slice(0, -3)).sort() : [];
      },
      async fileIds() {
        if (!fs.existsSync(recordings)) return [];
        return fs.readdirSync(recordings).filter((f) => !f.endsWith('.meta.json') && !f.endsWith('.tmp') && !f.startsWith('.')).sort();
      },
      async fileMetadata(id) {
        try {
          return JSON.parse(fs.readFileSync(path.join(recordings, `${id}.meta.json`), 'utf8'));
        } catch {
          return {};
        }
      },
      close: async () => undefined, // a snapshot holds no file open and must not compact the owner's files
    };
  }
  const store = await MongoStore.connect(config.mongodbUri, config.mongodbDb, { socketTimeoutMS: 0 });
  const client = await MongoClient.connect(config.mongodbUri, { serverSelectionTimeoutMS: 3000 });
  const db = client.db(config.mongodbDb);
  const bucket = new GridFSBucket(db, { bucketName: 'recordings' });
  return {
    engine: 'mongodb',
    store,
    async collections() {
      const all = await db.listCollections({}, { nameOnly: true }).toArray();
      return all.map((c) => c.name).filter((n) => !n.startsWith('system.') && !GRIDFS_COLLECTIONS.test(n)).sort();
    },
    async fileIds() {
      const files = await bucket.find({}, { projection: { filename: 1 } }).toArray();
      return [...new Set(files.map((f) => f.filename))].sort();
    },
    async fileMetadata(id) {
      const [doc] = await bucket.find({ filename: id }).sort({ uploadDate: -1 }).limit(1).toArray();
      return (doc?.metadata as Record<string, unknown>) ?? {};
    },
    async close() {
      await client.close();
      await store.close();
    },
  };
}

/** Every document of a collection, in _id order. */
export async function allDocuments(store: Store, name: string): Promise<Doc[]> {
  return store.collection<Doc>(name).find({}, { sort: { _id: 1 } });
}
