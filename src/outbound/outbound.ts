import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { AppConfig } from '../config/config';
import { Logger } from '../logging/logger';
import { callerIdFor } from '../store/callers';
import { MessagesRepository } from '../messages/messages';
import { AuditLog } from '../staff/audit-log';
import { Store } from '../store/store';
import { recordAnswerOutcome } from './answer-outcome';
import { CallbackQueue, PromiseNewsItem, RequestOutcome } from './callback-queue';
import { PromiseAlerts } from './promise-alerts';
import type { JaapItem } from '../jaap/jaap';
import { CallbackWorker, CallbackWorkerOptions, PlaceResult } from './callback-worker';
import { TwilioCarrierCalls } from './carrier-calls';
import { NumberCipher } from './number-cipher';
import { CarrierContact } from '../ops/carrier-contact';
import type { HotlineMetrics } from '../ops/metrics';
import { OutboundLimits } from './outbound-limits';
import { isWithheldCaller } from '../telephony/withheld-caller';

/** The outbound-calls capability as the app holds it: the queue and the shared limits. */
export interface Outbound {
  queue: CallbackQueue;
  limits: OutboundLimits;
  /** Queues a callback for a missed call (`ringSid`: its CallSid, so a replay queues nothing), after every check; never throws for a bad number. */
  missedCall(from: string | undefined, ringSid?: string): Promise<MissedCallOutcome>;
  /** A caller asked to hear the answer to their message (src/calls/call-turns.ts AnswerCallSink). */
  optIn(o: { messageId: string; callerId: string; party: string | undefined; language: string }): Promise<string>;
  /** Promise news sign-ups (their sealed numbers). */
  alerts: PromiseAlerts;
  /** A caller asked to be called when the commune's promises change (src/calls/call-turns.ts PromiseAlertSink). */
  subscribe(o: { callerId: string; party: string | undefined; communeCode: string; language: string }): Promise<string>;
  /** The caller pressed "stop these calls" in news call `newsCallId`: its sign-up and number are gone, and a news call still waiting too. */
  stop(o: { newsCallId: string }): Promise<void>;
  /** The communes the caller is signed up for (they are not asked again). */
  communesOf(callerId: string): Promise<string[]>;
  /** What a promise news call tells: its commune and each changed item's latest status, in order of change; null when it is gone. */
  newsFor(entryId: string): Promise<{ newsCallId: string; communeCode: string; language?: string; items: PromiseNewsItem[] } | null>;
  /** A JAAP item's status changed: every caller signed up for its commune is owed a news call. Returns how many calls were queued or added to. */
  itemStatusChanged(item: Pick<JaapItem, '_id' | 'communeCode' | 'service' | 'status'>, at: Date): Promise<number>;
}

export type MissedCallOutcome = RequestOutcome | 'no-number' | 'number-not-allowed';

/**
 * A carrier's From as an E.164 number, or null. Somleng may send it without the +; anything
 * with letters (sip:, client:, anonymous) is not a number we could call back. The number must be
 * a real one by the country's numbering plan (libphonenumber's metadata: lengths and ranges, so
 * +8550000000 or a 15-digit +855 number is nobody), not premium-rate, and within
 * OUTBOUND_ALLOWED_PREFIXES.
 */
export function callableNumber(from: string | undefined, allowedPrefixes: readonly string[]): string | null | 'not-allowed' {
  // A withheld caller (Twilio's keypad placeholders such as +266696687) is nobody to call back.
  if (!from || isWithheldCaller(from)) return null;
  const m = /^\+?([1-9][0-9]{7,14})$/.exec(from.trim());
  if (!m) return null;
  const parsed = parsePhoneNumberFromString(`+${m[1]}`);
  if (!parsed || !parsed.isValid() || parsed.getType() === 'PREMIUM_RATE') return null;
  const number = parsed.number;
  return allowedPrefixes.some((p) => number.startsWith(p)) ? number : 'not-allowed';
}

/**
 * A phone number typed by staff (to block it), in international form or as dialled in Cambodia
 * (012 345 678): its E.164 form, or null when it is not a number by the numbering plan.
 */
export function typedPhoneNumber(typed: string): string | null {
  const parsed = parsePhoneNumberFromString(typed.trim(), 'KH');
  return parsed && parsed.isValid() ? parsed.number : null;
}

