import { randomUUID } from 'node:crypto';
import { DuplicateKeyError } from '../errors';
import { Store } from '../store/store';
import { afterCallingTime, startOfCambodianDay } from './cambodia-time';
import { NumberCipher } from './number-cipher';
import { CallingHours } from './outbound-settings';

/**
 * The callback queue: one entry per callback the hotline owes a caller. The entry is the only
 * place their number exists in clear-able form (sealed with CALLBACK_NUMBER_KEY); it is erased
 * the moment the callback ends, completed or abandoned. Everything else knows the caller by the
 * keyed hash (callerId), like the rest of the app.
 *
 * Every step is one conditional write on the entry, so several app instances share the queue:
 * a due entry is claimed with findOneAndUpdate, and a status callback only moves the attempt it
 * names (attemptId), and only forwards (statusRank), so duplicated and out-of-order callbacks
 * change nothing.
 */
/**
 * missed-call: call back a caller who rang. message-answer: tell a caller the answer to their voice
 * message. promise-news: tell a caller who signed up that their commune's JAAP items changed
 * (src/outbound/promise-alerts.ts).
 */
export type CallbackKind = 'missed-call' | 'message-answer' | 'promise-news';
export const CALLBACK_KINDS: readonly CallbackKind[] = ['missed-call', 'message-answer', 'promise-news'];

/** One JAAP item's change, as a promise news call tells it (its latest status wins). */
export interface PromiseNewsItem {
  itemId: string;
  service: string;
  status: string;
  at: Date;
}

/** A promise news call waits this long before it is placed, so changes made in one sitting make one call. */
export const NEWS_GATHER_MINUTES = 30;

/**
 * queued: waiting for its first call. retry: waiting after busy / no answer / failed.
 * dialing: claimed, create sent or accepted, no progress yet. unsure: the carrier did not answer
 * the create (5xx, time-out): a call may exist; reconciled before any new create.
 * ringing / in-progress: as the carrier reports. completed / abandoned: ended, number erased.
 */
export type CallbackState = 'awaiting-answer' | 'queued' | 'retry' | 'dialing' | 'unsure' | 'ringing' | 'in-progress' | 'completed' | 'abandoned';
export const CALLBACK_STATES: readonly CallbackState[] = ['awaiting-answer', 'queued', 'retry', 'dialing', 'unsure', 'ringing', 'in-progress', 'completed', 'abandoned'];
const WAITING: CallbackState[] = ['queued', 'retry'];
export const LIVE: CallbackState[] = ['dialing', 'unsure', 'ringing', 'in-progress'];

export interface CallbackEvent {
  attemptId: string;
  at: Date;
  status: string;
  callSid?: string;
  detail?: string;
}

export interface CallbackEntry {
  _id: string;
  kind: CallbackKind;
  callerId: string;
  /**
   * Unique while the callback is owed (`<kind>:<callerId>`), so rings during that time make one
   * callback; `ended:<_id>` once it ends, so the caller can be called back again another time.
   */
  activeKey: string;
  /** The number, AES-256-GCM sealed; absent once the callback ended. */
  sealedNumber?: string;
  state: CallbackState;
  /** Calls placed (or possibly placed) so far. */
  attempts: number;
  /** The current attempt; recorded before the carrier is asked, and carried in its status callback URL. */
  attemptId?: string;
  attemptStartedAt?: Date;
  callSid?: string;
  /** Rank of the last status seen for the current attempt (see STATUS_RANK). */
  statusRank: number;
  lastStatus?: string;
  lastError?: string;
  /** Due time while waiting; end of the lease while live (then it is reconciled with the carrier). */
  nextAttemptAt?: Date;
  /**
   * While waiting: the callback is dropped (number erased) if not placed by then
   * (OUTBOUND_MAX_WAIT_HOURS of calling time from the ring, or from the answer staff chose).
   */
  waitUntil?: Date;
  outcome?: 'answered' | 'no-answer' | 'busy' | 'failed' | 'refused' | 'number-not-allowed' | 'expired' | 'purged' | 'stopped';
  history: CallbackEvent[];
  /** message-answer: the voice message (RecordingSid), the caller's language, the answer staff chose. */
  messageId?: string;
  language?: string;
  answerPromptId?: string;
  /** A one-off answer recorded by staff (store file id), instead of a standard prompt. */
  answerFileId?: string;
  /** A reviewer's recorded answer waiting for their confirmation (store file id); it becomes answerFileId when confirmed. */
  draftAnswerFileId?: string;
  answeredBy?: string;
  /** promise-news: the commune, and the items changed since the call was queued (in order; an item may come twice). */
  communeCode?: string;
  news?: PromiseNewsItem[];
  createdAt: Date;
  updatedAt: Date;
  endedAt?: Date;
  /** Set when it ends: the database deletes the entry (hash, times, outcome) this long after. */
  expiresAt?: Date;
}

