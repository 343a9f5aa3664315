import express from 'express';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { parseScript } from '../../src/simulator/call-simulator';
import { INDEXES } from '../../src/store/indexes';
import { MongoStore } from '../../src/store/mongo-store';
import { voiceRoutes } from '../../src/telephony/voice-routes';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline, TEST_AUTH_TOKEN } from '../support/hotline';
import { CallSimulator } from '../../src/simulator/call-simulator';
import { mongoCompatibleBinary, MongoCompatibleServer, StepCaller } from './fault-support';

jest.setTimeout(90_000);

const DEADLINE_MS = 600;

/**
 * A database that stops answering (stalled disk, overloaded server) must not leave the caller
 * in silence until the carrier gives up and plays its own error: past the turn deadline the
 * caller hears error.system. The webhooks are mounted here with a short deadline (the app's
 * is 10 s) on the hotline's real runtime and store.
 */
async function webhooksWithDeadline(h: TestHotline): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = express();
  app.use('/voice', express.urlencoded({ extended: false }), voiceRoutes({
    turns: h.rt.turns,
    calls: h.rt.calls,
    publicBaseUrl: url,
    callerHashSecret: h.config.callerHashSecret,
    languages: h.rt.languages.languages.map((l) => l.code),
    defaultLanguage: h.rt.languages.default,
    promptUrl: (id, lang) => h.rt.audio.url(id, lang ?? h.rt.languages.default),
    logger: h.rt.logger,
    carrierApiUrl: h.config.carrierApiUrl,
    accountSid: h.config.twilioAccountSid,
    turnDeadlineMs: DEADLINE_MS,
  }));
  server.on('request', app);
  return { url, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

async function stalledTurnIsAnsweredInTime(h: TestHotline, stall: () => Promise<void> | void, unstall: () => Promise<void> | void) {
  const hooks = await webhooksWithDeadline(h);
  try {
    const caller = new StepCaller(new CallSimulator({ serverUrl: hooks.url, publicBaseUrl: hooks.url, authToken: TEST_AUTH_TOKEN, from: '+85512003001' }));
    await caller.dial();
    await caller.pressAll(['1', '2', '120101', '1', '2', '1']);
    expect(await caller.press('4')).toContain('indicator.health.waiting-time');

    await stall();
    const started = Date.now();
    try {
      expect(await caller.press('5')).toEqual(['error.system']);
      expect(caller.hungUp()).toBe(true);
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 1500);
    } finally {
      await unstall();
    }
    expect(h.logs.join('')).toContain('TurnDeadlineError');

    // Once the database answers again, calls go through.
    const sim = new CallSimulator({ serverUrl: hooks.url, publicBaseUrl: hooks.url, authToken: TEST_AUTH_TOKEN, from: '+85512003002' });
    const after = await sim.run(parseScript('1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,3,2,0,hangup'));
    expect(after.errors).toEqual([]);
    expect(ids(after)).toContain('rate.thanks');
    expect(await h.rt.ratings.forCall(caller.callSid)).toEqual(expect.arrayContaining([expect.objectContaining({ indicatorId: 'staff-attitude', score: 4 })]));
  } finally {
    await hooks.close();
  }
}

(ENGINE === 'embedded' ? describe : describe.skip)('the embedded store stalls mid-call', () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a turn that waits on the stalled store past the deadline answers error.system, and calls work once it moves again', async () => {
    // NeDB runs one operation at a time per collection: a 3 s operation queued first holds up every call's turn, as a stalled disk would.
    let release: () => void = () => undefined;
    const calls = h.store.collection('calls') as unknown as { ds: { executor: { pushAsync(task: () => Promise<void>): Promise<void> } } };
    await stalledTurnIsAnsweredInTime(h, () => {
      void calls.ds.executor.pushAsync(() => new Promise<void>((resolve) => { release = resolve; setTimeout(resolve, 3000); }));
    }, () => release());
  });
});

const ferretBinary = ENGINE === 'mongodb' ? mongoCompatibleBinary() : null;
const runMongo = ENGINE === 'mongodb' && (ferretBinary !== null || process.env.CI === 'true');

(runMongo ? describe : describe.skip)('the MongoDB server stops answering mid-call', () => {
  let server: MongoCompatibleServer | null = null;
  let h: TestHotline;
  beforeAll(async () => {
    if (!ferretBinary) throw new Error('no MongoDB-compatible server binary could be found or built; CI=true, so this is a failure, not a skip');
    server = await MongoCompatibleServer.start(ferretBinary);
  });
  afterAll(async () => {
    server?.resume();
    await server?.stop();
  });
  beforeEach(async () => {
    const store = await MongoStore.connect(server!.uri, `stall_${Date.now()}`);
    await store.ensureIndexes(INDEXES);
    h = await startHotline({}, { store });
  });
  afterEach(async () => {
    await h?.stop();
  });

  it('a turn waiting on the frozen server past the deadline answers error.system, and calls work once it answers again', async () => {
    await stalledTurnIsAnsweredInTime(h, () => server!.pause(), () => server!.resume());
  });
});
