import { Collection, Filter } from '../store/store';
import { MessageFilter, MessageOrder, messageQuery, StaffVisibleMessage } from './message-queries';
import { ReviewState, ReviewStep, ReviewStepKind } from './messages';

/** Still to be dealt with: the states the queue holds. */
export const OPEN_STATES: readonly ReviewState[] = ['new', 'in-review'];

/** What one submit of the message form asks for; fields left out stay as they are. */
export interface ReviewAction {
  state?: ReviewState;
  /** A note to add (blank: none). */
  note?: string;
  /** The new owner (a username), or null for nobody. */
  owner?: string | null;
  /** Answer-call steps to record with this change. */
  steps?: { kind: Extract<ReviewStepKind, 'answer-recorded' | 'answer-call-queued' | 'answer-call-cancelled'>; answer?: string }[];
}

/** One change as the history and a conflict show it. */
export type ReviewEvent =
  | { type: 'state'; from: ReviewState; to: ReviewState; by: string; at: Date; version?: number }
  | { type: 'note'; text: string; by: string; at: Date; version?: number }
  | ({ type: 'step' } & ReviewStep);

export type ReviewOutcome =
  | { kind: 'saved'; message: StaffVisibleMessage; from: ReviewState; version: number; changed: ('state' | 'note' | 'owner' | 'steps')[] }
  /** Nothing the form asked for differs from the message: nothing written, nothing to audit. */
  | { kind: 'unchanged'; message: StaffVisibleMessage }
  /** Someone changed the message after the form was opened: nothing written; `since` says what they did. */
  | { kind: 'conflict'; message: StaffVisibleMessage; since: ReviewEvent[] }
  | { kind: 'missing' };

export const versionOf = (m: StaffVisibleMessage): number => m.review?.version ?? 0;
export const stateOf = (m: StaffVisibleMessage): ReviewState => m.review?.state ?? 'new';
export const isOpen = (m: StaffVisibleMessage): boolean => OPEN_STATES.includes(stateOf(m));

/** Every change staff made to a message, oldest first. */
export function reviewEvents(m: StaffVisibleMessage): ReviewEvent[] {
  const r = m.review;
  const events: ReviewEvent[] = [
    ...(r?.history ?? []).map((h) => ({ type: 'state' as const, ...h })),
    ...(r?.notes ?? []).map((n) => ({ type: 'note' as const, ...n })),
    ...(r?.steps ?? []).map((s) => ({ type: 'step' as const, ...s })),
  ];
  return events.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
}

/** What others did to a message after a reader opened it at `version`. */
export function changesSince(m: StaffVisibleMessage, version: number): ReviewEvent[] {
  return reviewEvents(m).filter((e) => (e.version ?? 0) > version);
}

/**
 * The review desk's writes: one submit of a message's form (state, note, owner, answer-call
 * steps) is one compare-and-set on the message's version, so a change made meanwhile by another
 * reviewer is never overwritten (the form learns what it was and asks again), and a submit that
 * changes nothing writes nothing. Taking the next message of a queue claims it the same way, so
 * two reviewers working one queue never land on the same message.
 */
export class ReviewDesk {
  constructor(private readonly collection: Collection<StaffVisibleMessage>, private readonly now: () => Date = () => new Date()) {}

  /** A message staff may see (not discarded, not a test call). */
  find(id: string): Promise<StaffVisibleMessage | null> {
    return this.collection.findOne({ $and: [{ _id: id }, messageQuery({})] });
  }

