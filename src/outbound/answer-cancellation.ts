import { CallbackQueue, CallbackState, ENDED_KEPT_DAYS } from './callback-queue';

/** An answer call not yet under way: these can still be called off. */
const NOT_STARTED: CallbackState[] = ['awaiting-answer', 'queued', 'retry'];

export type AnswerCancellation = 'cancelled' | 'none' | 'under-way';

/**
 * The message a caller asked to hear the answer to is no message after all (its recording held
 * no speech, or staff dismissed it): the "call me back with the answer" entry ends, and the
 * caller's sealed number is erased in the same conditional write. A call already ringing is left
 * to finish ('under-way'): stopping it at the carrier is not worth a half-heard call.
 */
export async function cancelAnswerCall(queue: CallbackQueue, messageId: string, reason: string, now: Date = new Date()): Promise<AnswerCancellation> {
  const entry = await queue.collection.findOne({ activeKey: `message-answer:${messageId}` });
  if (!entry) return 'none';
  // Conditional on the state it was read in: a worker that claims it meanwhile wins, and nothing is half-ended.
  const r = await queue.collection.updateOne({ _id: entry._id, state: { $in: NOT_STARTED } }, {
    $set: {
      state: 'abandoned', outcome: 'refused', activeKey: `ended:${entry._id}`, endedAt: now,
      expiresAt: new Date(now.getTime() + ENDED_KEPT_DAYS * 86_400_000), updatedAt: now, statusRank: 4, lastStatus: 'message-discarded',
    },
    $unset: { sealedNumber: true, nextAttemptAt: true },
    $push: { history: { attemptId: entry.attemptId ?? '', at: now, status: 'message-discarded', detail: reason } },
  });
  return r.matched === 1 ? 'cancelled' : 'under-way';
}
