import { CallbackEntry, CallbackKind, CallbackState, QueueHour } from '../outbound/callback-queue';
import { OperatorProblemKind } from '../outbound/carrier-refusals';
import { Translate } from './i18n/i18n';

/**
 * The callback queue's codes (states, outcomes, kinds) in the reader's language. Each code has
 * its own literal t() call, so test/staff/i18n.test.ts sees every key and tsc sees every code.
 */
type Word = (t: Translate) => string;

const STATE_WORDS: Record<CallbackState, Word> = {
  'awaiting-answer': (t) => t('outbound.state-awaiting-answer'),
  queued: (t) => t('outbound.state-queued'),
  retry: (t) => t('outbound.state-retry'),
  dialing: (t) => t('outbound.state-dialing'),
  unsure: (t) => t('outbound.state-unsure'),
  ringing: (t) => t('outbound.state-ringing'),
  'in-progress': (t) => t('outbound.state-in-progress'),
  completed: (t) => t('outbound.state-completed'),
  abandoned: (t) => t('outbound.state-abandoned'),
};

const OUTCOME_WORDS: Record<NonNullable<CallbackEntry['outcome']>, Word> = {
  answered: (t) => t('outbound.outcome-answered'),
  'no-answer': (t) => t('outbound.outcome-no-answer'),
  busy: (t) => t('outbound.outcome-busy'),
  failed: (t) => t('outbound.outcome-failed'),
  refused: (t) => t('outbound.outcome-refused'),
  'number-not-allowed': (t) => t('outbound.outcome-number-not-allowed'),
  expired: (t) => t('outbound.outcome-expired'),
  purged: (t) => t('outbound.outcome-purged'),
  stopped: (t) => t('outbound.outcome-stopped'),
};

/** What the carrier's refusal means and what the operator must do, in the reader's language. */
const CARRIER_PROBLEM_WORDS: Record<OperatorProblemKind, (t: Translate, from: string) => string> = {
  credentials: (t) => t('outbound.carrier-problem-credentials'),
  suspended: (t) => t('outbound.carrier-problem-suspended'),
  'carrier-standing': (t) => t('outbound.carrier-problem-carrier-standing'),
  balance: (t) => t('outbound.carrier-problem-balance'),
  subscription: (t) => t('outbound.carrier-problem-subscription'),
  'from-number': (t, from) => t('outbound.carrier-problem-from-number', { from }),
  'geo-permissions': (t) => t('outbound.carrier-problem-geo-permissions'),
};

const CAP_WORDS: Record<NonNullable<QueueHour['lastRefusedBy']>, Word> = {
  'per-hour': (t) => t('outbound.cap-per-hour'),
  waiting: (t) => t('outbound.cap-waiting'),
};

const KIND_WORDS: Record<CallbackKind, Word> = {
  'missed-call': (t) => t('outbound.kind-missed-call'),
  'message-answer': (t) => t('outbound.kind-message-answer'),
  'promise-news': (t) => t('outbound.kind-promise-news'),
};

const own = <T extends object>(o: T, k: string): k is Extract<keyof T, string> => Object.prototype.hasOwnProperty.call(o, k);

export function callbackStateWord(state: string, t: Translate): string {
  return own(STATE_WORDS, state) ? STATE_WORDS[state](t) : state;
}

/** An outcome, or the state an entry ended in when it has none. */
export function callbackOutcomeWord(outcome: string, t: Translate): string {
  return own(OUTCOME_WORDS, outcome) ? OUTCOME_WORDS[outcome](t) : callbackStateWord(outcome, t);
}

export function callbackKindWord(kind: string, t: Translate): string {
  return own(KIND_WORDS, kind) ? KIND_WORDS[kind](t) : kind;
}

export function carrierProblemWord(kind: string, from: string, t: Translate): string {
  return own(CARRIER_PROBLEM_WORDS, kind) ? CARRIER_PROBLEM_WORDS[kind](t, from) : kind;
}

export function queueCapWord(cap: string, t: Translate): string {
  return own(CAP_WORDS, cap) ? CAP_WORDS[cap](t) : cap;
}

/**
 * Why the last attempt to place a callback failed, in the reader's words, from the detail
 * src/outbound/carrier-calls.ts writes ("the carrier refused the call (HTTP 404, code 21205): ...",
 * "the carrier answered HTTP 503", "no answer from the carrier: ...").
 */
export function callbackErrorWord(detail: string, t: Translate): string {
  const refused = /^the carrier refused the call \(HTTP (\d{3})(?:, code ([^)]+))?\)/.exec(detail);
  if (refused) return refused[2] ? t('outbound.error-refused-code', { status: refused[1], code: refused[2] }) : t('outbound.error-refused', { status: refused[1] });
  const answered = /^the carrier answered HTTP (\d{3})/.exec(detail);
  if (answered) return t('outbound.error-carrier-status', { status: answered[1] });
  if (detail.startsWith('no answer from the carrier')) return t('outbound.error-no-answer');
  return t('outbound.error-other');
}
