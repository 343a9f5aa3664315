import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseFfmpeg } from '../../src/audio/ffmpeg';
import { CallSimulator } from '../../src/simulator/call-simulator';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { MongoStore } from '../../src/store/mongo-store';
import { Store } from '../../src/store/store';
import { ENGINE, testDbName } from '../support/engine';
import { wavOf } from '../support/fake-carrier';
import { TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { CHILD_AUTH_TOKEN, discardHotlineProcess, freePort, HotlineProcess, StepCaller } from './fault-support';

jest.setTimeout(120_000);

/**
 * Issue 21, item 1: every child process and socket the hotline owns fails only its own task. Each
 * test breaks one at its worst moment (ffmpeg killed while its input is being written, the report
 * process killed as it is handed its job, a carrier connection cut in the middle of its answer)
 * inside the hotline as its own process, then checks that the process is still there and answers
 * a signed /voice/incoming: an unhandled 'error' would have ended it, and every call with it.
 */

const ACCOUNT = 'ACchildfailures';
const FROM = '+85523000123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of `parent`'s children (from /proc). */
function childrenOf(parent: number): number[] {
  const found: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) found.push(Number(p));
    } catch { /* gone already */ }
  }
  return found;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The carrier's recording and Calls resources, answering each request with its headers and half
 * of its body, then cutting the connection: the worst moment for the reader.
 */
