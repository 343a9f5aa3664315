import { DuplicateKeyError } from '../errors';
import { Effect, FlowState, TurnOutput } from '../flow/types';
import { Store } from './store';

/** What was last said to the caller, so a retried webhook gets the same answer. */
export interface LastTurn {
  output: TurnOutput;
  language: string;
  /** The turn number the reply's action URLs carry. */
  turn: number;
}

/** A call's place in the flow, keyed by CallSid, so any instance can serve its next turn. */
export interface CallRecord {
  _id: string;
  callerId: string;
  flowVersion: string;
  /** How many turns have been answered. */
  turn: number;
  flow: FlowState;
  last: LastTurn;
  startedAt: Date;
  updatedAt: Date;
  /**
   * false when the caller had never chosen a commune to rate before this call, so none of their
   * ratings can be replaced in it (a rating always follows choosing its commune; within one call
   * a re-rating rewrites the same rating). Saves then skip reading earlier ratings. Absent on
   * calls stored before the flag existed: read as "may have rated".
   */
  returningRater?: boolean;
  /**
   * What the turn that produced `last` asked to keep (ratings, a message...), saved in the same
   * write as `last` and applied as of `updatedAt`. Only the copy of a webhook that wins the
   * compare-and-set on `turn` writes it, so the stored answer is the one the caller hears; a
   * losing copy or a retry re-applies these (idempotent) before answering, so they are kept even
   * if the winner's instance died between saving the turn and applying them.
   */
  lastEffects?: Effect[];
  /**
   * The flow nodes the call went through, in order, a node repeated in a row kept once, at most
   * CALL_PATH_MAX (the latest): for the operator's call-end log line (src/calls/call-end.ts).
   */
  path?: string[];
  /** When the caller last heard error.system (a turn that failed), for the call-end log line. */
  systemErrorAt?: Date;
}

export const CALL_PATH_MAX = 60;

/** `path` with `node` after it (not repeated, the oldest dropped past CALL_PATH_MAX). */
export function pathWith(path: readonly string[] | undefined, node: string): string[] {
  const p = path ?? [];
  if (p[p.length - 1] === node) return [...p];
  return [...p, node].slice(-CALL_PATH_MAX);
}

/** Carrier statuses in the order a call goes through them; a later one never gives way to an earlier one. */
const STATUS_RANK: Record<string, number> = {
  queued: 1, initiated: 1, ringing: 2, 'in-progress': 3, answered: 3,
  completed: 4, busy: 4, failed: 4, 'no-answer': 4, canceled: 4,
};
export const CALL_STATUSES = Object.keys(STATUS_RANK);

export interface CallStatusRecord {
  _id: string;
  status: string;
  rank: number;
  durationSeconds?: number;
  updatedAt: Date;
}

/** Call records this instance last wrote or read, kept for the next turn (see CallsRepository.findAtTurn). */
export const RECENT_CALLS = 1000;

export class CallsRepository {
  /**
   * Each call's record as this instance last wrote or read it, most recent last. A record at a
   * given turn never changes (only the compare-and-set that moves the call to that turn writes it,
   * and the engine works on a copy), so one held here at the turn a request answers is the one in
   * the database, unless another copy of that request already moved the call on; then this
   * instance's compare-and-set fails and it reads the winner, as without it. The database stays
   * the only record: another instance, or this one after a restart, reads it there.
   */
  private readonly recent = new Map<string, CallRecord>();
  constructor(private readonly store: Store) {}

  private keep(record: CallRecord): void {
    const held = this.recent.get(record._id);
    if (held && held.turn > record.turn) return; // a read that left the database before a later write
    this.recent.delete(record._id);
    this.recent.set(record._id, record);
    if (this.recent.size > RECENT_CALLS) this.recent.delete(this.recent.keys().next().value!);
  }
  private get calls() {
    return this.store.collection<CallRecord>('calls');
  }
  private get statuses() {
    return this.store.collection<CallStatusRecord>('call_status');
  }

