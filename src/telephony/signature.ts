import { NextFunction, Request, Response } from 'express';
// The one part of twilio used here: the whole package takes a fifth of a second to load.
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';
import { Logger } from '../logging/logger';
import type { HotlineMetrics } from '../ops/metrics';

/**
 * Checks X-Twilio-Signature against PUBLIC_BASE_URL plus the request path and query: behind a
 * proxy the Host header and protocol are not the URL the carrier signed.
 */
export function requireCarrierSignature(opts: { enabled: boolean; authToken: string; publicBaseUrl: string; logger: Logger; metrics?: Pick<HotlineMetrics, 'error'> }) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!opts.enabled) {
      res.locals.carrierSigned = true;
      return next();
    }
    const signature = req.header('x-twilio-signature');
    const url = opts.publicBaseUrl + req.originalUrl;
    const params = req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {};
    if (signature && validateRequest(opts.authToken, signature, url, params)) {
      // Past this point the request is the carrier's: whatever goes wrong, it is answered with TwiML.
      res.locals.carrierSigned = true;
      return next();
    }
    opts.logger.warn({ path: req.path, hasSignature: Boolean(signature), checkedUrl: url }, refusalMessage(Boolean(signature), url));
    opts.metrics?.error('signature_refused');
    res.status(403).type('text/plain').send('Forbidden: the X-Twilio-Signature header does not match this request.\n');
  };
}

/**
 * What an operator reads when webhooks are refused: the usual cause on a new line is one of the
 * two settings the check rests on, so the line names both and the URL the signature was checked
 * against (never the token).
 */
export function refusalMessage(hasSignature: boolean, checkedUrl: string): string {
  if (!hasSignature) {
    return `webhook refused: no X-Twilio-Signature header on a request to ${checkedUrl}: it did not come from the carrier, or a proxy in front drops the header`;
  }
  return `webhook refused: X-Twilio-Signature does not match ${checkedUrl}: check that TWILIO_AUTH_TOKEN is the auth token of the carrier account that calls this line, and that PUBLIC_BASE_URL is exactly the address the carrier's webhook URLs start with (https or http, host, no trailing slash)`;
}

/** Signs a webhook the way the carrier does (for the simulator, the try-the-line page and tests). */
export function signWebhook(authToken: string, url: string, params: Record<string, string>): string {
  return getExpectedTwilioSignature(authToken, url, params);
}
