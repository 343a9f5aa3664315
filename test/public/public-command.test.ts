import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { MongoStore } from '../../src/store/mongo-store';
import { rating, storeRatings } from '../reports/rating-fixture';
import { ENGINE, tempDir } from '../support/engine';
import { storeForCommand } from '../support/report-command';
import { nodeEntry } from '../support/node-entry';

const root = path.join(__dirname, '..', '..');

describe(`npm run public -- build (${ENGINE} store)`, () => {
  let opened: Awaited<ReturnType<typeof storeForCommand>>;
  const dbName = `test_public_cmd_${process.pid}_${Date.now()}`;
  beforeAll(async () => {
    opened = await storeForCommand(path.join(tempDir(), 'data'), dbName, (store) =>
      storeRatings(store, Array.from({ length: 6 }, (_, k) => rating(`p${k}`, '010101', 'staff-attitude', 4, '2025-02-01T03:00:00Z'))));
  });
  afterAll(async () => opened.close());
  const run = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [...nodeEntry('scripts/public.ts'), ...args], {
    cwd: root, env: { ...process.env, ...opened.env, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000,
  });

  it('builds a year and its quarters, and refuses a period the setting does not publish (exit 2), saying so', async () => {
    // Two runs only: each starts a TypeScript process (seconds on CI).
    const off = run({ PUBLIC_RESULTS: 'off' }, 'build', '--period', '2025-Q1');
    expect([off.status, off.stderr]).toEqual([2, expect.stringContaining('2025-Q1 is not published under PUBLIC_RESULTS (off)')]);
    const built = run({ PUBLIC_RESULTS: '2025-01-01' }, 'build', '--period', '2025-Q1');
    expect(built.stderr).not.toMatch(/^public:/m);
    expect(built.status).toBe(0);
    expect(built.stdout).toContain('public: built 2025: 2025, 2025-Q1, 2025-Q2, 2025-Q3, 2025-Q4');
    const store = ENGINE === 'mongodb' ? await MongoStore.connect(process.env.MONGODB_URI!, dbName) : new EmbeddedStore(opened.env.DATA_DIR);
    try {
      expect(await store.collection('public_periods').countDocuments({})).toBe(5);
    } finally {
      await store.close();
    }
  }, 90_000);
});
