import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { INDEXES } from '../../src/store/indexes';
import { MongoStore } from '../../src/store/mongo-store';
import { Store } from '../../src/store/store';

/**
 * The engine every test runs on: the MongoDB-compatible server when MONGODB_URI is set
 * (scripts/test-both-engines.sh sets it for the second pass), the embedded store otherwise.
 */
export const ENGINE: 'mongodb' | 'embedded' = process.env.MONGODB_URI ? 'mongodb' : 'embedded';

export function tempDir(prefix = 'hotline-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A database name no other test uses. */
export function testDbName(prefix = 'test'): string {
  return `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
}

/**
 * On MongoDB a test file's stores reuse its databases. Creating a database's collections and
 * indexes and dropping it again costs about 1 s on the FerretDB test server (DDL on PostgreSQL,
 * which also bloats its catalog as a run goes on); emptying one costs about 0.1 s. A database goes
 * back to the file's pool emptied, or is dropped when its indexes are no longer exactly the app's
 * (a test dropped it or added one); the file's databases are dropped after its last test
 * (test/support/per-file-teardown.ts), so nothing is left on the server.
 */
const freeDatabases: string[] = [];
const pooledDatabases = new Set<string>();
const pooledNameOf = new WeakMap<Store, string>();
let admin: MongoClient | null = null;

async function adminClient(): Promise<MongoClient> {
  if (!admin) {
    admin = new MongoClient(process.env.MONGODB_URI!, { serverSelectionTimeoutMS: 3000 });
    await admin.connect();
  }
  return admin;
}

/** The indexes each declared collection must have (by key), beside _id. */
const DECLARED_INDEXES = (() => {
  const byCollection = new Map<string, Set<string>>();
  for (const spec of INDEXES) byCollection.set(spec.collection, (byCollection.get(spec.collection) ?? new Set()).add(JSON.stringify(spec.keys)));
  return byCollection;
})();

/** Empties a pooled database for the next test, or drops it when its indexes are not the app's. */
async function returnToPool(name: string): Promise<void> {
  const db = (await adminClient()).db(name);
  const collections = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  let reusable = [...DECLARED_INDEXES.keys()].every((c) => collections.includes(c));
  if (reusable) {
    const indexed = await Promise.all(collections.map(async (c) => ({ c, keys: (await db.collection(c).listIndexes().toArray()).filter((i) => i.name !== '_id_').map((i) => JSON.stringify(i.key)) })));
    // GridFS makes its own indexes on <bucket>.files and .chunks; every other collection has exactly the declared ones.
    reusable = indexed.every(({ c, keys }) => /\.(files|chunks)$/.test(c) || (keys.length === (DECLARED_INDEXES.get(c)?.size ?? 0) && keys.every((k) => DECLARED_INDEXES.get(c)!.has(k))));
  }
  if (reusable) {
    await Promise.all(collections.map((c) => db.collection(c).deleteMany({})));
    freeDatabases.push(name);
  } else {
    await db.dropDatabase();
    pooledDatabases.delete(name);
  }
}

/** Drops every database this test file pooled (after its last test). */
export async function dropPooledDatabases(): Promise<void> {
  if (pooledDatabases.size > 0) {
    const client = await adminClient();
    await Promise.all([...pooledDatabases].map((name) => client.db(name).dropDatabase()));
  }
  pooledDatabases.clear();
  freeDatabases.length = 0;
  await admin?.close();
  admin = null;
}

/**
 * A fresh, empty store of the selected engine: its own folder, or on MongoDB an empty database
 * with the app's indexes (from the file's pool). `dbName` (MongoDB only) connects to that
 * database instead, as a second app instance would; such a store is dropped when closed.
 */
export async function openTestStore(dataDir = tempDir(), dbName?: string): Promise<Store> {
  if (ENGINE === 'embedded') {
    const store = new EmbeddedStore(dataDir);
    await store.ensureIndexes(INDEXES);
    return store;
  }
  if (dbName !== undefined) {
    const store = await MongoStore.connect(process.env.MONGODB_URI!, dbName);
    await store.ensureIndexes(INDEXES);
    return store;
  }
  const reused = freeDatabases.pop();
  const name = reused ?? testDbName('pool');
  const store = await MongoStore.connect(process.env.MONGODB_URI!, name);
  if (!reused) {
    pooledDatabases.add(name);
    await store.ensureIndexes(INDEXES);
  }
  pooledNameOf.set(store, name);
  return store;
}

/** Closes the store: a pooled database is emptied for the file's next test, any other dropped. */
export async function closeTestStore(store: Store): Promise<void> {
  const pooled = pooledNameOf.get(store);
  if (pooled === undefined) {
    if (store.engine === 'mongodb') await store.dropEverything();
    await store.close();
    return;
  }
  pooledNameOf.delete(store);
  await store.close();
  if (pooledDatabases.has(pooled)) await returnToPool(pooled);
}
