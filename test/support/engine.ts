import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
 * A fresh, empty store of the selected engine: its own database or its own folder. `dbName`
 * (MongoDB only) connects to that database instead, as a second app instance would.
 */
export async function openTestStore(dataDir = tempDir(), dbName = testDbName()): Promise<Store> {
  let store: Store;
  if (ENGINE === 'mongodb') {
    store = await MongoStore.connect(process.env.MONGODB_URI!, dbName);
  } else {
    store = new EmbeddedStore(dataDir);
  }
  await store.ensureIndexes(INDEXES);
  return store;
}

/** Drops the test's database (MongoDB) and closes the store. */
export async function closeTestStore(store: Store): Promise<void> {
  if (store.engine === 'mongodb') await store.dropEverything();
  await store.close();
}
