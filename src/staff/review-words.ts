import { ReviewStepKind } from '../messages/messages';
import { AnswerCallStage } from '../outbound/answer-calls';
import { Translate } from './i18n/i18n';

/**
 * The review desk's codes in the reader's words: how long a message has waited, the steps in
 * its history, where its answer call stands. Each code has its own literal t() call, so
 * test/staff/i18n.test.ts sees every key and tsc sees every code.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A message waiting this long is shown as overdue. */
export const LONG_WAIT_MS = 3 * DAY;

/** "waiting 3 days": how long a message has waited, in the largest unit that fits. */
export function waitingWords(since: Date, now: Date, t: Translate): string {
  const ms = Math.max(0, now.getTime() - new Date(since).getTime());
  if (ms < MINUTE) return t('waiting.under-a-minute');
  if (ms < HOUR) {
    const n = Math.floor(ms / MINUTE);
    return n === 1 ? t('waiting.minute') : t('waiting.minutes', { n });
  }
  if (ms < DAY) {
    const n = Math.floor(ms / HOUR);
    return n === 1 ? t('waiting.hour') : t('waiting.hours', { n });
  }
  if (ms < 14 * DAY) {
    const n = Math.floor(ms / DAY);
    return n === 1 ? t('waiting.day') : t('waiting.days', { n });
  }
  return t('waiting.weeks', { n: Math.floor(ms / (7 * DAY)) });
}

const STEP_WORDS: Record<ReviewStepKind, (t: Translate, v: { owner: string; answer: string }) => string> = {
  taken: (t) => t('history.taken'),
  assigned: (t, v) => t('history.assigned', { who: v.owner }),
  released: (t) => t('history.released'),
  'answer-recorded': (t) => t('history.answer-recorded'),
  'answer-call-queued': (t, v) => t('history.answer-call-queued', { answer: v.answer }),
  'answer-call-cancelled': (t) => t('history.answer-call-cancelled'),
};

/** A step of a message's history ("took it", "assigned it to sokha"), after who did it. */
export function stepWords(kind: ReviewStepKind, t: Translate, v: { owner?: string; answer?: string } = {}): string {
  return STEP_WORDS[kind](t, { owner: v.owner ?? '', answer: v.answer ?? '' });
}

const STAGE_WORDS: Record<AnswerCallStage, (t: Translate) => string> = {
  awaiting: (t) => t('answer.stage-awaiting'),
  queued: (t) => t('answer.stage-queued'),
  'under-way': (t) => t('answer.stage-under-way'),
  ended: (t) => t('answer.stage-ended'),
};

/** Where a message's answer call stands, as the list and the page show it. */
export function answerStageWords(stage: AnswerCallStage, t: Translate): string {
  return STAGE_WORDS[stage](t);
}

/** What one call attempt of an answer call came to (the queue's event statuses), for the history. */
const CALL_EVENT_WORDS: Record<string, (t: Translate) => string> = {
  completed: (t) => t('history.call-answered'),
  busy: (t) => t('history.call-busy'),
  'no-answer': (t) => t('history.call-no-answer'),
  failed: (t) => t('history.call-failed'),
  canceled: (t) => t('history.call-failed'),
  unknown: (t) => t('history.call-unknown'),
  'message-discarded': (t) => t('history.call-called-off'),
  expired: (t) => t('history.call-expired'),
  blocked: (t) => t('history.call-blocked'),
};

/** The words for a call attempt's status, or null for a status the history does not show. */
export function callEventWords(status: string, t: Translate): string | null {
  const word = CALL_EVENT_WORDS[status];
  return word ? word(t) : null;
}
