import { Request } from 'express';

/** Carrier ids (CallSid, RecordingSid): Twilio's two letters + 32 hex, Somleng's UUIDs. */
export const CARRIER_SID = /^[A-Za-z0-9-]{10,64}$/;

/** A form parameter the carrier posted, or undefined when it is missing or not a single string. */
export function carrierParam(req: Request, name: string): string | undefined {
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  const v = body[name];
  return typeof v === 'string' ? v : undefined;
}
