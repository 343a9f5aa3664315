import * as fs from 'node:fs';
import * as http from 'node:http';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createHttpServer } from '../../src/http-server';
import { createLogger } from '../../src/logging/logger';
import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { buildRuntime, Runtime } from '../../src/runtime';
import { CallSimulator, parseTwiml, promptOf } from '../../src/simulator/call-simulator';
import { VoiceMessage } from '../../src/messages/messages';
import { MongoStore } from '../../src/store/mongo-store';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore, tempDir, testDbName } from '../support/engine';
import { FakeCarrier, wavOf } from '../support/fake-carrier';
import { CHILD_AUTH_TOKEN, discardHotlineProcess, freePort, HotlineProcess } from './fault-support';

jest.setTimeout(240_000);

/**
 * Issue 15, item 2: carriers spread webhooks over app instances behind a load balancer. Two
 * hotline processes serve one MongoDB database; each call's turns alternate between them, every
 * webhook arrives twice (one copy at each instance, at once), and one instance is SIGKILLed in the
 * middle of a turn, then started again. Nothing a call needs is in either process's memory.
 *
 * The embedded store cannot be shared by two processes (NeDB holds each collection in the memory
 * of the one process that loaded it, and appends to its files without locking): there a second
 * hotline on the same DATA_DIR refuses to start, and the same calls run against two apps in this
 * process on one store object, each with its own runtime and so its own held call records
 * (src/store/calls.ts), one of them "killed" (it stops answering and forgets all but the store)
 * and started afresh.
 */

const ACCOUNT = 'ACtwoinstances';
const SHARED = 'https://hotline.example';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the scenario needs of an instance: the hotline as a child process (MongoDB), or an app in this process (embedded). */
interface Instance {
  readonly url: string;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A hotline app in this process on a port of its own, on a store it shares with another, with
 * the recording-download worker the server runs. Killing it cannot cut a write in half as a
 * SIGKILL can: it stops answering at once (open requests lose their connection) and its runtime,
 * with everything it held in memory, is dropped; started again, it has a new one.
 */
class InProcessHotline implements Instance {
  readonly url: string;
  private running: { server: http.Server; rt: Runtime; stopWorker: () => Promise<void> } | null = null;
  constructor(readonly port: number, private readonly store: Store, private readonly env: Record<string, string>) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const config = loadConfig({
      NODE_ENV: 'test', PORT: String(this.port), TWILIO_AUTH_TOKEN: CHILD_AUTH_TOKEN, CALLER_HASH_SECRET: 'fault-caller-secret',
      SESSION_SECRET: 'fault-session-secret', DATA_DIR: tempDir(), LOG_LEVEL: 'warn', ...this.env,
    }, { cwd: process.cwd() });
    const rt = await buildRuntime(config, { logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })), store: this.store });
    const server = createHttpServer({ maxConnections: 1000 });
    server.on('request', createApp(rt));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const worker = recordingDownloadWorkerFor(rt, { pollIntervalMs: 200 });
    worker.start();
    this.running = { server, rt, stopWorker: () => worker.stop() };
  }

  async kill(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = null;
    running.server.closeAllConnections();
    await new Promise<void>((resolve) => running.server.close(() => resolve()));
    await running.stopWorker();
    running.rt.stopBackgroundWork();
  }
}

/** Prompt ids a TwiML reply plays, in order. */
function idsOf(body: string): string[] {
  const ids: string[] = [];
  for (const v of parseTwiml(body)) {
    if (v.name === 'Play') ids.push(promptOf(v.text).id);
    for (const c of v.children) if (c.name === 'Play') ids.push(promptOf(c.text).id);
  }
  return ids;
}

/** One call as the carrier plays it: it knows where the next key press goes, and what the caller heard. */
class Leg {
  next = '';
  heard: string[][] = [];
  private readonly sims: Record<'A' | 'B', CallSimulator>;
  constructor(readonly callSid: string, readonly from: string, urls: { A: string; B: string }) {
    this.sims = {
      A: new CallSimulator({ serverUrl: urls.A, publicBaseUrl: SHARED, authToken: CHILD_AUTH_TOKEN, from, callSid }),
      B: new CallSimulator({ serverUrl: urls.B, publicBaseUrl: SHARED, authToken: CHILD_AUTH_TOKEN, from, callSid }),
    };
  }

