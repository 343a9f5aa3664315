import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, parseEnvFile, startupWarnings } from '../../src/config/config';
import { SETTINGS, SettingSpec } from '../../src/config/settings';
import { ConfigError } from '../../src/errors';
import { tempDir } from '../support/engine';
import { startServerUntilListening } from '../support/server-start';

const root = path.resolve(__dirname, '../..');
const PRODUCTION = {
  NODE_ENV: 'production',
  PUBLIC_BASE_URL: 'https://hotline.example.org',
  TWILIO_ACCOUNT_SID: 'AC0123',
  TWILIO_AUTH_TOKEN: 'token-0123456789',
  CALLER_HASH_SECRET: 'caller-secret-0123456789',
  SESSION_SECRET: 'session-secret-0123456789',
  CALLBACK_NUMBER_KEY: '0123456789abcdef'.repeat(4),
  MONGODB_URI: 'mongodb://db.example.org:27017',
};

/** The ConfigError message for this environment, or a failed test when it loads. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig({ DATA_DIR: tempDir(), ...env }, { cwd: root });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration', () => {
  it('development starts with nothing set: defaults, and the missing secrets generated once and kept in DATA_DIR', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir }, { cwd: root });
    expect(first).toMatchObject({ nodeEnv: 'development', port: 3000, publicBaseUrl: 'http://localhost:3000', signatureCheck: true, mongodbUri: '' });
    expect(first.generatedSecrets.sort()).toEqual(['CALLBACK_NUMBER_KEY', 'CALLER_HASH_SECRET', 'SESSION_SECRET', 'TWILIO_AUTH_TOKEN']);
    expect(first.callerHashSecret).toMatch(/^[0-9a-f]{64}$/);
    const file = path.join(dataDir, 'development-secrets.json');
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    const second = loadConfig({ DATA_DIR: dataDir }, { cwd: root });
    expect(second.callerHashSecret).toBe(first.callerHashSecret); // callers stay known across restarts
    expect(second.twilioAuthToken).toBe(first.twilioAuthToken);
  });

  it('paths are resolved against the working directory', () => {
    const cwd = tempDir();
    const c = loadConfig({ ...PRODUCTION, NODE_ENV: 'development', DATA_DIR: 'data/x', FLOW_FILE: 'flows/other.json' }, { cwd });
    expect(c.dataDir).toBe(path.join(cwd, 'data/x'));
    expect(c.flowFile).toBe(path.join(cwd, 'flows/other.json'));
  });

  it.each([
    ['PORT', 'abc', /PORT="abc" is not a whole number/],
    ['PORT', '70000', /PORT=70000 must be between 1 and 65535/],
    ['PORT', '0', /PORT=0 must be between 1 and 65535/],
    ['PUBLIC_BASE_URL', 'hotline.example.org', /PUBLIC_BASE_URL="hotline.example.org" is not an http\(s\) URL/],
    ['PUBLIC_BASE_URL', 'https://hotline.example.org/', /PUBLIC_BASE_URL=.* without a trailing slash/],
    ['PUBLIC_BASE_URL', 'ftp://hotline.example.org', /PUBLIC_BASE_URL/],
    ['NODE_ENV', 'staging', /NODE_ENV="staging" must be one of: development, production, test/],
    ['TWILIO_SIGNATURE_CHECK', 'false', /TWILIO_SIGNATURE_CHECK="false" must be one of: on, off/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL="verbose" must be one of/],
  ])('%s=%s stops the app with a message naming the setting', (name, value, message) => {
    expect(refusal({ [name]: value })).toMatch(message);
  });

  it('every bad setting is named at once, not only the first', () => {
    const message = refusal({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/LOG_LEVEL/);
  });

  it('production refuses to start without its secrets and the public URL, naming each', () => {
    const message = refusal({ NODE_ENV: 'production' });
    for (const name of ['TWILIO_AUTH_TOKEN', 'CALLER_HASH_SECRET', 'SESSION_SECRET', 'PUBLIC_BASE_URL']) {
      expect(message).toMatch(new RegExp(`${name} is required in production`));
    }
  });

  it('production with every secret set starts and generates nothing', () => {
    const dataDir = tempDir();
    const c = loadConfig({ ...PRODUCTION, DATA_DIR: dataDir }, { cwd: root });
    expect(c).toMatchObject({ nodeEnv: 'production', twilioAuthToken: 'token-0123456789', signatureCheck: true, generatedSecrets: [] });
    expect(fs.existsSync(path.join(dataDir, 'development-secrets.json'))).toBe(false);
    expect(startupWarnings(c)).toEqual([]);
  });

  it('TWILIO_SIGNATURE_CHECK=off is refused in production', () => {
    expect(refusal({ ...PRODUCTION, TWILIO_SIGNATURE_CHECK: 'off' })).toMatch(/TWILIO_SIGNATURE_CHECK=off is refused in production/);
  });

  it('TWILIO_SIGNATURE_CHECK=off in development is allowed with a start-up warning', () => {
    const c = loadConfig({ DATA_DIR: tempDir(), TWILIO_SIGNATURE_CHECK: 'off' }, { cwd: root });
    expect(c.signatureCheck).toBe(false);
    expect(startupWarnings(c).join('\n')).toMatch(/TWILIO_SIGNATURE_CHECK=off: webhooks are NOT authenticated/);
    expect(startupWarnings(loadConfig({ DATA_DIR: tempDir() }, { cwd: root })).join('\n')).not.toMatch(/TWILIO_SIGNATURE_CHECK/);
  });

  it('a .env file in the working directory is read, and the environment wins over it', () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, '.env'), 'PORT=4321\nLOG_LEVEL=debug\n');
    const saved = { PORT: process.env.PORT, LOG_LEVEL: process.env.LOG_LEVEL, DATA_DIR: process.env.DATA_DIR };
    try {
      delete process.env.PORT;
      process.env.LOG_LEVEL = 'warn';
      process.env.DATA_DIR = path.join(cwd, 'data');
      const c = loadConfig(undefined, { cwd });
      expect(c.port).toBe(4321);
      expect(c.logLevel).toBe('warn');
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });

  it('parseEnvFile understands comments, quotes and export', () => {
    expect(parseEnvFile('# a comment\nexport A=1\nB="two words"\nC=three # trailing\n  D = \'4\'\nnot a line\n')).toEqual({
      A: '1', B: 'two words', C: 'three', D: '4',
    });
  });
});

describe('.env.example', () => {
  const lines = fs.readFileSync(path.join(root, '.env.example'), 'utf8').split(/\r?\n/);

  // A path is commented out at its default: set there, it would win over the site folder (and, as
  // the systemd EnvironmentFile, over the unit's DATA_DIR); test/deploy/copied-env-example.test.ts.
  const entry = (spec: SettingSpec) => `${spec.path ? '# ' : ''}${spec.name}=${spec.secret ? '' : spec.default ?? ''}`;
  it.each(SETTINGS.map((s) => [s.name, s]))('%s is in .env.example with its one-line doc above it and its default', (name, spec) => {
    const at = lines.findIndex((l) => l.startsWith(`${name}=`) || l.startsWith(`# ${name}=`));
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe(`# ${spec.doc}${spec.secret ? ' (secret)' : ''}`);
    expect(lines[at]).toBe(entry(spec));
  });

  it('lists no setting the app does not know, and sets no path', () => {
    const names = lines.filter((l) => /^(# )?[A-Z0-9_]+=/.test(l)).map((l) => l.replace(/^# /, '').split('=')[0]);
    expect(names.sort()).toEqual(SETTINGS.map((s) => s.name).sort());
    expect(Object.keys(parseEnvFile(lines.join('\n'))).filter((n) => SETTINGS.find((s) => s.name === n)?.path)).toEqual([]);
  });
});

describe('start-up of the server (src/server.ts)', () => {
  jest.setTimeout(60_000);
  const start = startServerUntilListening;

  it('with TWILIO_SIGNATURE_CHECK=off in development, the server warns before it listens', async () => {
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const { out } = await start({ PORT: port, PUBLIC_BASE_URL: `http://localhost:${port}`, TWILIO_SIGNATURE_CHECK: 'off' });
    const warning = out.indexOf('TWILIO_SIGNATURE_CHECK=off: webhooks are NOT authenticated');
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(out.indexOf('hotline listening'));
  });

  it('with a bad setting, the server does not start and says which setting (exit 78)', async () => {
    const { code, out } = await start({ PORT: 'eighty' });
    expect(code).toBe(78);
    expect(out).toMatch(/PORT="eighty" is not a whole number/);
    expect(out).toMatch(/The hotline did not start/);
    expect(out).not.toMatch(/\n\s+at /); // no stack trace
  });
});
