import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { AppConfig, loadConfig } from '../../src/config/config';
import { recordBackup, storeLabel } from '../../src/doctor/backup-record';
import { loadDoctorDefinitions } from '../../src/doctor/definitions';
import {
  carrierItems, contentItems, DoctorItem, formatDoctor, machineItems, runDoctor, secretBits, settingsItems, storeItems, unallowedBlockers,
} from '../../src/doctor/doctor';
import { requiredPrompts } from '../../src/prompts/coverage';
import { INDEXES } from '../../src/store/indexes';
import { MongoStore } from '../../src/store/mongo-store';
import { ENGINE, tempDir } from '../support/engine';
import { startServerUntilListening } from '../support/server-start';

const ROOT = path.resolve(__dirname, '../..');
const STRONG = 'f3a9c1e07b6d4258a1c9e3f5d7b2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6';
const STRONG2 = 'Zq8vN1xR4tY7uI0oP3aS6dF9gH2jK5lL8zX1cV4bN7mQ0wE3rT6yU9iO2pA5sD8f';
const STRONG_HEX = '9c4e1a7b3f08d2e6c5b9a1f47e3d0c28b6a5f9e1d3c7b0a4e8f2d6c1b5a9e3f7';
const READY = {
  NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://hotline.example.org', TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
  TWILIO_AUTH_TOKEN: 'carrier-token-0123456789abcdef01', CALLER_HASH_SECRET: STRONG, SESSION_SECRET: STRONG2, CALLBACK_NUMBER_KEY: STRONG_HEX, LOG_LEVEL: 'silent',
};
const config = (env: Record<string, string> = {}): AppConfig => loadConfig({ DATA_DIR: tempDir(), ...READY, MONGODB_URI: '', ...env }, { cwd: ROOT });
const item = (items: DoctorItem[], id: string) => {
  const found = items.find((i) => i.id === id);
  if (!found) throw new Error(`no doctor item ${id} in ${items.map((i) => i.id).join(', ')}`);
  return found;
};

/**
 * A carrier REST API on loopback. The doctor's harmless authenticated GET is Twilio's "Fetch an
 * Account", GET /2010-04-01/Accounts/{Sid}.json with HTTP Basic auth (twilio.com/docs/iam/api/account);
 * Somleng serves the same route (somleng/somleng config/routes.rb: `get "/" => "accounts#show"` under
 * /2010-04-01/Accounts/:account_id; spec/requests/twilio_api/accounts_spec.rb "Fetch an account").
 * Numbers: GET …/IncomingPhoneNumbers.json, `incoming_phone_numbers[].voice_url` (both carriers;
 * Somleng app/serializers/twilio_api/incoming_phone_number_serializer.rb).
 */
