import { Logger } from '../logging/logger';
import { CarrierContact } from '../ops/carrier-contact';
import { nextCallingTime, withinCallingHours } from './cambodia-time';
import { CarrierCall, CarrierCallError, CarrierCalls } from './carrier-calls';
import { CallbackEntry, CallbackQueue, STATUS_RANK } from './callback-queue';
import { operatorProblemOf } from './carrier-refusals';
import { OutboundLimits } from './outbound-limits';
import { CallingHours } from './outbound-settings';

export interface CallbackWorkerOptions {
  queue: CallbackQueue;
  limits: OutboundLimits;
  carrier: CarrierCalls;
  logger: Logger;
  publicBaseUrl: string;
  fromNumber: string;
  callingHours: CallingHours;
  /** How long a call may stay without news before it is checked at the carrier (default 30 minutes). */
  callLeaseSeconds?: number;
  /** Wait after a create with an unknown outcome before asking the carrier what happened (default 60 s). */
  reconcileAfterSeconds?: number;
  pollIntervalMs?: number;
  /** After a refusal only the operator can fix (balance, credentials, caller number): wait before one call tries again (default 5 minutes). */
  carrierProblemRetrySeconds?: number;
  /**
   * A call still queued at the carrier this long after its create is cancelled there and counted
   * as failed (default 10 minutes): Somleng holds a queued call up to 7 days and cancels it
   * without a status callback (app/workflows/expire_queued_phone_calls.rb).
   */
  maxQueuedSeconds?: number;
  now?: () => Date;
  /** Called when reconciling ended a callback (the status route does the same for callbacks that report). */
  onEnded?: (entryId: string) => Promise<void>;
  /** Where the last contact with the carrier's API is noted for /health (src/ops/carrier-contact.ts). */
  carrierContact?: CarrierContact;
  /** Told what each request to the carrier to place a call came to, for the metrics (src/ops/metrics.ts). */
  onPlaceAttempt?: (result: PlaceResult) => void;
}

/** What asking the carrier to place a claimed callback came to. */
export type PlaceResult = 'placed' | 'unsure' | 'not-placed' | 'refused' | 'carrier-problem';

export type CallOutcome =
  | PlaceResult
  | 'idle' | 'paused' | 'carrier-problem' | 'closed' | 'lines-busy' | 'paced' | 'no-budget' | 'no-caller-id';

/**
 * Places the calls the queue owes, within the limits: calling hours, the pause switch, lines,
 * pace and budget. Every step is a write in the database, so any number of instances may run
 * this worker side by side and a restart loses nothing.
 *
 * Idempotency of the create: the attempt (attemptId) is recorded before the carrier is asked
 * and travels in the status callback URL. A create that fails with 5xx or a time-out leaves the
 * entry `unsure`; before any new call, the worker asks the carrier (the call's sid if known,
 * otherwise the newest calls to that number since the attempt began) and adopts a call it finds.
 */
export class CallbackWorker {
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<unknown> = Promise.resolve();
  /** When this instance last dropped expired callbacks (housekeeping, not shared state: any instance may do it). */
  private lastExpiryAt = 0;
  readonly callLeaseSeconds: number;
  /** This instance said callbacks wait for calling hours: said once per night, not every poll. */
  private saidWaiting = false;

  constructor(private readonly o: CallbackWorkerOptions) {
    this.now = o.now ?? (() => new Date());
    this.callLeaseSeconds = o.callLeaseSeconds ?? 1800;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = async () => {
      let wait = this.o.pollIntervalMs ?? 1000;
      try {
        // A claim never takes an expired callback, so dropping them can wait a little.
        if (this.now().getTime() - this.lastExpiryAt >= 30_000) {
          const expired = await this.o.queue.expireWaiting();
          this.lastExpiryAt = this.now().getTime();
          if (expired) this.o.logger.info({ expired }, 'callbacks not placed within OUTBOUND_MAX_WAIT_HOURS dropped; their numbers erased');
        }
        await this.reconcileDue();
        for (;;) {
          const outcome = await this.placeNext();
          if (outcome === 'paced') {
            wait = Math.min(wait, (await this.o.limits.msToNextSlot()) + 1);
            break;
          }
          if (!['placed', 'unsure', 'not-placed', 'refused'].includes(outcome) || !this.running) break;
        }
      } catch (err) {
        this.o.logger.error({ err: (err as Error).message }, 'callback worker: poll failed; will try again');
      }
      if (this.running) this.timer = setTimeout(() => { this.current = tick(); }, wait);
    };
    // A start usually follows a change of settings: a held carrier problem is tried again at once.
    this.current = this.o.limits.retryCarrierNow().catch(() => undefined).then(tick);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }

