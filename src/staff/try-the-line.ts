/**
 * Try the line: a phone keypad in the browser that runs a test call through the real webhooks.
 *
 * The browser never talks to /voice itself (it has no carrier token). It posts each keypad action
 * here; this module signs the matching carrier request with TWILIO_AUTH_TOKEN exactly as the
 * carrier would (src/simulator's CallSimulator.post), sends it over loopback to this same server,
 * parses the TwiML answer and returns the prompts to play, in order, with their reference text.
 * So the call passes through signature checks, the flow, the call store and the TwiML renderer
 * like a real one; the language is chosen on the call's own language menu.
 *
 * Test calls are kept out of real figures: their CallSid starts with TEST_CALL_SID_PREFIX, so
 * ratings are stored with testCall: true (src/store/ratings.ts) and reports leave them out;
 * a voice message left on a test call is marked testCall and never listed, and no recording
 * status callback is sent, so nothing is downloaded from the carrier. The caller number is
 * TRY_THE_LINE_NUMBER (country code 0 does not exist, so it is never a real caller).
 */
import * as crypto from 'node:crypto';
import { lazyAjv } from '../schema-validation';
import { Request } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { MessageQueries, StaffVisibleMessage } from '../messages/message-queries';
import { CallSimulator, parseTwiml, promptOf } from '../simulator/call-simulator';
import { TEST_CALL_SID_PREFIX } from '../store/ratings';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { sendPage } from './layout';
import { StaffPages } from './staff-router';

/** The fixed caller number of every test call: not a number any phone can have. */
export const TRY_THE_LINE_NUMBER = '+0000000000';

export interface HeardPromptView {
  id: string;
  language: string;
  /** Same-origin path of the recording, e.g. /audio/km/welcome.wav. */
  url: string;
  text: string;
}

export interface TurnView {
  callSid: string;
  prompts: HeardPromptView[];
  expects: 'keys' | 'record' | 'ended';
  gather?: { numDigits?: number; finishOnKey: string; timeoutSeconds: number };
  record?: { maxLengthSeconds: number };
}

interface NextStep {
  kind: 'keys' | 'record' | 'ended';
  action?: string;
  redirect?: string;
}

/** One test call in progress, owned by the staff session that started it. */
interface TestCall {
  _id: string;
  sessionId: string;
  username: string;
  next: NextStep;
  /** Started with the number withheld, so the hotline treats the caller as new. */
  firstTime: boolean;
  recordings: number;
  startedAt: Date;
  updatedAt: Date;
  /** TTL index: abandoned test calls disappear after a day. */
  expiresAt: Date;
}

const ajv = lazyAjv({ allErrors: true });
const validateStart = ajv.compile({
  type: 'object',
  properties: { firstTime: { type: 'boolean' } },
  additionalProperties: false,
});
const validateAction = ajv.compile({
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: {
    action: { enum: ['keys', 'silence', 'record', 'hangup'] },
    digits: { type: 'string', pattern: '^[0-9*#]{1,20}$' },
    seconds: { type: 'integer', minimum: 1, maximum: 300 },
  },
});

const CALL_SID = new RegExp(`^${TEST_CALL_SID_PREFIX}[0-9a-f]{22}$`);

