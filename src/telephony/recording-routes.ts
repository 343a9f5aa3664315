import { Router } from 'express';
import { Logger } from '../logging/logger';
import { parseRecordingUrl, redactUrl, UntrustedRecordingUrlError } from '../messages/carrier-recordings';
import { MessagesRepository } from '../messages/messages';
import { CARRIER_SID, carrierParam } from './carrier-params';

export interface RecordingRoutesDeps {
  messages: MessagesRepository;
  carrierApiUrl: string;
  /** TWILIO_ACCOUNT_SID: a RecordingUrl of another account is refused. */
  accountSid: string;
  logger: Logger;
}

const SID = CARRIER_SID;
const param = carrierParam;

/**
 * POST /voice/recording-status: the carrier says a recording is ready (Record's
 * recordingStatusCallback). Mounted behind the same body parser and signature check as the
 * other /voice webhooks. The message is upserted by RecordingSid and its download queued; the
 * worker does the slow part, so the carrier gets its answer at once.
 *
 * Both carriers post RecordingSid, RecordingUrl, RecordingStatus, RecordingDuration, CallSid and
 * AccountSid here (Somleng: app/serializers/twilio_api/webhook/recording_status_callback_serializer.rb,
 * its RecordingUrl in the /Calls/{CallSid}/Recordings/{RecordingSid} form). The carrier does not
 * play this answer (Somleng: app/workflows/twilio_api/notify_webhook.rb ignores it), so refusals
 * keep their HTTP status.
 */
export function recordingRoutes(deps: RecordingRoutesDeps): Router {
  const router = Router();

  router.post('/recording-status', async (req, res) => {
    const recordingSid = param(req, 'RecordingSid');
    const rawUrl = param(req, 'RecordingUrl');
    const status = param(req, 'RecordingStatus');
    const callSid = param(req, 'CallSid');
    if (!recordingSid || !SID.test(recordingSid) || !rawUrl || !status || (callSid !== undefined && !SID.test(callSid))) {
      res.status(400).type('text/plain').send('Bad request: RecordingSid, RecordingUrl or RecordingStatus is missing or malformed.\n');
      return;
    }
    if (status === 'in-progress') {
      res.status(204).end(); // only asked-for events matter; nothing to fetch yet
      return;
    }
    if (status !== 'completed' && status !== 'absent' && status !== 'failed') {
      res.status(400).type('text/plain').send('Bad request: RecordingStatus is unknown.\n');
      return;
    }
    let recordingUrl: string;
    try {
      recordingUrl = parseRecordingUrl(rawUrl, deps.carrierApiUrl, { recordingSid, accountSid: deps.accountSid || undefined, callSid }).url;
    } catch (err) {
      if (!(err instanceof UntrustedRecordingUrlError)) throw err;
      deps.logger.warn({ recordingSid, callSid, recordingUrl: redactUrl(rawUrl), reason: err.message }, 'recording status callback refused: RecordingUrl is not the carrier API');
      res.status(400).type('text/plain').send('Bad request: RecordingUrl is not a recording of the configured carrier API.\n');
      return;
    }
    const duration = Number(param(req, 'RecordingDuration'));
    try {
      const r = await deps.messages.recordCarrierCallback({
        recordingSid,
        recordingUrl,
        status,
        durationSeconds: Number.isFinite(duration) && duration >= 0 ? duration : undefined,
        callSid,
      });
      if (r.otherCall) {
        deps.logger.warn({ recordingSid, callSid }, 'recording status callback refused: the recording belongs to another call');
        res.status(400).type('text/plain').send('Bad request: this recording belongs to another call.\n');
        return;
      }
      deps.logger.info({ recordingSid, callSid, status, created: r.created, queued: r.queued }, 'recording status callback');
      res.status(204).end();
    } catch (err) {
      deps.logger.error({ recordingSid, err: (err as Error).message }, 'recording status not saved');
      res.status(503).type('text/plain').send('Service unavailable: the recording status could not be saved; retry later.\n');
    }
  });

  return router;
}
