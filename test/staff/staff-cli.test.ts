import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { verifyPassword } from '../../src/auth/passwords';
import { StaffAccountsRepository } from '../../src/auth/staff-accounts';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { MongoStore } from '../../src/store/mongo-store';
import { Store } from '../../src/store/store';
import { ENGINE, tempDir } from '../support/engine';
import { nodeEntry } from '../support/node-entry';

// node with tsx's loader, as `npm run <tool>` runs it, in one process (node_modules/.bin/tsx starts a second node for each run).
// Each command starts tsx (a few seconds on a busy two-core machine).
jest.setTimeout(180_000);

describe(`npm run staff (${ENGINE} store)`, () => {
  const dataDir = tempDir('staff-cli-');
  const db = `test_cli_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    MONGODB_URI: process.env.MONGODB_URI ?? '',
    MONGODB_DB: db,
    SESSION_SECRET: 'cli-session-secret',
    CALLER_HASH_SECRET: 'cli-caller-secret',
    TWILIO_AUTH_TOKEN: 'cli-token',
    LOG_LEVEL: 'silent',
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

  test('add reads the password from a pipe and stores only a scrypt hash; a taken name, a short password and a bad role are refused', async () => {
    const added = run(['add', 'Sokha', '--role', 'admin'], 'a piped password 1\n');
    expect(added.stderr).toMatch(/^npm run staff: (the embedded store in|MongoDB) [^\n]+; data folder [^\n]+ \([^\n]+\)\n$/); // its one line: the store it works on
    expect(added.status).toBe(0);
    expect(added.stdout).toContain('Created sokha (admin)');
    expect(run(['add', 'sokha', '--role', 'viewer'], 'another password 2\n').status).toBe(65);
    expect(run(['add', 'dara', '--role', 'viewer'], 'short\n').status).toBe(65);
    expect(run(['add', 'dara', '--role', 'boss'], 'a piped password 1\n').status).toBe(64);
    expect(run(['add', 'dara'], 'a piped password 1\n').status).toBe(64);
    expect(run(['frobnicate']).status).toBe(64);
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('add <username> --role ROLE');

    const list = run(['list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/sokha\s+admin\s+active/);

    const store = await open();
    try {
      const account = await new StaffAccountsRepository(store).find('sokha');
      expect(account?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(JSON.stringify(account)).not.toContain('a piped password 1');
      expect(await verifyPassword('a piped password 1', account!.passwordHash)).toBe(true);
      expect(await verifyPassword('a piped password 2', account!.passwordHash)).toBe(false);
    } finally {
      await store.close();
    }
  });

  test('disable, passwd and an unknown account', async () => {
    run(['add', 'chenda', '--role', 'reviewer'], 'first password 123\n');
    expect(run(['disable', 'chenda']).status).toBe(0);
    expect(run(['list']).stdout).toMatch(/chenda\s+reviewer\s+disabled/);
    expect(run(['passwd', 'chenda'], 'second password 456\n').status).toBe(0);
    expect(run(['disable', 'nobody']).status).toBe(65);
    const store = await open();
    try {
      const account = await new StaffAccountsRepository(store).find('chenda');
      expect(await verifyPassword('second password 456', account!.passwordHash)).toBe(true);
    } finally {
      await store.close();
    }
  });

  test('every account change from the command line is in the staff audit log, with who ran it and never the password (issue 12, finding 5)', async () => {
    expect(run(['add', 'vanna', '--role', 'viewer'], 'river stone first 1\n').status).toBe(0);
    expect(run(['role', 'vanna', '--role', 'reviewer']).status).toBe(0);
    expect(run(['passwd', 'vanna'], 'river stone second 2\n').status).toBe(0);
    expect(run(['disable', 'vanna']).status).toBe(0);
    expect(run(['enable', 'vanna']).status).toBe(0);
    const store = await open();
    try {
      const entries = await store.collection<{ _id: string; action: string; username: string; detail?: Record<string, unknown> }>('staff_audit')
        .find({ 'detail.account': 'vanna' }, { sort: { _id: 1 } });
      expect(entries.map((e) => e.action)).toEqual(['add-account', 'change-role', 'change-password', 'disable-account', 'enable-account']);
      for (const e of entries) expect(e.username).toMatch(/^command line \(.+\)$/);
      expect(entries[0].detail).toMatchObject({ role: 'viewer' });
      expect(entries[1].detail).toMatchObject({ role: 'reviewer' });
      expect(JSON.stringify(entries)).not.toMatch(/river stone/);
    } finally {
      await store.close();
    }
  });

  test('a weak password is refused with the reason (issue 12, finding 1)', () => {
    const r = run(['add', 'rithy', '--role', 'viewer'], 'Password2024!\n');
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/guessers try first/);
  });
});
