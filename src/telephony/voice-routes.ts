import { Request, Response, Router } from 'express';
import { CallStatusJournal } from '../calls/call-status-journal';
import { CallTurns } from '../calls/call-turns';
import { TurnDeadlineError } from '../errors';
import { FlowDefinition, FlowInput } from '../flow/types';
import { Logger } from '../logging/logger';
import { errorFields } from '../logging/error-cause';
import { failureKind, HotlineMetrics, TurnResult, TurnWebhook } from '../ops/metrics';
import { logCallEnd } from '../calls/call-end';
import { callerIdFor } from '../store/callers';
import { isTestCall } from '../store/ratings';
import { CallsRepository, CALL_STATUSES } from '../store/calls';
import { LastTurn } from '../store/calls';
import { UntrustedRecordingUrlError } from '../messages/carrier-recordings';
import { CARRIER_SID, carrierParam, postedRecording } from './carrier-params';
import { PromptUrl, renderSystemError, renderTwiml } from './twiml';
import { isWithheldCaller } from './withheld-caller';

export interface VoiceRoutesDeps {
  turns: CallTurns;
  calls: CallsRepository;
  publicBaseUrl: string;
  callerHashSecret: string;
  languages: readonly string[];
  defaultLanguage: string;
  promptUrl: PromptUrl;
  logger: Logger;
  /** CARRIER_API_URL and TWILIO_ACCOUNT_SID: a posted RecordingUrl must be ours, under the API. */
  carrierApiUrl: string;
  accountSid: string;
  /**
   * Listens to a posted recording: true when it holds no speech, undefined when that could not be
   * told in time (the download worker checks again before anything is kept).
   */
  recordingIsSilent?: (recordingUrl: string) => Promise<boolean | undefined>;
  now?: () => Date;
  /** How long a turn may take before the caller hears error.system (default TURN_DEADLINE_MS). */
  turnDeadlineMs?: number;
  /** Keeps a call status the database would not take, and saves it once it answers (src/calls/call-status-journal.ts). */
  statusJournal?: CallStatusJournal;
  /** How long a status callback keeps trying the database before the status goes to the journal (default STATUS_SAVE_BUDGET_MS). */
  statusSaveBudgetMs?: number;
  /** The flow's nodes, so the call-end log line can tell which were information (src/calls/call-end.ts). */
  flow?: Pick<FlowDefinition, 'nodes'>;
  /** Turn times, errors and ended calls, for Prometheus (src/ops/metrics.ts). */
  metrics?: Pick<HotlineMetrics, 'turnAnswered' | 'error' | 'callEnded'>;
}

/**
 * A status callback tries the database this long (a brief outage or a failover passes) before
 * its status is kept on disk instead; well within any carrier's wait for the answer.
 */
export const STATUS_SAVE_BUDGET_MS = 5_000;

/**
 * Twilio waits 15 s for a webhook, then plays its own error message. A turn still waiting on an
 * overloaded or stalled database after 10 s answers error.system instead (an earlier, slower test
 * server showed turns queueing past 15 s at 200 concurrent calls).
 */
export const TURN_DEADLINE_MS = 10_000;

const CALL_SID = CARRIER_SID;

const param = carrierParam;

/**
 * The webhooks. POST /voice/incoming and POST /voice/status are the two URLs configured at the
 * carrier; /voice/turn is where the app's own Gather, Record and Redirect send the call next.
 * Signature checks are mounted in front of this router (src/app.ts).
 */
