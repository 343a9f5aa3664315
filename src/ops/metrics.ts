import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallOutcome } from '../calls/call-end';
import { StoreError, TurnDeadlineError } from '../errors';
import type { WorkOutcome } from '../messages/recording-download-worker';
import type { PlaceResult } from '../outbound/callback-worker';
import type { ReportJob } from '../staff/report-worker';
import type { BacklogRecord } from './health';

/**
 * The figures an operator graphs and alerts on, in Prometheus's text format (served by
 * src/ops/metrics-endpoint.ts only when METRICS_PORT is set). Each app instance counts what it
 * served itself (Prometheus adds the instances up); the queue depths are read from the shared
 * store on each scrape, from the counts /health keeps there (src/ops/health.ts), so every
 * instance shows the same depths. No label carries a number, a caller or a call id: every
 * label has a handful of fixed values. Test calls (the start-up warm-up, staff "try the line")
 * are not counted.
 */

/** Which webhook a turn answered: the carrier's first request for a call, or a later one. */
export type TurnWebhook = 'incoming' | 'turn';
/** What the caller got from a turn: the next prompt, or error.system. */
export type TurnResult = 'answered' | 'error_system';

/** Errors by kind, each a stable label value. */
const ERROR_KINDS = {
  /** A caller heard error.system (a turn failed or was too slow, a malformed webhook, an unknown /voice path). */
  error_system_answered: true,
  /** A turn passed TURN_DEADLINE_MS (also counted as error_system_answered). */
  turn_deadline: true,
  /** A webhook whose X-Twilio-Signature did not match (TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL). */
  signature_refused: true,
  /** A request failed because the database did not answer or refused a write. */
  store_failed: true,
  /** A request that failed for another reason (a staff page's 5xx, a turn that threw). */
  request_failed: true,
  /** A call status neither the database nor the disk took (the log line is its last copy). */
  call_status_lost: true,
} as const;
export type ErrorKind = keyof typeof ERROR_KINDS;

/** Every label value, listed so each series exists (at 0) from the first scrape and `rate()` sees the first event. */
const CALL_OUTCOMES: Record<CallOutcome | 'unknown', true> = {
  'error.system heard': true, rated: true, 'message left': true, 'information heard': true,
  'said goodbye with nothing given': true, 'hung up early': true, 'no turn answered': true, unknown: true,
};
const RECORDING_OUTCOMES: Record<WorkOutcome | 'error', true> = {
  stored: true, 'stored-not-deleted': true, 'kept-at-carrier': true, silent: true, 'deleted-at-carrier': true,
  discarded: true, retry: true, failed: true, 'lost-claim': true, error: true,
};
const PLACE_RESULTS: Record<PlaceResult, true> = { placed: true, unsure: true, 'not-placed': true, refused: true, 'carrier-problem': true };
export type ReportKind = ReportJob['job']['kind'];
const REPORT_KINDS: Record<ReportKind, true> = { 'table-and-summary': true, 'table-and-communes': true, report: true, 'jaap-results': true, 'public-year': true };

/** Carriers give up on a webhook after 15 s; TURN_DEADLINE_MS answers error.system at 10 s. */
const TURN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15];
/** A report runs in a child process: from about a second to minutes for the country over a year. */
const REPORT_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** The queue counts on each scrape: /health's, kept in the store (null: the database did not answer). */
export type QueueCounts = () => Promise<BacklogRecord | null>;

export class HotlineMetrics {
  readonly registry = new Registry();
  private processMetrics = false;
  private lastCounts: { at: number; counts: Promise<BacklogRecord | null> } | null = null;
  private lastComputedAt: Date | null = null;

  private readonly callsStarted = new Counter({
    name: 'hotline_calls_started_total', help: 'Calls that reached the hotline, by direction (incoming from a citizen, or a callback the hotline placed)',
    labelNames: ['direction'] as const, registers: [this.registry],
  });
  private readonly callsEnded = new Counter({
    name: 'hotline_calls_ended_total', help: 'Calls whose final status arrived, by outcome (what the caller got, as the call-end log line says)',
    labelNames: ['outcome'] as const, registers: [this.registry],
  });
  private readonly turns = new Histogram({
    name: 'hotline_turn_duration_seconds', help: 'Time to answer a carrier webhook of a call (one turn), by webhook and result; _count is the number of turns',
    labelNames: ['webhook', 'result'] as const, buckets: TURN_BUCKETS, registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'hotline_errors_total', help: 'Errors by kind: error_system_answered, turn_deadline, signature_refused, store_failed, request_failed, call_status_lost',
    labelNames: ['kind'] as const, registers: [this.registry],
  });
  private readonly recordings = new Counter({
    name: 'hotline_recording_downloads_total', help: 'Recording downloads worked on, by outcome (stored, retry, failed, silent, discarded, ...)',
    labelNames: ['outcome'] as const, registers: [this.registry],
  });
  private readonly callbacks = new Counter({
    name: 'hotline_callback_calls_total', help: 'Callbacks the hotline asked the carrier to place, by result (placed, unsure, not-placed, refused, carrier-problem)',
    labelNames: ['result'] as const, registers: [this.registry],
  });
  private readonly reports = new Histogram({
    name: 'hotline_report_duration_seconds', help: 'Time to count a staff report in its child process, by kind and result',
    labelNames: ['kind', 'result'] as const, buckets: REPORT_BUCKETS, registers: [this.registry],
  });

