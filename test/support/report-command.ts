import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { MongoStore } from '../../src/store/mongo-store';
import { Store } from '../../src/store/store';
import { ENGINE } from './engine';
import { nodeEntry } from './node-entry';

const root = path.join(__dirname, '..', '..');

/** Runs `npm run report` (scripts/report.ts) as its own process with these settings. */
export const runReportCommand = (env: Record<string, string>, args: string[]) => spawnSync(process.execPath, [...nodeEntry('scripts/report.ts'), ...args], {
  cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60000,
});

/** Opens a store of the engine under test for a report command: env for the child, and a close. */
export async function storeForCommand(dataDir: string, dbName: string, fill: (store: Store) => Promise<void>): Promise<{ env: Record<string, string>; close: () => Promise<void> }> {
  if (ENGINE === 'mongodb') {
    const mongo = await MongoStore.connect(process.env.MONGODB_URI!, dbName);
    await fill(mongo);
    return { env: { MONGODB_URI: process.env.MONGODB_URI!, MONGODB_DB: dbName }, close: async () => { await mongo.dropEverything(); await mongo.close(); } };
  }
  const store = new EmbeddedStore(dataDir);
  await fill(store);
  await store.close();
  return { env: { MONGODB_URI: '', DATA_DIR: dataDir }, close: async () => undefined };
}