  params(extra: Record<string, string> = {}): Record<string, string> {
    return { CallSid: this.callSid, AccountSid: ACCOUNT, From: this.from, To: '+855000000', CallStatus: 'in-progress', ...extra };
  }

  /** Sends one webhook to each named instance at once (params[i] to the i-th, or the same to all); every copy must get the same answer. */
  async send(to: ('A' | 'B')[], path: string, params: Record<string, string> | Record<string, string>[]): Promise<string[]> {
    const replies = await Promise.all(to.map((i, n) => this.sims[i].post(path, Array.isArray(params) ? params[n] : params)));
    for (const r of replies) expect(r.status).toBe(200);
    for (const r of replies) expect(r.body).toBe(replies[0].body);
    return this.take(replies[0].body);
  }

  take(body: string): string[] {
    const verbs = parseTwiml(body);
    const ids = idsOf(body);
    this.next = verbs.find((v) => v.name === 'Gather' || v.name === 'Record')?.attrs.action ?? '';
    this.heard.push(ids);
    return ids;
  }

  dial(to: ('A' | 'B')[]) {
    return this.send(to, '/voice/incoming', this.params({ CallStatus: 'ringing' }));
  }

  press(to: ('A' | 'B')[], digits: string) {
    return this.send(to, this.next, this.params({ Digits: digits }));
  }

  /** Copies of one webhook that carry different keys (a confused retry): one to each instance. */
  pressRacing(to: ('A' | 'B')[], digits: string[]) {
    return this.send(to, this.next, digits.map((d) => this.params({ Digits: d })));
  }

  record(to: ('A' | 'B')[], recordingSid: string, seconds: number, carrier: FakeCarrier) {
    return this.send(to, this.next, this.params({ RecordingSid: recordingSid, RecordingUrl: carrier.recordingUrl(recordingSid), RecordingDuration: String(seconds), Digits: '#' }));
  }

  /** The carrier's recording status callback. */
  recordingStatus(to: 'A' | 'B', recordingSid: string, seconds: number, carrier: FakeCarrier) {
    return this.sims[to].post('/voice/recording-status', {
      AccountSid: ACCOUNT, CallSid: this.callSid, RecordingSid: recordingSid, RecordingUrl: carrier.recordingUrl(recordingSid),
      RecordingStatus: 'completed', RecordingDuration: String(seconds), RecordingChannels: '1', RecordingSource: 'RecordVerb',
    });
  }

  /** The scores the caller heard read back (scale.N), in order. */
  scoresHeard(): number[] {
    return this.heard.flat().filter((id) => /^scale\.[1-5]$/.test(id)).map((id) => Number(id.slice('scale.'.length)));
  }

  /** The reference number read back after "send" (digit prompts after message.saved). */
  referenceHeard(): string {
    const reply = this.heard.find((ids) => ids.includes('message.saved')) ?? [];
    const digits = reply.filter((id) => /^digit\.[0-9]$/.test(id)).map((id) => id.slice('digit.'.length)).join('');
    // The number is read twice (issue 14): both readings must be the same number.
    const once = digits.slice(0, digits.length / 2);
    if (digits !== once + once) throw new Error(`the reference number was not read twice alike: ${digits}`);
    return once;
  }
}