  /** Places at most one call, if everything allows it; says what happened or what held it back. */
  async placeNext(): Promise<CallOutcome> {
    const at = this.now();
    if (!this.o.fromNumber) return 'no-caller-id';
    if (!withinCallingHours(at, this.o.callingHours)) {
      await this.sayWaitingForHours(at);
      return 'closed';
    }
    this.saidWaiting = false;
    const control = await this.o.limits.controlState();
    if (control.paused) return 'paused';
    if (control.carrierProblem && new Date(control.carrierProblem.retryAt).getTime() > at.getTime()) return 'carrier-problem';
    if (!(await this.o.queue.hasDue())) return 'idle';
    // The pace first: every step between the moment a start is allowed and taking it makes the
    // pace lag (a start taken but not used, as when every line is busy, only slows it).
    if (!(await this.o.limits.takePaceSlot())) return 'paced';
    // The line is held under a placeholder until an entry is claimed, then handed to it.
    const holder = `claim-${Math.random().toString(36).slice(2)}`;
    if (!(await this.o.limits.takeLine(holder, new Date(at.getTime() + 120_000)))) return 'lines-busy';
    if (!(await this.o.limits.spendBudget())) {
      await this.o.limits.releaseLine(holder);
      return 'no-budget';
    }
    const entry = await this.o.queue.claimForCall(120);
    if (!entry) {
      await this.o.limits.releaseLine(holder);
      await this.o.limits.refundBudget();
      return 'idle';
    }
    await this.o.limits.handOverLine(holder, entry._id, new Date(at.getTime() + this.callLeaseSeconds * 1000));
    const result = await this.create(entry, Boolean(control.carrierProblem));
    this.o.onPlaceAttempt?.(result);
    return result;
  }

  private urls(entry: CallbackEntry) {
    return {
      // A missed call's callback is the hotline's own flow; a message's answer is played by /voice/answer.
      // Promise news runs the flow from its own opening (the start node's promiseNews branch).
      url: entry.kind === 'message-answer'
        ? `${this.o.publicBaseUrl}/voice/answer?e=${encodeURIComponent(entry._id)}`
        : entry.kind === 'promise-news'
          ? `${this.o.publicBaseUrl}/voice/incoming?news=${encodeURIComponent(entry._id)}`
          : `${this.o.publicBaseUrl}/voice/incoming`,
      statusCallback: `${this.o.publicBaseUrl}/voice/outbound/status?e=${encodeURIComponent(entry._id)}&a=${encodeURIComponent(entry.attemptId ?? '')}`,
    };
  }