/** How long an ended callback's record (no number in it) stays for the staff page and the daily limit. */
export const ENDED_KEPT_DAYS = 90;

/** Carrier statuses in order; a later one never gives way to an earlier one (as src/store/calls.ts). */
export const STATUS_RANK: Record<string, number> = {
  queued: 1, initiated: 1, ringing: 2, 'in-progress': 3, answered: 3,
  completed: 4, busy: 4, failed: 4, 'no-answer': 4, canceled: 4,
};

export type RequestOutcome = 'queued' | 'already-queued' | 'blocked' | 'daily-limit' | 'weekly-limit' | 'queue-full' | 'duplicate-ring';

export interface AttemptPolicy {
  maxAttempts: number;
  retryBaseSeconds: number;
  /** Calling hours a callback may wait to be placed; with callingHours. Absent: no expiry. */
  maxWaitHours?: number;
  callingHours?: CallingHours;
  /** Calls one number may get from missed-call callbacks in any 7 days (retries count). Absent: no limit. */
  weeklyCallsPerNumber?: number;
}

/** Caps on queuing missed-call callbacks, all numbers together (CALLBACK_QUEUE_MAX_PER_HOUR, CALLBACK_QUEUE_MAX_WAITING). */
export interface QueueCaps {
  perHour: number;
  waiting: number;
}

/** One clock hour of missed-call queuing: how many were queued, and how many rings a cap refused. */
export interface QueueHour {
  _id: string;
  queued: number;
  refused: number;
  /** Which cap refused the last ring, and when. */
  lastRefusedBy?: 'per-hour' | 'waiting';
  lastRefusedAt?: Date;
  expiresAt: Date;
}

const WEEK_MS = 7 * 86_400_000;
/** A ring's CallSid is remembered this long, so a replayed /voice/missed queues nothing. */
const RING_KEPT_MS = 8 * 86_400_000;

const MAX_BACKOFF_SECONDS = 6 * 3600;

export function backoffSeconds(policy: AttemptPolicy, attempts: number): number {
  return Math.min(policy.retryBaseSeconds * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_SECONDS);
}

