import { Router } from 'express';
import { Logger } from '../logging/logger';
import { CallbackQueue, STATUS_RANK } from '../outbound/callback-queue';
import { Outbound } from '../outbound/outbound';
import { OutboundLimits } from '../outbound/outbound-limits';
import { CARRIER_SID, carrierParam } from './carrier-params';
import { MessagesRepository } from '../messages/messages';
import { AuditLog } from '../staff/audit-log';
import { TurnOutput } from '../flow/types';
import { PromptUrl, renderReject, renderTwiml } from './twiml';
import { answerAudioToken } from '../outbound/answer-recordings';
import { recordAnswerOutcome } from '../outbound/answer-outcome';
import { LIVE } from '../outbound/callback-queue';
import { Store } from '../store/store';
import { timingSafeEqual } from 'node:crypto';

export interface OutboundRoutesDeps {
  outbound: Outbound;
  logger: Logger;
  messages: MessagesRepository;
  audit: AuditLog;
  publicBaseUrl: string;
  promptUrl: PromptUrl;
  defaultLanguage: string;
  /** Keys the URL of an answer staff recorded (see answerAudioRoutes). */
  answerAudioKey: Buffer;
  /** How long a live call may go without news before the worker asks the carrier (CallbackWorker.callLeaseSeconds). */
  callLeaseSeconds?: number;
}

const ENTRY_ID = /^[0-9a-f-]{36}$/;
/** Stands for the staff-recorded answer among the prompts of an answer call. */
const RECORDED_ANSWER = '@recorded-answer';

/**
 * GET /answer-audio/<entryId>/<token>.wav: the answer a staff member recorded, for the carrier
 * to play during that answer call only (the token is keyed; nothing is served before the call is
 * placed or after it ended).
 */
