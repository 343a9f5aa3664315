import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseScript } from '../../src/simulator/call-simulator';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { INDEXES } from '../../src/store/indexes';
import { MongoStore } from '../../src/store/mongo-store';
import { RatingsRepository } from '../../src/store/ratings';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { STORE_UNAVAILABLE } from '../../src/app';
import { STATUS_SAVE_BUDGET_MS } from '../../src/telephony/voice-routes';
import { mongoCompatibleBinary, MongoCompatibleServer, StepCaller } from './fault-support';

jest.setTimeout(120_000);

// ... the four questions about the caller, 2: no promise news, 0: the main menu.
const FULL_RATING = '1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,3,2,0,hangup';

/** Starts a call and gives two ratings (health centre: staff-attitude 4, waiting-time 5); returns the caller waiting for the third. */
async function callerWithTwoRatings(h: TestHotline, from: string): Promise<StepCaller> {
  const caller = new StepCaller(h.simulator({ from }));
  await caller.dial();
  await caller.pressAll(['1', '2', '120101', '1', '2', '1', '4']);
  expect(await caller.press('5')).toContain('indicator.health.medicines');
  return caller;
}

async function expectSystemErrorAndHangup(caller: StepCaller, turn: () => Promise<string[]>) {
  const heard = await turn();
  expect(caller.lastStatus).toBe(200);
  expect(heard).toEqual(['error.system']);
  expect(caller.hungUp()).toBe(true);
  expect(caller.lastBody).not.toMatch(/Error|stack|at .*\.ts/);
}

/**
 * Issue 21: the final status callback during an outage. The route tries the database for
 * STATUS_SAVE_BUDGET_MS, then keeps the status on disk (202) instead of answering 503 and losing it.
 */
