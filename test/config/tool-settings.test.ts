import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeStore, takeEnvFileArg } from '../../src/config/tool-settings';
import { MongoStore } from '../../src/store/mongo-store';
import { ENGINE, tempDir, testDbName } from '../support/engine';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { nodeEntry } from '../support/node-entry';

/**
 * The command-line tools read the service's settings file (--env-file or HOTLINE_ENV_FILE), say
 * first which store and data folder they work on, and, run as root, leave what they write to the
 * service user (src/config/tool-settings.ts).
 */
const ROOT = path.resolve(__dirname, '../..');
// node with tsx's loader, as `npm run <tool>` runs it, in one process (node_modules/.bin/tsx starts a second node for each run).
jest.setTimeout(240_000);

describe('the store a tool names', () => {
  it('is the embedded store folder, or the MongoDB hosts and database without the password', () => {
    expect(describeStore({ mongodbUri: '', mongodbDb: 'hotline', dataDir: '/var/lib/hotline' })).toBe('the embedded store in /var/lib/hotline/store');
    const named = describeStore({ mongodbUri: 'mongodb://hotline:s3cret-pw@db1:27017,db2:27017/admin?replicaSet=rs0', mongodbDb: 'hotline', dataDir: '/x' });
    expect(named).toBe('MongoDB db1:27017,db2:27017, database hotline');
    expect(named).not.toContain('s3cret');
  });

  it('--env-file FILE and --env-file=FILE are taken out of the arguments, the rest kept in order', () => {
    expect(takeEnvFileArg(['list', '--env-file', '/etc/hotline/hotline.env', '--role', 'admin'])).toEqual({ envFile: '/etc/hotline/hotline.env', rest: ['list', '--role', 'admin'] });
    expect(takeEnvFileArg(['--env-file=/a.env', 'coverage'])).toEqual({ envFile: '/a.env', rest: ['coverage'] });
    expect(takeEnvFileArg(['--out', 'x'])).toEqual({ envFile: undefined, rest: ['--out', 'x'] });
  });
});

