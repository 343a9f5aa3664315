/**
 * npm run bench:callbacks -- [options]: missed calls arrive at a steady rate while the callback
 * queue drains through two worker instances against a stand-in carrier; reports how well the
 * queue keeps the configured pace, duplicates (must be 0), and the missed-call webhook's p99
 * while the queue drains as a ratio to the same load with no callbacks being placed.
 *
 *   npm run bench:callbacks                                  # 1,000 missed calls in 60 s (about 2 minutes)
 *   npm run bench:callbacks -- --calls 150 --seconds 10      # a short run
 *   MONGODB_URI=... npm run bench:callbacks -- --engine mongodb
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';
import { CallbackWorker } from '../src/outbound/callback-worker';
import { TwilioCarrierCalls } from '../src/outbound/carrier-calls';
import { buildOutbound, callbackWorkerFor } from '../src/outbound/outbound';
import { buildRuntime } from '../src/runtime';
import { CarrierCallsStub } from '../src/simulator/carrier-calls-stub';
import { EmbeddedStore } from '../src/store/embedded-store';
import { INDEXES } from '../src/store/indexes';
import { MongoStore } from '../src/store/mongo-store';
import { Store } from '../src/store/store';
import { signWebhook } from '../src/telephony/signature';

const HELP = `Usage: npm run bench:callbacks -- [options]

  --calls N          missed calls to send (default 1000); every fifth repeats the ring before it
  --seconds S        spread over S seconds (default 60)
  --per-minute M     OUTBOUND_MAX_PER_MINUTE (default 600)
  --drain S          seconds to keep draining after the last missed call (default: enough for the queue at M/min, at most 120)
  --workers W        worker instances sharing the queue (default 2)
  --engine E         mongodb (needs MONGODB_URI) or embedded (default: mongodb when MONGODB_URI is set)
  --help`;

const TOKEN = 'bench-auth-token';
const ACCOUNT = 'ACbench';

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help') { console.log(HELP); process.exit(0); }
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) { console.error(HELP); process.exit(2); }
    out[argv[i].slice(2)] = argv[++i];
  }
  return out;
}

function p99(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0;
}

async function openStore(engine: string, dir: string, db: string): Promise<Store> {
  const store = engine === 'mongodb' ? await MongoStore.connect(process.env.MONGODB_URI!, db) : new EmbeddedStore(dir);
  await store.ensureIndexes(INDEXES);
  return store;
}

/** One run: send the missed calls at a steady rate; with callbacks on, W workers drain the queue meanwhile. */
async function run(o: { calls: number; seconds: number; perMinute: number; drainSeconds: number; workers: number; engine: string; callbacks: boolean }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-callbacks-'));
  const db = `bench_callbacks_${process.pid}_${o.callbacks ? 'on' : 'off'}`;
  const stub = await new CarrierCallsStub(ACCOUNT, TOKEN).start();
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({
    NODE_ENV: 'test', PUBLIC_BASE_URL: url, DATA_DIR: dir, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT,
    CALLER_HASH_SECRET: 'bench-caller', SESSION_SECRET: 'bench-session', CARRIER_API_URL: stub.url, LOG_LEVEL: 'silent',
    OUTBOUND_FROM_NUMBER: '+85523000000', OUTBOUND_CALLING_HOURS: '00:00-24:00', OUTBOUND_MAX_PER_MINUTE: String(o.perMinute),
    OUTBOUND_MAX_CONCURRENT: '200', OUTBOUND_DAILY_BUDGET: '99999', CALLBACK_DAILY_LIMIT_PER_NUMBER: '5',
    // The load is the point here: the abuse caps (defaults 60 an hour, 200 waiting) would refuse most rings.
    CALLBACK_QUEUE_MAX_PER_HOUR: '99999', CALLBACK_QUEUE_MAX_WAITING: '99999',
  }, { cwd: process.cwd() });
  const store = await openStore(o.engine, dir, db);
  const rt = await buildRuntime(config, { logger: createLogger('silent'), store });
  server.on('request', createApp(rt));
  // The callee answers nothing here; the carrier reports each call completed after 1 s of "talk".
  stub.onCreate = (call) => { setTimeout(() => void stub.sendStatus(call, 'completed').catch(() => undefined), 1000); };
  const workers: CallbackWorker[] = [];
  const stores: Store[] = [];
  if (o.callbacks) {
    for (let i = 0; i < o.workers; i++) {
      // Each worker is another instance: on MongoDB with its own connection.
      const s = i === 0 || o.engine !== 'mongodb' ? store : await openStore(o.engine, dir, db);
      if (s !== store) stores.push(s);
      const w = callbackWorkerFor({ outbound: buildOutbound(s, config), logger: rt.logger, config }, {
        carrier: new TwilioCarrierCalls({ carrierApiUrl: stub.url, accountSid: ACCOUNT, authToken: TOKEN }), pollIntervalMs: 200,
      });
      w.start();
      workers.push(w);
    }
  }
  // Every fifth ring repeats the ring before it, a moment later: the queue must make it one callback.
  // Cambodian mobile numbers by the numbering plan (012 plus 7 digits), as the missed-call check wants.
  const numberOf = (i: number) => { const n = i - (i % 5 === 1 ? 1 : 0); return `+85512${String(10_000_000 + n).slice(-7)}`; };
  const latencies: number[] = [];
  const started = Date.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < o.calls; i++) {
    const due = started + (i * o.seconds * 1000) / o.calls;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const from = numberOf(i);
    const params = { CallSid: `CAbench${String(i).padStart(26, '0')}`, From: from, Direction: 'inbound', CallStatus: 'ringing' };
    const t0 = performance.now();
    sends.push(fetch(`${url}/voice/missed`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(TOKEN, `${url}/voice/missed`, params) },
      body: new URLSearchParams(params).toString(),
    }).then(async (r) => { await r.text(); latencies.push(performance.now() - t0); }));
  }
  await Promise.all(sends);
  if (o.callbacks) await new Promise((r) => setTimeout(r, o.drainSeconds * 1000));
  for (const w of workers) await w.stop();
  const queued = await rt.outbound.queue.collection.countDocuments({});
  const left = await rt.outbound.queue.collection.countDocuments({ state: { $in: ['queued', 'retry'] } });
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await stub.stop();
  for (const s of stores) await s.close();
  if (store.engine === 'mongodb') await store.dropEverything();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const entryOf = (statusCallback: string) => new URL(statusCallback).searchParams.get('e') ?? '';
  return { latencies, creates: stub.calls.map((c) => ({ to: c.to, entry: entryOf(c.statusCallback), at: c.createdAt })), queued, left };
}