export function buildOutbound(store: Store, config: Pick<AppConfig, 'outbound' | 'callerHashSecret'>, now?: () => Date): Outbound {
  const o = config.outbound;
  const queue = new CallbackQueue(store, new NumberCipher(o.numberKey), {
    maxAttempts: o.maxAttempts, retryBaseSeconds: o.retryBaseSeconds, maxWaitHours: o.maxWaitHours, callingHours: o.callingHours,
    weeklyCallsPerNumber: o.weeklyCallsPerNumber,
  }, now);
  const alerts = new PromiseAlerts(store, new NumberCipher(o.numberKey), now);
  const limits = new OutboundLimits(store, { maxConcurrent: o.maxConcurrent, maxPerMinute: o.maxPerMinute, dailyBudget: o.dailyBudget }, now);
  return {
    queue,
    limits,
    async missedCall(from, ringSid) {
      const number = callableNumber(from, o.allowedPrefixes);
      // The hotline's own number never gets a callback (no loop of the line calling itself).
      if (number === null || number === o.fromNumber) return 'no-number';
      if (number === 'not-allowed') return 'number-not-allowed';
      // The same keyed hash the calls use, so staff block and count the caller they know.
      const callerId = callerIdFor(number, config.callerHashSecret);
      return queue.request({
        kind: 'missed-call', callerId, number, dailyLimit: o.dailyLimitPerNumber, ringSid,
        caps: { perHour: o.queueMaxPerHour, waiting: o.queueMaxWaiting },
      });
    },
    async optIn({ messageId, callerId, party, language }) {
      const number = callableNumber(party, o.allowedPrefixes);
      if (number === null) return 'no-number';
      if (number === 'not-allowed') return 'number-not-allowed';
      return queue.requestAnswer({ messageId, callerId, number, language });
    },
    alerts,
    async subscribe({ callerId, party, communeCode, language }) {
      const number = callableNumber(party, o.allowedPrefixes);
      if (number === null || number === o.fromNumber) return 'no-number';
      if (number === 'not-allowed') return 'number-not-allowed';
      return alerts.subscribe({ callerId, number, communeCode, language });
    },
    async stop({ newsCallId }) {
      // By the entry, not the call's caller id: the carrier may post the number called in another form than the caller's From.
      const entry = await queue.find(newsCallId);
      if (entry?.kind !== 'promise-news' || !entry.communeCode) return;
      await alerts.stop(entry.callerId, entry.communeCode);
      await queue.endNews(entry.callerId, entry.communeCode);
    },
    communesOf: (callerId) => alerts.communesOf(callerId),
    async newsFor(entryId) {
      const entry = await queue.find(entryId);
      if (!entry || entry.kind !== 'promise-news' || !entry.communeCode) return null;
      // Each item once, with its latest status, in the order items first changed.
      const latest = new Map<string, PromiseNewsItem>();
      for (const item of entry.news ?? []) latest.set(item.itemId, { ...latest.get(item.itemId), ...item });
      return { newsCallId: entry._id, communeCode: entry.communeCode, ...(entry.language ? { language: entry.language } : {}), items: [...latest.values()] };
    },
    async itemStatusChanged(item, at) {
      let n = 0;
      for (const alert of await alerts.subscribersOf(item.communeCode)) {
        const number = alerts.numberOf(alert);
        if (!number) continue; // sealed under an older CALLBACK_NUMBER_KEY: nobody to call
        const outcome = await queue.queueNews({
          callerId: alert.callerId, number, communeCode: item.communeCode, language: alert.language, dailyLimit: o.dailyLimitPerNumber,
          item: { itemId: item._id, service: item.service, status: item.status, at },
        });
        if (outcome !== 'blocked') n += 1;
      }
      return n;
    },
  };
}

/** The worker as the server runs it, from the config. */
export function callbackWorkerFor(
  rt: { outbound: Outbound; logger: Logger; config: AppConfig; messages?: MessagesRepository; store?: Store; metrics?: Pick<HotlineMetrics, 'callbackPlaceAttempt'> },
  extra: Partial<CallbackWorkerOptions> = {},
): CallbackWorker {
  const c = rt.config;
  return new CallbackWorker({
    queue: rt.outbound.queue,
    limits: rt.outbound.limits,
    carrier: new TwilioCarrierCalls({ carrierApiUrl: c.carrierApiUrl, accountSid: c.twilioAccountSid, authToken: c.twilioAuthToken }),
    logger: rt.logger,
    publicBaseUrl: c.publicBaseUrl,
    fromNumber: c.outbound.fromNumber,
    callingHours: c.outbound.callingHours,
    ...(rt.store ? { carrierContact: new CarrierContact(rt.store) } : {}),
    ...(rt.metrics ? { onPlaceAttempt: (result: PlaceResult) => rt.metrics!.callbackPlaceAttempt(result) } : {}),
    ...(rt.messages && rt.store ? { onEnded: (id: string) => recordAnswerOutcome(rt.outbound.queue, rt.messages!, new AuditLog(rt.store!), id) } : {}),
    ...extra,
  });
}
