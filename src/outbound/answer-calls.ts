import { changesSince, ReviewDesk, ReviewEvent, ReviewOutcome, versionOf } from '../messages/review-desk';
import { StaffVisibleMessage } from '../messages/message-queries';
import { FileStore } from '../store/store';
import { cancelAnswerCall } from './answer-cancellation';
import { RECORDED_ANSWER } from './answer-outcome';
import { CallbackEntry, CallbackQueue, LIVE } from './callback-queue';

/**
 * A caller's "call me back with the answer", as the review desk handles it inside the message:
 * a reviewer records an answer (kept as a draft to listen to) or picks a standard one, confirms,
 * and only then is the call queued; each step goes into the message's history. Dismissing the
 * message calls the answer call off (src/outbound/answer-cancellation.ts).
 */

/** Where a message's answer call stands, as staff see it. */
export type AnswerCallStage = 'awaiting' | 'queued' | 'under-way' | 'ended';

export function answerCallStage(e: Pick<CallbackEntry, 'state'>): AnswerCallStage {
  if (e.state === 'awaiting-answer') return 'awaiting';
  if (e.state === 'queued' || e.state === 'retry') return 'queued';
  return LIVE.includes(e.state) ? 'under-way' : 'ended';
}

export interface AnswerCallDeps {
  queue: CallbackQueue;
  desk: ReviewDesk;
  files: FileStore;
}

export type ConfirmOutcome =
  | { kind: 'queued'; review: ReviewOutcome }
  | { kind: 'conflict'; message: StaffVisibleMessage; since: ReviewEvent[] }
  /** Nobody waits for an answer to this message now (queued by someone else, called off, or never asked). */
  | { kind: 'not-awaiting' }
  /** "The recorded answer" was confirmed, but there is no recording to send. */
  | { kind: 'no-recording' }
  | { kind: 'missing' };

/**
 * The reviewer confirmed: the call is queued with the chosen answer (a standard answer's prompt
 * id, or RECORDED_ANSWER for their draft recording), and the message is resolved with the step
 * in its history. Refused when the message changed since the reviewer's confirmation page was
 * opened at `expectedVersion`, so they never confirm something they have not seen.
 */
export async function confirmAnswerCall(deps: AnswerCallDeps, o: { messageId: string; answer: string; expectedVersion: number; by: string }): Promise<ConfirmOutcome> {
  const m = await deps.desk.find(o.messageId);
  if (!m) return { kind: 'missing' };
  if (versionOf(m) !== o.expectedVersion) return { kind: 'conflict', message: m, since: changesSince(m, o.expectedVersion) };
  const entry = await deps.queue.awaitingAnswerFor(o.messageId);
  if (!entry) return { kind: 'not-awaiting' };
  const recorded = o.answer === RECORDED_ANSWER;
  if (recorded && !entry.draftAnswerFileId) return { kind: 'no-recording' };
  const answer = recorded ? { fileId: entry.draftAnswerFileId! } : { promptId: o.answer };
  if (!(await deps.queue.queueAnswer(o.messageId, answer, o.by))) return { kind: 'not-awaiting' };
  // A draft passed over for a standard answer is of no use any more.
  if (!recorded && entry.draftAnswerFileId) await deps.files.remove(entry.draftAnswerFileId);
  // The call is queued: its step and the resolved state are recorded whatever changed meanwhile.
  const review = await deps.desk.apply(o.messageId, 'any', { state: 'resolved', steps: [{ kind: 'answer-call-queued', answer: o.answer }] }, o.by);
  return { kind: 'queued', review };
}

/**
 * A reviewer's recording (already converted and stored as `fileId`) becomes the draft answer of
 * the message, replacing an earlier draft, with the step in the history. False (and the file
 * removed) when nobody waits for an answer any more or another draft arrived meanwhile.
 */
export async function keepDraftAnswer(deps: AnswerCallDeps, entry: CallbackEntry, fileId: string, by: string): Promise<boolean> {
  if (!(await deps.queue.setDraftAnswer(entry, fileId))) {
    await deps.files.remove(fileId);
    return false;
  }
  if (entry.draftAnswerFileId) await deps.files.remove(entry.draftAnswerFileId);
  if (entry.messageId) await deps.desk.apply(entry.messageId, 'any', { steps: [{ kind: 'answer-recorded' }] }, by);
  return true;
}

/**
 * The message was dismissed: its answer call is called off (number erased, a draft recording
 * removed), and the step goes into its history. 'under-way': a call already ringing finishes.
 */
export async function callOffAnswerCall(deps: AnswerCallDeps, messageId: string, by: string): Promise<'cancelled' | 'none' | 'under-way'> {
  const entry = await deps.queue.answerRequestsFor([messageId]).then((found) => found.get(messageId));
  const outcome = await cancelAnswerCall(deps.queue, messageId, `message dismissed by ${by}`);
  if (outcome !== 'cancelled') return outcome;
  if (entry?.draftAnswerFileId) await deps.files.remove(entry.draftAnswerFileId);
  await deps.desk.apply(messageId, 'any', { steps: [{ kind: 'answer-call-cancelled' }] }, by);
  return outcome;
}