async function main() {
  const a = args(process.argv.slice(2));
  const calls = Number(a.calls ?? 1000);
  const seconds = Number(a.seconds ?? 60);
  const perMinute = Number(a['per-minute'] ?? 600);
  const engine = a.engine ?? (process.env.MONGODB_URI ? 'mongodb' : 'embedded');
  const distinct = calls - Math.floor((calls + 3) / 5);
  const drainSeconds = Number(a.drain ?? Math.min(120, Math.max(5, Math.ceil((distinct * 60) / perMinute) - seconds + 5)));
  const workers = Number(a.workers ?? 2);
  if (engine === 'mongodb' && !process.env.MONGODB_URI) { console.error('--engine mongodb needs MONGODB_URI'); process.exit(2); }
  console.log(`${calls} missed calls over ${seconds} s from ${distinct} numbers; OUTBOUND_MAX_PER_MINUTE=${perMinute}; ${workers} workers; ${engine}; draining ${drainSeconds} s more`);

  const base = await run({ calls, seconds, perMinute, drainSeconds, workers, engine, callbacks: false });
  const on = await run({ calls, seconds, perMinute, drainSeconds, workers, engine, callbacks: true });

  // A duplicate: a second call for one callback (every callback here is answered at its first call).
  const perEntry = new Map<string, number>();
  for (const c of on.creates) perEntry.set(c.entry, (perEntry.get(c.entry) ?? 0) + 1);
  const duplicates = [...perEntry.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  const times = on.creates.map((c) => c.at).sort((x, y) => x - y);
  // Pace: the most starts in any sliding window of 10 s, against what M per minute allows in 10 s.
  const windowMs = 10_000;
  let maxInWindow = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    maxInWindow = Math.max(maxInWindow, i - j + 1);
  }
  const allowed = (perMinute * windowMs) / 60_000;
  const spanMinutes = times.length > 1 ? (times[times.length - 1] - times[0]) / 60_000 : 0;
  const achieved = spanMinutes > 0 ? (times.length - 1) / spanMinutes : 0;
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const slotMs = Math.ceil(60_000 / perMinute);
  const early = gaps.filter((g) => g < slotMs * 0.5).length;
  console.log(`callbacks queued: ${on.queued} for ${calls} rings (${calls - on.queued} repeat rings merged); placed: ${on.creates.length} (${on.left} still waiting at the end)`);
  console.log(`duplicates (a callback placed more than once): ${duplicates}   (floor: 0) ${duplicates === 0 ? 'OK' : 'FAIL'}`);
  console.log(`pace: most starts in any 10 s: ${maxInWindow}, allowed ${allowed}; ratio ${(maxInWindow / allowed).toFixed(3)} (floor: <= 1.0) ${maxInWindow <= allowed ? 'OK' : 'FAIL'}`);
  console.log(`pace: achieved ${achieved.toFixed(1)} starts/min while draining vs ${perMinute} configured; ratio ${(achieved / perMinute).toFixed(3)}; gaps under half a slot: ${early}`);
  const p99Off = p99(base.latencies);
  const p99On = p99(on.latencies);
  console.log(`POST /voice/missed p99: ${p99On.toFixed(1)} ms while draining vs ${p99Off.toFixed(1)} ms without callbacks; ratio ${(p99On / Math.max(p99Off, 0.001)).toFixed(2)}`);
  process.exit(duplicates === 0 && maxInWindow <= allowed ? 0 : 1);
}

void main();
