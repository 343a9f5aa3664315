import express, { NextFunction, Request, Response } from 'express';
import { AppError, StoreError } from './errors';
import { Runtime } from './runtime';
import { requireCarrierSignature } from './telephony/signature';
import { voiceRoutes } from './telephony/voice-routes';
import { recordingRoutes } from './telephony/recording-routes';
import { answerAudioRoutes, outboundRoutes } from './telephony/outbound-routes';
import { renderSystemError } from './telephony/twiml';
import { carrierRecordingsFor } from './messages/recording-download-worker';
import { IN_CALL_CHECK_MS, inCallSilenceCheck } from './messages/recording-silence';
import { staffRouter } from './staff/staff-router';
import { publicRouter } from './public/public-router';
import { AuditLog } from './staff/audit-log';
import { errorFields } from './logging/error-cause';
import { failureKind } from './ops/metrics';

/** /audio/<language>/<prompt id>.wav, as src/prompts/prompt-audio.ts makes the URLs. */
const PROMPT_AUDIO_PATH = /^\/[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.wav$/;

/** The HTTP app: carrier webhooks, prompt audio, and (mounted by their modules) the staff pages. */
export function createApp(rt: Runtime): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Off unless TRUST_PROXY names the reverse proxy in front: then req.ip is the real client.
  app.set('trust proxy', rt.config.trustProxy);

  // Each dependency, and 503 when callers cannot be served (src/ops/health.ts).
  // No /metrics here: it has a listener of its own (METRICS_PORT, src/ops/metrics-endpoint.ts), never the public port.
  app.get('/health', async (_req, res) => {
    const report = await rt.health.report();
    res.status(report.serving ? 200 : 503).setHeader('Cache-Control', 'no-store').json(report);
  });

  // Prompt audio is public (the carrier fetches it); ETag lets the carrier revalidate after a re-recording.
  // Only <language>/<prompt id>.wav: nothing else in AUDIO_DIR (notes, lists, a stray file) is served,
  // always as audio/wav with nosniff, so no browser reads a planted file as a page or a script.
  app.use('/audio', (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !PROMPT_AUDIO_PATH.test(req.path)) {
      res.status(404).type('text/plain').send('Not found.\n');
      return;
    }
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use('/audio', express.static(rt.config.audioDir, {
    setHeaders: (res) => res.setHeader('Content-Type', 'audio/wav'),
    fallthrough: true,
    etag: true,
    lastModified: true,
    maxAge: '10m',
    index: false,
    dotfiles: 'ignore',
  }));

  const carrierBody = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 100 });
  app.use(
    '/voice',
    carrierBody,
    requireCarrierSignature({
      enabled: rt.config.signatureCheck,
      authToken: rt.config.twilioAuthToken,
      publicBaseUrl: rt.config.publicBaseUrl,
      logger: rt.logger,
      metrics: rt.metrics,
    }),
    voiceRoutes({
      turns: rt.turns,
      calls: rt.calls,
      publicBaseUrl: rt.config.publicBaseUrl,
      callerHashSecret: rt.config.callerHashSecret,
      languages: rt.languages.languages.map((l) => l.code),
      defaultLanguage: rt.languages.default,
      promptUrl: (id, lang) => rt.audio.url(id, lang ?? rt.languages.default),
      logger: rt.logger,
      carrierApiUrl: rt.config.carrierApiUrl,
      accountSid: rt.config.twilioAccountSid,
      recordingIsSilent: inCallSilenceCheck(carrierRecordingsFor(rt.config, IN_CALL_CHECK_MS), rt.logger),
      statusJournal: rt.callStatusJournal,
      flow: rt.flow,
      metrics: rt.metrics,
    }),
    recordingRoutes({ messages: rt.messages, carrierApiUrl: rt.config.carrierApiUrl, accountSid: rt.config.twilioAccountSid, logger: rt.logger }),
    outboundRoutes({
      outbound: rt.outbound, logger: rt.logger, messages: rt.messages, audit: new AuditLog(rt.store), publicBaseUrl: rt.config.publicBaseUrl,
      promptUrl: (id, lang) => rt.audio.url(id, lang ?? rt.languages.default), defaultLanguage: rt.languages.default,
      answerAudioKey: rt.config.outbound.numberKey,
    }),
    carrierFallback(rt),
  );
  app.use('/voice', carrierErrorHandler(rt));

  // Public like prompt audio, for the carrier: one recorded answer, behind a keyed token, during its call.
  app.use('/answer-audio', answerAudioRoutes({ store: rt.store, queue: rt.outbound.queue, answerAudioKey: rt.config.outbound.numberKey }));

  app.use('/staff', staffRouter(rt));
  // Published results for citizens, no sign-in (src/public/public-router.ts).
  app.use('/public', publicRouter(rt));

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found.\n');
  });
  app.use(errorHandler(rt));
  return app;
}

/** The caller's answer when a signed carrier request cannot be served: error.system, then hang up. */
function systemErrorTwiml(rt: Runtime): string {
  return renderSystemError((id, lang) => rt.audio.url(id, lang ?? rt.languages.default), rt.languages.default);
}

/**
 * A signed request to a /voice path the hotline does not serve (a voice URL mistyped at the
 * carrier): the caller hears error.system rather than the carrier's silence or error message.
 */
function carrierFallback(rt: Runtime) {
  return (req: Request, res: Response) => {
    rt.logger.warn({ path: req.path, method: req.method }, 'the carrier called a /voice path the hotline does not serve: check the voice URL configured at the carrier (POST /voice/incoming)');
    rt.metrics.error('error_system_answered');
    res.status(200).type('text/xml').send(systemErrorTwiml(rt));
  };
}

/** Any fault inside a signed carrier request is answered with TwiML too; others go to the general handler. */
function carrierErrorHandler(rt: Runtime) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!res.locals.carrierSigned || res.headersSent) return next(err);
    rt.logger.error({ path: req.path, ...errorFields(err) }, 'carrier request failed; caller hears error.system');
    rt.metrics.error('error_system_answered');
    rt.metrics.error(failureKind(err));
    res.status(200).type('text/xml').send(systemErrorTwiml(rt));
  };
}

/** What a staff member reads when the database fails or is too slow: what happened, what to do. */
export const STORE_UNAVAILABLE = 'The database did not answer in time (it is down or very busy). Try again in a minute. '
  + 'A report over the whole country or a long period takes longest: a smaller area or period may answer sooner. '
  + 'If it keeps happening, tell whoever runs the hotline: the server log says why.';

/** One place that turns errors into responses; never a stack trace to the client. */
function errorHandler(rt: Runtime) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string; expose?: boolean; message?: string };
    let status = err instanceof AppError ? err.status : e.status ?? e.statusCode ?? 500;
    if (status < 400 || status > 599) status = 500;
    let message = 'Internal error.';
    if (err instanceof AppError && status < 500) message = err.message;
    else if (err instanceof StoreError) message = STORE_UNAVAILABLE;
    else if (e.type === 'entity.too.large') message = 'Request body too large.';
    else if (e.type === 'entity.parse.failed') message = 'Request body could not be parsed.';
    else if (e.expose && e.message) message = e.message;
    if (status >= 500) {
      rt.logger.error({ path: req.path, ...errorFields(err) }, 'request failed');
      rt.metrics.error(failureKind(err) === 'store_failed' ? 'store_failed' : 'request_failed');
    }
    else rt.logger.warn({ path: req.path, status }, message);
    if (res.headersSent) return;
    res.status(status).type('text/plain').send(`${message}\n`);
  };
}