  private async create(entry: CallbackEntry, afterCarrierProblem: boolean): Promise<PlaceResult> {
    let to: string | null;
    try {
      to = this.o.queue.numberOf(entry);
    } catch {
      to = null;
    }
    if (!to) {
      // Sealed under another key (CALLBACK_NUMBER_KEY changed) or erased: nobody to call.
      await this.o.queue.end(entry, 'abandoned', 'failed', { status: 'number-unreadable' });
      await this.finishLine(entry._id, true);
      this.o.logger.error({ callback: entry._id }, 'callback number cannot be decrypted (was CALLBACK_NUMBER_KEY changed?); callback abandoned');
      return 'refused';
    }
    let call: CarrierCall;
    try {
      call = await this.o.carrier.create({ to, from: this.o.fromNumber, ...this.urls(entry) });
    } catch (err) {
      const e = err instanceof CarrierCallError ? err : new CarrierCallError(String(err), 'unknown');
      if (e.kind === 'unknown') await this.o.carrierContact?.failed('callback call', e.message);
      else await this.o.carrierContact?.ok('callback call'); // it answered, if only to refuse
      if (e.kind === 'unknown') {
        await this.o.queue.unsure(entry, e.message, this.o.reconcileAfterSeconds ?? 60);
        this.o.logger.warn({ callback: entry._id, attempt: entry.attemptId, err: e.message }, 'callback create: outcome unknown; will check with the carrier before calling again');
        return 'unsure';
      }
      const problem = e.kind === 'refused' ? operatorProblemOf(e.httpStatus, e.code, this.o.fromNumber) : null;
      if (problem) {
        // Not the citizen's doing: keep the callback (this attempt does not count) and hold calling.
        await this.o.queue.notPlaced(entry, e.message, 0);
        await this.finishLine(entry._id, true);
        const held = await this.o.limits.setCarrierProblem(problem, this.o.carrierProblemRetrySeconds ?? 300);
        this.o.logger.error(
          { callback: entry._id, httpStatus: problem.httpStatus, code: problem.code, retryAt: held.retryAt.toISOString() },
          `outbound calling paused: ${problem.what} (HTTP ${problem.httpStatus}, code ${problem.code}). To fix: ${problem.fix}. The callbacks stay queued; calling resumes by itself once a call goes through (tried every ${this.o.carrierProblemRetrySeconds ?? 300} s, at a restart, or when an admin presses "It is fixed: try calling now" on Outbound calls)`,
        );
        return 'carrier-problem';
      }
      if (e.kind === 'throttled') {
        await this.o.queue.notPlaced(entry, e.message, 60);
        await this.finishLine(entry._id, true);
        this.o.logger.warn({ callback: entry._id, err: e.message }, 'carrier throttled the callback; retrying in a minute');
        return 'not-placed';
      }
      await this.o.queue.end(entry, 'abandoned', 'refused', { status: 'refused', detail: e.message.slice(0, 200) });
      await this.finishLine(entry._id, true);
      this.o.logger.error({ callback: entry._id, err: e.message }, 'carrier refused the callback; abandoned');
      return 'refused';
    }
    await this.o.carrierContact?.ok('callback call');
    await this.o.queue.placed(entry, call.sid, this.callLeaseSeconds);
    if (afterCarrierProblem && (await this.o.limits.clearCarrierProblem())) {
      this.o.logger.warn({ callback: entry._id }, 'outbound calling resumed: the carrier accepted a call again');
    }
    this.o.logger.info({ callback: entry._id, attempt: entry.attempts, callSid: call.sid }, 'callback placed');
    return 'placed';
  }

  /** Frees the entry's line; `refund` gives back the day's budget for a call certainly not placed. */
  private async finishLine(entryId: string, refund: boolean) {
    await this.o.limits.releaseLine(entryId);
    if (refund) await this.o.limits.refundBudget();
  }

  /** A status callback (or a reconcile) moved the entry: free its line when the call is over. */
  async statusApplied(entryId: string, result: string): Promise<void> {
    if (['completed', 'retry', 'abandoned'].includes(result)) await this.o.limits.releaseLine(entryId);
    if (result === 'completed' || result === 'abandoned') await this.o.onEnded?.(entryId);
  }

  /** Checks live entries whose lease ran out against the carrier. Returns how many were looked at. */
  async reconcileDue(limit = 20): Promise<number> {
    let n = 0;
    while (n < limit) {
      const entry = await this.o.queue.claimForReconcile(this.o.reconcileAfterSeconds ?? 60);
      if (!entry) break;
      n += 1;
      try {
        await this.reconcile(entry);
      } catch (err) {
        this.o.logger.warn({ callback: entry._id, err: (err as Error).message }, 'callback reconcile failed; will try again');
      }
    }
    return n;
  }