  constructor(private readonly queueCounts?: QueueCounts) {
    for (const direction of ['incoming', 'callback']) this.callsStarted.inc({ direction }, 0);
    for (const outcome of Object.keys(CALL_OUTCOMES)) this.callsEnded.inc({ outcome }, 0);
    for (const webhook of ['incoming', 'turn']) for (const result of ['answered', 'error_system']) this.turns.zero({ webhook, result });
    for (const kind of Object.keys(ERROR_KINDS)) this.errors.inc({ kind }, 0);
    for (const outcome of Object.keys(RECORDING_OUTCOMES)) this.recordings.inc({ outcome }, 0);
    for (const result of Object.keys(PLACE_RESULTS)) this.callbacks.inc({ result }, 0);
    for (const kind of Object.keys(REPORT_KINDS)) for (const result of ['ok', 'failed']) this.reports.zero({ kind, result });
    if (queueCounts) this.queueGauges();
  }

  callStarted(direction: 'incoming' | 'callback'): void {
    this.callsStarted.inc({ direction });
  }

  callEnded(outcome: CallOutcome | 'unknown'): void {
    this.callsEnded.inc({ outcome });
  }

  turnAnswered(webhook: TurnWebhook, result: TurnResult, seconds: number): void {
    this.turns.observe({ webhook, result }, seconds);
  }

  error(kind: ErrorKind): void {
    this.errors.inc({ kind });
  }

  recordingWorked(outcome: WorkOutcome | 'error'): void {
    this.recordings.inc({ outcome });
  }

  callbackPlaceAttempt(result: PlaceResult): void {
    this.callbacks.inc({ result });
  }

  reportCounted(kind: ReportKind, result: 'ok' | 'failed', seconds: number): void {
    this.reports.observe({ kind, result }, seconds);
  }

  /** prom-client's process figures (CPU, memory, event-loop lag, open files), once, when the metrics are served. */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** The text Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The queue depths, read once per scrape for every gauge (the gauges are collected side by
   * side): /health's counts, which any instance works out at most every 10 s and keeps in the store.
   */
  private counts(): Promise<BacklogRecord | null> {
    const now = Date.now();
    if (!this.lastCounts || now - this.lastCounts.at > 1000) {
      this.lastCounts = { at: now, counts: this.queueCounts!().catch(() => null) };
    }
    return this.lastCounts.counts;
  }

  private queueGauges(): void {
    const registers = [this.registry];
    const readable = new Gauge({
      name: 'hotline_queue_counts_readable', help: '1 when the queue counts were read from the database at this scrape; 0: the other queue gauges are the last ones read', registers,
      collect: async () => {
        const b = await this.counts();
        if (b) this.lastComputedAt = new Date(b.computedAt);
        readable.set(b ? 1 : 0);
      },
    });
    const age = new Gauge({
      name: 'hotline_queue_counts_age_seconds', help: 'How old the queue counts are (worked out at most every 10 s by any instance; grows while the database does not answer)', registers,
      collect: async () => {
        const b = await this.counts();
        const at = b ? new Date(b.computedAt) : this.lastComputedAt;
        if (at) age.set(Math.max(0, (Date.now() - at.getTime()) / 1000));
      },
    });
    const gauge = (name: string, help: string, value: (b: BacklogRecord) => number | undefined) => {
      const g: Gauge = new Gauge({
        name, help, registers,
        collect: async () => {
          const b = await this.counts();
          const v = b ? value(b) : undefined;
          if (v !== undefined) g.set(v);
        },
      });
    };
    gauge('hotline_recordings_waiting', 'Voice-message recordings waiting to be downloaded from the carrier', (b) => b.recordings.waiting);
    gauge('hotline_recording_oldest_wait_seconds', 'How long the oldest recording waiting to be downloaded has waited since its call (0: none waits)',
      (b) => (b.recordings.oldestAt ? Math.max(0, (Date.now() - new Date(b.recordings.oldestAt).getTime()) / 1000) : 0));
    gauge('hotline_callbacks_waiting', 'Callbacks queued or waiting for a retry (missed calls and message answers)', (b) => b.outbound?.waiting);
    gauge('hotline_missed_call_callbacks_waiting', 'Missed-call callbacks waiting (CALLBACK_QUEUE_MAX_WAITING caps them)', (b) => b.outbound?.waitingMissedCalls);
    gauge('hotline_callbacks_under_way', 'Callback calls being dialled, ringing or talking', (b) => b.outbound?.live);
    gauge('hotline_outbound_paused', '1 while staff have paused outbound calling', (b) => (b.outbound ? Number(b.outbound.paused) : undefined));
    gauge('hotline_outbound_carrier_problem', '1 while outbound calling is held by a carrier refusal only the operator can fix (balance, credentials, caller number)',
      (b) => (b.outbound ? Number(Boolean(b.outbound.carrierProblem)) : undefined));
  }
}

/** A request's failure as an error kind: the database's (anywhere in its causes), a turn's deadline, or another. */
export function failureKind(err: unknown): 'store_failed' | 'turn_deadline' | 'request_failed' {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (e instanceof StoreError) return 'store_failed';
    if (e instanceof TurnDeadlineError) return 'turn_deadline';
  }
  return 'request_failed';
}
