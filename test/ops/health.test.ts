import { INDEXES } from '../../src/store/indexes';
import * as fs from 'node:fs';
import * as mongodb from 'mongodb';

// The module object itself, whose functions can be replaced (an `import * as` copy's cannot).
const nodeFs = require('node:fs') as typeof fs;
import { Health, HealthReport, RECORDING_WAIT_WARNING_MS } from '../../src/ops/health';
import { CarrierContact } from '../../src/ops/carrier-contact';
import { buildOutbound } from '../../src/outbound/outbound';
import { loadConfig } from '../../src/config/config';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore, tempDir } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

jest.setTimeout(60_000);

const GIB = 1024 ** 3;

/**
 * Issue 23: with the disk full every caller heard error.system, the log said only "the embedded
 * store failed", and /health answered 200 ok. Here the disk is made full the way the app sees it:
 * statfs reports almost nothing free, and every write to the store fails with the disk's error
 * (the embedded store's data files: write(2) gives ENOSPC; MongoDB: the server's OutOfDiskSpace, 14031).
 */
describe('a full disk', () => {
  let h: TestHotline;
  const restore: (() => void)[] = [];
  afterEach(async () => {
    for (const r of restore.splice(0)) r();
    await h?.stop();
  });

  function fillTheDisk(dataDir: string) {
    // node:fs itself (the app's `import * as fs` reads its properties at each call): statfs says 3 blocks are free.
    const statfs = jest.spyOn(nodeFs, 'statfsSync').mockImplementation((() => ({
      type: 0, bsize: 4096, blocks: 1_000_000, bfree: 3, bavail: 3, files: 1000, ffree: 10,
    })) as unknown as typeof fs.statfsSync);
    restore.push(() => statfs.mockRestore());
    if (ENGINE === 'embedded') {
      const realWrite = fs.writeSync;
      // Only the store's own files (found by the descriptor's path): the test runner writes too.
      const write = jest.spyOn(nodeFs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
        let target = '';
        try { target = fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { /* not a file we know */ }
        if (target.startsWith(fs.realpathSync(dataDir))) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
        }
        return (realWrite as (...a: unknown[]) => number)(fd, ...rest);
      }) as typeof fs.writeSync);
      restore.push(() => write.mockRestore());
    } else {
      const full = () => Promise.reject(new mongodb.MongoServerError({ message: 'No space left on device', errmsg: 'No space left on device', code: 14031, codeName: 'OutOfDiskSpace' }));
      for (const op of ['insertOne', 'insertMany', 'updateOne', 'updateMany', 'findOneAndUpdate', 'bulkWrite'] as const) {
        const spy = jest.spyOn(mongodb.Collection.prototype, op).mockImplementation(full as never);
        restore.push(() => spy.mockRestore());
      }
    }
  }

  it('answers 503 with the store and the disk failing, the caller hears error.system, and the log names the cause', async () => {
    h = await startHotline();
    fillTheDisk(h.config.dataDir);

    const call = await h.call([]);
    expect(ids(call)).toEqual(['error.system']);

    const res = await fetch(`${h.url}/health`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as HealthReport;
    expect(body.serving).toBe(false);
    expect(body.status).toBe('failing');
    expect(body.checks.disk.status).toBe('failing');
    expect(body.checks.disk.message).toMatch(/only 0\.0 GB free where DATA_DIR is/);
    expect(body.checks.store.status).toBe('failing');
    const cause = ENGINE === 'embedded' ? 'ENOSPC' : 'MongoServerError 14031 OutOfDiskSpace';
    expect(body.checks.store.message).toContain(cause);
    // Nothing of the machine's layout beyond "where DATA_DIR is".
    expect(JSON.stringify(body)).not.toContain(h.config.dataDir);

    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const turnFailed = lines.find((l) => l.msg === 'turn failed; caller hears error.system');
    expect(turnFailed).toBeDefined();
    expect(turnFailed!.code).toBe(cause);
    expect(String(turnFailed!.err)).toContain(`(${cause})`);
    expect(String(turnFailed!.cause)).toMatch(ENGINE === 'embedded' ? /ENOSPC: no space left on device/ : /No space left on device/);
  });
});