  async find(callSid: string): Promise<CallRecord | null> {
    const record = await this.calls.findOne({ _id: callSid });
    if (record) this.keep(record);
    return record;
  }

  /**
   * The call as a request for `turn` finds it: the record this instance wrote or read at that
   * turn if it holds one (no round trip), otherwise the database's. Saves a read on nearly every
   * turn when one instance serves the call; with several, on the turns that instance served last.
   */
  findAtTurn(callSid: string, turn: number): Promise<CallRecord | null> {
    const held = this.recent.get(callSid);
    return held && held.turn === turn ? Promise.resolve(held) : this.find(callSid);
  }

  /** Creates the call; if a retried webhook already created it, returns the existing record instead. */
  async create(record: CallRecord): Promise<{ created: boolean; record: CallRecord }> {
    try {
      await this.calls.insertOne(record);
      this.keep(record);
      return { created: true, record };
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      const existing = await this.find(record._id);
      if (!existing) throw err;
      return { created: false, record: existing };
    }
  }

  /**
   * Saves the turn only if nobody answered it first (compare-and-set on the turn number), so
   * two copies of one webhook, on two instances, cannot both advance the call.
   */
  async advance(callSid: string, fromTurn: number, flow: FlowState, last: LastTurn, effects: Effect[], at: Date, path?: string[]): Promise<boolean> {
    const r = await this.calls.updateOne(
      { _id: callSid, turn: fromTurn },
      { $set: { flow, last, lastEffects: effects, updatedAt: at, turn: fromTurn + 1, ...(path ? { path } : {}) } },
    );
    const held = this.recent.get(callSid);
    if (r.matched === 1 && held?.turn === fromTurn) this.keep({ ...held, flow, last, lastEffects: effects, updatedAt: at, turn: fromTurn + 1, ...(path ? { path } : {}) });
    else if (r.matched !== 1 && held?.turn === fromTurn) this.recent.delete(callSid); // another copy moved it on
    return r.matched === 1;
  }

  /**
   * Records a carrier status, in whatever order the callbacks come: a final status is never
   * overwritten by an earlier one. One upsert: it raises a stored status of lower rank, or creates
   * the record; when a status at least as late is stored, the upsert's insert meets that record's
   * _id (duplicate key) and nothing changes. Returns true when this write made the call's status
   * final (only one write of all the instances' copies of the final status callbacks does).
   */
  async recordStatus(callSid: string, status: string, durationSeconds: number | undefined, at: Date): Promise<boolean> {
    const rank = STATUS_RANK[status] ?? 0;
    const fields: Partial<CallStatusRecord> = { status, rank, updatedAt: at };
    if (durationSeconds !== undefined) fields.durationSeconds = durationSeconds;
    // A call that has ended takes no more turns.
    if (rank === STATUS_RANK.completed) this.recent.delete(callSid);
    try {
      const r = await this.statuses.updateOne({ _id: callSid, rank: { $lt: rank } }, { $set: fields }, { upsert: true, likelyNew: true });
      const ended = rank === STATUS_RANK.completed && (r.matched === 1 || r.upserted);
      // Keys held over a pause (Somleng posts an entry in pieces) may be the start of a provider's
      // PIN: once the call is over they are of no use, so they do not wait for the calls purge.
      if (ended) await this.calls.updateOne({ _id: callSid, 'flow.partialKeys': { $exists: true } }, { $unset: { 'flow.partialKeys': true } });
      return ended;
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      return false;
    }
  }

  /** The caller heard error.system (a turn failed): noted for the call-end log line. */
  async noteSystemError(callSid: string, at: Date): Promise<void> {
    await this.calls.updateOne({ _id: callSid }, { $set: { systemErrorAt: at } });
  }

  findStatus(callSid: string): Promise<CallStatusRecord | null> {
    return this.statuses.findOne({ _id: callSid });
  }
}