export class CallbackQueue {
  constructor(
    private readonly store: Store,
    private readonly cipher: NumberCipher,
    private readonly policy: AttemptPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get collection() {
    return this.store.collection<CallbackEntry>('outbound_callbacks');
  }

  private get blocks() {
    return this.store.collection<{ _id: string; by: string; at: Date }>('outbound_blocks');
  }

  /** CallSids of rings already handled (a replay of one signed /voice/missed queues nothing). */
  private get rings() {
    return this.store.collection<{ _id: string; at: Date; expiresAt: Date }>('outbound_rings');
  }

  private get hours() {
    return this.store.collection<QueueHour>('outbound_queue_hours');
  }

  private hourKey(at: Date): string {
    return `hour-${at.toISOString().slice(0, 13)}`;
  }

  /** When a callback created or queued at `at` must have been placed by, if expiry is configured. */
  private waitUntilFrom(at: Date): Date | undefined {
    const { maxWaitHours, callingHours } = this.policy;
    return maxWaitHours && callingHours ? afterCallingTime(at, maxWaitHours * 3_600_000, callingHours) : undefined;
  }

  /** A waiting entry that may still be placed: its wait has not run out. */
  private notExpired(at: Date) {
    return { $or: [{ waitUntil: { $exists: false } }, { waitUntil: { $gt: at } }] };
  }

  find(id: string): Promise<CallbackEntry | null> {
    return this.collection.findOne({ _id: id });
  }

  /** The number to dial, for the worker only. */
  numberOf(entry: CallbackEntry): string | null {
    return entry.sealedNumber ? this.cipher.decrypt(entry.sealedNumber, entry._id) : null;
  }

  /**
   * Queues a callback to `number` (already checked as a callable number), unless this ring was
   * handled already (`ringSid`), the caller is blocked, already has one owed, had `dailyLimit`
   * today or the weekly calls, or a queue cap is reached (`caps`; then the hour's record says so
   * for staff).
   */
  async request(r: { kind: CallbackKind; callerId: string; number: string; dailyLimit: number; ringSid?: string; caps?: QueueCaps }): Promise<RequestOutcome> {
    const at = this.now();
    if (r.ringSid) {
      try {
        await this.rings.insertOne({ _id: r.ringSid, at, expiresAt: new Date(at.getTime() + RING_KEPT_MS) });
      } catch (err) {
        if (err instanceof DuplicateKeyError) return 'duplicate-ring';
        throw err;
      }
    }
    if (await this.blocks.findOne({ _id: r.callerId })) return 'blocked';
    const activeKey = `${r.kind}:${r.callerId}`;
    if (await this.collection.findOne({ activeKey })) return 'already-queued';
    const today = await this.collection.countDocuments({ callerId: r.callerId, kind: r.kind, createdAt: { $gte: startOfCambodianDay(at) } });
    if (today >= r.dailyLimit) return 'daily-limit';
    if (r.kind === 'missed-call' && this.policy.weeklyCallsPerNumber !== undefined
      && (await this.callsThisWeek(r.callerId)) >= this.policy.weeklyCallsPerNumber) return 'weekly-limit';
    const hourId = this.hourKey(at);
    if (r.caps) {
      if ((await this.collection.countDocuments({ kind: 'missed-call', state: { $in: WAITING } })) >= r.caps.waiting) {
        await this.capRefused(hourId, 'waiting', at);
        return 'queue-full';
      }
      if (!(await this.takeHourSlot(hourId, r.caps.perHour, at))) {
        await this.capRefused(hourId, 'per-hour', at);
        return 'queue-full';
      }
    }
    const _id = randomUUID();
    const waitUntil = this.waitUntilFrom(at);
    try {
      await this.collection.insertOne({
        _id, kind: r.kind, callerId: r.callerId, activeKey, sealedNumber: this.cipher.encrypt(r.number, _id),
        state: 'queued', attempts: 0, statusRank: 0, nextAttemptAt: at, ...(waitUntil ? { waitUntil } : {}), history: [], createdAt: at, updatedAt: at,
      });
    } catch (err) {
      // Another ring (perhaps on another instance) queued it first: the unique activeKey says so.
      if (r.caps) await this.hours.updateOne({ _id: hourId, queued: { $gt: 0 } }, { $inc: { queued: -1 } });
      if (err instanceof DuplicateKeyError) return 'already-queued';
      throw err;
    }
    return 'queued';
  }

  /** The hour's record exists from the first ring of the hour on (another instance may make it). */
  private async ensureHour(hourId: string, at: Date): Promise<void> {
    try {
      await this.hours.insertOne({ _id: hourId, queued: 0, refused: 0, expiresAt: new Date(at.getTime() + 2 * 86_400_000) });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
  }

  /** Counts one callback against the hour's cap, atomically across instances; false when the hour is full. */
  private async takeHourSlot(hourId: string, perHour: number, at: Date): Promise<boolean> {
    await this.ensureHour(hourId, at);
    const r = await this.hours.updateOne({ _id: hourId, queued: { $lt: perHour } }, { $inc: { queued: 1 } });
    return r.matched === 1;
  }

  private async capRefused(hourId: string, by: 'per-hour' | 'waiting', at: Date): Promise<void> {
    await this.ensureHour(hourId, at);
    await this.hours.updateOne({ _id: hourId }, { $inc: { refused: 1 }, $set: { lastRefusedBy: by, lastRefusedAt: at } });
  }

  /** The queue caps' record of this hour and the one before (rings refused, for the staff page). */
  async capHits(): Promise<QueueHour[]> {
    const at = this.now();
    const ids = [this.hourKey(new Date(at.getTime() - 3_600_000)), this.hourKey(at)];
    return (await this.hours.find({ _id: { $in: ids }, refused: { $gt: 0 } })).sort((a, b) => b._id.localeCompare(a._id));
  }

  /** Calls placed (or possibly placed) to this caller by missed-call callbacks in the last 7 days. */
  async callsThisWeek(callerId: string): Promise<number> {
    const since = new Date(this.now().getTime() - WEEK_MS);
    const recent = await this.collection.find({ callerId, kind: 'missed-call', createdAt: { $gte: since } }, { projection: { attempts: 1 }, limit: 1000 });
    return recent.reduce((sum, e) => sum + (e.attempts ?? 0), 0);
  }

  /**
   * The caller opted in to hear the answer to their message: the entry waits (not due) until staff
   * choose the answer. One per message.
   */
  async requestAnswer(r: { messageId: string; callerId: string; number: string; language: string }): Promise<'awaiting' | 'already' | 'blocked'> {
    const at = this.now();
    if (await this.blocks.findOne({ _id: r.callerId })) return 'blocked';
    const _id = randomUUID();
    try {
      await this.collection.insertOne({
        _id, kind: 'message-answer', callerId: r.callerId, activeKey: `message-answer:${r.messageId}`, sealedNumber: this.cipher.encrypt(r.number, _id),
        state: 'awaiting-answer', attempts: 0, statusRank: 0, history: [], messageId: r.messageId, language: r.language, createdAt: at, updatedAt: at,
      });
    } catch (err) {
      if (err instanceof DuplicateKeyError) return 'already';
      throw err;
    }
    return 'awaiting';
  }

  /**
   * Staff chose the answer (and confirmed the call): the call becomes due now, and a recorded
   * draft is no longer a draft. False when the caller did not ask for one (or it is under way).
   */
  async queueAnswer(messageId: string, answer: { promptId: string } | { fileId: string }, by: string): Promise<boolean> {
    const at = this.now();
    const chosen = 'promptId' in answer ? { answerPromptId: answer.promptId } : { answerFileId: answer.fileId };
    const r = await this.collection.updateOne(
      { activeKey: `message-answer:${messageId}`, state: 'awaiting-answer' },
      {
        $set: { state: 'queued', nextAttemptAt: at, ...chosen, answeredBy: by, updatedAt: at, ...(this.waitUntilFrom(at) ? { waitUntil: this.waitUntilFrom(at) } : {}) },
        $unset: { draftAnswerFileId: true },
      },
    );
    return r.matched === 1;
  }

  /**
   * A reviewer recorded an answer to check before the call: it replaces the draft this entry
   * had (`previous`, as read) only if nobody replaced it meanwhile. False when the caller no
   * longer waits for an answer, or another draft came first.
   */
  async setDraftAnswer(entry: Pick<CallbackEntry, '_id' | 'draftAnswerFileId'>, fileId: string): Promise<boolean> {
    const previous = entry.draftAnswerFileId ? { draftAnswerFileId: entry.draftAnswerFileId } : { draftAnswerFileId: { $exists: false } };
    const r = await this.collection.updateOne({ _id: entry._id, state: 'awaiting-answer', ...previous }, { $set: { draftAnswerFileId: fileId, updatedAt: this.now() } });
    return r.matched === 1;
  }

  /** Every answer call still owed for these messages (waiting for an answer, queued or under way), by message. */
  async answerRequestsFor(messageIds: readonly string[]): Promise<Map<string, CallbackEntry>> {
    if (!messageIds.length) return new Map();
    const found = await this.collection.find({ activeKey: { $in: messageIds.map((id) => `message-answer:${id}`) } }, { projection: { sealedNumber: 0 } });
    return new Map(found.map((e) => [e.messageId ?? '', e]));
  }

  /** The latest answer call of a message, owed or ended (ended ones are kept ENDED_KEPT_DAYS). */
  async latestAnswerRequest(messageId: string): Promise<CallbackEntry | null> {
    const [entry] = await this.collection.find({ kind: 'message-answer', messageId }, { sort: { createdAt: -1 }, limit: 1, projection: { sealedNumber: 0 } });
    return entry ?? null;
  }

  /** The entry still waiting for the answer to this message, if any. */
  awaitingAnswerFor(messageId: string): Promise<CallbackEntry | null> {
    return this.collection.findOne({ activeKey: `message-answer:${messageId}`, state: 'awaiting-answer' });
  }

  awaitingAnswers(): Promise<CallbackEntry[]> {
    return this.collection.find({ kind: 'message-answer', state: 'awaiting-answer' }, { sort: { createdAt: 1 }, limit: 200, projection: { sealedNumber: 0 } });
  }

  /**
   * A JAAP item of the commune changed: the caller signed up for its news is owed one call. A news
   * call still waiting for the commune takes the item in (changes in one sitting make one call);
   * otherwise one is queued, due after NEWS_GATHER_MINUTES, or the next Cambodian day when the
   * caller had `dailyLimit` news calls today. A change while the call is already under way joins
   * it too (heard if the call is not answered yet).
   */
  async queueNews(r: { callerId: string; number: string; communeCode: string; language: string; item: PromiseNewsItem; dailyLimit: number }): Promise<'queued' | 'added' | 'blocked'> {
    const at = this.now();
    if (await this.blocks.findOne({ _id: r.callerId })) return 'blocked';
    const activeKey = `promise-news:${r.callerId}:${r.communeCode}`;
    const add = { $push: { news: r.item }, $set: { updatedAt: at } };
    if ((await this.collection.updateOne({ activeKey, state: { $in: WAITING } }, add)).matched === 1) return 'added';
    const today = await this.collection.countDocuments({ callerId: r.callerId, kind: 'promise-news', createdAt: { $gte: startOfCambodianDay(at) } });
    const due = today >= r.dailyLimit
      ? new Date(startOfCambodianDay(at).getTime() + 86_400_000)
      : new Date(at.getTime() + NEWS_GATHER_MINUTES * 60_000);
    const _id = randomUUID();
    const waitUntil = this.waitUntilFrom(due);
    try {
      await this.collection.insertOne({
        _id, kind: 'promise-news', callerId: r.callerId, activeKey, sealedNumber: this.cipher.encrypt(r.number, _id), state: 'queued', attempts: 0, statusRank: 0,
        nextAttemptAt: due, ...(waitUntil ? { waitUntil } : {}), history: [], communeCode: r.communeCode, language: r.language, news: [r.item], createdAt: at, updatedAt: at,
      });
      return 'queued';
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
    // Another change queued it first, or its call is under way: the item joins that call.
    await this.collection.updateOne({ activeKey }, add);
    return 'added';
  }

  /** The caller stopped the commune's news: a news call still waiting is dropped, its number erased. */
  async endNews(callerId: string, communeCode: string): Promise<boolean> {
    const entry = await this.collection.findOne({ activeKey: `promise-news:${callerId}:${communeCode}`, state: { $in: WAITING } });
    return entry ? this.end(entry, 'abandoned', 'stopped', { status: 'stopped', detail: 'the caller stopped promise news' }, WAITING) : false;
  }

  /** Whether anything is waiting and due (cheap check before taking a line, a pace slot and budget). */
  async hasDue(): Promise<boolean> {
    const at = this.now();
    return (await this.collection.find({ state: { $in: WAITING }, nextAttemptAt: { $lte: at }, ...this.notExpired(at) }, { limit: 1, projection: { _id: 1 } })).length > 0;
  }

  /**
   * Claims the most overdue waiting entry for a new call: records a fresh attemptId (before the
   * carrier is asked) and a lease, so a crash before the create is answered is reconciled, not
   * dialled twice.
   */
  async claimForCall(leaseSeconds: number): Promise<CallbackEntry | null> {
    const at = this.now();
    const attemptId = randomUUID();
    const doc = await this.collection.findOneAndUpdate(
      { state: { $in: WAITING }, nextAttemptAt: { $lte: at }, ...this.notExpired(at) },
      {
        $set: { state: 'dialing', attemptId, attemptStartedAt: at, statusRank: 0, nextAttemptAt: new Date(at.getTime() + leaseSeconds * 1000), updatedAt: at },
        $inc: { attempts: 1 },
        $unset: { callSid: true, lastStatus: true },
      },
      { sort: { nextAttemptAt: 1 } },
    );
    return doc && doc.attemptId === attemptId ? doc : null;
  }

  /** The carrier accepted the create: keep its CallSid; status callbacks take it from here. */
  async placed(entry: CallbackEntry, callSid: string, leaseSeconds: number): Promise<void> {
    const at = this.now();
    await this.collection.updateOne({ _id: entry._id, attemptId: entry.attemptId }, { $set: { callSid, updatedAt: at } });
    await this.collection.updateOne(
      { _id: entry._id, attemptId: entry.attemptId, state: 'dialing' },
      { $set: { nextAttemptAt: new Date(at.getTime() + leaseSeconds * 1000) }, $unset: { lastError: true } },
    );
  }

  /** The create's outcome is unknown (5xx, time-out): a call may exist. Reconcile after `afterSeconds`. */
  async unsure(entry: CallbackEntry, error: string, afterSeconds: number): Promise<void> {
    const at = this.now();
    await this.collection.updateOne(
      { _id: entry._id, attemptId: entry.attemptId, state: 'dialing' },
      { $set: { state: 'unsure', lastError: error.slice(0, 300), nextAttemptAt: new Date(at.getTime() + afterSeconds * 1000), updatedAt: at } },
    );
  }

  /** The carrier certainly placed no call for this attempt: wait again, without counting it. */
  async notPlaced(entry: CallbackEntry, error: string, retryInSeconds: number): Promise<boolean> {
    const at = this.now();
    const r = await this.collection.updateOne(
      { _id: entry._id, attemptId: entry.attemptId, state: { $in: ['dialing', 'unsure'] } },
      {
        $set: { state: entry.attempts > 1 ? 'retry' : 'queued', lastError: error.slice(0, 300), nextAttemptAt: new Date(at.getTime() + retryInSeconds * 1000), updatedAt: at },
        $inc: { attempts: -1 },
        $unset: { attemptId: true, callSid: true },
      },
    );
    return r.matched === 1;
  }

  /** Ends the callback for good (only from one of `onlyFrom` states, when given): the number is erased in the same write. */
  async end(
    entry: Pick<CallbackEntry, '_id' | 'attemptId'>, state: 'completed' | 'abandoned', outcome: NonNullable<CallbackEntry['outcome']>,
    event: Omit<CallbackEvent, 'attemptId' | 'at'>, onlyFrom?: readonly CallbackState[],
  ): Promise<boolean> {
    const at = this.now();
    const filter: Record<string, unknown> = { _id: entry._id, state: onlyFrom ? { $in: [...onlyFrom] } : { $nin: ['completed', 'abandoned'] } };
    if (entry.attemptId) filter.attemptId = entry.attemptId;
    const r = await this.collection.updateOne(filter, {
      $set: { state, outcome, activeKey: `ended:${entry._id}`, endedAt: at, expiresAt: new Date(at.getTime() + ENDED_KEPT_DAYS * 86_400_000), updatedAt: at, statusRank: 4, lastStatus: event.status },
      $unset: { sealedNumber: true, nextAttemptAt: true },
      $push: { history: { attemptId: entry.attemptId ?? '', at, ...event } },
    });
    return r.matched === 1;
  }

  /**
   * A carrier status for attempt `attemptId`. Returns 'ignored' for a duplicate, a late callback
   * of an older attempt, or a status older than one already seen.
   */
  async applyStatus(
    entryId: string, attemptId: string, s: { status: string; callSid?: string; durationSeconds?: number }, callLeaseSeconds: number,
  ): Promise<'ignored' | 'progress' | 'completed' | 'retry' | 'abandoned'> {
    const rank = STATUS_RANK[s.status] ?? 0;
    if (rank === 0) return 'ignored';
    const at = this.now();
    const live = { _id: entryId, attemptId, state: { $in: LIVE }, statusRank: { $lt: rank } };
    const sid = s.callSid ? { callSid: s.callSid } : {};
    if (rank < 4) {
      const state: CallbackState = rank === 1 ? 'dialing' : rank === 2 ? 'ringing' : 'in-progress';
      const r = await this.collection.updateOne(live, {
        $set: { state, statusRank: rank, lastStatus: s.status, updatedAt: at, nextAttemptAt: new Date(at.getTime() + callLeaseSeconds * 1000), ...sid },
      });
      return r.matched === 1 ? 'progress' : 'ignored';
    }
    const event = { status: s.status, ...(s.callSid ? { callSid: s.callSid } : {}), ...(s.durationSeconds !== undefined ? { detail: `${s.durationSeconds} s` } : {}) };
    if (s.status === 'completed') {
      const r = await this.collection.updateOne(live, {
        $set: { state: 'completed', outcome: 'answered', activeKey: `ended:${entryId}`, endedAt: at, expiresAt: new Date(at.getTime() + ENDED_KEPT_DAYS * 86_400_000), updatedAt: at, statusRank: rank, lastStatus: s.status, ...sid },
        $unset: { sealedNumber: true, nextAttemptAt: true },
        $push: { history: { attemptId, at, ...event } },
      });
      return r.matched === 1 ? 'completed' : 'ignored';
    }
    const entry = await this.collection.findOne(live);
    if (!entry) return 'ignored';
    const outcome = s.status === 'busy' ? 'busy' : s.status === 'no-answer' ? 'no-answer' : 'failed';
    if (entry.attempts >= this.policy.maxAttempts || (await this.weeklyCallsSpent(entry))) {
      return (await this.end({ _id: entryId, attemptId }, 'abandoned', outcome, event)) ? 'abandoned' : 'ignored';
    }
    const r = await this.collection.updateOne(live, {
      $set: {
        state: 'retry', outcome, statusRank: rank, lastStatus: s.status, updatedAt: at, ...sid,
        nextAttemptAt: new Date(at.getTime() + backoffSeconds(this.policy, entry.attempts) * 1000),
      },
      $push: { history: { attemptId, at, ...event } },
    });
    return r.matched === 1 ? 'retry' : 'ignored';
  }

  /** A missed-call callback whose number had CALLBACK_WEEKLY_CALLS_PER_NUMBER calls this week gets no further attempt. */
  private async weeklyCallsSpent(entry: CallbackEntry): Promise<boolean> {
    const limit = this.policy.weeklyCallsPerNumber;
    return entry.kind === 'missed-call' && limit !== undefined && (await this.callsThisWeek(entry.callerId)) >= limit;
  }

  /**
   * The carrier cannot say whether the create placed a call (the look-up ran out of pages on a
   * busy account): the attempt counts, as if the call had failed, so the caller is never rung
   * twice at once; the callback waits its backoff, or ends when no attempt is left.
   */
  async possiblyPlaced(entry: CallbackEntry, detail: string): Promise<'retry' | 'abandoned' | 'ignored'> {
    const at = this.now();
    const live = { _id: entry._id, attemptId: entry.attemptId, state: { $in: LIVE } };
    const event = { status: 'unknown', detail: detail.slice(0, 200) };
    if (entry.attempts >= this.policy.maxAttempts || (await this.weeklyCallsSpent(entry))) {
      return (await this.end(entry, 'abandoned', 'failed', event, LIVE)) ? 'abandoned' : 'ignored';
    }
    const r = await this.collection.updateOne(live, {
      $set: { state: 'retry', outcome: 'failed', lastError: detail.slice(0, 300), updatedAt: at, nextAttemptAt: new Date(at.getTime() + backoffSeconds(this.policy, entry.attempts) * 1000) },
      $unset: { callSid: true },
      $push: { history: { attemptId: entry.attemptId ?? '', at, ...event } },
    });
    return r.matched === 1 ? 'retry' : 'ignored';
  }

  /**
   * Ends waiting callbacks whose wait ran out (OUTBOUND_MAX_WAIT_HOURS of calling time): dropped,
   * number erased. Returns how many ended.
   */
  async expireWaiting(limit = 200): Promise<number> {
    const at = this.now();
    // Callbacks queued before expiry existed get their deadline from now.
    const fromNow = this.waitUntilFrom(at);
    if (!fromNow) return 0;
    await this.collection.updateMany({ state: { $in: WAITING }, waitUntil: { $exists: false } }, { $set: { waitUntil: fromNow } });
    const due = await this.collection.find({ state: { $in: WAITING }, waitUntil: { $lte: at } }, { limit, projection: { _id: 1 } });
    let n = 0;
    for (const e of due) {
      if (await this.end(e, 'abandoned', 'expired', { status: 'expired', detail: `not placed within ${this.policy.maxWaitHours} calling hours` }, WAITING)) n += 1;
    }
    return n;
  }

  /** Staff ended every waiting missed-call callback at once (a flood of rings): numbers erased. Returns how many. */
  async purgeWaiting(by: string): Promise<number> {
    let n = 0;
    for (;;) {
      const batch = await this.collection.find({ kind: 'missed-call', state: { $in: WAITING } }, { limit: 500, projection: { _id: 1 } });
      if (!batch.length) return n;
      for (const e of batch) {
        if (await this.end(e, 'abandoned', 'purged', { status: 'purged', detail: `purged by ${by}` }, WAITING)) n += 1;
      }
    }
  }

  /** Missed-call callbacks waiting now (what a purge would end). */
  waitingMissedCalls(): Promise<number> {
    return this.collection.countDocuments({ kind: 'missed-call', state: { $in: WAITING } });
  }

  /** A live entry whose lease ran out (no callback came, or the create's outcome is unknown), taken for reconciling. */
  async claimForReconcile(leaseSeconds: number): Promise<CallbackEntry | null> {
    const at = this.now();
    const mark = randomUUID();
    const doc = await this.collection.findOneAndUpdate(
      { state: { $in: LIVE }, nextAttemptAt: { $lte: at } },
      { $set: { nextAttemptAt: new Date(at.getTime() + leaseSeconds * 1000), reconcileMark: mark } },
      { sort: { nextAttemptAt: 1 } },
    );
    return doc && (doc as CallbackEntry & { reconcileMark?: string }).reconcileMark === mark ? doc : null;
  }

  /** Adopts a call found at the carrier for the current attempt (its status callbacks may have been lost). */
  async adopt(entry: CallbackEntry, callSid: string): Promise<void> {
    await this.collection.updateOne({ _id: entry._id, attemptId: entry.attemptId }, { $set: { callSid, updatedAt: this.now() } });
  }

  // Staff: block by hashed caller id, and the queue as the outbound page shows it.

  async block(callerId: string, by: string): Promise<void> {
    await this.blocks.updateOne({ _id: callerId }, { $set: { by, at: this.now() } }, { upsert: true });
    // A blocked caller's owed callbacks end now, their numbers erased.
    for (const e of await this.collection.find({ callerId, state: { $in: [...WAITING, 'awaiting-answer'] } })) {
      await this.end(e, 'abandoned', 'refused', { status: 'blocked', detail: `blocked by ${by}` });
    }
  }

  async unblock(callerId: string): Promise<void> {
    await this.blocks.deleteOne({ _id: callerId });
  }

  listBlocks() {
    return this.blocks.find({}, { sort: { at: -1 }, limit: 200 });
  }

  recent(limit: number): Promise<CallbackEntry[]> {
    return this.collection.find({}, { sort: { createdAt: -1 }, limit, projection: { sealedNumber: 0 } });
  }

  async countsByState(): Promise<Record<CallbackState, number>> {
    const out = {} as Record<CallbackState, number>;
    for (const s of CALLBACK_STATES) out[s] = await this.collection.countDocuments({ state: s });
    return out;
  }
}