describe('the health report', () => {
  let store: Store;
  let now: Date;
  let dataDir: string;
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: tempDir(), CALLER_HASH_SECRET: 's', SESSION_SECRET: 's' }, { cwd: process.cwd() });
  beforeEach(async () => {
    dataDir = tempDir();
    store = await openTestStore(dataDir);
    now = new Date('2030-03-01T08:00:00Z'); // after the machine's clock: the database's TTL indexes expire by the real time
  });
  afterEach(() => closeTestStore(store));

  const healthOn = (o: { free?: number; storeWriteTimeoutMs?: number } = {}) => new Health({
    store, dataDir, diskFree: () => o.free ?? 50 * GIB, now: () => now, instanceId: 'test-instance',
    outbound: buildOutbound(store, config, () => now), storeWriteTimeoutMs: o.storeWriteTimeoutMs,
  });

  it('is ok on a quiet line, and writes this instance\'s heartbeat', async () => {
    const report = await healthOn().report();
    expect(report).toMatchObject({ status: 'ok', serving: true, engine: ENGINE });
    expect(Object.keys(report.checks).sort()).toEqual(['carrier', 'disk', 'outbound', 'recordings', 'store']);
    for (const c of Object.values(report.checks)) expect(c.status).toBe('ok');
    expect(await store.collection('ops_heartbeats').findOne({ _id: 'test-instance' })).toMatchObject({ at: now, expiresAt: new Date(now.getTime() + 24 * 3600 * 1000) });
    // Each restart is a new instance id: the database deletes a heartbeat a day after its last write.
    expect(INDEXES).toContainEqual({ collection: 'ops_heartbeats', keys: { expiresAt: 1 }, expireAfterSeconds: 0 });
  });

  it('warns on low disk (the doctor\'s 2 GB) and fails under 0.25 GB, answering not serving', async () => {
    expect((await healthOn({ free: 1 * GIB }).report()).checks.disk.status).toBe('warning');
    expect((await healthOn({ free: 1 * GIB }).report()).serving).toBe(true);
    const full = await healthOn({ free: 0.1 * GIB }).report();
    expect(full.checks.disk.status).toBe('failing');
    expect(full.serving).toBe(false);
  });

  it('fails the store check when a write does not come back in time', async () => {
    // A store whose heartbeat write never comes back (a stalled disk or server); everything else answers.
    const stalled: Store = Object.create(store);
    stalled.collection = ((name: string) => {
      const real = store.collection(name);
      if (name !== 'ops_heartbeats') return real;
      const hanging = Object.create(real);
      hanging.updateOne = () => new Promise(() => undefined);
      return hanging;
    }) as Store['collection'];
    const report = await new Health({ store: stalled, dataDir, diskFree: () => 50 * GIB, now: () => now, storeWriteTimeoutMs: 50 }).report();
    expect(report.checks.store).toEqual({ status: 'failing', message: 'the database did not take a write within 0.05 s: callers hear error.system' });
    expect(report.serving).toBe(false);
  });

  it('reports the recordings waiting at the carrier, warning when the oldest waits too long', async () => {
    const messages = store.collection('messages');
    const at = (msAgo: number) => new Date(now.getTime() - msAgo);
    await messages.insertMany([
      { _id: 'RE1', callerChoice: 'sent', createdAt: at(RECORDING_WAIT_WARNING_MS + 60_000), download: { state: 'queued', recordingUrl: 'x', attempts: 3, nextAttemptAt: now } },
      { _id: 'RE2', callerChoice: 'sent', createdAt: at(60_000), download: { state: 'downloading', recordingUrl: 'x', attempts: 1, nextAttemptAt: now } },
      { _id: 'RE3', callerChoice: 'sent', createdAt: at(10 * RECORDING_WAIT_WARNING_MS), download: { state: 'stored', recordingUrl: 'x', attempts: 1 } },
    ] as never);
    const report = await healthOn().report();
    expect(report.checks.recordings).toEqual({
      status: 'warning',
      message: '2 recording(s) wait to be downloaded from the carrier, the oldest for 2 h: check the carrier check below and the log (recording work failed)',
    });
  });

  it('says when outbound calling is paused by staff or held by a carrier problem', async () => {
    const outbound = buildOutbound(store, config, () => now);
    await outbound.limits.setPaused(true, 'admin');
    const health = new Health({ store, dataDir, diskFree: () => 50 * GIB, now: () => now, outbound });
    expect((await health.report()).checks.outbound).toEqual({ status: 'warning', message: 'outbound calling is paused by staff; 0 callback(s) waiting (0 for missed calls), 0 under way' });
    await outbound.limits.setCarrierProblem({ what: 'the carrier refused the account credentials', fix: 'check TWILIO_AUTH_TOKEN', httpStatus: 401, code: '20003' } as never, 300);
    now = new Date(now.getTime() + 60_000); // past the stored counts' freshness
    const report = await health.report();
    expect(report.checks.outbound.status).toBe('failing');
    expect(report.checks.outbound.message).toMatch(/^outbound calling is held by a carrier problem: the carrier refused the account credentials/);
    expect(report.serving).toBe(true); // callers calling in are still served
  });

  it('reports the carrier as last seen by any instance, through the database, without phone numbers', async () => {
    const contact = new CarrierContact(store, () => now);
    await contact.ok('recording download');
    now = new Date(now.getTime() + 5 * 60_000);
    await contact.failed('callback call', "The 'To' number +85512345678 is not reachable: HTTP 503");
    now = new Date(now.getTime() + 60_000);
    // Another instance's health (its own process, nothing shared but the database) reads the same.
    const report = await healthOn().report();
    expect(report.checks.carrier).toEqual({
      status: 'warning',
      message: "the last contact with the carrier's API failed 1 min ago (callback call): The 'To' number [number] is not reachable: HTTP 503; last success 6 min ago",
    });
    now = new Date(now.getTime() + 60_000);
    await new CarrierContact(store, () => now).ok('callback call');
    now = new Date(now.getTime() + BACKLOG_FRESHNESS_PASSED);
    expect((await healthOn().report()).checks.carrier).toEqual({ status: 'ok', message: "the carrier's API answered under a minute ago (callback call)" });
  });

  it('works the backlog counts out at most every few seconds, for every instance, and keeps them in the database', async () => {
    const first = healthOn();
    await first.report();
    const count = jest.spyOn(Object.getPrototypeOf(store.collection('messages')), 'countDocuments');
    try {
      await healthOn().report(); // another instance, within the freshness
      expect(count).not.toHaveBeenCalled();
      now = new Date(now.getTime() + BACKLOG_FRESHNESS_PASSED);
      await healthOn().report();
      expect(count).toHaveBeenCalled();
    } finally {
      count.mockRestore();
    }
  });
});

const BACKLOG_FRESHNESS_PASSED = 11_000;