describe(`the tools with the service's settings file (${ENGINE} store)`, () => {
  const dataDir = tempDir('tool-env-');
  const db = testDbName('toolenv');
  const envFile = path.join(tempDir('etc-hotline-'), 'hotline.env');
  fs.writeFileSync(envFile, [
    '# as /etc/hotline/hotline.env', 'NODE_ENV=test', `DATA_DIR=${dataDir}`, 'LOG_LEVEL=silent',
    `MONGODB_URI=${ENGINE === 'mongodb' ? process.env.MONGODB_URI : ''}`, `MONGODB_DB=${db}`,
    'SESSION_SECRET=tool-session-secret', 'CALLER_HASH_SECRET=tool-caller-secret', 'TWILIO_AUTH_TOKEN=tool-token', '',
  ].join('\n'));
  // The tools run bare (no DATA_DIR, no MONGODB_URI in their environment), from the code folder.
  const run = (script: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}) =>
    spawnSync(process.execPath, [...nodeEntry(`scripts/${script}.ts`), ...args], { cwd: ROOT, encoding: 'utf8', input: opts.input ?? '', timeout: 120_000, env: { PATH: process.env.PATH ?? '', ...opts.env } });
  const store = ENGINE === 'mongodb' ? `MongoDB [^;]+, database ${db}` : `the embedded store in ${path.join(dataDir, 'store')}`;
  const firstLine = (tool: string) => new RegExp(`^npm run ${tool}: ${store}; data folder ${dataDir} \\(settings ${envFile}\\)\\n`);

  afterAll(async () => {
    if (ENGINE === 'mongodb') {
      const s = await MongoStore.connect(process.env.MONGODB_URI!, db);
      await s.dropEverything();
      await s.close();
    }
  });

  it('staff, backup, restore, doctor, prompts and export work on that file\'s store and name it first', () => {
    const added = run('staff', ['add', 'sokha', '--role', 'admin', '--env-file', envFile], { input: 'a piped password 1\n' });
    expect(added.stderr).toMatch(firstLine('staff'));
    expect(added.status).toBe(0);
    // HOTLINE_ENV_FILE names the same file: the account added above is there.
    const listed = run('staff', ['list'], { env: { HOTLINE_ENV_FILE: envFile } });
    expect(listed.stderr).toMatch(firstLine('staff'));
    expect(listed.stdout).toMatch(/sokha\s+admin/);
    expect(listed.status).toBe(0);

    const backupFile = path.join(tempDir('tool-backups-'), 'b.gz');
    const backup = run('backup', ['--env-file', envFile, '--out', backupFile]);
    expect(backup.stderr).toMatch(firstLine('backup'));
    expect(backup.stderr).toMatch(/backup: .*b\.gz: [1-9]\d* document\(s\)/); // the account is in it: the file's store was read
    expect(backup.status).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'last-backup.json'))).toBe(true);

    const doctor = run('doctor', ['--json', `--env-file=${envFile}`]);
    expect(doctor.stderr).toMatch(firstLine('doctor'));
    expect(JSON.parse(doctor.stdout).nodeEnv).toBe('test');

    const coverage = run('prompts', ['coverage', '--env-file', envFile]);
    expect(coverage.stderr).toMatch(firstLine('prompts'));
    expect(coverage.status).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'site', 'audio'))).toBe(true); // seeded in the file's site folder

    const exported = run('export', ['floip', '--out', path.join(tempDir('tool-export-'), 'floip'), '--env-file', envFile]);
    expect(exported.stderr).toMatch(firstLine('export'));

    // restore refuses the file's store: it is not empty (so it read that store, not the development one).
    const restore = run('restore', [backupFile, '--env-file', envFile]);
    expect(restore.stderr).toMatch(firstLine('restore'));
    expect(restore.stderr).toMatch(/not empty/);
    expect(restore.status).not.toBe(0);
  });

  it('in production, a settings file without DATA_DIR (the unit sets it) is refused rather than read ./data/local', () => {
    const prod = path.join(tempDir('etc-prod-'), 'hotline.env');
    fs.writeFileSync(prod, fs.readFileSync(envFile, 'utf8').replace(/^DATA_DIR=.*$/m, '').replace('NODE_ENV=test', 'NODE_ENV=production')
      + `CALLBACK_NUMBER_KEY=${'c'.repeat(64)}\nTWILIO_ACCOUNT_SID=AC1\nPUBLIC_BASE_URL=https://hotline.example.org\n`);
    const r = run('doctor', ['--env-file', prod]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/DATA_DIR is not set in .*hotline\.env: the tools would work on .*data\/local instead of the service's data folder. Add DATA_DIR=\/var\/lib\/hotline/);
    expect(r.status).toBe(1);
  });

  it('a settings file that cannot be read is named, with what to do', () => {
    const r = run('backup', ['--out', path.join(tempDir(), 'x.gz')], { env: { HOTLINE_ENV_FILE: '/nonexistent/hotline.env' } });
    expect(r.stderr).toMatch(/the settings file \/nonexistent\/hotline\.env cannot be read \(ENOENT\): check the path/);
    expect(r.status).not.toBe(0);
    // Node 20 itself reads --env-file wherever it stands, even after the script name, and stops
    // first with its own line naming the file (node: FILE: not found).
    const flag = run('backup', ['--env-file', '/nonexistent/hotline.env', '--out', path.join(tempDir(), 'x.gz')]);
    expect(flag.stderr).toMatch(/\/nonexistent\/hotline\.env/);
    expect(flag.status).not.toBe(0);
  });
});