export function voiceRoutes(deps: VoiceRoutesDeps): Router {
  const router = Router();
  const now = deps.now ?? (() => new Date());

  const languageOf = (req: Request) => {
    const l = typeof req.query.l === 'string' ? req.query.l : '';
    return deps.languages.includes(l) ? l : deps.defaultLanguage;
  };

  const reply = (res: Response, twiml: string) => res.status(200).type('text/xml').send(twiml);

  const deadlineMs = deps.turnDeadlineMs ?? TURN_DEADLINE_MS;
  /** The turn's answer, or TurnDeadlineError once the deadline passes (the work itself goes on and is kept). */
  const withinDeadline = <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TurnDeadlineError(`the turn took longer than ${deadlineMs} ms`)), deadlineMs);
    });
    work.catch(() => undefined); // a failure after the deadline was already answered with error.system
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  };

  const render = (last: LastTurn) => {
    const base = `${deps.publicBaseUrl}/voice/turn?t=${last.turn}&l=${encodeURIComponent(last.language)}`;
    return renderTwiml(last.output, (id, lang) => deps.promptUrl(id, lang ?? last.language), {
      action: base,
      silence: `${base}&in=silence`,
      recordingStatus: `${deps.publicBaseUrl}/voice/recording-status`,
    });
  };

  /** Times a turn from its webhook's arrival to the answer; test calls (the warm-up, "try the line") are not counted. */
  const turnTimer = (webhook: TurnWebhook, callSid: string) => {
    const started = performance.now();
    return (result: TurnResult) => {
      if (!isTestCall(callSid)) deps.metrics?.turnAnswered(webhook, result, (performance.now() - started) / 1000);
    };
  };

  /** A caller never hears a crash or the carrier's error: every failure answers error.system. */
  const failSafely = (req: Request, res: Response, err: unknown, callSid?: string) => {
    deps.logger.error({ callSid, path: req.path, ...errorFields(err) }, 'turn failed; caller hears error.system');
    deps.metrics?.error('error_system_answered');
    deps.metrics?.error(failureKind(err));
    // For the call-end line; the database may be what failed, so this may fail too.
    if (callSid) void deps.calls.noteSystemError(callSid, now()).catch(() => undefined);
    reply(res, renderSystemError(deps.promptUrl, languageOf(req)));
  };

  /**
   * A signed request this route cannot serve (parameters missing or garbage). Somleng executes
   * whatever body it gets (somleng-switch components/app/app/models/twiml_endpoint.rb returns
   * `last_response.to_s` whatever the status) and hangs up in silence on a body that is not TwiML
   * (workflows/execute_twiml.rb rescues TwiMLError); Twilio plays its own error on a 4xx. So the
   * caller hears error.system and the call ends, and the log says what was wrong.
   */
  const refuseWithTwiml = (req: Request, res: Response, why: string) => {
    deps.logger.warn({ path: req.path, why }, 'signed webhook could not be served; caller hears error.system');
    deps.metrics?.error('error_system_answered');
    reply(res, renderSystemError(deps.promptUrl, languageOf(req)));
  };

  const callerIdOf = (callSid: string, from: string | undefined) => {
    // Withheld numbers (every carrier placeholder too) are not one caller: key them by the call so nothing is remembered.
    const number = isWithheldCaller(from) ? `anonymous:${callSid}` : from!;
    return callerIdFor(number, deps.callerHashSecret);
  };

  /** A call the hotline placed (only callbacks run this flow; answer calls have /voice/answer). */
  const isCallback = (req: Request) => param(req, 'Direction') === 'outbound-api';

  /** The citizen's number: From on their call, To on a call the hotline placed (a callback). */
  const partyOf = (req: Request) => (param(req, 'Direction') === 'outbound-api' ? param(req, 'To') : param(req, 'From'));

  /** How the call opens: a callback, a promise news call (`?news=<entry>` on a call the hotline placed), a withheld number. */
  const startOptions = (req: Request) => {
    const callback = isCallback(req);
    const news = typeof req.query.news === 'string' && /^[0-9a-f-]{36}$/.test(req.query.news) ? req.query.news : undefined;
    return { callback, withheld: isWithheldCaller(partyOf(req)), ...(callback && news ? { newsCallId: news } : {}) };
  };

  router.post('/incoming', async (req, res) => {
    const callSid = param(req, 'CallSid');
    if (!callSid || !CALL_SID.test(callSid)) {
      refuseWithTwiml(req, res, 'CallSid is missing or malformed');
      return;
    }
    const answered = turnTimer('incoming', callSid);
    try {
      reply(res, render(await withinDeadline(deps.turns.start(callSid, callerIdOf(callSid, partyOf(req)), startOptions(req)))));
      answered('answered');
    } catch (err) {
      failSafely(req, res, err, callSid);
      answered('error_system');
    }
  });

  router.post('/turn', async (req, res) => {
    const callSid = param(req, 'CallSid');
    const turn = Number(req.query.t);
    if (!callSid || !CALL_SID.test(callSid) || !Number.isInteger(turn) || turn < 1 || turn > 100_000) {
      refuseWithTwiml(req, res, 'CallSid or the turn number is missing or malformed');
      return;
    }
    const answered = turnTimer('turn', callSid);
    let input: FlowInput;
    try {
      input = inputOf(req, { carrierApiUrl: deps.carrierApiUrl, accountSid: deps.accountSid, callSid });
    } catch (err) {
      if (!(err instanceof UntrustedRecordingUrlError)) throw err;
      refuseWithTwiml(req, res, `RecordingUrl refused: ${err.message}`);
      return;
    }
    try {
      const last = await withinDeadline((async () => {
        // A test call from the staff "try the line" page never reached a carrier: nothing to listen to.
        if (input.type === 'recording' && !input.silent && deps.recordingIsSilent && !isTestCall(callSid)) {
          const silent = await deps.recordingIsSilent(input.recordingUrl);
          if (silent) input = { ...input, silent: true };
        }
        return (await deps.turns.resume(callSid, turn, input, partyOf(req))) ?? deps.turns.start(callSid, callerIdOf(callSid, partyOf(req)), startOptions(req));
      })());
      reply(res, render(last));
      answered('answered');
    } catch (err) {
      failSafely(req, res, err, callSid);
      answered('error_system');
    }
  });

  router.post('/status', async (req, res) => {
    const callSid = param(req, 'CallSid');
    const status = param(req, 'CallStatus');
    if (!callSid || !CALL_SID.test(callSid) || !status || !CALL_STATUSES.includes(status)) {
      res.status(400).type('text/plain').send('Bad request: CallSid or CallStatus is missing or unknown.\n');
      return;
    }
    const posted = Number(param(req, 'CallDuration'));
    const durationSeconds = Number.isFinite(posted) && posted >= 0 ? posted : undefined;
    const at = now();
    let ended = false;
    const saved = await saveWithRetries(async () => {
      if (await deps.calls.recordStatus(callSid, status, durationSeconds, at)) ended = true;
    }, deps.statusSaveBudgetMs ?? STATUS_SAVE_BUDGET_MS);
    if (saved === true) {
      res.status(204).end();
      // Only the write that made the call's status final logs its end: one line per call, whatever the copies and instances.
      if (ended) void logCallEnd(deps, callSid, status, durationSeconds);
      // The database answers again: what was kept during an outage goes in now (after the answer, off the carrier's wait).
      if (deps.statusJournal?.hasPending()) void deps.statusJournal.replay().catch(() => undefined);
      return;
    }
    // The carrier will not post it again (Somleng never retries a webhook): keep it on disk rather than lose it.
    deps.metrics?.error('store_failed');
    try {
      if (!deps.statusJournal) throw new Error('no journal');
      deps.statusJournal.append({ callSid, status, durationSeconds, at: at.toISOString() });
      deps.logger.warn({ callSid, status, err: saved.message }, 'call status not saved: the database did not answer; kept on disk and saved when it is back');
      res.status(202).type('text/plain').send('Accepted: the call status is kept and will be saved when the database is back.\n');
    } catch (err) {
      // Even the disk refused: the log line is the last copy (an operator can replay it by hand).
      deps.logger.error({ callSid, status, durationSeconds, at: at.toISOString(), err: saved.message, journal: (err as Error).message }, 'call status lost: neither the database nor the disk took it');
      deps.metrics?.error('call_status_lost');
      res.status(503).type('text/plain').send('Service unavailable: the call status could not be saved.\n');
    }
  });

  return router;
}

