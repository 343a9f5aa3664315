/**
 * The call-load benchmark: simulated callers rate services through the real webhooks (signed
 * form posts, following the TwiML the server returns) against a server running as a separate
 * process, and the figures that come out: turns per second, turn latency percentiles, errors and
 * the server's peak memory. scripts/bench.ts runs it on both engines and on the floor.
 */
import { CpuPerTurn } from './cpu-time';
import { DatabaseProbeResult } from './database-probe';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { CallerAction, CallSimulator, parseScript } from '../src/simulator/call-simulator';
import { EmbeddedStore } from '../src/store/embedded-store';
import { INDEXES } from '../src/store/indexes';
import { MongoStore } from '../src/store/mongo-store';
import { Store } from '../src/store/store';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const BENCH_AUTH_TOKEN = 'bench-auth-token-0123456789abcdef';

export type Engine = 'embedded' | 'mongodb' | 'floor';

export interface Shape {
  name: 'realistic' | 'saturation';
  callers: number;
  /** Pause before each of a caller's turns, drawn uniformly from [min, max] ms. */
  pauseMs: [number, number];
  /** Callers start spread evenly over this many ms. */
  staggerMs: number;
  /** Either each caller makes this many calls... */
  callsPerCaller?: number;
  /** ...or callers keep calling until this many ms have passed (the call under way is finished). */
  durationMs?: number;
  /** Past this many ms callers hang up at their next turn (counted as errors), so a slow server cannot stall the run. */
  hardCapMs: number;
}

export const REALISTIC: Shape = { name: 'realistic', callers: 200, pauseMs: [500, 1500], staggerMs: 10_000, callsPerCaller: 2, hardCapMs: 120_000 };
export const SATURATION: Shape = { name: 'saturation', callers: 100, pauseMs: [0, 0], staggerMs: 0, durationMs: 15_000, hardCapMs: 45_000 };

/** Twilio gives up on a webhook after 15 s; so does the generator (the request counts as an error, at 15 s). */
export const REQUEST_TIMEOUT_MS = 15_000;

class Abandoned extends Error {}

