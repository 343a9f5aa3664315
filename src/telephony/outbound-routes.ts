import { Router } from 'express';
import { Logger } from '../logging/logger';
import { CallbackQueue, STATUS_RANK } from '../outbound/callback-queue';
import { Outbound } from '../outbound/outbound';
import { OutboundLimits } from '../outbound/outbound-limits';
import { CARRIER_SID, carrierParam } from './carrier-params';
import { renderReject } from './twiml';

export interface OutboundRoutesDeps {
  outbound: Outbound;
  logger: Logger;
  /** How long a live call may go without news before the worker asks the carrier (CallbackWorker.callLeaseSeconds). */
  callLeaseSeconds?: number;
}

const ENTRY_ID = /^[0-9a-f-]{36}$/;

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
      const outcome = await deps.outbound.missedCall(carrierParam(req, 'From'));
      deps.logger.info({ callSid, outcome }, 'missed call');
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
      deps.logger.info({ callback: entryId, status, result }, 'callback status');
      res.status(204).end();
    } catch (err) {
      deps.logger.error({ callback: entryId, err: (err as Error).message }, 'callback status not saved');
      // 503 makes the carrier retry later; applying it twice changes nothing.
      res.status(503).type('text/plain').send('Service unavailable: the status could not be saved; retry later.\n');
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