  private async reconcile(entry: CallbackEntry): Promise<void> {
    let call: CarrierCall | null = null;
    if (entry.callSid) {
      call = await this.o.carrier.fetch(entry.callSid);
    } else {
      const to = this.o.queue.numberOf(entry);
      if (to) {
        // Carrier clocks and date_created (whole seconds) differ a little from ours.
        const since = new Date((entry.attemptStartedAt ?? entry.updatedAt).getTime() - 120_000);
        const found = await this.o.carrier.listTo(to, since);
        call = found.calls.sort((a, b) => (b.dateCreated?.getTime() ?? 0) - (a.dateCreated?.getTime() ?? 0))[0] ?? null;
        if (call) await this.o.queue.adopt(entry, call.sid);
        else if (!found.complete) {
          // A busy account: the pages read did not reach the attempt's time, so a call may exist
          // unseen. Calling again now could ring the caller twice: count the attempt and wait.
          const result = await this.o.queue.possiblyPlaced(entry, 'the carrier\'s call list was too long to tell whether the call was placed');
          if (result !== 'ignored') await this.finishLine(entry._id, false);
          if (result === 'abandoned') await this.o.onEnded?.(entry._id);
          this.o.logger.warn({ callback: entry._id, result }, 'callback create: the carrier\'s call list is too long to find the call; counted as an attempt, not placed again now');
          return;
        }
      }
    }
    const startedAt = (entry.attemptStartedAt ?? entry.updatedAt).getTime();
    if (call && (STATUS_RANK[call.status] ?? 0) === 1 && this.now().getTime() - startedAt >= (this.o.maxQueuedSeconds ?? 600) * 1000) {
      // Still queued at the carrier (its own limits hold it): it may never start, and would send no
      // callback when it is dropped. Cancel it and count it as a failed attempt, freeing the line.
      try {
        await this.o.carrier.cancel(call.sid);
        call = { ...call, status: 'canceled' };
        this.o.logger.warn({ callback: entry._id, callSid: call.sid }, 'callback call still queued at the carrier; cancelled there and counted as failed');
      } catch (err) {
        this.o.logger.warn({ callback: entry._id, err: (err as Error).message }, 'callback call still queued at the carrier could not be cancelled; checking again later');
      }
    }
    if (!call) {
      if (entry.state === 'unsure' || !entry.callSid) {
        // The carrier has no call for this attempt: the create never took effect. Call again now.
        if (await this.o.queue.notPlaced(entry, entry.lastError ?? 'create not taken', 0)) await this.finishLine(entry._id, true);
        this.o.logger.info({ callback: entry._id }, 'callback create had not reached the carrier; queued again');
        return;
      }
      // A sid the carrier no longer knows: treat as failed.
      call = { sid: entry.callSid, status: 'failed', to: '' };
    }
    const fresh = (await this.o.queue.find(entry._id)) ?? entry;
    const rank = STATUS_RANK[call.status] ?? 0;
    const result = await this.o.queue.applyStatus(entry._id, fresh.attemptId ?? '', { status: call.status, callSid: call.sid }, this.callLeaseSeconds);
    if (rank < 4 && (result === 'ignored' || result === 'progress')) {
      // Still going at the carrier: check again after another lease, holding its line meanwhile.
      const until = new Date(this.now().getTime() + (rank === 1 ? Math.min(this.callLeaseSeconds, this.o.maxQueuedSeconds ?? 600) : this.callLeaseSeconds) * 1000);
      await this.o.queue.collection.updateOne({ _id: entry._id, attemptId: fresh.attemptId }, { $set: { nextAttemptAt: until } });
      await this.o.limits.extendLine(entry._id, until);
    }
    await this.statusApplied(entry._id, result);
  }

  /**
   * A newcomer who rings the line at night and hears no callback needs to read why: one line when
   * callbacks start waiting for calling hours (none while nobody waits; again the next night).
   */
  private async sayWaitingForHours(at: Date): Promise<void> {
    if (this.saidWaiting || !(await this.o.queue.hasDue())) return;
    this.saidWaiting = true;
    const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
    const hours = `${hhmm(this.o.callingHours.startMinute)}-${hhmm(this.o.callingHours.endMinute)}`;
    const opens = nextCallingTime(at, this.o.callingHours);
    const opensLocal = new Date(opens.getTime() + 7 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
    this.o.logger.info(
      { callingHours: hours, nextCallAt: opens.toISOString() },
      `callbacks are waiting for calling hours (OUTBOUND_CALLING_HOURS=${hours}, Cambodia time): the next call is placed at ${opensLocal} Cambodia time`,
    );
  }

  /** When the queue will next ring someone, for the staff page. */
  nextOpening(): Date {
    return nextCallingTime(this.now(), this.o.callingHours);
  }
}