async function expectStatusKept(h: TestHotline, callSid: string, sim = h.simulator()) {
  const started = Date.now();
  const status = await sim.post('/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '47' });
  expect(status.status).toBe(202);
  expect(status.body).not.toMatch(/Error:|stack|\.ts:/);
  // It tried for a while (a brief outage passes), but answered well within the carrier's wait.
  expect(Date.now() - started).toBeGreaterThanOrEqual(STATUS_SAVE_BUDGET_MS - 500);
  expect(Date.now() - started).toBeLessThan(STATUS_SAVE_BUDGET_MS + 6_000);
  expect(h.rt.callStatusJournal.hasPending()).toBe(true);
  expect(h.logs.join('')).toContain('kept on disk and saved when it is back');
}

async function expectStatusRecovered(h: TestHotline, callSid: string) {
  const deadline = Date.now() + 15_000;
  while (h.rt.callStatusJournal.hasPending() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(h.rt.callStatusJournal.hasPending()).toBe(false);
  expect(await h.rt.calls.findStatus(callSid)).toMatchObject({ status: 'completed', durationSeconds: 47 });
}

/**
 * The embedded store lives in this process, so "the database goes away" means its data folder
 * does: the folder is moved aside and a file put in its place (as when a disk is unmounted; chmod
 * would not stop root), so every write fails with ENOTDIR while reads from memory still work.
 */
(ENGINE === 'embedded' ? describe : describe.skip)('the embedded store\'s data folder goes away mid-call and comes back', () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('callers hear error.system while it is gone, nothing given before is lost, and calls work again once it is back, without a restart', async () => {
    const storeDir = path.join(h.config.dataDir, 'store');
    const caller = await callerWithTwoRatings(h, '+85512000881');

    fs.renameSync(storeDir, `${storeDir}.away`);
    fs.writeFileSync(storeDir, 'the disk is gone');
    try {
      await expectSystemErrorAndHangup(caller, () => caller.press('3'));
      const newcomer = new StepCaller(h.simulator({ from: '+85512000882' }));
      await expectSystemErrorAndHangup(newcomer, () => newcomer.dial());
      expect(h.logs.join('')).toContain('turn failed; caller hears error.system');
      // The carrier posts the final status once and never again (Somleng: app/workflows/twilio_api/notify_webhook.rb
      // ignores the answer; app/jobs/application_job.rb retries nothing else). Here the call-status file was
      // still open, so the write may well go through; either way it must not be refused and lost.
      const status = await caller.sim.post('/voice/status', { CallSid: caller.callSid, CallStatus: 'completed', CallDuration: '47' });
      expect([202, 204]).toContain(status.status);
    } finally {
      fs.rmSync(storeDir);
      fs.renameSync(`${storeDir}.away`, storeDir);
    }

    const after = await h.call(parseScript(FULL_RATING), { from: '+85512000883' });
    // The next status the database takes brings in the one kept during the outage.
    await expectStatusRecovered(h, caller.callSid);
    expect(after.errors).toEqual([]);
    expect(ids(after)).toContain('rate.thanks');

    // What is on disk now (a copy, read by a second store, as a restarted app would): the ratings
    // given before the outage and those of the call after it.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-outage-copy-'));
    fs.cpSync(storeDir, path.join(copy, 'store'), { recursive: true });
    const disk = new EmbeddedStore(copy);
    try {
      const ratings = new RatingsRepository(disk);
      const before = await ratings.forCall(caller.callSid);
      expect(before.map((r) => [r.indicatorId, r.score])).toEqual(expect.arrayContaining([['staff-attitude', 4], ['waiting-time', 5]]));
      expect((await ratings.forCall(after.callSid)).length).toBe(6);
    } finally {
      await disk.close();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

/**
 * MongoDB: the test runs its own MongoDB-compatible server (FerretDB) so it can kill it and start
 * it again on the same port with the same data, while the app keeps its driver connection pool.
 */
const ferretBinary = ENGINE === 'mongodb' ? mongoCompatibleBinary() : null;
// Outside CI a MongoDB pass against a real server without the FerretDB binary skips this test; in CI it must run, so it fails.
const runMongoOutage = ENGINE === 'mongodb' && (ferretBinary !== null || process.env.CI === 'true');
if (ENGINE === 'mongodb' && !runMongoOutage) console.warn('MongoDB outage test skipped: no ../shared/tools/mongo-compatible-server binary (it fails instead when CI=true)');

(runMongoOutage ? describe : describe.skip)('the MongoDB server goes away mid-call and comes back', () => {
  let server: MongoCompatibleServer | null = null;
  let h: TestHotline;

  beforeAll(async () => {
    if (!ferretBinary) throw new Error('no MongoDB-compatible server binary could be found or built (../shared/tools/mongo-compatible-server/start); CI=true, so this is a failure, not a skip');
    server = await MongoCompatibleServer.start(ferretBinary);
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    const store = await MongoStore.connect(server!.uri, `outage_${Date.now()}`);
    await store.ensureIndexes(INDEXES);
    h = await startHotline({}, { store });
  });
  afterEach(async () => {
    await h?.stop();
  });

  it('callers hear error.system while it is down, nothing given before is lost, and the app recovers without a restart', async () => {
    const caller = await callerWithTwoRatings(h, '+85512000891');
    await addAccount(h.store, 'view1', 'viewer');
    const viewer = await new StaffClient(h).signedIn('view1');

    await server!.kill();
    const started = Date.now();
    await expectSystemErrorAndHangup(caller, () => caller.press('3'));
    // The caller must hear the apology before the carrier gives up on the webhook (15 s at Twilio).
    expect(Date.now() - started).toBeLessThan(12_000);
    const newcomer = new StepCaller(h.simulator({ from: '+85512000892' }));
    await expectSystemErrorAndHangup(newcomer, () => newcomer.dial());
    const health = await fetch(`${h.url}/health`);
    expect(health.status).toBe(503);
    // A status callback that cannot be saved is kept on disk: neither carrier would post it again.
    await expectStatusKept(h, newcomer.callSid, newcomer.sim);
    // Staff read what happened and what to do, not "Internal error".
    const page = await viewer.request('/staff/reports');
    expect(page.status).toBe(503);
    // An error page with the menu (issue 11), saying what happened and what to do.
    const body = await page.text();
    expect(body).toContain(STORE_UNAVAILABLE);
    expect(body).not.toMatch(/Internal error|StoreError|stack|\.ts:/);

    await server!.restart();

    // The same app process, same store object: the driver reconnects by itself.
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${h.url}/health`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the app did not see the database come back within 20 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const after = await h.call(parseScript(FULL_RATING), { from: '+85512000893' });
    expect(after.errors).toEqual([]);
    expect(ids(after)).toContain('rate.thanks');
    expect((await h.rt.ratings.forCall(after.callSid)).length).toBe(6);

    const before = await h.rt.ratings.forCall(caller.callSid);
    expect(before.map((r) => [r.indicatorId, r.score])).toEqual([['staff-attitude', 4], ['waiting-time', 5]]);
    await expectStatusRecovered(h, newcomer.callSid);
  });
});
