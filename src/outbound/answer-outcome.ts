import { MessagesRepository } from '../messages/messages';
import { AuditLog } from '../staff/audit-log';
import { CallbackQueue } from './callback-queue';

/** What a message's answerCall says for a reviewer's own recording (no catalog prompt). */
export const RECORDED_ANSWER = 'recorded answer';

/**
 * When an answer call ends (by its status callback or when the worker reconciles it with the
 * carrier), its outcome goes on the message and into the audit log, by "hotline".
 */
export async function recordAnswerOutcome(queue: CallbackQueue, messages: MessagesRepository, audit: AuditLog, entryId: string): Promise<void> {
  const entry = await queue.find(entryId);
  if (entry?.kind !== 'message-answer' || !entry.messageId || !entry.endedAt) return;
  const outcome = entry.outcome ?? entry.state;
  await messages.collection.updateOne({ _id: entry.messageId }, {
    $set: { answerCall: { outcome, attempts: entry.attempts, answerPromptId: entry.answerPromptId ?? (entry.answerFileId ? RECORDED_ANSWER : ''), endedAt: entry.endedAt } },
  });
  await audit.record({ username: 'hotline', action: 'answer-call', messageId: entry.messageId, detail: { outcome, attempts: entry.attempts } });
}