  /**
   * Applies a reader's action to the message as it was at `expected` (the version their form
   * carries), or to whatever it is now with 'any' (a step that already happened elsewhere, such
   * as a queued answer call, must be recorded whatever changed meanwhile).
   */
  async apply(id: string, expected: number | 'any', action: ReviewAction, by: string): Promise<ReviewOutcome> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const m = await this.find(id);
      if (!m) return { kind: 'missing' };
      const version = versionOf(m);
      if (expected !== 'any' && version !== expected) return { kind: 'conflict', message: m, since: changesSince(m, expected) };
      const at = this.now();
      const next = version + 1;
      const from = stateOf(m);
      const set: Record<string, unknown> = {};
      const unset: Record<string, true> = {};
      const push: Record<string, unknown> = {};
      const steps: ReviewStep[] = [];
      const changed: ('state' | 'note' | 'owner' | 'steps')[] = [];
      if (action.state && action.state !== from) {
        set['review.state'] = action.state;
        push['review.history'] = { from, to: action.state, by, at, version: next };
        changed.push('state');
      }
      const note = action.note?.trim();
      if (note) {
        push['review.notes'] = { by, at, text: note, version: next };
        changed.push('note');
      }
      const owner = m.review?.owner;
      if (action.owner !== undefined && (action.owner ?? undefined) !== owner) {
        if (action.owner) {
          steps.push({ kind: action.owner === by ? 'taken' : 'assigned', owner: action.owner, by, at, version: next });
          set['review.owner'] = action.owner;
          set['review.ownedAt'] = at;
        } else {
          steps.push({ kind: 'released', ...(owner ? { owner } : {}), by, at, version: next });
          unset['review.owner'] = true;
          unset['review.ownedAt'] = true;
        }
        changed.push('owner');
      }
      for (const s of action.steps ?? []) steps.push({ kind: s.kind, ...(s.answer ? { answer: s.answer } : {}), by, at, version: next });
      if (action.steps?.length) changed.push('steps');
      if (!changed.length) return { kind: 'unchanged', message: m };
      if (steps.length) push['review.steps'] = { $each: steps };
      Object.assign(set, { 'review.version': next, 'review.updatedAt': at, 'review.updatedBy': by });
      // A message never changed by the desk has no version yet: 0.
      const atVersion: Filter = version === 0 ? { $or: [{ 'review.version': 0 }, { 'review.version': { $exists: false } }] } : { 'review.version': version };
      const r = await this.collection.updateOne(
        { $and: [{ _id: id }, messageQuery({}), atVersion] },
        { $set: set, $push: push, ...(Object.keys(unset).length ? { $unset: unset } : {}) },
      );
      if (r.matched === 1) {
        const saved = await this.find(id);
        return { kind: 'saved', message: saved ?? m, from, version: next, changed };
      }
      // Changed between reading and writing: a reader's form sees what happened; 'any' tries again.
      if (expected !== 'any') {
        const now = await this.find(id);
        return now ? { kind: 'conflict', message: now, since: changesSince(now, expected) } : { kind: 'missing' };
      }
    }
    const m = await this.find(id);
    return m ? { kind: 'conflict', message: m, since: [] } : { kind: 'missing' };
  }

  /**
   * The next message of a list for `by` to work on: after `current` in the list's order (from the
   * top without one), skipping open messages someone else works on. An open message nobody
   * works on is taken for `by` in the same compare-and-set, so when two reviewers ask at once
   * each gets a different one. Returns null at the end of the list.
   */
  async takeNext(current: Pick<StaffVisibleMessage, '_id' | 'createdAt'> | null, filter: MessageFilter, order: MessageOrder, by: string): Promise<{ message: StaffVisibleMessage; taken: boolean } | null> {
    const way = order === 'oldest' ? 1 : -1;
    const beyond = order === 'oldest' ? '$gt' : '$lt';
    let position = current ? { _id: current._id, at: new Date(current.createdAt) } : null;
    // Each round reads a few candidates; one taken by another reviewer meanwhile is passed over.
    for (let round = 0; round < 20; round += 1) {
      const and: Filter[] = [messageQuery(filter), {
        $or: [
          { 'review.owner': { $exists: false } },
          { 'review.owner': by },
          { 'review.state': { $nin: [...OPEN_STATES] } },
        ],
      }];
      if (position) and.push({ _id: { $ne: position._id } }, { $or: [{ createdAt: { [beyond]: position.at } }, { createdAt: position.at, _id: { [beyond]: position._id } }] });
      const candidates = await this.collection.find({ $and: and }, { sort: { createdAt: way, _id: way }, limit: 5 });
      if (!candidates.length) return null;
      for (const c of candidates) {
        if (!isOpen(c) || c.review?.owner === by) return { message: c, taken: false };
        const r = await this.apply(c._id, versionOf(c), { owner: by }, by);
        if (r.kind === 'saved') return { message: r.message, taken: true };
        // Changed meanwhile but still free (a note, say): try it once more.
        if (r.kind === 'conflict' && isOpen(r.message) && !r.message.review?.owner) {
          const again = await this.apply(c._id, versionOf(r.message), { owner: by }, by);
          if (again.kind === 'saved') return { message: again.message, taken: true };
        }
      }
      const last = candidates[candidates.length - 1];
      position = { _id: last._id, at: new Date(last.createdAt) };
    }
    return null;
  }
}
