import * as os from 'node:os';
import { diskFreeBytes, diskSpaceVerdict } from '../doctor/doctor';
import { errorFields, rootCauseCode } from '../logging/error-cause';
import { Logger } from '../logging/logger';
import { VoiceMessage } from '../messages/messages';
import { CallbackQueue } from '../outbound/callback-queue';
import { OutboundLimits } from '../outbound/outbound-limits';
import { Store } from '../store/store';
import { CARRIER_CONTACT_COLLECTION, CarrierContact, CarrierContactRecord, withoutNumbers } from './carrier-contact';

/**
 * What GET /health answers: each dependency the line needs, judged ok / warning / failing with a
 * short message an operator can act on, and whether callers can be served at all (503 when not:
 * the store takes no write, or the disk where DATA_DIR is is nearly full). A load balancer polls
 * it every few seconds, so each poll is one heartbeat write, one statfs and one read; the counts
 * behind the backlog checks are worked out at most every BACKLOG_REFRESH_MS by any instance and
 * kept in the database for the others. Messages never name a path, a host or a setting's value.
 */
export type CheckStatus = 'ok' | 'warning' | 'failing';
export interface HealthCheck { status: CheckStatus; message: string }
export type CheckName = 'store' | 'disk' | 'recordings' | 'outbound' | 'carrier';

export interface HealthReport {
  /** The worst check's status. */
  status: CheckStatus;
  /** false: callers cannot be served (answered with 503). */
  serving: boolean;
  engine: Store['engine'];
  checks: Record<CheckName, HealthCheck>;
}

/** The counts behind the backlog checks, as the last instance to work them out saw them (also the metrics' queue depths). */
export interface BacklogRecord {
  _id: 'backlog';
  computedAt: Date;
  recordings: { waiting: number; oldestAt: Date | null };
  outbound?: { waiting: number; live: number; waitingMissedCalls: number; paused: boolean; carrierProblem?: string } | null;
  carrier: Omit<CarrierContactRecord, '_id'> | null;
}

/** expiresAt: an instance gone for a day (restarted, moved) leaves no heartbeat behind (a TTL index). */
interface Heartbeat { _id: string; at: Date; expiresAt: Date }
const HEARTBEAT_KEPT_MS = 24 * 3600 * 1000;

export const BACKLOG_REFRESH_MS = 10_000;
export const STORE_WRITE_TIMEOUT_MS = 2_000;
/** A recording still at the carrier this long after the call: the downloads are stuck (the worker retries within the hour). */
export const RECORDING_WAIT_WARNING_MS = 2 * 3600_000;

export interface HealthDeps {
  store: Store;
  dataDir: string;
  logger?: Logger;
  outbound?: { queue: CallbackQueue; limits: OutboundLimits };
  diskFree?: (dir: string) => number;
  now?: () => Date;
  /** This instance's heartbeat document (hostname and process id by default). */
  instanceId?: string;
  storeWriteTimeoutMs?: number;
}

export class Health {
  private readonly now: () => Date;
  private readonly instanceId: string;
  private storeWasFailing = false;

  constructor(private readonly deps: HealthDeps) {
    this.now = deps.now ?? (() => new Date());
    this.instanceId = deps.instanceId ?? `${os.hostname()}:${process.pid}`;
  }

  async report(): Promise<HealthReport> {
    const [store, backlog] = await Promise.all([this.storeCheck(), this.backlog()]);
    const disk = this.diskCheck();
    const checks: Record<CheckName, HealthCheck> = {
      store,
      disk,
      ...(backlog ? judgeBacklog(backlog, this.now()) : {
        recordings: { status: 'warning', message: 'the download queue could not be read from the database' },
        outbound: { status: 'warning', message: 'the callback queue could not be read from the database' },
        carrier: { status: 'warning', message: 'the last contact with the carrier could not be read from the database' },
      }),
    } as Record<CheckName, HealthCheck>;
    const all = Object.values(checks).map((c) => c.status);
    const status: CheckStatus = all.includes('failing') ? 'failing' : all.includes('warning') ? 'warning' : 'ok';
    return { status, serving: store.status !== 'failing' && disk.status !== 'failing', engine: this.deps.store.engine, checks };
  }

