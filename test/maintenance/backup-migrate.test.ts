import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { createBackup, inspectBackup, restoreBackup } from '../../src/maintenance/backup';
import { claimTarget, copyStore, MIGRATION_MARKER, reportFigures, verifyCopy } from '../../src/maintenance/migrate';
import { openSource, StoreSource } from '../../src/maintenance/store-source';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { INDEXES } from '../../src/store/indexes';
import { MongoStore } from '../../src/store/mongo-store';
import { Doc, Store } from '../../src/store/store';
import { storeRatings } from '../reports/rating-fixture';
import { ENGINE, tempDir } from '../support/engine';
import { wavOf } from '../support/fake-carrier';
import { storeLabel } from '../../src/doctor/backup-record';
import { nodeEntry } from '../support/node-entry';

const ROOT = path.resolve(__dirname, '../..');
const defs = { scorecard: loadScorecard(path.join(ROOT, 'config/scorecard.json')), gazetteer: loadGazetteer(path.join(ROOT, 'data/gazetteer')) };
const MONGODB_URI = process.env.MONGODB_URI ?? '';

/** A store of the engine under test, with its location, so a source can read it as backup and migrate do. */
async function newStore(engine: 'embedded' | 'mongodb' = ENGINE) {
  const dataDir = tempDir('maint-');
  const db = `maint_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const store: Store = engine === 'mongodb' ? await MongoStore.connect(MONGODB_URI, db) : new EmbeddedStore(dataDir);
  await store.ensureIndexes(INDEXES);
  return { store, location: { mongodbUri: engine === 'mongodb' ? MONGODB_URI : '', mongodbDb: db, dataDir } };
}
async function discard(store: Store) {
  if (store.engine === 'mongodb') await store.dropEverything();
  await store.close();
}

/** Ratings with hand-checked figures, voice messages with their recordings, staff audit entries. */
async function seed(store: Store) {
  await storeRatings(store);
  for (let i = 1; i <= 3; i += 1) {
    await store.collection('messages').insertOne({ _id: `MSG${i}`, callSid: `CA${i}`, communeCode: '010201', service: 'health', state: 'new', createdAt: new Date(Date.UTC(2026, 1, i)), recordingId: `RE${i}.wav`, download: { state: 'stored', attempts: 1 } } as Doc);
    await store.files.write(`RE${i}.wav`, wavOf(1 + i), { contentType: 'audio/wav', messageId: `MSG${i}` });
  }
  await store.collection('staff_audit').insertOne({ _id: 'A1', at: new Date('2026-02-03T04:05:06Z'), username: 'sokha', action: 'play', messageId: 'MSG1' } as Doc);
}

/** Every document of every collection, and every recording's bytes, of a store. */
async function everything(source: StoreSource, store: Store) {
  const out: Record<string, unknown> = {};
  for (const name of await source.collections()) out[name] = await store.collection<Doc>(name).find({}, { sort: { _id: 1 } });
  for (const id of await source.fileIds()) out[`file:${id}`] = (await store.files.read(id)).toString('base64');
  return out;
}

describe(`backup and restore (${ENGINE})`, () => {
  it('a backup taken while the store is in use restores into an empty store with every report, message and recording identical', async () => {
    const from = await newStore();
    const to = await newStore();
    const siteDir = tempDir('site-');
    fs.mkdirSync(path.join(siteDir, 'config'));
    fs.writeFileSync(path.join(siteDir, 'config/scorecard.json'), '{"mine":true}');
    const source = await openSource(from.location);
    try {
      await seed(from.store); // the source store stays open and in use, as the hotline would
      const file = path.join(tempDir('backups-'), 'hotline.backup.gz');
      const summary = await createBackup(source, file, { siteDir });
      expect(summary.collections).toMatchObject({ messages: 3, staff_audit: 1 });
      expect(summary.collections.ratings).toBeGreaterThan(20);
      expect(summary).toMatchObject({ files: 3, site: 1 });
      expect(fs.existsSync(`${file}.partial`)).toBe(false);

      const restoredSite = tempDir('site-restored-');
      const restored = await restoreBackup(file, to.store, { siteDir: restoredSite });
      expect(restored).toMatchObject({ collections: summary.collections, files: 3, site: 1 });
      expect(fs.readFileSync(path.join(restoredSite, 'config/scorecard.json'), 'utf8')).toBe('{"mine":true}');

      const target = await openSource(to.location);
      try {
        const [a, b] = [await everything(source, from.store), await everything(target, to.store)];
        expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
        expect(b).toEqual(a);
        expect((b.messages as Doc[])[0]).toMatchObject({ createdAt: new Date(Date.UTC(2026, 1, 1)) }); // dates stay dates
        const figures = await reportFigures(to.store, defs.scorecard, defs.gazetteer);
        expect(figures).toBe(await reportFigures(from.store, defs.scorecard, defs.gazetteer));
        expect(figures).toMatch(/"010201"/);
        await expect(verifyCopy(source, to.store, defs)).resolves.toBeUndefined();
      } finally {
        await target.close();
      }

      // Never into a store that holds data.
      await expect(restoreBackup(file, to.store)).rejects.toThrow(/not empty \(messages holds 3/);
    } finally {
      await source.close();
      await discard(from.store);
      await discard(to.store);
    }
  });

  it('an interrupted backup (no closing line) is refused before anything is restored', async () => {
    const from = await newStore();
    const to = await newStore();
    const source = await openSource(from.location);
    try {
      await seed(from.store);
      const file = path.join(tempDir('backups-'), 'whole.gz');
      await createBackup(source, file);
      const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').trim().split('\n');
      const cut = path.join(path.dirname(file), 'cut.gz');
      fs.writeFileSync(cut, zlib.gzipSync(lines.slice(0, -1).join('\n')));
      await expect(inspectBackup(cut)).rejects.toThrow(/incomplete/);
      await expect(restoreBackup(cut, to.store)).rejects.toThrow(/incomplete/);
      expect(await to.store.collection('ratings').countDocuments({})).toBe(0);
    } finally {
      await source.close();
      await discard(from.store);
      await discard(to.store);
    }
  });

  it('npm run backup and npm run restore, as an operator runs them', async () => {
    const from = await newStore();
    const to = await newStore();
    try {
      await seed(from.store);
      const file = path.join(tempDir('backups-'), 'cli.gz');
      const env = (loc: typeof from.location) => ({ PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: loc.dataDir, MONGODB_URI: loc.mongodbUri, MONGODB_DB: loc.mongodbDb });
      const backup = spawnSync(process.execPath, [...nodeEntry('scripts/backup.ts'), '--out', file], { cwd: ROOT, env: env(from.location), encoding: 'utf8', timeout: 60_000 });
      expect(backup.stderr).toMatch(/backup: .*cli\.gz: \d+ document\(s\) in \d+ collection\(s\), 3 recording\(s\)/);
      expect(backup.status).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(from.location.dataDir, 'last-backup.json'), 'utf8'))).toMatchObject({ file, engine: ENGINE, store: storeLabel(from.location) });
      if (to.store.engine === 'embedded') await to.store.close(); // the restore command owns the embedded store while it runs
      const restore = spawnSync(process.execPath, [...nodeEntry('scripts/restore.ts'), file], { cwd: ROOT, env: env(to.location), encoding: 'utf8', timeout: 60_000 });
      expect(restore.stderr).toMatch(/restore: \d+ document\(s\) .* 3 recording\(s\)/);
      expect(restore.status).toBe(0);
      const check = ENGINE === 'embedded' ? new EmbeddedStore(to.location.dataDir) : to.store;
      expect(await check.collection('messages').countDocuments({})).toBe(3);
      expect((await check.files.read('RE2.wav')).equals(wavOf(3))).toBe(true);
      if (check !== to.store) await check.close();
    } finally {
      await discard(from.store);
      if (to.store.engine === 'mongodb') await discard(to.store);
    }
  }, 120_000);
});

const runMigration = Boolean(MONGODB_URI);
// npm test runs the suite twice and clears MONGODB_URI for the embedded pass, so the migration
// (embedded to MongoDB) runs on the MongoDB pass; scripts/test-both-engines.sh fails under CI=true
// when that pass cannot run, so a missing server is never a silent skip.
if (!runMigration) console.warn('migration test skipped on this pass: it runs on the MongoDB pass of npm test (MONGODB_URI)');

(runMigration ? describe : describe.skip)('migration from the embedded store to MongoDB', () => {
  it('copies everything (recordings into GridFS), agrees on counts and report figures, resumes, and a second run changes nothing', async () => {
    const from = await newStore('embedded');
    const to = await newStore('mongodb');
    const source = await openSource(from.location);
    try {
      await seed(from.store);
      await from.store.close(); // the hotline is stopped for a migration
      const first = await copyStore(source, to.store);
      expect(first.collections.ratings.copied).toBe(first.collections.ratings.source);
      expect(first.files).toEqual({ source: 3, copied: 3, alreadyThere: 0 });
      await verifyCopy(source, to.store, defs);
      const target = await openSource(to.location);
      try {
        expect(await everything(target, to.store)).toEqual(await everything(source, source.store));
        expect(await target.fileIds()).toEqual(['RE1.wav', 'RE2.wav', 'RE3.wav']); // in GridFS
      } finally {
        await target.close();
      }

      // Again: nothing changes.
      const second = await copyStore(source, to.store);
      for (const c of Object.values(second.collections)) expect(c.copied).toBe(0);
      expect(second.files.copied).toBe(0);

      // Interrupted half-way (some ratings and a recording never arrived): a new run finishes it.
      const ratings = await to.store.collection<Doc>('ratings').find({}, { sort: { _id: 1 }, limit: 10 });
      await to.store.collection('ratings').deleteMany({ _id: { $in: ratings.map((r) => r._id) } });
      await to.store.files.remove('RE2.wav');
      await expect(verifyCopy(source, to.store, defs)).rejects.toThrow(/ratings: \d+ document\(s\) here, \d+ in the target[\s\S]*recording RE2\.wav[\s\S]*report figures differ/);
      const resumed = await copyStore(source, to.store);
      expect(resumed.collections.ratings.copied).toBe(10);
      expect(resumed.files.copied).toBe(1);
      await verifyCopy(source, to.store, defs);

      // A figure that differs is caught even when the counts agree.
      await to.store.collection('ratings').updateOne({ _id: ratings[0]._id }, { $set: { score: ((ratings[0] as Doc & { score: number }).score % 5) + 1 } });
      await expect(verifyCopy(source, to.store, defs)).rejects.toThrow(/report figures differ/);
    } finally {
      await source.close();
      await discard(to.store);
    }
  }, 120_000);
  it('refuses a database that already holds data, resumes only its own copy, and says how to choose another database', async () => {
    const from = await newStore('embedded');
    const other = await newStore('mongodb');
    const fresh = await newStore('mongodb');
    const migrate = (db: string) => spawnSync(process.execPath, [...nodeEntry('scripts/migrate.ts'), '--to', MONGODB_URI, '--db', db], {
      cwd: ROOT, encoding: 'utf8', timeout: 90_000,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: from.location.dataDir, MONGODB_URI: '' },
    });
    try {
      await seed(from.store);
      await from.store.close();
      await other.store.collection('ratings').insertOne({ _id: 'someone-elses', score: 3 } as Doc);

      const refused = migrate(other.location.mongodbDb);
      expect(refused.stderr).toMatch(/already holds data that did not come from this store: ratings \(1\)[\s\S]*--db NAME/);
      expect(refused.stderr).not.toMatch(/Run the command again/);
      expect(refused.status).toBe(1);
      expect(await other.store.collection('ratings').countDocuments({})).toBe(1); // nothing was mixed in
      expect(await other.store.collection('messages').countDocuments({})).toBe(0);

      const done = migrate(fresh.location.mongodbDb);
      expect(done.stderr).toMatch(/migrate: done: both stores agree/);
      expect(done.status).toBe(0);
      const again = migrate(fresh.location.mongodbDb);
      expect(again.stderr).toMatch(/holds this store's copy from an earlier run[\s\S]*done \(nothing left to copy\)/);
      expect(again.status).toBe(0);
    } finally {
      await discard(other.store);
      await discard(fresh.store);
    }
  }, 240_000);

  it('notes its source in the target before copying: the same store resumes, another store is refused', async () => {
    const to = await newStore('mongodb');
    const view = await openSource(to.location);
    const here = { host: 'hotline-1', dataDir: '/var/lib/hotline' };
    try {
      expect(await claimTarget(view, to.store, here, 'the target')).toBe('new');
      expect(await to.store.collection(MIGRATION_MARKER).findOne({ _id: 'source' })).toMatchObject(here);
      await to.store.collection('ratings').insertOne({ _id: 'R1', score: 4 } as Doc); // copied before it stopped
      expect(await claimTarget(view, to.store, here, 'the target')).toBe('resumed');
      await expect(claimTarget(view, to.store, { host: 'hotline-2', dataDir: '/var/lib/hotline' }, 'the target'))
        .rejects.toThrow(/holds a copy of another store \(\/var\/lib\/hotline on hotline-1[\s\S]*--db NAME/);
    } finally {
      await view.close();
      await discard(to.store);
    }
  });
});
