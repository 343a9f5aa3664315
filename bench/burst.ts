/**
 * The burst shape: many callers ringing within one second, on a server that has just started
 * ("cold") and on one that has taken three calls first ("warm"), with the first turn of each
 * call (the welcome and language menu) timed. Whatever a server works out lazily (what is
 * recorded, which languages are offered, code not yet compiled) lands on the cold burst's first
 * turns; the floor, started the same way, shows what a bare process costs at that moment.
 */
import { BENCH_AUTH_TOKEN, Engine, RatingScripts, REQUEST_TIMEOUT_MS, RunningServer } from './call-load';
import { CallSimulator } from '../src/simulator/call-simulator';

export type BurstStart = 'cold' | 'warm';

export interface BurstShape {
  callers: number;
  /** Callers start spread evenly over this many ms. */
  windowMs: number;
  /** Pause before each later turn, drawn uniformly from [min, max] ms (the first turn is the ring itself). */
  pauseMs: [number, number];
  /** Calls made one after another before a warm burst. */
  warmUpCalls: number;
}

export const BURST: BurstShape = { callers: 200, windowMs: 1000, pauseMs: [500, 1500], warmUpCalls: 3 };

/** The burst's target: each hotline row's first-turn p99 within this many times the floor's, started the same way. */
export const BURST_P99_RATIO = 1.5;

export interface BurstResult {
  engine: Engine;
  start: BurstStart;
  calls: number;
  firstTurnP50: number;
  firstTurnP99: number;
  /** Every turn of the burst's calls, the first ones included. */
  allTurnsP99: number;
  errors: number;
  errorSamples: string[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Runs one burst against a server that has taken no call yet: for a warm burst, the warm-up calls
 * first, one after another, unmeasured. Every caller makes one full rating call.
 */
export async function runBurst(o: { server: RunningServer; start: BurstStart; scripts: RatingScripts; shape?: BurstShape; random?: () => number }): Promise<BurstResult> {
  const shape = o.shape ?? BURST;
  const random = o.random ?? Math.random;
  const fetchWithTimeout: typeof fetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const call = async (pause: boolean) => {
    const { from, actions } = o.scripts.next();
    const [min, max] = shape.pauseMs;
    const sim = new CallSimulator({
      serverUrl: o.server.url, publicBaseUrl: o.server.url, authToken: BENCH_AUTH_TOKEN, from, fetchImpl: fetchWithTimeout,
      beforeTurn: pause ? () => new Promise<void>((r) => setTimeout(r, min + random() * (max - min))) : undefined,
    });
    const errors: string[] = [];
    try {
      const t = await sim.run(actions);
      errors.push(...t.errors);
      if (o.server.engine !== 'floor') {
        const heard = new Set(t.heard.map((p) => p.id));
        if (heard.has('error.system')) errors.push(`${t.callSid} heard error.system`);
        else if (!heard.has('rate.thanks')) errors.push(`${t.callSid} never reached rate.thanks`);
      }
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError') sim.transcript.latenciesMs.push(REQUEST_TIMEOUT_MS);
      errors.push(`${sim.callSid}: ${e.name}: ${e.message}`);
    }
    return { latencies: sim.transcript.latenciesMs, errors };
  };

  if (o.start === 'warm') for (let i = 0; i < shape.warmUpCalls; i++) await call(false);
  const calls = await Promise.all(Array.from({ length: shape.callers }, async (_, i) => {
    await new Promise((r) => setTimeout(r, (i * shape.windowMs) / shape.callers));
    return call(true);
  }));
  const first = calls.filter((c) => c.latencies.length > 0).map((c) => c.latencies[0]).sort((a, b) => a - b);
  const all = calls.flatMap((c) => c.latencies).sort((a, b) => a - b);
  const errors = calls.flatMap((c) => c.errors);
  return {
    engine: o.server.engine, start: o.start, calls: calls.length,
    firstTurnP50: percentile(first, 50), firstTurnP99: percentile(first, 99), allTurnsP99: percentile(all, 99),
    errors: errors.length, errorSamples: errors.slice(0, 5),
  };
}

/** One row per engine and start, with the first-turn p99 as a ratio to the floor's started the same way. */
export function formatBurst(results: BurstResult[]): string {
  const floor = new Map(results.filter((r) => r.engine === 'floor').map((r) => [r.start, r]));
  const head = ['engine', 'start', 'calls', 'first turn p50 ms', 'first turn p99 ms', 'all turns p99 ms', 'errors', 'first turn p99/floor'];
  const order = (r: BurstResult) => `${r.start === 'cold' ? 0 : 1}${r.engine === 'floor' ? 0 : r.engine === 'embedded' ? 1 : 2}`;
  const rows = [...results].sort((a, b) => order(a).localeCompare(order(b))).map((r) => {
    const f = floor.get(r.start);
    return [
      r.engine, r.start === 'cold' ? 'right after a start' : `after ${BURST.warmUpCalls} calls`, String(r.calls),
      r.firstTurnP50.toFixed(1), r.firstTurnP99.toFixed(1), r.allTurnsP99.toFixed(1), String(r.errors),
      f && r.engine !== 'floor' ? (r.firstTurnP99 / f.firstTurnP99).toFixed(2) : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Which burst rows miss their target, in words; empty when all are met. */
export function missedBurst(results: BurstResult[], ratio = BURST_P99_RATIO): string[] {
  const floor = new Map(results.filter((r) => r.engine === 'floor').map((r) => [r.start, r]));
  const missed: string[] = [];
  for (const r of results.filter((x) => x.engine !== 'floor')) {
    const f = floor.get(r.start);
    const when = r.start === 'cold' ? 'right after a start' : `after ${BURST.warmUpCalls} calls`;
    if (r.errors > 0) missed.push(`${r.engine} burst ${when}: ${r.errors} errors (target: none)`);
    if (f && r.firstTurnP99 > ratio * f.firstTurnP99) missed.push(`${r.engine} burst ${when}: first-turn p99 ${(r.firstTurnP99 / f.firstTurnP99).toFixed(2)}x the floor's (target <= ${ratio}x)`);
  }
  return missed;
}
