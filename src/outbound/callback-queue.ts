import { randomUUID } from 'node:crypto';
import { DuplicateKeyError } from '../errors';
import { Store } from '../store/store';
import { startOfCambodianDay } from './cambodia-time';
import { NumberCipher } from './number-cipher';

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
/** missed-call: call back a caller who rang. message-answer: tell a caller the answer to their voice message. */
export type CallbackKind = 'missed-call' | 'message-answer';

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
  outcome?: 'answered' | 'no-answer' | 'busy' | 'failed' | 'refused' | 'number-not-allowed';
  history: CallbackEvent[];
  /** message-answer: the voice message (RecordingSid), the caller's language, the answer staff chose. */
  messageId?: string;
  language?: string;
  answerPromptId?: string;
  /** A one-off answer recorded by staff (store file id), instead of a standard prompt. */
  answerFileId?: string;
  answeredBy?: string;
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

export type RequestOutcome = 'queued' | 'already-queued' | 'blocked' | 'daily-limit';

export interface AttemptPolicy {
  maxAttempts: number;
  retryBaseSeconds: number;
}

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

  find(id: string): Promise<CallbackEntry | null> {
    return this.collection.findOne({ _id: id });
  }

  /** The number to dial, for the worker only. */
  numberOf(entry: CallbackEntry): string | null {
    return entry.sealedNumber ? this.cipher.decrypt(entry.sealedNumber, entry._id) : null;
  }

  /**
   * Queues a callback to `number` (already checked against OUTBOUND_ALLOWED_PREFIXES), unless the
   * caller is blocked, already has one owed, or had `dailyLimit` today.
   */
  async request(r: { kind: CallbackKind; callerId: string; number: string; dailyLimit: number }): Promise<RequestOutcome> {
    const at = this.now();
    if (await this.blocks.findOne({ _id: r.callerId })) return 'blocked';
    const activeKey = `${r.kind}:${r.callerId}`;
    if (await this.collection.findOne({ activeKey })) return 'already-queued';
    const today = await this.collection.countDocuments({ callerId: r.callerId, kind: r.kind, createdAt: { $gte: startOfCambodianDay(at) } });
    if (today >= r.dailyLimit) return 'daily-limit';
    const _id = randomUUID();
    try {
      await this.collection.insertOne({
        _id, kind: r.kind, callerId: r.callerId, activeKey, sealedNumber: this.cipher.encrypt(r.number, _id),
        state: 'queued', attempts: 0, statusRank: 0, nextAttemptAt: at, history: [], createdAt: at, updatedAt: at,
      });
    } catch (err) {
      // Another ring (perhaps on another instance) queued it first: the unique activeKey says so.
      if (err instanceof DuplicateKeyError) return 'already-queued';
      throw err;
    }
    return 'queued';
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

  /** Staff chose the answer: the call becomes due now. False when the caller did not ask for one (or it is under way). */
  async queueAnswer(messageId: string, answer: { promptId: string } | { fileId: string }, by: string): Promise<boolean> {
    const at = this.now();
    const chosen = 'promptId' in answer ? { answerPromptId: answer.promptId } : { answerFileId: answer.fileId };
    const r = await this.collection.updateOne(
      { activeKey: `message-answer:${messageId}`, state: 'awaiting-answer' },
      { $set: { state: 'queued', nextAttemptAt: at, ...chosen, answeredBy: by, updatedAt: at } },
    );
    return r.matched === 1;
  }

  /** The entry still waiting for the answer to this message, if any. */
  awaitingAnswerFor(messageId: string): Promise<CallbackEntry | null> {
    return this.collection.findOne({ activeKey: `message-answer:${messageId}`, state: 'awaiting-answer' });
  }

  awaitingAnswers(): Promise<CallbackEntry[]> {
    return this.collection.find({ kind: 'message-answer', state: 'awaiting-answer' }, { sort: { createdAt: 1 }, limit: 200, projection: { sealedNumber: 0 } });
  }

  /** Whether anything is waiting and due (cheap check before taking a line, a pace slot and budget). */
  async hasDue(): Promise<boolean> {
    return (await this.collection.find({ state: { $in: WAITING }, nextAttemptAt: { $lte: this.now() } }, { limit: 1, projection: { _id: 1 } })).length > 0;
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
      { state: { $in: WAITING }, nextAttemptAt: { $lte: at } },
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

  /** Ends the callback for good: the number is erased in the same write. */
  async end(entry: Pick<CallbackEntry, '_id' | 'attemptId'>, state: 'completed' | 'abandoned', outcome: NonNullable<CallbackEntry['outcome']>, event: Omit<CallbackEvent, 'attemptId' | 'at'>): Promise<boolean> {
    const at = this.now();
    const filter: Record<string, unknown> = { _id: entry._id, state: { $nin: ['completed', 'abandoned'] } };
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
    if (entry.attempts >= this.policy.maxAttempts) {
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