  /** A real write (this instance's heartbeat), bounded in time: a store that reads but cannot write fails every caller. */
  private async storeCheck(): Promise<HealthCheck> {
    const limit = this.deps.storeWriteTimeoutMs ?? STORE_WRITE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), limit); });
    const write = this.deps.store.collection<Heartbeat>('ops_heartbeats')
      .updateOne({ _id: this.instanceId }, { $set: { at: this.now(), expiresAt: new Date(this.now().getTime() + HEARTBEAT_KEPT_MS) } }, { upsert: true })
      .then(() => 'ok' as const, (err: unknown) => err);
    const outcome = await Promise.race([write, late]).finally(() => clearTimeout(timer));
    if (outcome === 'ok') {
      if (this.storeWasFailing) this.deps.logger?.warn({}, 'health: the database takes writes again');
      this.storeWasFailing = false;
      return { status: 'ok', message: 'the database takes writes' };
    }
    const check: HealthCheck = outcome === 'late'
      ? { status: 'failing', message: `the database did not take a write within ${limit / 1000} s: callers hear error.system` }
      : { status: 'failing', message: `the database refused a write${causeNote(outcome)}: callers hear error.system` };
    // Logged once as it starts failing (the load balancer asks every few seconds), with the cause.
    if (!this.storeWasFailing) this.deps.logger?.error(outcome === 'late' ? { timeoutMs: limit } : errorFields(outcome), `health: ${check.message}`);
    this.storeWasFailing = true;
    return check;
  }

  private diskCheck(): HealthCheck {
    let free: number;
    try {
      free = (this.deps.diskFree ?? diskFreeBytes)(this.deps.dataDir);
    } catch (err) {
      return { status: 'failing', message: `the disk where DATA_DIR is cannot be read${causeNote(err)}` };
    }
    const verdict = diskSpaceVerdict(free);
    return { status: verdict.status === 'blocker' ? 'failing' : verdict.status, message: verdict.message };
  }

  /**
   * The backlog counts: the stored ones while fresh, else worked out now and stored for every
   * instance. Null when the database does not answer. The metrics' queue gauges read them too.
   */
  async backlog(): Promise<BacklogRecord | null> {
    const records = this.deps.store.collection<BacklogRecord>(CARRIER_CONTACT_COLLECTION);
    try {
      const at = this.now();
      const held = await records.findOne({ _id: 'backlog' });
      if (held && at.getTime() - new Date(held.computedAt).getTime() < BACKLOG_REFRESH_MS) return held;
      const fresh = await this.countBacklog(at);
      // Another instance may store its own at the same moment: either is right.
      await records.updateOne({ _id: 'backlog' }, { $set: { computedAt: fresh.computedAt, recordings: fresh.recordings, outbound: fresh.outbound ?? null, carrier: fresh.carrier } }, { upsert: true })
        .catch(() => undefined);
      return fresh;
    } catch {
      return null;
    }
  }

  private async countBacklog(at: Date): Promise<BacklogRecord> {
    const messages = this.deps.store.collection<VoiceMessage>('messages');
    const waitingFilter = { 'download.nextAttemptAt': { $exists: true }, 'download.state': { $in: ['queued', 'downloading'] } };
    const [waiting, oldest, carrier] = await Promise.all([
      messages.countDocuments(waitingFilter),
      messages.find(waitingFilter, { sort: { createdAt: 1 }, limit: 1, projection: { createdAt: 1 } }),
      new CarrierContact(this.deps.store).read(),
    ]);
    const record: BacklogRecord = {
      _id: 'backlog', computedAt: at,
      recordings: { waiting, oldestAt: oldest[0]?.createdAt ?? null },
      carrier: carrier ? withoutId(carrier) : null,
    };
    const ob = this.deps.outbound;
    if (ob) {
      const [counts, waitingMissedCalls, control] = await Promise.all([ob.queue.countsByState(), ob.queue.waitingMissedCalls(), ob.limits.controlState()]);
      record.outbound = {
        waiting: counts.queued + counts.retry,
        live: counts.dialing + counts.unsure + counts.ringing + counts['in-progress'],
        waitingMissedCalls,
        paused: control.paused,
        ...(control.carrierProblem ? { carrierProblem: control.carrierProblem.what } : {}),
      };
    }
    return record;
  }
}

/** " (ENOSPC)": the cause's code only, never its message (which may name a path or a host). */
function causeNote(err: unknown): string {
  const code = rootCauseCode(err);
  return code ? ` (${code})` : '';
}

function withoutId({ _id, ...rest }: CarrierContactRecord): Omit<CarrierContactRecord, '_id'> {
  return rest;
}

function age(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}


function judgeBacklog(b: BacklogRecord, now: Date): Pick<Record<CheckName, HealthCheck>, 'recordings' | 'outbound' | 'carrier'> {
  const r = b.recordings;
  const oldestMs = r.oldestAt ? now.getTime() - new Date(r.oldestAt).getTime() : 0;
  const recordings: HealthCheck = r.waiting === 0
    ? { status: 'ok', message: 'no recording waits to be downloaded' }
    : {
      status: oldestMs > RECORDING_WAIT_WARNING_MS ? 'warning' : 'ok',
      message: `${r.waiting} recording(s) wait to be downloaded from the carrier, the oldest for ${age(oldestMs)}`
        + (oldestMs > RECORDING_WAIT_WARNING_MS ? ': check the carrier check below and the log (recording work failed)' : ''),
    };

  let outbound: HealthCheck;
  const o = b.outbound;
  if (!o) outbound = { status: 'ok', message: 'outbound calling is not set up on this instance' };
  else {
    const counts = `${o.waiting} callback(s) waiting (${o.waitingMissedCalls} for missed calls), ${o.live} under way`;
    if (o.carrierProblem) outbound = { status: 'failing', message: `outbound calling is held by a carrier problem: ${withoutNumbers(o.carrierProblem)}; ${counts}` };
    else if (o.paused) outbound = { status: 'warning', message: `outbound calling is paused by staff; ${counts}` };
    else outbound = { status: 'ok', message: counts };
  }

  let carrier: HealthCheck;
  const c = b.carrier;
  const okAt = c?.lastOkAt ? new Date(c.lastOkAt).getTime() : 0;
  const failedAt = c?.lastFailureAt ? new Date(c.lastFailureAt).getTime() : 0;
  if (!okAt && !failedAt) carrier = { status: 'ok', message: "no contact with the carrier's API recorded yet (downloads and callbacks note each)" };
  else if (failedAt > okAt) {
    carrier = {
      status: 'warning',
      message: `the last contact with the carrier's API failed ${age(now.getTime() - failedAt)} ago (${c!.lastFailureVia}): ${withoutNumbers(c!.lastFailureReason ?? 'no reason given')}`
        + `; last success ${okAt ? `${age(now.getTime() - okAt)} ago` : 'never'}`,
    };
  } else carrier = { status: 'ok', message: `the carrier's API answered ${age(now.getTime() - okAt)} ago (${c!.lastOkVia})` };
  return { recordings, outbound, carrier };
}
