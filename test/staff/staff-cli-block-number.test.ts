import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { callerIdFor } from '../../src/store/callers';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { MongoStore } from '../../src/store/mongo-store';
import { Store } from '../../src/store/store';
import { ENGINE, tempDir } from '../support/engine';
import { nodeEntry } from '../support/node-entry';

// node with tsx's loader, as `npm run <tool>` runs it, in one process (node_modules/.bin/tsx starts a second node for each run).
// Each command starts tsx (a few seconds on a busy two-core machine).
jest.setTimeout(180_000);

describe(`npm run staff -- block-number (${ENGINE} store)`, () => {
  const dataDir = tempDir('staff-cli-block-');
  const db = `test_cli_block_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const env = {
    PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATA_DIR: dataDir, MONGODB_URI: process.env.MONGODB_URI ?? '', MONGODB_DB: db,
    SESSION_SECRET: 'cli-session-secret', CALLER_HASH_SECRET: 'cli-caller-secret', TWILIO_AUTH_TOKEN: 'cli-token', LOG_LEVEL: 'silent',
  };
  const run = (args: string[], input = '') =>
    spawnSync(process.execPath, [...nodeEntry('scripts/staff.ts'), ...args], { env, input, encoding: 'utf8', cwd: process.cwd(), timeout: 60_000 });
  const open = async (): Promise<Store> => (ENGINE === 'mongodb' ? MongoStore.connect(process.env.MONGODB_URI!, db) : new EmbeddedStore(dataDir));

  afterAll(async () => {
    if (ENGINE === 'mongodb') {
      const s = await open();
      await s.dropEverything();
      await s.close();
    }
  });

  test('a number read from standard input is blocked by its keyed hash only, audited; a non-number is refused; unblock lifts it', async () => {
    const callerId = callerIdFor('+85512345678', 'cli-caller-secret');
    expect(run(['block-number', '+8550000000']).status).toBe(65);
    const blocked = run(['block-number'], '012 345 678\n');
    expect(blocked.stderr).toMatch(/^npm run staff: (the embedded store in|MongoDB) [^\n]+; data folder [^\n]+ \([^\n]+\)\n$/); // its one line: the store it works on
    expect(blocked.status).toBe(0);
    expect(blocked.stdout).toContain(`Blocked caller ${callerId}`);
    expect(blocked.stdout).not.toContain('345');
    expect(run(['--help']).stdout).toContain('block-number [NUMBER]');

    let store = await open();
    try {
      expect((await store.collection('outbound_blocks').find({})).map((b) => b._id)).toEqual([callerId]);
      const audit = await store.collection<{ _id: string; action: string; username: string; detail?: unknown }>('staff_audit').find({ action: 'outbound-block' });
      expect(audit).toEqual([expect.objectContaining({ username: expect.stringMatching(/^command line \(/), detail: { callerId, entered: 'phone number' } })]);
      const everything = JSON.stringify(await Promise.all(['outbound_blocks', 'staff_audit'].map((n) => store.collection(n).find({}))));
      expect(everything).not.toContain('12345678');
    } finally {
      await store.close();
    }

    const unblocked = run(['unblock-number', '+855 12 345 678']);
    expect(unblocked.status).toBe(0);
    store = await open();
    try {
      expect(await store.collection('outbound_blocks').find({})).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