/** A server under test, running as its own process on loopback. */
export interface RunningServer {
  engine: Engine;
  url: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface ShapeResult {
  engine: Engine;
  shape: Shape['name'];
  calls: number;
  turns: number;
  seconds: number;
  turnsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  errorSamples: string[];
  peakMb: number | null;
  /** CPU milliseconds per turn of the server, the database server (when it runs here) and the load generator (scripts/bench.ts). */
  cpu?: CpuPerTurn;
  /** MongoDB rows: a findOne, then an updateOne and an insertOne, timed every 20 ms during the row (bench/database-probe.ts). */
  databaseRoundTrip?: DatabaseProbeResult;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The server's resident-set high-water mark (VmHWM), in MB; null where /proc is not available. */
export function peakMemoryMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function waitForHealth(url: string, child: ChildProcess, logFile: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
  child.kill('SIGKILL');
  throw new Error(`the server at ${url} did not become healthy; its log ends:\n${log}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const hard = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.once('exit', () => { clearTimeout(hard); resolve(); });
    child.kill('SIGTERM');
  });
}

export interface HotlineProcessOptions {
  engine: 'embedded' | 'mongodb';
  mongodbUri?: string;
  mongodbDb?: string;
  /** Writes a V8 CPU profile (node --cpu-prof) into this folder when the server stops. */
  cpuProfDir?: string;
  workDir: string;
  /** Fills the store before the server starts (the staff-busy row seeds ratings, audit entries and a staff account). */
  prepare?: (store: Store) => Promise<void>;
  /** More settings for the server (the staff-busy row's REPORT_FRESH_SECONDS). */
  env?: Record<string, string>;
}

/** Starts the built hotline (`node dist/src/server.js`, so `npm run build` first) on a free loopback port. */
export async function startHotlineProcess(o: HotlineProcessOptions): Promise<RunningServer> {
  const entry = path.join(REPO_ROOT, 'dist/src/server.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(o.workDir, `${o.engine}-`));
  const logFile = path.join(dataDir, 'server.log');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: url,
    DATA_DIR: dataDir,
    TWILIO_AUTH_TOKEN: BENCH_AUTH_TOKEN,
    TWILIO_ACCOUNT_SID: 'ACbench',
    CALLER_HASH_SECRET: 'bench-caller-secret',
    SESSION_SECRET: 'bench-session-secret',
    LOG_LEVEL: 'warn',
    MONGODB_URI: o.engine === 'mongodb' ? o.mongodbUri : '',
    MONGODB_DB: o.mongodbDb ?? 'hotline_bench',
    // One load generator stands in for the carrier and every caller at once: it is not one client.
    HTTP_MAX_CONNECTIONS_PER_CLIENT: '1000',
    ...o.env,
  };
  if (o.prepare) {
    const store = o.engine === 'mongodb' ? await MongoStore.connect(o.mongodbUri!, env.MONGODB_DB!) : new EmbeddedStore(dataDir);
    try {
      await store.ensureIndexes(INDEXES);
      await o.prepare(store);
    } finally {
      await store.close();
    }
  }
  const args = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, entry] : [entry];
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  await waitForHealth(url, child, logFile);
  return { engine: o.engine, url, pid: child.pid!, logFile, stop: stopper(child) };
}

/** Starts the floor (bench/floor-server.ts) through tsx's loader on a free loopback port. */
export async function startFloorProcess(workDir: string): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(fs.mkdtempSync(path.join(workDir, 'floor-')), 'server.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench/floor-server.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), PUBLIC_BASE_URL: url, NODE_ENV: 'production' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  await waitForHealth(url, child, logFile);
  return { engine: 'floor', url, pid: child.pid!, logFile, stop: stopper(child) };
}

/** Keys of a full rating call: Khmer, rate, a commune, confirm, a service, used it, a score per indicator, who, back to the menu, hang up. */
export class RatingScripts {
  private readonly communes: string[];
  private counter = 0;
  static readonly SERVICES: { key: string; indicators: number }[] = [
    { key: '1', indicators: 5 }, // commune office
    { key: '2', indicators: 6 }, // health centre
    { key: '3', indicators: 5 }, // primary school
  ];

  constructor(gazetteerDir = path.join(REPO_ROOT, 'data/gazetteer'), private readonly random: () => number = Math.random) {
    this.communes = loadGazetteer(gazetteerDir).communes().map((c) => c.code);
    if (this.communes.length === 0) throw new Error(`no communes in ${gazetteerDir}`);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)];
  }

  next(): { from: string; actions: CallerAction[] } {
    const service = this.pick(RatingScripts.SERVICES);
    const scores = Array.from({ length: service.indicators }, () => String(1 + Math.floor(this.random() * 5)));
    // Used the service (1) before the scores; four questions about the caller after them (woman, 25-59, no disability, no ID-Poor card).
    const keys = ['1', '2', this.pick(this.communes), '1', service.key, '1', ...scores, '1', '2', '2', '2', '0', 'hangup'];
    // A new number per call, so every call is a first call (welcome, language menu) and the same length.
    this.counter += 1;
    const from = `+8551${String(process.pid % 100).padStart(2, '0')}${String(this.counter).padStart(6, '0')}`;
    return { from, actions: parseScript(keys.join(',')) };
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface RunOptions {
  server: RunningServer;
  shape: Shape;
  scripts: RatingScripts;
  /** Called after every finished call (progress). */
  onCall?: (done: number) => void;
  random?: () => number;
}

/**
 * Runs one shape against one server. Every webhook request (incoming, turn, status) is a turn.
 * An error is an HTTP status >= 400, a request that failed, or (on the hotline) a call that
 * heard error.system or never reached the thank-you after its ratings.
 */
export async function runShape(o: RunOptions): Promise<ShapeResult> {
  const random = o.random ?? Math.random;
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let calls = 0;
  const started = performance.now();
  const deadline = o.shape.durationMs !== undefined ? started + o.shape.durationMs : Infinity;
  const hardDeadline = started + o.shape.hardCapMs;
  const [minPause, maxPause] = o.shape.pauseMs;
  const beforeTurn = async () => {
    if (performance.now() > hardDeadline) throw new Abandoned(`abandoned at the ${o.shape.hardCapMs / 1000} s cap`);
    if (maxPause > 0) await new Promise<void>((r) => setTimeout(r, minPause + random() * (maxPause - minPause)));
  };
  const fetchWithTimeout: typeof fetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const noteError = (e: string) => {
    errors += 1;
    if (errorSamples.length < 5) errorSamples.push(e);
  };

  const oneCall = async () => {
    const { from, actions } = o.scripts.next();
    const sim = new CallSimulator({
      serverUrl: o.server.url, publicBaseUrl: o.server.url, authToken: BENCH_AUTH_TOKEN, from, beforeTurn, fetchImpl: fetchWithTimeout,
    });
    try {
      const t = await sim.run(actions);
      for (const e of t.errors) noteError(e);
      if (o.server.engine !== 'floor') {
        const heard = new Set(t.heard.map((p) => p.id));
        if (heard.has('error.system')) noteError(`${t.callSid} heard error.system`);
        else if (!heard.has('rate.thanks')) noteError(`${t.callSid} never reached rate.thanks`);
      }
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError') sim.transcript.latenciesMs.push(REQUEST_TIMEOUT_MS);
      noteError(`${sim.callSid}: ${e instanceof Abandoned ? e.message : `${e.name}: ${e.message}`}`);
    }
    latencies.push(...sim.transcript.latenciesMs);
    calls += 1;
    o.onCall?.(calls);
  };

  const caller = async (i: number) => {
    if (o.shape.staggerMs > 0) await new Promise((r) => setTimeout(r, (i * o.shape.staggerMs) / o.shape.callers));
    if (o.shape.callsPerCaller !== undefined) {
      for (let n = 0; n < o.shape.callsPerCaller && performance.now() < hardDeadline; n++) await oneCall();
    } else {
      while (performance.now() < deadline && performance.now() < hardDeadline) await oneCall();
    }
  };
  await Promise.all(Array.from({ length: o.shape.callers }, (_, i) => caller(i)));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    engine: o.server.engine,
    shape: o.shape.name,
    calls,
    turns: latencies.length,
    seconds,
    turnsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors,
    errorSamples,
    peakMb: peakMemoryMb(o.server.pid),
  };
}

/** A few unmeasured calls so the JIT and connection pools are warm before the figures start. */
export async function warmUp(server: RunningServer, scripts: RatingScripts, calls = 40): Promise<void> {
  await runShape({ server, scripts, shape: { name: 'saturation', callers: 10, pauseMs: [0, 0], staggerMs: 0, callsPerCaller: Math.ceil(calls / 10), hardCapMs: 60_000 } });
}

export function benchWorkDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-bench-'));
}

export interface Targets {
  realisticP99Ratio: number;
  saturationThroughputRatio: number;
  peakMb: number;
}
export const TARGETS: Targets = { realisticP99Ratio: 2, saturationThroughputRatio: 0.4, peakMb: 250 };

/** The table: one row per engine and shape, with our p99 and throughput as ratios to the floor's in the same shape. */
export function formatTable(results: ShapeResult[]): string {
  const floor = new Map(results.filter((r) => r.engine === 'floor').map((r) => [r.shape, r]));
  const head = ['engine', 'shape', 'calls', 'turns/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'peak MB', 'p99/floor', 'tput/floor'];
  const order = (r: ShapeResult) => `${r.shape === 'realistic' ? 0 : 1}${r.engine === 'floor' ? 0 : r.engine === 'embedded' ? 1 : 2}`;
  const rows = [...results].sort((a, b) => order(a).localeCompare(order(b))).map((r) => {
    const f = floor.get(r.shape);
    return [
      r.engine, r.shape, String(r.calls), r.turnsPerSecond.toFixed(0), r.p50.toFixed(1), r.p95.toFixed(1), r.p99.toFixed(1),
      String(r.errors), r.peakMb === null ? '?' : r.peakMb.toFixed(0),
      f ? (r.p99 / f.p99).toFixed(2) : '-', f ? (r.turnsPerSecond / f.turnsPerSecond).toFixed(2) : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Which targets each hotline row misses, in words; empty when all are met. */
export function missedTargets(results: ShapeResult[], t: Targets = TARGETS): string[] {
  const floor = new Map(results.filter((r) => r.engine === 'floor').map((r) => [r.shape, r]));
  const missed: string[] = [];
  for (const r of results.filter((x) => x.engine !== 'floor')) {
    const f = floor.get(r.shape);
    if (r.peakMb !== null && r.peakMb >= t.peakMb) missed.push(`${r.engine} ${r.shape}: peak memory ${r.peakMb.toFixed(0)} MB >= ${t.peakMb} MB`);
    if (r.shape === 'realistic') {
      if (r.errors > 0) missed.push(`${r.engine} realistic: ${r.errors} errors (target: none)`);
      if (f && r.p99 > t.realisticP99Ratio * f.p99) missed.push(`${r.engine} realistic: p99 ${(r.p99 / f.p99).toFixed(2)}x the floor's (target <= ${t.realisticP99Ratio}x)`);
    } else if (f && r.turnsPerSecond < t.saturationThroughputRatio * f.turnsPerSecond) {
      missed.push(`${r.engine} saturation: ${((100 * r.turnsPerSecond) / f.turnsPerSecond).toFixed(0)}% of the floor's throughput (target >= ${100 * t.saturationThroughputRatio}%)`);
    }
  }
  return missed;
}

/** CPU milliseconds a turn may use, all parties and all cores together, at the saturation target. */
function cpuAllowedPerTurn(cores: number, floor: ShapeResult, t: Targets): number {
  return (cores * 1000) / (t.saturationThroughputRatio * floor.turnsPerSecond);
}

/**
 * For each saturation row with its database on these cores: whether the database server and the
 * load generator alone already use more CPU per turn than the throughput target leaves for a turn
 * (all cores / the target's turns per second). Then no hotline, however cheap, reaches the target
 * on this machine, and the sentence says so with the figures.
 */
export function cpuVerdicts(results: ShapeResult[], cores: number, t: Targets = TARGETS): string[] {
  const floor = new Map(results.filter((r) => r.engine === 'floor').map((r) => [r.shape, r]));
  const out: string[] = [];
  for (const r of results) {
    const f = floor.get(r.shape);
    if (r.shape !== 'saturation' || !f || !r.cpu || r.cpu.database === null) continue;
    const allowed = cpuAllowedPerTurn(cores, f, t);
    const others = r.cpu.database + r.cpu.loadGenerator;
    // The same turns on the embedded store: the hotline's own work with no database server at all.
    const embedded = results.find((x) => x.engine === 'embedded' && x.shape === 'saturation')?.cpu?.server;
    const reference = embedded === undefined || embedded === null ? '' : `; on the embedded store, with no database server, it used ${embedded.toFixed(2)}`;
    out.push(others >= allowed
      ? `${r.engine} saturation: the database server (${r.cpu.database.toFixed(2)} ms/turn) and the load generator (${r.cpu.loadGenerator.toFixed(2)}) alone use ${others.toFixed(2)} ms of CPU per turn, `
        + `more than the ${allowed.toFixed(2)} ms a turn may use at ${t.saturationThroughputRatio} of the floor's ${f.turnsPerSecond.toFixed(0)} turns/s on ${cores} cores: out of reach on this machine for any hotline`
      : `${r.engine} saturation: the database server and the load generator use ${others.toFixed(2)} ms of CPU per turn of the ${allowed.toFixed(2)} ms the target allows on ${cores} cores; `
        + `${(allowed - others).toFixed(2)} ms are left for the hotline, which used ${(r.cpu.server ?? 0).toFixed(2)}${reference}`);
  }
  return out;
}

/**
 * Who used the machine's cores in each row: CPU milliseconds per turn of the server, the database
 * server (FerretDB and its PostgreSQL, when started here or named by MONGO_COMPAT_PID) and the load
 * generator, and how busy the cores were. For a row with the database on these cores it also
 * estimates the throughput ratio with the database's CPU given back to the hotline (as on a
 * separate database host): the measured turns/s scaled by (all CPU per turn) / (all but the
 * database's). An estimate for a CPU-bound row, not a measurement.
 */
export function formatCpu(results: ShapeResult[], cores: number, t: Targets = TARGETS): string {
  const floor = new Map(results.filter((r) => r.engine === 'floor').map((r) => [r.shape, r]));
  const ms = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n.toFixed(2));
  const head = ['engine', 'shape', 'server ms/turn', 'database ms/turn', 'load gen ms/turn', 'cores busy', 'tput/floor', 'tput/floor, database elsewhere (est.)', 'db read p50/p99 ms', 'db two writes in sequence p50/p99 ms', 'CPU ms/turn the target allows (all cores)'];
  const rows = results.filter((r) => r.cpu).map((r) => {
    const c = r.cpu!;
    const all = (c.server ?? 0) + (c.database ?? 0) + c.loadGenerator;
    const f = floor.get(r.shape);
    const ratio = f ? r.turnsPerSecond / f.turnsPerSecond : null;
    // Only where the cores were the limit (saturation): a row paced by its callers gains nothing in throughput.
    const elsewhere = r.shape === 'saturation' && ratio !== null && c.database !== null && all - c.database > 0 ? (ratio * all) / (all - c.database) : null;
    const trip = r.databaseRoundTrip;
    return [
      r.engine, r.shape, ms(c.server), ms(c.database), ms(c.loadGenerator),
      `${((r.turnsPerSecond * all) / 1000).toFixed(2)} of ${cores}`,
      ratio === null ? '-' : ratio.toFixed(2), elsewhere === null ? '-' : elsewhere.toFixed(2),
      trip ? `${trip.read.p50.toFixed(1)} / ${trip.read.p99.toFixed(1)}` : '-',
      trip ? `${trip.twoWrites.p50.toFixed(1)} / ${trip.twoWrites.p99.toFixed(1)}` : '-',
      // At the saturation target every turn, of server, database and load generator together, may
      // use at most this much CPU; where the database and load generator alone use more, no hotline
      // could reach the target on these cores.
      r.shape === 'saturation' && f ? ms(cpuAllowedPerTurn(cores, f, t)) : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