export function answerAudioRoutes(deps: { store: Store; queue: CallbackQueue; answerAudioKey: Buffer }): Router {
  const router = Router();
  router.get('/:entryId/:file', async (req, res, next) => {
    try {
      const entryId = req.params.entryId;
      const token = /^([A-Za-z0-9_-]{43})\.wav$/.exec(req.params.file)?.[1] ?? '';
      const expected = ENTRY_ID.test(entryId) ? answerAudioToken(deps.answerAudioKey, entryId) : '';
      const entry = expected && token && timingSafeEqual(Buffer.from(token), Buffer.from(expected)) ? await deps.queue.find(entryId) : null;
      if (!entry?.answerFileId || !LIVE.includes(entry.state)) {
        res.status(404).type('text/plain').send('Not found.\n');
        return;
      }
      const data = await deps.store.files.read(entry.answerFileId);
      res.status(200).type('audio/wav').set('Cache-Control', 'no-store').send(data);
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/**
 * POST /voice/missed: the carrier's voice URL for the callback number (or the main number, if
 * the hotline should only call back). It rejects the call as busy, so the caller pays nothing,
 * and queues a callback. POST /voice/outbound/status: status callbacks of the calls the hotline
 * placed. Both sit behind the signature check mounted on /voice (src/app.ts).
 */
export function outboundRoutes(deps: OutboundRoutesDeps): Router {
  const router = Router();
  const { queue, limits } = deps.outbound;

  router.post('/missed', async (req, res) => {
    const callSid = carrierParam(req, 'CallSid');
    const direction = carrierParam(req, 'Direction');
    // Rejected in every case: the caller must never be charged for ringing, even when we fail.
    const reject = () => res.status(200).type('text/xml').send(renderReject('busy'));
    if (!callSid || !CARRIER_SID.test(callSid) || (direction && direction !== 'inbound')) {
      // Our own outbound calls never ring back into the queue.
      deps.logger.warn({ callSid, direction }, 'missed call ignored: not an inbound call');
      reject();
      return;
    }
    try {
      const outcome = await deps.outbound.missedCall(carrierParam(req, 'From'), callSid);
      if (outcome === 'queue-full') {
        deps.logger.warn({ callSid, outcome }, 'missed call not queued: the callback queue is at CALLBACK_QUEUE_MAX_PER_HOUR or CALLBACK_QUEUE_MAX_WAITING (a flood of rings?). See the Outbound calls page: purge the waiting queue if it is abuse, or raise the caps if the callers are real');
      } else {
        deps.logger.info({ callSid, outcome }, 'missed call');
      }
    } catch (err) {
      deps.logger.error({ callSid, err: (err as Error).message }, 'missed call: callback could not be queued');
    }
    reject();
  });

  router.post('/outbound/status', async (req, res) => {
    const entryId = typeof req.query.e === 'string' ? req.query.e : '';
    const attemptId = typeof req.query.a === 'string' ? req.query.a : '';
    const status = carrierParam(req, 'CallStatus') ?? '';
    const callSid = carrierParam(req, 'CallSid');
    if (!ENTRY_ID.test(entryId) || !ENTRY_ID.test(attemptId) || !(status in STATUS_RANK) || (callSid && !CARRIER_SID.test(callSid))) {
      res.status(400).type('text/plain').send('Bad request: the callback id, attempt or CallStatus is missing or unknown.\n');
      return;
    }
    const duration = Number(carrierParam(req, 'CallDuration'));
    try {
      const result = await applyCallbackStatus(queue, limits, entryId, attemptId, {
        status, callSid, durationSeconds: Number.isFinite(duration) && duration >= 0 ? duration : undefined,
      }, deps.callLeaseSeconds ?? 1800);
      if (result === 'completed' || result === 'abandoned') await recordAnswerOutcomeOf(entryId);
      deps.logger.info({ callback: entryId, status, result }, 'callback status');
      res.status(204).end();
    } catch (err) {
      deps.logger.error({ callback: entryId, err: (err as Error).message }, 'callback status not saved');
      // 503 makes the carrier retry later; applying it twice changes nothing.
      res.status(503).type('text/plain').send('Service unavailable: the status could not be saved; retry later.\n');
    }
  });

  const recordAnswerOutcomeOf = (entryId: string) => recordAnswerOutcome(queue, deps.messages, deps.audit, entryId);

  /**
   * The call that tells a caller the answer to their message, in the message's language: "This
   * is the citizens' hotline, about your message number ...", the answer, "press * to hear it
   * again". Any other key, or none, ends the call.
   */
  router.post('/answer', async (req, res) => {
    const entryId = typeof req.query.e === 'string' && ENTRY_ID.test(req.query.e) ? req.query.e : '';
    const reply = (output: TurnOutput, language: string) => {
      const base = `${deps.publicBaseUrl}/voice/answer?e=${encodeURIComponent(entryId)}`;
      const urlOf: PromptUrl = (id, lang) => (id === RECORDED_ANSWER
        ? `${deps.publicBaseUrl}/answer-audio/${entryId}/${answerAudioToken(deps.answerAudioKey, entryId)}.wav`
        : deps.promptUrl(id, lang ?? language));
      res.status(200).type('text/xml').send(renderTwiml(output, urlOf, {
        action: `${base}&k=1`, silence: `${base}&end=1`, recordingStatus: `${deps.publicBaseUrl}/voice/recording-status`,
      }));
    };
    try {
      const entry = entryId ? await queue.find(entryId) : null;
      const message = entry?.messageId ? await deps.messages.find(entry.messageId) : null;
      const language = entry?.language ?? deps.defaultLanguage;
      if (!entry || entry.kind !== 'message-answer' || !(entry.answerPromptId || entry.answerFileId) || !message || req.query.end === '1') {
        reply({ prompts: entry && message && req.query.end !== '1' ? [] : [{ id: 'goodbye' }], end: { type: 'hangup' } }, language);
        return;
      }
      if (req.query.k === '1' && carrierParam(req, 'Digits') !== '*') {
        reply({ prompts: [{ id: 'goodbye' }], end: { type: 'hangup' } }, language);
        return;
      }
      const digits = [...message.referenceNumber].filter((d) => /[0-9]/.test(d)).map((d) => ({ id: `digit.${d}` }));
      reply({
        prompts: [{ id: 'answer.intro' }, ...digits, { id: entry.answerFileId ? RECORDED_ANSWER : entry.answerPromptId! }, { id: 'answer.repeat' }],
        end: { type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 6 },
      }, language);
    } catch (err) {
      deps.logger.error({ callback: entryId, err: (err as Error).message }, 'answer call failed; caller hears error.system');
      reply({ prompts: [{ id: 'error.system' }], end: { type: 'hangup' } }, deps.defaultLanguage);
    }
  });

  return router;
}

/** Moves the entry and frees its line once the call is over. */
export async function applyCallbackStatus(
  queue: CallbackQueue, limits: OutboundLimits, entryId: string, attemptId: string,
  s: { status: string; callSid?: string; durationSeconds?: number }, callLeaseSeconds: number,
): Promise<string> {
  const result = await queue.applyStatus(entryId, attemptId, s, callLeaseSeconds);
  if (result === 'completed' || result === 'retry' || result === 'abandoned') await limits.releaseLine(entryId);
  return result;
}
