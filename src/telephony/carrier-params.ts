import { Request } from 'express';
import { parseRecordingUrl, UntrustedRecordingUrlError } from '../messages/carrier-recordings';

/** Carrier ids (CallSid, RecordingSid): Twilio's two letters + 32 hex, Somleng's UUIDs. */
export const CARRIER_SID = /^[A-Za-z0-9-]{10,64}$/;

/** A form parameter the carrier posted, or undefined when it is missing or not a single string. */
export function carrierParam(req: Request, name: string): string | undefined {
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  const v = body[name];
  return typeof v === 'string' ? v : undefined;
}

/** A recording the carrier posted to a Record action, as the engine takes it (less the reference number). */
export interface PostedRecording {
  recordingSid: string;
  /** The checked resource URL under CARRIER_API_URL. */
  recordingUrl: string;
  durationSeconds: number;
  /** The carrier says it lasted 0 s: nothing was said. */
  silent: boolean;
}

/**
 * The recording a Record action posted, or undefined when the request carries none.
 * - Twilio posts RecordingUrl, RecordingDuration and Digits, and in practice RecordingSid too
 *   (see test/carriers/twilio-model.ts for the sources).
 * - Somleng posts only RecordingUrl and RecordingDuration (somleng-switch
 *   components/app/app/workflows/execute_record.rb, build_callback_params), its RecordingUrl in
 *   the form .../Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{RecordingSid}.
 * So the recording's identity is RecordingSid when posted, else the last segment of RecordingUrl.
 * Throws UntrustedRecordingUrlError when the URL is not a recording of our account under
 * CARRIER_API_URL, names another recording than RecordingSid, or names another call.
 */
export function postedRecording(req: Request, opts: { carrierApiUrl: string; accountSid: string; callSid: string }): PostedRecording | undefined {
  const rawUrl = carrierParam(req, 'RecordingUrl');
  if (rawUrl === undefined) return undefined;
  const sid = carrierParam(req, 'RecordingSid');
  const resource = parseRecordingUrl(rawUrl, opts.carrierApiUrl, {
    recordingSid: sid !== undefined ? sid : undefined, accountSid: opts.accountSid || undefined, callSid: opts.callSid,
  });
  if (!CARRIER_SID.test(resource.recordingSid)) throw new UntrustedRecordingUrlError('RecordingUrl names a recording id that is not a carrier id');
  const duration = Number(carrierParam(req, 'RecordingDuration'));
  const known = carrierParam(req, 'RecordingDuration') !== undefined && Number.isFinite(duration);
  return { recordingSid: resource.recordingSid, recordingUrl: resource.url, durationSeconds: known ? Math.max(0, duration) : 0, silent: known && duration <= 0 };
}
