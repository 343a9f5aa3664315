import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CallSimulator } from '../../src/simulator/call-simulator';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { MongoStore } from '../../src/store/mongo-store';
import { RatingsRepository } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { ENGINE } from '../support/engine';
import { CHILD_AUTH_TOKEN, freePort, discardHotlineProcess, HotlineProcess, StepCaller } from './fault-support';

jest.setTimeout(120_000);

/**
 * The app process dies without warning (SIGKILL: no shutdown handler, nothing flushed on the
 * way out) between two turns of a call, and is started again. Everything a call needs lives in
 * the store, so the carrier's next request continues the same call.
 */
describe(`the app is killed mid-call and restarted (${ENGINE} store)`, () => {
  const dbName = `fault_killed_${process.pid}_${Date.now()}`;
  let app: HotlineProcess;

  beforeEach(async () => {
    app = new HotlineProcess(await freePort(), ENGINE === 'mongodb' ? { MONGODB_URI: process.env.MONGODB_URI!, MONGODB_DB: dbName } : {});
    await app.start();
  });

  afterEach(async () => {
    if (!app) return;
    await discardHotlineProcess(app, dbName);
  });

  /** Opens what the (stopped) app left behind: its database, or a copy of its data folder. */
  async function openLeftovers(): Promise<Store> {
    if (ENGINE === 'mongodb') return MongoStore.connect(process.env.MONGODB_URI!, dbName);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-leftovers-'));
    fs.cpSync(path.join(app.dataDir, 'store'), path.join(copy, 'store'), { recursive: true });
    return new EmbeddedStore(copy);
  }

  it('when the app is SIGKILLed after two ratings and restarted, the next key press continues the same call and every rating is kept', async () => {
    const caller = new StepCaller(new CallSimulator({ serverUrl: app.url, publicBaseUrl: app.url, authToken: CHILD_AUTH_TOKEN, from: '+85512000777' }));
    await caller.dial();
    await caller.pressAll(['1', '2', '120101', '1', '2', '1', '4']);
    const beforeKill = await caller.press('5');
    expect(beforeKill).toContain('indicator.health.medicines');
    const pendingAction = caller.nextAction!;
    const retryUrl = caller.lastUrl;

    await app.kill('SIGKILL');
    await app.start();

    // The carrier retries the request it sent just before the crash: the same answer, not a new turn.
    await caller.press('5', retryUrl);
    expect(caller.lastStatus).toBe(200);
    expect(caller.heard()).toContain('indicator.health.medicines');

    // The caller presses the next key: the call goes on where it was.
    expect(await caller.press('3', pendingAction)).toContain('indicator.health.cleanliness');
    const end = await caller.pressAll(['4', '2', '5', '1', '2', '2', '3', '2']);
    expect(end).toContain('rate.after'); // after rate.thanks and the promise-news offer (declined with 2)
    expect(caller.sim.transcript.errors).toEqual([]);

    await app.stop();
    const store = await openLeftovers();
    try {
      const ratings = await new RatingsRepository(store).forCall(caller.callSid);
      expect(ratings.map((r) => [r.indicatorId, r.score])).toEqual([
        ['staff-attitude', 4], ['waiting-time', 5], ['medicines', 3], ['cleanliness', 4], ['fee-transparency', 2], ['open-24h', 5],
      ]);
      expect(ratings.every((r) => r.demographics.gender === 'woman')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('when the app is SIGKILLed right after the call was answered and restarted, the carrier\'s next request is answered, not refused', async () => {
    const caller = new StepCaller(new CallSimulator({ serverUrl: app.url, publicBaseUrl: app.url, authToken: CHILD_AUTH_TOKEN, from: '+85512000778' }));
    expect(await caller.dial()).toEqual(expect.arrayContaining(['welcome', 'language.menu']));
    await app.kill('SIGKILL');
    await app.start();
    expect(await caller.press('1')).toContain('main.menu');
    expect(caller.lastStatus).toBe(200);
  });
});