export const tryTheLinePages: StaffPages = (router, deps) => {
  const rt = deps.rt;
  const calls = rt.store.collection<TestCall>('staff_test_calls');
  const messages = new MessageQueries(rt.store.collection<StaffVisibleMessage>('messages'));
  const everyone = requireRole('admin', 'reviewer', 'viewer');
  deps.nav.push({ href: '/staff/try-the-line', key: 'nav.try-the-line', roles: ['admin', 'reviewer', 'viewer'] });

  /** This server as it is reached over loopback: the address and port the staff request came in on. */
  const loopbackUrl = (req: Request) => {
    let host = req.socket.localAddress ?? '127.0.0.1';
    if (host.startsWith('::ffff:')) host = host.slice(7);
    if (host === '0.0.0.0' || host === '::') host = '127.0.0.1';
    if (host.includes(':')) host = `[${host}]`;
    return `http://${host}:${req.socket.localPort}`;
  };

  const carrier = (req: Request, callSid: string, from: string) =>
    new CallSimulator({ serverUrl: loopbackUrl(req), publicBaseUrl: rt.config.publicBaseUrl, authToken: rt.config.twilioAuthToken, from, callSid });

  const baseParams = (callSid: string, from: string) => ({
    CallSid: callSid, AccountSid: rt.config.twilioAccountSid || 'ACtrytheline', From: from, To: 'try-the-line', CallStatus: 'in-progress', Direction: 'inbound',
  });

  const sameOrigin = (url: string) => (url.startsWith(rt.config.publicBaseUrl) ? url.slice(rt.config.publicBaseUrl.length) : url);

  /** Reads the hotline's TwiML the way a phone would: what it plays, then what it waits for. */
  const view = (callSid: string, twiml: string): { view: TurnView; next: NextStep } => {
    const prompts: HeardPromptView[] = [];
    const heard = (url: string) => {
      const p = promptOf(url);
      const entry = rt.catalog.prompts[p.id];
      prompts.push({ id: p.id, language: p.language, url: sameOrigin(url), text: entry ? entry.text[p.language] ?? entry.text.en : '' });
    };
    const next: NextStep = { kind: 'ended' };
    const out: TurnView = { callSid, prompts, expects: 'ended' };
    for (const v of parseTwiml(twiml)) {
      if (v.name === 'Play') heard(v.text);
      if (v.name === 'Gather') {
        for (const c of v.children) if (c.name === 'Play') heard(c.text);
        next.kind = 'keys';
        next.action = v.attrs.action;
        out.gather = {
          numDigits: v.attrs.numDigits ? Number(v.attrs.numDigits) : undefined,
          finishOnKey: v.attrs.finishOnKey ?? '#',
          timeoutSeconds: Number(v.attrs.timeout ?? 5),
        };
      }
      if (v.name === 'Record') {
        next.kind = 'record';
        next.action = v.attrs.action;
        out.record = { maxLengthSeconds: Number(v.attrs.maxLength ?? 120) };
      }
      if (v.name === 'Redirect') next.redirect = v.text;
      if (v.name === 'Hangup') next.kind = 'ended';
    }
    out.expects = next.kind;
    return { view: out, next };
  };

  /** Sends one signed carrier request over loopback and keeps where the call goes next. */
  const relay = async (req: Request, call: TestCall, url: string, params: Record<string, string>): Promise<TurnView> => {
    const sim = carrier(req, call._id, params.From);
    const res = await sim.post(url, params);
    // A voice message left on a test call must never reach the staff list.
    await messages.markTestCall(call._id);
    if (res.status !== 200) {
      rt.logger.error({ callSid: call._id, status: res.status }, 'try the line: the hotline refused the relayed webhook');
      throw new BadRequestError(`The hotline answered HTTP ${res.status}: ${res.body.trim().slice(0, 200)}`, { key: 'try.hotline-refused', vars: { status: res.status } });
    }
    const { view: v, next } = view(call._id, res.body);
    await calls.updateOne({ _id: call._id }, { $set: { next, updatedAt: new Date() } });
    if (next.kind === 'ended') await sim.post('/voice/status', { ...params, CallStatus: 'completed', CallDuration: '60' });
    return v;
  };

  router.get('/try-the-line', everyone, (_req, res) => {
    const t = tr(res);
    sendPage(res, {
      title: t('try.title'),
      scripts: ['try-the-line.js'],
      body: tryTheLineBody(t),
    });
  });

  router.post('/try-the-line/calls', everyone, async (req, res, next) => {
    try {
      const body = req.body ?? {};
      if (!validateStart(body)) throw new BadRequestError('Start a call with {"firstTime": true|false}.', { key: 'try.bad-request' });
      const { session, staff } = staffLocals(res);
      const callSid = `${TEST_CALL_SID_PREFIX}${crypto.randomBytes(11).toString('hex')}`;
      // "First-time caller" withholds the number: the hotline then remembers nothing about the caller.
      const from = (body as { firstTime?: boolean }).firstTime ? 'anonymous' : TRY_THE_LINE_NUMBER;
      const at = new Date();
      const call: TestCall = {
        _id: callSid, sessionId: session._id, username: staff.username, next: { kind: 'ended' }, firstTime: from === 'anonymous', recordings: 0,
        startedAt: at, updatedAt: at, expiresAt: new Date(at.getTime() + 24 * 60 * 60 * 1000),
      };
      await calls.insertOne(call);
      await deps.audit.record({ username: staff.username, action: 'try-the-line', detail: { callSid, firstTime: from === 'anonymous' } });
      const params = { ...baseParams(callSid, from), CallStatus: 'ringing' };
      res.json(await relay(req, call, '/voice/incoming', params));
    } catch (err) {
      next(err);
    }
  });

  router.post('/try-the-line/calls/:sid', everyone, async (req, res, next) => {
    try {
      const sid = String(req.params.sid);
      const body = req.body ?? {};
      if (!CALL_SID.test(sid)) throw new NotFoundError('No such test call.', { key: 'try.no-call' });
      if (!validateAction(body)) throw new BadRequestError('Send {"action": "keys", "digits": "1"}, {"action": "silence"}, {"action": "record", "seconds": 5} or {"action": "hangup"}.', { key: 'try.bad-request' });
      const { session } = staffLocals(res);
      const call = await calls.findOne({ _id: sid, sessionId: session._id });
      if (!call) throw new NotFoundError('No such test call (calls belong to the session that started them).', { key: 'try.no-call' });
      const action = body as { action: 'keys' | 'silence' | 'record' | 'hangup'; digits?: string; seconds?: number };
      const params = baseParams(sid, call.firstTime ? 'anonymous' : TRY_THE_LINE_NUMBER);
      const nextStep = call.next;
      if (action.action === 'hangup' || nextStep.kind === 'ended') {
        await calls.updateOne({ _id: sid }, { $set: { next: { kind: 'ended' }, updatedAt: new Date() } });
        if (nextStep.kind !== 'ended') await carrier(req, sid, params.From).post('/voice/status', { ...params, CallStatus: 'completed', CallDuration: '60' });
        res.json({ callSid: sid, prompts: [], expects: 'ended' } satisfies TurnView);
        return;
      }
      if (action.action === 'silence') {
        if (!nextStep.redirect) throw new BadRequestError('The hotline gave nothing to do on silence.', { key: 'try.not-now' });
        res.json(await relay(req, call, nextStep.redirect, params));
        return;
      }
      if (action.action === 'keys') {
        if (nextStep.kind !== 'keys' || !nextStep.action) throw new BadRequestError('The hotline is not waiting for keys now.', { key: 'try.not-now' });
        if (!action.digits) throw new BadRequestError('Which keys?', { key: 'try.bad-request' });
        res.json(await relay(req, call, nextStep.action, { ...params, Digits: action.digits }));
        return;
      }
      if (nextStep.kind !== 'record' || !nextStep.action) throw new BadRequestError('The hotline is not recording now.', { key: 'try.not-now' });
      const n = call.recordings + 1;
      await calls.updateOne({ _id: sid }, { $set: { recordings: n } });
      const recordingSid = `RE${sid.slice(2)}${String(n).padStart(2, '0')}`;
      res.json(await relay(req, call, nextStep.action, {
        ...params,
        RecordingSid: recordingSid,
        RecordingUrl: `${rt.config.carrierApiUrl}/2010-04-01/Accounts/${params.AccountSid}/Recordings/${recordingSid}`,
        RecordingDuration: String(action.seconds ?? 5),
        Digits: '#',
      }));
    } catch (err) {
      next(err);
    }
  });
};