/**
 * Tries `write` again with growing pauses until it succeeds or `budgetMs` has passed (an attempt
 * still running then is left to finish: a status written twice changes nothing). Returns true,
 * or the last error.
 */
export async function saveWithRetries(write: () => Promise<void>, budgetMs: number): Promise<true | Error> {
  const deadline = Date.now() + budgetMs;
  let pause = 100;
  let last: Error = new Error('the database did not answer in time');
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return last;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), left); });
    const attempt = write().then(() => true as const, (err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    const outcome = await Promise.race([attempt, late]).finally(() => clearTimeout(timer));
    if (outcome === true) return true;
    if (outcome === 'late') return last;
    last = outcome;
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, deadline - Date.now()))));
    pause = Math.min(pause * 2, 1000);
  }
}

/**
 * What the caller did, from the carrier's parameters. Anything but keys 0-9 * # is an invalid key.
 * A recording is read by postedRecording (RecordingSid, or its identity from RecordingUrl).
 */
export function inputOf(req: Request, carrier: { carrierApiUrl: string; accountSid: string; callSid: string }): FlowInput {
  if (req.query.in === 'silence') return { type: 'silence' };
  const recording = postedRecording(req, carrier);
  if (recording) return { type: 'recording', ...recording, referenceNumber: '' };
  const digits = param(req, 'Digits');
  if (digits === undefined) {
    // Digits sent twice (an array) is garbage, not silence: it must not count towards hanging up.
    const sent = req.body && typeof req.body === 'object' && 'Digits' in (req.body as object);
    return sent ? { type: 'digits', digits: '?' } : { type: 'silence' };
  }
  return { type: 'digits', digits: /^[0-9*#]{0,20}$/.test(digits) ? digits : '?' };
}