if (ENGINE !== 'mongodb') {
  describe('a second process on one embedded store (embedded store)', () => {
    let a: HotlineProcess | undefined;
    afterEach(async () => {
      if (a) await discardHotlineProcess(a, '');
    });

    it('a second hotline on the same DATA_DIR refuses to start, saying why and what to do', async () => {
      const dataDir = tempDir('hotline-two-');
      a = new HotlineProcess(await freePort(), { DATA_DIR: dataDir });
      await a.start();
      const b = new HotlineProcess(await freePort(), { DATA_DIR: dataDir });
      await expect(b.start()).rejects.toThrow(/another hotline \(pid \d+\) is already running on the embedded store.*MONGODB_URI/s);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
  });
}

describe(`two app instances on one ${ENGINE === 'mongodb' ? 'database, each its own process' : 'embedded store, in this process'} (${ENGINE} store)`, () => {
  const dbName = testDbName('two_instances');
  let carrier: FakeCarrier;
  let a: Instance;
  let b: Instance;
  /** The embedded store both in-process apps share. */
  let shared: Store | undefined;

  beforeAll(async () => {
    carrier = await new FakeCarrier(ACCOUNT, CHILD_AUTH_TOKEN).start();
    const env = { PUBLIC_BASE_URL: SHARED, TWILIO_ACCOUNT_SID: ACCOUNT, CARRIER_API_URL: carrier.url };
    if (ENGINE === 'mongodb') {
      const processEnv = { ...env, MONGODB_URI: process.env.MONGODB_URI!, MONGODB_DB: dbName };
      a = new HotlineProcess(await freePort(), processEnv);
      b = new HotlineProcess(await freePort(), processEnv);
    } else {
      shared = await openTestStore();
      a = new InProcessHotline(await freePort(), shared, env);
      b = new InProcessHotline(await freePort(), shared, env);
    }
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    if (a instanceof HotlineProcess && b instanceof HotlineProcess) {
      await a.stop();
      await discardHotlineProcess(b, dbName);
    } else {
      await a?.kill();
      await b?.kill();
      if (shared) await closeTestStore(shared);
    }
    await carrier?.stop();
  });

  it('turns alternate between the instances, nearly every webhook comes twice, one instance dies mid-call: nothing lost, doubled or fetched twice', async () => {
    const urls = { A: a.url, B: b.url };
    const both: ('A' | 'B')[] = ['A', 'B'];
    const alternate = (i: number): ('A' | 'B')[] => (i % 2 ? ['B', 'A'] : ['A', 'B']);
    const sid = (n: number) => `CA${String(n).padStart(4, '0')}${'a'.repeat(28)}`;

    // Three rating calls (the first caller calls again later) and two calls that leave a message.
    const raters = [new Leg(sid(1), '+85512100001', urls), new Leg(sid(2), '+85512100002', urls), new Leg(sid(3), '+85512100003', urls)];
    const messengers = [new Leg(sid(4), '+85512100004', urls), new Leg(sid(5), '+85512100005', urls)];
    const firstScores = [[4, 5, 3, 4, 2, 5], [1, 2, 3, 4, 5, 1], [5, 5, 5, 1, 1, 1]];

    // Phase 1: both instances up; each turn goes to both (a duplicate), the first copy alternating.
    // Language, then rate (2) or leave a message (3), the commune, confirm it, health (and, to rate it, "used it": 1).
    await Promise.all([...raters, ...messengers].map(async (leg) => {
      await leg.dial(both);
      const keys = raters.includes(leg) ? ['1', '2', '120101', '1', '2', '1'] : ['1', '3', '120101', '1', '2'];
      for (const [j, k] of keys.entries()) await leg.press(alternate(j), k);
    }));
    // The first three ratings of each call come as two copies with different keys at once: the
    // score kept must be the one both copies answer with (issue 15, item 3).
    await Promise.all(raters.map(async (leg, r) => {
      for (const [j, s] of firstScores[r].slice(0, 3).entries()) await leg.pressRacing(alternate(j), [String(s), String(6 - s)]);
    }));

    // Phase 2: instance A is killed while it handles the first rater's next turn. The carrier
    // gets no answer (or one it never passes on) and retries at B.
    const victim = raters[0];
    const inFlight = new CallSimulator({ serverUrl: a.url, publicBaseUrl: SHARED, authToken: CHILD_AUTH_TOKEN, from: victim.from, callSid: victim.callSid })
      .post(victim.next, victim.params({ Digits: String(firstScores[0][3]) })).catch(() => null);
    await sleep(15);
    await a.kill('SIGKILL');
    const lost = await inFlight;
    const retried = await victim.press(['B', 'B'], String(firstScores[0][3])); // the retry, itself duplicated
    if (lost?.status === 200) expect(idsOf(lost.body)).toEqual(retried);
    // The other calls carry on at B alone, each webhook still arriving twice.
    await Promise.all(raters.slice(1).map((leg, r) => leg.press(['B', 'B'], String(firstScores[r + 1][3]))));

    // Phase 3: A is back (same database, empty memory); turns alternate again.
    await a.start();
    await Promise.all(raters.map(async (leg, r) => {
      for (const [j, s] of firstScores[r].slice(4).entries()) await leg.press(alternate(j), String(s));
      // Woman, 25-59, no disability: one copy each, to A and B by turns, so each instance holds the
      // call's record as of a turn the other has since answered (src/store/calls.ts must not use it).
      for (const [j, k] of ['1', '2', '2'].entries()) await leg.press([j % 2 ? 'B' : 'A'], k);
    }));
    const recordings = messengers.map((leg, m) => ({ leg, recordingSid: `RE${String(m).padStart(4, '0')}${'b'.repeat(28)}`, seconds: 6 + m }));
    for (const r of recordings) carrier.addRecording(r.recordingSid, wavOf(r.seconds));
    await Promise.all(recordings.map(async ({ leg, recordingSid, seconds }) => {
      await leg.record(both, recordingSid, seconds, carrier);
      await leg.press(['B', 'A'], '1'); // send
      // The carrier's status callback, twice, one to each instance at once.
      const statuses = await Promise.all([leg.recordingStatus('A', recordingSid, seconds, carrier), leg.recordingStatus('B', recordingSid, seconds, carrier)]);
      for (const s of statuses) expect(s.status).toBe(204);
    }));

    // The first caller calls again and rates the same indicators: their first ratings are replaced.
    const again = new Leg(sid(6), raters[0].from, urls);
    const secondScores = [2, 2, 2, 2, 2, 2];
    await again.dial(both);
    for (const [j, k] of ['2', '1', '2', '1'].entries()) await again.press(alternate(j), k); // rate, the last commune, health, used it
    for (const [j, s] of secondScores.entries()) await again.press(alternate(j), String(s));

    const store = shared ?? await MongoStore.connect(process.env.MONGODB_URI!, dbName);
    try {
      const ratings = store.collection<Rating>('ratings');
      // Every answer kept once, as heard.
      for (const [r, leg] of raters.entries()) {
        const heard = leg.scoresHeard();
        expect(heard.slice(3)).toEqual(firstScores[r].slice(3));
        heard.slice(0, 3).forEach((score, j) => expect([firstScores[r][j], 6 - firstScores[r][j]]).toContain(score));
        const kept = await ratings.find({ callSid: leg.callSid }, { sort: { ratedAt: 1 } });
        expect(kept.map((x) => x.score)).toEqual(heard);
        expect(kept.every((x) => x.demographics.gender === 'woman' && x.demographics.ageGroup === '25-59' && x.demographics.disability === 'no')).toBe(true);
      }
      const secondCall = await ratings.find({ callSid: again.callSid }, { sort: { ratedAt: 1 } });
      expect(again.scoresHeard()).toEqual(secondScores);
      expect(secondCall.map((x) => x.score)).toEqual(secondScores);
      // Repeat-rating marks: each first rating is superseded at its replacement's time; the replacements are current.
      const firstCall = await ratings.find({ callSid: raters[0].callSid }, { sort: { ratedAt: 1 } });
      expect(firstCall.map((x) => new Date(x.supersededAt!).getTime())).toEqual(secondCall.map((x) => new Date(x.ratedAt).getTime()));
      expect(secondCall.every((x) => x.supersededAt === undefined)).toBe(true);
      expect(await ratings.countDocuments({ supersededAt: { $exists: true } })).toBe(6);
      expect(await ratings.countDocuments({})).toBe(3 * 6 + 6);

      // Each message: one reference number, the one read back; downloaded once, deleted at the carrier once, claimed once.
      const messages = store.collection<VoiceMessage>('messages');
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await messages.countDocuments({ 'download.deletedAtCarrier': true })) < recordings.length) await sleep(500);
      const refs = new Set<string>();
      for (const { leg, recordingSid, seconds } of recordings) {
        const m = (await messages.findOne({ _id: recordingSid }))!;
        expect(m.callerChoice).toBe('sent');
        expect(m.referenceNumber).toBe(leg.referenceHeard());
        refs.add(m.referenceNumber);
        expect(m.download).toMatchObject({ state: 'stored', attempts: 1, deletedAtCarrier: true });
        expect(await store.files.size(m.download!.fileId!)).toBe(wavOf(seconds).length);
        // Fetched to keep exactly once (one claim, one attempt, one file, above). The Record
        // action also listens to the recording for silence before answering the caller (issue
        // 10), once per copy of that webhook, and each copy may reach either instance: two more.
        expect(carrier.requestsFor(recordingSid, 'GET').filter((q) => q.status === 200).length).toBeLessThanOrEqual(3);
        expect(carrier.requestsFor(recordingSid, 'DELETE')).toHaveLength(1);
        expect(carrier.has(recordingSid)).toBe(false);
      }
      expect(refs.size).toBe(recordings.length);
      expect(await messages.countDocuments({})).toBe(recordings.length);
    } finally {
      if (store !== shared) await store.close();
    }
  });
});