describe('npm run simulate with the service\'s settings file', () => {
  let h: TestHotline;
  afterAll(() => h?.stop());

  it('calls the hotline at that file\'s PORT, signed with its PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN, and says so first', async () => {
    const publicUrl = 'https://hotline.example.org';
    h = await startHotline({ PUBLIC_BASE_URL: publicUrl });
    const envFile = path.join(tempDir('etc-sim-'), 'hotline.env');
    fs.writeFileSync(envFile, `NODE_ENV=test\nDATA_DIR=${tempDir()}\nPORT=${h.config.port}\nPUBLIC_BASE_URL=${publicUrl}\nTWILIO_AUTH_TOKEN=${TEST_AUTH_TOKEN}\n`);
    const simulate = (args: string[], env: Record<string, string> = {}) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      // Asynchronous: the hotline it calls runs in this process.
      const child = spawn(process.execPath, [...nodeEntry('scripts/simulate.ts'), '--keys', '1,1,2,2,hangup', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => { stdout += String(c); });
      child.stderr.on('data', (c) => { stderr += String(c); });
      child.on('exit', (status) => resolve({ status, stdout, stderr }));
    });

    const r = await simulate(['--env-file', envFile, '--from', '+85512000601']);
    expect(r.stderr).toMatch(new RegExp(`^npm run simulate: the hotline at http://localhost:${h.config.port}, signed for ${publicUrl} \\(settings ${envFile}\\)\\n`));
    expect(r.stdout).toMatch(/▶ km\/info\.health\.fees\.1/);
    expect(r.status).toBe(0);
    const viaVariable = await simulate(['--from', '+85512000602'], { HOTLINE_ENV_FILE: envFile });
    expect(viaVariable.stdout).toMatch(/▶ km\/info\.health\.fees\.1/);
    expect(viaVariable.status).toBe(0);

    // Without it the simulator knows neither the port nor the token: no call reaches this hotline.
    const bare = await simulate(['--from', '+85512000603']);
    expect(bare.stderr).toMatch(/^npm run simulate: the hotline at http:\/\/localhost:3000, signed for http:\/\/localhost:3000 \(settings from the environment\)/);
    expect(bare.status).not.toBe(0);
  });
});

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!asRoot) console.warn('ownership test skipped: it needs root (a tool run with sudo is what it checks)');
(asRoot ? describe : describe.skip)('a tool run as root', () => {
  it('leaves what it writes (store files, the site folder, the backup and its note) to the owner of DATA_DIR', () => {
    const NOBODY = 65534;
    const dataDir = tempDir('tool-owner-');
    fs.chmodSync(path.dirname(dataDir), 0o755);
    fs.chownSync(dataDir, NOBODY, NOBODY);
    const envFile = path.join(tempDir('etc-'), 'hotline.env');
    fs.writeFileSync(envFile, `NODE_ENV=test\nDATA_DIR=${dataDir}\nLOG_LEVEL=silent\nMONGODB_URI=\nSESSION_SECRET=s\nCALLER_HASH_SECRET=c\nTWILIO_AUTH_TOKEN=t\n`);
    const out = path.join(tempDir('owner-backups-'), 'b.gz');
    const env = { PATH: process.env.PATH ?? '' };
    const opts = { cwd: ROOT, encoding: 'utf8' as const, timeout: 120_000, env };
    const added = spawnSync(process.execPath, [...nodeEntry('scripts/staff.ts'), 'add', 'dara', '--role', 'viewer', '--env-file', envFile], { ...opts, input: 'a piped password 1\n' });
    expect(added.status).toBe(0);
    const coverage = spawnSync(process.execPath, [...nodeEntry('scripts/prompts.ts'), 'coverage', '--env-file', envFile], opts);
    expect(coverage.status).toBe(0);
    const backup = spawnSync(process.execPath, [...nodeEntry('scripts/backup.ts'), '--out', out, '--env-file', envFile], opts);
    expect(backup.status).toBe(0);

    const rootOwned: string[] = [];
    const walk = (dir: string) => {
      for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        const st = fs.lstatSync(p);
        if (st.uid !== NOBODY) rootOwned.push(p);
        if (st.isDirectory()) walk(p);
      }
    };
    walk(dataDir);
    expect(fs.existsSync(path.join(dataDir, 'store'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'site', 'audio'))).toBe(true);
    expect(rootOwned).toEqual([]);
    expect(fs.statSync(path.join(dataDir, 'last-backup.json')).uid).toBe(NOBODY);
    expect(fs.statSync(out).uid).toBe(NOBODY);
  });
});