async function fakeCarrier(sid: string, token: string, voiceUrl: string) {
  const seen: { method: string; url: string; authorized: boolean }[] = [];
  const server = http.createServer((req, res) => {
    const authorized = req.headers.authorization === `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;
    seen.push({ method: req.method!, url: req.url!, authorized });
    if (!authorized) { res.writeHead(401, { 'content-type': 'application/json' }); res.end('{"code":20003,"message":"Authenticate"}'); return; }
    if (req.method === 'GET' && req.url === `/2010-04-01/Accounts/${sid}.json`) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ sid, status: 'active' })); return; }
    if (req.method === 'GET' && req.url === `/2010-04-01/Accounts/${sid}/IncomingPhoneNumbers.json`) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ incoming_phone_numbers: [{ phone_number: '+85523000000', voice_url: voiceUrl, status_callback: null }] }));
      return;
    }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('doctor: settings', () => {
  it('estimates entropy cautiously: short, repetitive and small-alphabet secrets score low', () => {
    expect(secretBits('short')).toBeLessThan(30);
    expect(secretBits('a'.repeat(64))).toBe(0);
    expect(secretBits('0123456789'.repeat(4))).toBeLessThan(140);
    expect(secretBits(STRONG)).toBeGreaterThan(200);
  });

  it('a short or generated secret is a blocker naming the setting, with how to make one', () => {
    const weak = settingsItems(config({ CALLER_HASH_SECRET: 'short' }));
    expect(item(weak, 'secret.caller-hash')).toMatchObject({ status: 'blocker', message: expect.stringMatching(/CALLER_HASH_SECRET is weak: 5 characters/), fix: expect.stringMatching(/openssl rand -hex 32/) });
    expect(item(settingsItems(config({ SESSION_SECRET: 'x'.repeat(40) })), 'secret.session').status).toBe('blocker');
    const dev = settingsItems(loadConfig({ DATA_DIR: tempDir(), LOG_LEVEL: 'silent' }, { cwd: ROOT }));
    expect(item(dev, 'secret.caller-hash')).toMatchObject({ status: 'blocker', message: expect.stringMatching(/generated for development/) });
    expect(item(dev, 'secret.carrier-token').status).toBe('blocker');
    expect(item(settingsItems(config()), 'secret.caller-hash').status).toBe('ok');
    expect(item(settingsItems(config()), 'secret.session').status).toBe('ok');
    // The callback number key too (valid hex, but 64 zeros is no secret).
    expect(item(settingsItems(config({ CALLBACK_NUMBER_KEY: '0'.repeat(64) })), 'secret.callback-number')).toMatchObject({ status: 'blocker', message: expect.stringMatching(/CALLBACK_NUMBER_KEY is weak/) });
    expect(item(dev, 'secret.callback-number').message).toMatch(/generated for development/);
    expect(item(settingsItems(config()), 'secret.callback-number').status).toBe('ok');
  });

  it('no ALERT_COMMAND is a warning (a failing service would tell nobody), naming the setting and the test alert', () => {
    expect(item(settingsItems(config()), 'alerts.command')).toMatchObject({ status: 'warning', message: expect.stringMatching(/ALERT_COMMAND is empty/), fix: expect.stringMatching(/test alert/) });
    expect(item(settingsItems(config({ ALERT_COMMAND: 'mail -s hotline ops@example.org' })), 'alerts.command').status).toBe('ok');
  });

  it('an http:// or local PUBLIC_BASE_URL is a blocker; https is ok', () => {
    expect(item(settingsItems(config({ PUBLIC_BASE_URL: 'http://hotline.example.org' })), 'public-url.https')).toMatchObject({ status: 'blocker', fix: expect.stringMatching(/TLS reverse proxy/) });
    expect(item(settingsItems(config({ PUBLIC_BASE_URL: 'https://localhost:3000' })), 'public-url.https').status).toBe('blocker');
    expect(item(settingsItems(config()), 'public-url.https').status).toBe('ok');
  });
});

describe('doctor: the store', () => {
  it('the embedded store is a blocker for a real line, with the way to MongoDB', async () => {
    expect(item(await storeItems(config()), 'store.embedded')).toMatchObject({ status: 'blocker', fix: expect.stringMatching(/npm run migrate -- --to/) });
  });

  it('a MongoDB that does not answer is a blocker', async () => {
    expect(item(await storeItems(config({ MONGODB_URI: 'mongodb://127.0.0.1:9' })), 'store.unreachable').status).toBe('blocker');
  });

  if (ENGINE === 'mongodb') {
    it('on MongoDB: ok with every index, a warning naming a missing one', async () => {
      const db = `doctor_${process.pid}_${Date.now()}`;
      const store = await MongoStore.connect(process.env.MONGODB_URI!, db);
      try {
        await store.ensureIndexes(INDEXES);
        const cfg = config({ MONGODB_URI: process.env.MONGODB_URI!, MONGODB_DB: db });
        expect(item(await storeItems(cfg), 'store.indexes').status).toBe('ok');
        await store.ensureIndexes([]); // nothing new
        const { MongoClient } = await import('mongodb');
        const client = await MongoClient.connect(process.env.MONGODB_URI!);
        await client.db(db).collection('ratings').dropIndex('ratedAt_1');
        await client.close();
        expect(item(await storeItems(cfg), 'store.indexes')).toMatchObject({ status: 'warning', message: expect.stringMatching(/ratings \{"ratedAt":1\}/) });
      } finally {
        await store.dropEverything();
        await store.close();
      }
    });
  }
});

describe('doctor: the carrier', () => {
  const cfg = (carrier: string, env: Record<string, string> = {}) => config({ CARRIER_API_URL: carrier, ...env });

  it('the right credentials pass a harmless authenticated GET of the account, and the URLs to set are named', async () => {
    const carrier = await fakeCarrier(READY.TWILIO_ACCOUNT_SID, READY.TWILIO_AUTH_TOKEN, 'https://hotline.example.org/voice/incoming');
    try {
      const items = await carrierItems(cfg(carrier.url));
      expect(item(items, 'carrier.credentials').status).toBe('ok');
      expect(item(items, 'carrier.webhooks')).toMatchObject({ status: 'ok', message: expect.stringContaining('https://hotline.example.org/voice/incoming (POST), status callback https://hotline.example.org/voice/status (POST)') });
      expect(carrier.seen.every((r) => r.method === 'GET' && r.authorized)).toBe(true);
      expect(carrier.seen.map((r) => r.url)).toContain(`/2010-04-01/Accounts/${READY.TWILIO_ACCOUNT_SID}.json`);
    } finally {
      await carrier.close();
    }
  });

  it('refused credentials are a blocker; a number that calls elsewhere is a warning with the URLs to set', async () => {
    const carrier = await fakeCarrier(READY.TWILIO_ACCOUNT_SID, 'the-real-token-0123456789abcdef', 'https://old.example.org/incoming');
    try {
      expect(item(await carrierItems(cfg(carrier.url)), 'carrier.credentials')).toMatchObject({ status: 'blocker', message: expect.stringMatching(/refused .*HTTP 401/) });
      const elsewhere = await carrierItems(cfg(carrier.url, { TWILIO_AUTH_TOKEN: 'the-real-token-0123456789abcdef' }));
      expect(item(elsewhere, 'carrier.credentials').status).toBe('ok');
      expect(item(elsewhere, 'carrier.webhooks')).toMatchObject({ status: 'warning', message: expect.stringMatching(/\+85523000000 calls https:\/\/old\.example\.org\/incoming/) });
    } finally {
      await carrier.close();
    }
  });

  it('a carrier that does not answer is a warning (the network may be down), never a pass', async () => {
    expect(item(await carrierItems(cfg('http://127.0.0.1:9')), 'carrier.credentials').status).toBe('warning');
  });
});

describe('doctor: prompts and I4C texts', () => {
  it('placeholders in Khmer are a blocker, missing prompts in another offered language a warning, a language production does not offer is not mentioned; place names when browsing by name', () => {
    const cfg = config();
    const defs = loadDoctorDefinitions(cfg);
    const items = contentItems(cfg, defs);
    // Every Khmer prompt is a shipped placeholder, and Bunong has none of its own.
    const km = requiredPrompts(defs.catalog, 'km').length;
    const cmo = requiredPrompts(defs.catalog, 'cmo').length;
    expect(item(items, 'prompts.km')).toMatchObject({ status: 'blocker', message: `Khmer (km): ${km} still placeholders of ${km} prompts` });
    // Production offers only fully recorded languages (ONLY_READY_LANGUAGES): Bunong is not on the menu, so not on the list.
    expect(cfg.onlyReadyLanguages).toBe(true);
    expect(items.filter((i) => i.id.startsWith('prompts.cmo') || i.id.startsWith('prompts.tpu'))).toEqual([]);
    expect(JSON.stringify(items)).not.toMatch(/Bunong|\(cmo\)|\(tpu\)/);
    // Where every configured language is offered (ONLY_READY_LANGUAGES=off, development), its gaps are a warning.
    const everyLanguage = loadConfig({ DATA_DIR: tempDir(), LOG_LEVEL: 'silent', ONLY_READY_LANGUAGES: 'off' }, { cwd: ROOT });
    expect(item(contentItems(everyLanguage, loadDoctorDefinitions(everyLanguage)), 'prompts.cmo'))
      .toMatchObject({ status: 'warning', message: expect.stringMatching(new RegExp(`${cmo} missing of ${cmo} prompts .*callers hear Khmer`)) });
    expect(item(items, 'prompts.places')).toMatchObject({ status: 'warning', message: expect.stringMatching(/place names not recorded/) });
    expect(item(items, 'i4c.samples')).toMatchObject({ status: 'warning', message: expect.stringMatching(/6 I4C text file\(s\) are still the shipped SAMPLES/) });
  });

  it('programme areas: the shipped sample is a warning naming where the real one goes; an own file names the names not yet recorded, then is ok', () => {
    const cfg = config();
    expect(item(contentItems(cfg, loadDoctorDefinitions(cfg)), 'programme.areas')).toMatchObject({
      status: 'warning', message: expect.stringMatching(/shipped SAMPLE/), fix: expect.stringContaining(path.join(cfg.siteDir, 'config/programme-areas.json')),
    });
    const { sample: _sample, ...own } = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/programme-areas.json'), 'utf8'));
    fs.mkdirSync(path.join(cfg.siteDir, 'config'), { recursive: true });
    fs.writeFileSync(path.join(cfg.siteDir, 'config/programme-areas.json'), JSON.stringify(own));
    const reloaded = loadConfig({ DATA_DIR: cfg.dataDir, ...READY }, { cwd: ROOT });
    const names = [...own.communes.map((c: string) => `place.${c}`), ...own.facilities.map((f: { id: string }) => `facility.${f.id}`)];
    expect(item(contentItems(reloaded, loadDoctorDefinitions(reloaded)), 'programme.areas')).toMatchObject({
      status: 'warning', message: expect.stringContaining(`${names.length} of ${names.length} names not recorded`),
    });
    fs.mkdirSync(path.join(reloaded.audioDir, 'km'), { recursive: true });
    for (const n of names) fs.copyFileSync(path.join(ROOT, 'audio/km/digit.1.wav'), path.join(reloaded.audioDir, 'km', `${n}.wav`));
    expect(item(contentItems(reloaded, loadDoctorDefinitions(reloaded)), 'programme.areas')).toMatchObject({ status: 'ok', message: expect.stringMatching(/every name recorded/) });
  });

  it('recorded prompts and official texts in the site folder are ok', () => {
    const cfg = config();
    // The site holds a recording of every Khmer prompt (any file not a placeholder), and official texts.
    for (const f of fs.readdirSync(path.join(ROOT, 'audio/km'))) {
      fs.mkdirSync(path.join(cfg.audioDir, 'km'), { recursive: true });
      fs.writeFileSync(path.join(cfg.audioDir, 'km', f), Buffer.concat([fs.readFileSync(path.join(ROOT, 'audio/km', f)), Buffer.from([0])]));
    }
    fs.mkdirSync(path.join(cfg.siteDir, 'config'), { recursive: true });
    fs.writeFileSync(path.join(cfg.siteDir, 'config/languages.json'), JSON.stringify({ default: 'km', languages: [{ code: 'km', key: '1', name: 'Khmer', nativeName: 'ខ្មែរ', group: 'khmer' }] }));
    const site = path.join(cfg.siteDir, 'content/i4c');
    fs.cpSync(path.join(ROOT, 'content/i4c'), site, { recursive: true });
    for (const f of fs.readdirSync(site)) {
      const json = JSON.parse(fs.readFileSync(path.join(site, f), 'utf8'));
      json.status = 'official';
      delete json.sampleNotice;
      json.sources = ['Provincial Department of Health, notice 12/2027'];
      fs.writeFileSync(path.join(site, f), JSON.stringify(json));
    }
    const reloaded = loadConfig({ DATA_DIR: cfg.dataDir, ...READY }, { cwd: ROOT });
    const items = contentItems(reloaded, loadDoctorDefinitions(reloaded));
    expect(item(items, 'prompts.km').status).toBe('ok');
    expect(items.find((i) => i.id === 'prompts.cmo')).toBeUndefined();
    expect(item(items, 'i4c.samples').status).toBe('ok');
  });
});

describe('doctor: disk, memory, backups', () => {
  const GB = 1024 ** 3;
  it('little disk is a blocker, some a warning; low memory a warning', () => {
    const cfg = config();
    expect(item(machineItems(cfg, { diskFree: () => 0.1 * GB }), 'disk.space').status).toBe('blocker');
    expect(item(machineItems(cfg, { diskFree: () => 1 * GB }), 'disk.space').status).toBe('warning');
    expect(item(machineItems(cfg, { diskFree: () => 50 * GB }), 'disk.space').status).toBe('ok');
    expect(item(machineItems(cfg, { memoryFree: () => 64 * 1024 ** 2 }), 'memory.free').status).toBe('warning');
    expect(item(machineItems(cfg), 'disk.space').message).toMatch(/GB free/); // the real file system answers
  });

  it('no backup, or an old one, is a warning; a recent one is ok', () => {
    const cfg = config();
    const now = new Date('2027-03-01T12:00:00Z');
    expect(item(machineItems(cfg, { now: () => now }), 'backup.age')).toMatchObject({ status: 'warning', message: expect.stringMatching(/no backup/) });
    recordBackup(cfg.dataDir, { at: '2027-03-01T02:00:00Z', file: '/backups/a.hotline-backup', engine: 'embedded' });
    expect(item(machineItems(cfg, { now: () => now }), 'backup.age').status).toBe('ok');
    recordBackup(cfg.dataDir, { at: '2027-02-27T02:00:00Z', file: '/backups/b.hotline-backup', engine: 'embedded' });
    expect(item(machineItems(cfg, { now: () => now }), 'backup.age')).toMatchObject({ status: 'warning', message: expect.stringMatching(/58 hours old/) });
  });

  it('after a migration the old store\'s backup no longer counts, and a backup names the store it was of', () => {
    const now = new Date('2027-03-01T12:00:00Z');
    const embedded = config();
    recordBackup(embedded.dataDir, { at: '2027-03-01T02:00:00Z', file: '/backups/before.hotline-backup', engine: 'embedded', store: storeLabel(embedded) });
    expect(item(machineItems(embedded, { now: () => now }), 'backup.age').status).toBe('ok');
    // Migrated: the same data folder, MONGODB_URI now set. The embedded store's backup is not one of this store.
    const migrated = { ...embedded, mongodbUri: 'mongodb://hotline:pw@db.example.org:27017/?authSource=admin', mongodbDb: 'hotline' };
    const after = item(machineItems(migrated, { now: () => now }), 'backup.age');
    expect(after).toMatchObject({ status: 'warning', message: expect.stringContaining('no backup of the store in use (MongoDB database hotline on db.example.org:27017)') });
    expect(after.message).toContain(`was of embedded store in ${embedded.dataDir}`);
    expect(after.fix).toMatch(/npm run backup/);
    expect(JSON.stringify(after)).not.toContain('pw@');
    // Another database on the same server is another store too; and back to embedded, a MongoDB backup does not count.
    recordBackup(embedded.dataDir, { at: '2027-03-01T11:00:00Z', file: '/backups/m.hotline-backup', engine: 'mongodb', store: storeLabel(migrated) });
    expect(item(machineItems(migrated, { now: () => now }), 'backup.age').status).toBe('ok');
    expect(item(machineItems({ ...migrated, mongodbDb: 'hotline_test' }, { now: () => now }), 'backup.age').status).toBe('warning');
    expect(item(machineItems(embedded, { now: () => now }), 'backup.age').status).toBe('warning');
    // A record written before stores were named counts by its engine alone.
    recordBackup(embedded.dataDir, { at: '2027-03-01T11:00:00Z', file: '/backups/old.hotline-backup', engine: 'embedded' });
    expect(item(machineItems(embedded, { now: () => now }), 'backup.age').status).toBe('ok');
    expect(item(machineItems(migrated, { now: () => now }), 'backup.age').status).toBe('warning');
  });
});

describe('doctor: the whole report and DOCTOR_ALLOW', () => {
  it('a named blocker is allowed, the others still block; the report says what to fix', async () => {
    const cfg = config({ DOCTOR_ALLOW: 'store.embedded, prompts.km', CARRIER_API_URL: 'http://127.0.0.1:9' });
    const items = await runDoctor(cfg, loadDoctorDefinitions(cfg), { diskFree: () => 100 * 1024 ** 3 });
    expect(item(items, 'store.embedded')).toMatchObject({ status: 'blocker', allowed: true });
    expect(item(items, 'prompts.km')).toMatchObject({ status: 'blocker', allowed: true });
    expect(unallowedBlockers(items)).toEqual([]);
    const text = formatDoctor(items);
    expect(text).toMatch(/BLOCKER store\.embedded: .* \[allowed by DOCTOR_ALLOW\]/);
    expect(text).toMatch(/WARNING i4c\.samples/);
    expect(text).toMatch(/fix: /);
  });
});

describe('production start-up refuses on a blocker (src/server.ts)', () => {
  const start = (env: Record<string, string>) => startServerUntilListening({ LOG_LEVEL: 'info', ...env });

  it('names every blocker and exits 78; with each named in DOCTOR_ALLOW it starts and logs each override', async () => {
    const carrier = await fakeCarrier(READY.TWILIO_ACCOUNT_SID, READY.TWILIO_AUTH_TOKEN, 'http://hotline.example.org/voice/incoming');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const env = { ...READY, LOG_LEVEL: 'info', PORT: port, PUBLIC_BASE_URL: 'http://hotline.example.org', CALLER_HASH_SECRET: 'short', CARRIER_API_URL: carrier.url };
    try {
      const allowed = await start({ ...env, DOCTOR_ALLOW: 'secret.caller-hash,public-url.https,store.embedded,prompts.km' });
      expect(allowed.out).toContain('hotline listening');
      for (const id of ['secret.caller-hash', 'public-url.https', 'store.embedded', 'prompts.km']) expect(allowed.out).toMatch(new RegExp(`"doctor":"${id.replace('.', '\\.')}".*DOCTOR_ALLOW: starting despite a blocker`));
      expect(allowed.out).not.toContain('short'); // the weak secret itself is never logged
      const refused = await start(env);
      expect(refused.code).toBe(78);
      for (const id of ['secret.caller-hash', 'public-url.https', 'store.embedded', 'prompts.km']) expect(refused.out).toContain(`- ${id}: `);
      expect(refused.out).not.toContain('- carrier.credentials');
      expect(refused.out).toMatch(/name it in DOCTOR_ALLOW/);
      expect(refused.out).not.toMatch(/\n\s+at /);
      expect(refused.out).not.toContain('hotline listening');

    } finally {
      await carrier.close();
    }
  }, 90_000);
});