/** Words the page's script shows, in the reader's language. */
const SCRIPT_STRINGS = {
  sessionEnded: 'try.session-ended', problem: 'try.problem', playing: 'try.playing', hungUp: 'try.hung-up', recording: 'try.recording',
  pressKey: 'try.press-key', you: 'try.you', sending: 'try.sending', calling: 'try.calling', testCall: 'try.test-call',
  youHungUp: 'try.you-hung-up', ended: 'try.ended', skipped: 'try.skipped', missing: 'try.missing',
} as const;

function tryTheLineBody(t: Translate): SafeHtml {
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
  const strings = JSON.stringify(Object.fromEntries(Object.entries(SCRIPT_STRINGS).map(([k, key]) => [k, t(key)])));
  return html`
<p class="notice">${t('try.notice', { number: TRY_THE_LINE_NUMBER })}</p>
<div id="phone" class="phone" data-state="idle" data-strings="${strings}">
  <div class="phone-screen" aria-live="polite">
    <p id="call-status">${t('try.not-connected')}</p>
    <p id="now-playing" class="now-playing"></p>
    <p id="typed" class="typed"></p>
  </div>
  <div class="keypad" role="group" aria-label="${t('try.keypad')}">
    ${keys.map((k) => html`<button type="button" class="key" data-key="${k}" disabled>${k}</button>`)}
  </div>
  <div class="call-buttons">
    <button type="button" id="call-start">${t('try.call')}</button>
    <label class="inline"><input type="checkbox" id="first-time"> ${t('try.first-time')}</label>
    <button type="button" id="call-silence" class="secondary" disabled>${t('try.silent')}</button>
    <button type="button" id="call-hangup" class="secondary" disabled>${t('try.hang-up')}</button>
  </div>
  <p id="record-hint" class="muted" hidden>${t('try.record-hint')}</p>
</div>
<h2>${t('try.heard')}</h2>
<ol id="transcript" class="transcript"></ol>`;
}