class CuttingCarrier {
  readonly requests: { method: string; path: string }[] = [];
  private server!: http.Server;
  url = '';
  readonly recordings = new Map<string, Buffer>();
  /** Cut every answer half way (true), or answer whole. */
  cutting = true;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', path: req.url ?? '' });
      const recording = /\/Recordings\/([A-Za-z0-9-]+)\.wav$/.exec(req.url ?? '');
      const body = recording
        ? this.recordings.get(recording[1]) ?? Buffer.alloc(0)
        : Buffer.from(JSON.stringify({ sid: 'CA'.padEnd(34, '0'), status: 'queued', to: '+85512000000', from: FROM }));
      const type = recording ? 'audio/x-wav' : 'application/json';
      req.resume();
      req.on('end', () => {
        res.writeHead(recording ? 200 : 201, { 'content-type': type, 'content-length': body.length });
        if (!this.cutting) return res.end(body);
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  count(method: string, pathPart: string): number {
    return this.requests.filter((r) => r.method === method && r.path.includes(pathPart)).length;
  }
}

describe(`a child process or socket of the hotline fails and only its own task fails (${ENGINE} store)`, () => {
  const dbName = testDbName('child_failures');
  const ffmpegDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffmpeg-wrapper-'));
  let carrier: CuttingCarrier;
  let app: HotlineProcess;
  let seq = 0;

  const caller = (from = `+8551200${String(++seq).padStart(4, '0')}`) =>
    new StepCaller(new CallSimulator({ serverUrl: app.url, publicBaseUrl: app.url, authToken: CHILD_AUTH_TOKEN, from, accountSid: ACCOUNT, carrierApiUrl: carrier.url }));

  /** The hotline process is alive and a new caller is welcomed. */
  async function stillAnswers(): Promise<void> {
    expect(app.pid && childrenOf(process.pid).includes(app.pid)).toBeTruthy();
    const c = caller();
    const heard = await c.dial();
    expect(c.lastStatus).toBe(200);
    expect(heard[0]).toMatch(/^welcome/); // welcome, or welcome.back: StepCaller rings from one number
  }

  /** A caller who reaches the Record of a voice message. */
  async function atRecording(): Promise<StepCaller> {
    const c = caller();
    await c.dial();
    await c.pressAll(['1', '3', '120101', '1', '2']);
    expect(c.nextAction).toBeDefined();
    return c;
  }

  const recordingParams = (c: StepCaller, recordingSid: string, seconds: number) => ({
    CallSid: c.callSid, AccountSid: ACCOUNT, From: '+85512000777', To: '+855000000', CallStatus: 'in-progress',
    RecordingSid: recordingSid, RecordingUrl: `${carrier.url}/2010-04-01/Accounts/${ACCOUNT}/Recordings/${recordingSid}`, RecordingDuration: String(seconds), Digits: '#',
  });

  beforeAll(async () => {
    carrier = await new CuttingCarrier().start();
    // ffmpeg as the hotline runs it, except while the test asks it to stall: then it never reads
    // its input (as on a machine too busy to schedule it) and leaves its pid for the test to kill.
    const wrapper = path.join(ffmpegDir, 'ffmpeg');
    fs.writeFileSync(wrapper, `#!/bin/sh\nif [ -e "${ffmpegDir}/stall" ]; then echo $$ > "${ffmpegDir}/pid.$$"; exec sleep 60; fi\nexec "${chooseFfmpeg({ PATH: process.env.PATH }).path}" "$@"\n`, { mode: 0o755 });
    app = new HotlineProcess(await freePort(), {
      ...(ENGINE === 'mongodb' ? { MONGODB_URI: process.env.MONGODB_URI!, MONGODB_DB: dbName } : {}),
      TWILIO_ACCOUNT_SID: ACCOUNT, CARRIER_API_URL: carrier.url, FFMPEG_PATH: wrapper,
      OUTBOUND_FROM_NUMBER: FROM, OUTBOUND_CALLING_HOURS: '00:00-24:00', OUTBOUND_MAX_PER_MINUTE: '600',
    });
    // A staff account for the report pages, written before the hotline holds the store.
    const store: Store = ENGINE === 'mongodb' ? await MongoStore.connect(process.env.MONGODB_URI!, dbName) : new EmbeddedStore(app.dataDir);
    await addAccount(store, 'viewer1', 'viewer');
    await store.close();
    await app.start();
  });

  afterAll(async () => {
    if (app) await discardHotlineProcess(app, dbName);
    await carrier?.stop();
    fs.rmSync(ffmpegDir, { recursive: true, force: true });
  });

  it('ffmpeg killed while the in-call silence check is still writing the recording to it: the caller goes on, the line answers', async () => {
    const c = await atRecording();
    carrier.recordings.set('REffmpegkilled', wavOf(20, 48_000)); // 1.9 MB: far more than a pipe holds
    fs.writeFileSync(path.join(ffmpegDir, 'stall'), '');
    carrier.cutting = false; // the recording arrives whole, so ffmpeg is started on it
    try {
      const reply = c.sim.post(c.nextAction!, recordingParams(c, 'REffmpegkilled', 20));
      const pidFile = await waitFor('ffmpeg to start', () => fs.readdirSync(ffmpegDir).find((f) => f.startsWith('pid.')));
      process.kill(Number(fs.readFileSync(path.join(ffmpegDir, pidFile), 'utf8')), 'SIGKILL');
      const res = await reply;
      expect(res.status).toBe(200);
    } finally {
      fs.rmSync(path.join(ffmpegDir, 'stall'), { force: true });
      carrier.cutting = true;
    }
    await sleep(300); // a late 'error' (the broken pipe) would end the process here
    await stillAnswers();
  });

  it('the carrier cuts a recording download half way, during the call and in the download worker: both give up on it, the line answers', async () => {
    const c = await atRecording();
    carrier.recordings.set('REcutdownload', wavOf(10));
    const res = await c.sim.post(c.nextAction!, recordingParams(c, 'REcutdownload', 10));
    expect(res.status).toBe(200);
    const status = await c.sim.post('/voice/recording-status', {
      AccountSid: ACCOUNT, CallSid: c.callSid, RecordingSid: 'REcutdownload', RecordingUrl: `${carrier.url}/2010-04-01/Accounts/${ACCOUNT}/Recordings/REcutdownload`,
      RecordingStatus: 'completed', RecordingDuration: '10', RecordingChannels: '1', RecordingSource: 'RecordVerb',
    });
    expect(status.status).toBe(204);
    // The in-call check's download, then the worker's (it polls every few seconds).
    await waitFor('the download worker to try', () => (carrier.count('GET', 'REcutdownload') >= 2 ? true : undefined), 60_000);
    await sleep(300);
    await stillAnswers();
  });

  it('the carrier cuts its answer to a callback call\'s create half way: the callback waits, the line answers', async () => {
    const sim = caller().sim;
    const rang = await sim.post('/voice/missed', { CallSid: 'CAmissed000000000000000000000001', AccountSid: ACCOUNT, From: '+85512345001', To: FROM, Direction: 'inbound', CallStatus: 'ringing' });
    expect(rang.status).toBe(200);
    await waitFor('the callback worker to place the call', () => (carrier.count('POST', '/Calls') >= 1 ? true : undefined), 60_000);
    await sleep(300);
    await stillAnswers();
  });

  it('the report process killed as it is handed its job: the page says the report failed, the line answers', async () => {
    const viewer = await new StaffClient({ url: app.url } as TestHotline).signedIn('viewer1');
    const before = new Set(childrenOf(app.pid!));
    const page = viewer.page('/staff/reports?from=2026-01-01&to=2026-04-01');
    const reportChild = await waitFor('the report process to start', () => childrenOf(app.pid!).find((p) => !before.has(p)));
    process.kill(reportChild, 'SIGKILL');
    const { res, text } = await page;
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    await sleep(300);
    await stillAnswers();
  });
});
