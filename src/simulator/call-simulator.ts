import * as crypto from 'node:crypto';
import { signWebhook } from '../telephony/signature';

/**
 * Plays a caller against a running hotline the way the carrier does: signed form posts, then
 * following Gather, Record and Redirect. Used by `npm run simulate`, the tests and the load
 * generator.
 */

export type CallerAction =
  | { type: 'keys'; digits: string }
  | { type: 'silence' }
  | { type: 'record'; seconds: number; recordingSid?: string }
  | { type: 'hangup' };

export interface HeardPrompt {
  language: string;
  id: string;
  url: string;
}

export type SimEvent =
  | { type: 'heard'; prompt: HeardPrompt }
  | { type: 'pressed'; digits: string }
  | { type: 'silent' }
  | { type: 'recorded'; seconds: number; recordingSid: string }
  | { type: 'hung-up'; by: 'caller' | 'hotline' }
  | { type: 'http'; status: number; body: string };

interface TwimlVerb {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: TwimlVerb[];
}

/** Parses the flat TwiML the hotline returns (Response > verbs > Play). */
export function parseTwiml(xml: string): TwimlVerb[] {
  const body = /<Response>([\s\S]*)<\/Response>/.exec(xml)?.[1] ?? '';
  const verbs: TwimlVerb[] = [];
  const re = /<(\w+)((?:\s+\w+="[^"]*")*)\s*(?:\/>|>([\s\S]*?)<\/\1>)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2].matchAll(/(\w+)="([^"]*)"/g)) attrs[a[1]] = unescapeXml(a[2]);
    const inner = m[3] ?? '';
    verbs.push({ name: m[1], attrs, text: /</.test(inner) ? '' : unescapeXml(inner), children: /</.test(inner) ? parseTwiml(`<Response>${inner}</Response>`) : [] });
  }
  return verbs;
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export function promptOf(url: string): HeardPrompt {
  const m = /\/audio\/([^/]+)\/([^/]+)\.[a-z0-9]+$/.exec(url);
  return m ? { language: m[1], id: m[2], url } : { language: '?', id: url, url };
}

/** Parses "1,2,120101#,silence,record:20,hangup" into caller actions. */
export function parseScript(script: string): CallerAction[] {
  return script.split(',').map((s) => s.trim()).filter(Boolean).map((s): CallerAction => {
    if (s === 'silence' || s === '-') return { type: 'silence' };
    if (s === 'hangup') return { type: 'hangup' };
    const rec = /^record(?::(\d+))?$/.exec(s);
    if (rec) return { type: 'record', seconds: Number(rec[1] ?? 15) };
    if (/^[0-9*#]+$/.test(s)) return { type: 'keys', digits: s };
    throw new Error(`cannot understand caller action "${s}" (keys such as 1 or 120101, silence, record:20, hangup)`);
  });
}

export interface SimulatorOptions {
  /** Where to send requests (the server as this machine reaches it). */
  serverUrl: string;
  /** What the carrier believes the URL is (PUBLIC_BASE_URL): what signatures are computed over. */
  publicBaseUrl: string;
  authToken: string;
  from: string;
  callSid?: string;
  /** Sends the status callback at the end of the call (as the carrier does). */
  sendStatus?: boolean;
  /** outbound-api: a call the hotline placed (a callback); `from` is then the citizen, posted as To. */
  direction?: 'inbound' | 'outbound-api';
  /** The hotline's own number (To on an inbound call, From on a callback). */
  hotlineNumber?: string;
  onEvent?: (e: SimEvent) => void;
  /** Called before each of the caller's turns (the load generator pauses here). */
  beforeTurn?: () => Promise<void>;
  /** Asks for each action as the call goes (interactive use); otherwise the list given to run() is used. */
  nextAction?: () => Promise<CallerAction | undefined>;
  fetchImpl?: typeof fetch;
  /**
   * Which platform to play: what it posts differs (see src/telephony/carrier-profile.ts and the
   * carrier models in test/carriers/). Default twilio.
   */
  carrier?: 'twilio' | 'somleng';
  /** The account the carrier posts as, and in RecordingUrl (TWILIO_ACCOUNT_SID). */
  accountSid?: string;
  /** Where the carrier's recordings are (CARRIER_API_URL), for RecordingUrl. */
  carrierApiUrl?: string;
  /** Sends the recording status callback after each recording, as the carrier does. */
  sendRecordingStatus?: boolean;
  /** Called when the caller has recorded, before the carrier posts it (the simulator's stand-in API keeps it). */
  onRecorded?: (recordingSid: string, seconds: number) => void | Promise<void>;
}

export interface CallTranscript {
  callSid: string;
  events: SimEvent[];
  heard: HeardPrompt[];
  /** Time of each request from send to full response, in ms. */
  latenciesMs: number[];
  errors: string[];
  ended: boolean;
}

/** Somleng's ids are UUIDs (somleng db/schema.rb: phone_calls and recordings have `id: :uuid`). */
export function newUuid(): string {
  return crypto.randomUUID();
}

export function newCallSid(): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `CA${hex}`;
}

export class CallSimulator {
  private readonly fetchImpl: typeof fetch;
  readonly callSid: string;
  readonly transcript: CallTranscript;

  constructor(private readonly opts: SimulatorOptions) {
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.callSid = opts.callSid ?? (opts.carrier === 'somleng' ? newUuid() : newCallSid());
    this.transcript = { callSid: this.callSid, events: [], heard: [], latenciesMs: [], errors: [], ended: false };
  }

  private emit(e: SimEvent) {
    this.transcript.events.push(e);
    if (e.type === 'heard') this.transcript.heard.push(e.prompt);
    this.opts.onEvent?.(e);
  }

  /** Posts a signed form to a URL the hotline gave (absolute, under PUBLIC_BASE_URL) or a path. */
  async post(urlOrPath: string, params: Record<string, string>): Promise<{ status: number; body: string }> {
    const publicUrl = urlOrPath.startsWith('http') ? urlOrPath : this.opts.publicBaseUrl + urlOrPath;
    const target = this.opts.serverUrl + publicUrl.slice(this.opts.publicBaseUrl.length);
    const signature = signWebhook(this.opts.authToken, publicUrl, params);
    const started = performance.now();
    const res = await this.fetchImpl(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    const body = await res.text();
    this.transcript.latenciesMs.push(performance.now() - started);
    if (res.status >= 400) {
      this.transcript.errors.push(`${res.status} ${publicUrl}`);
      this.emit({ type: 'http', status: res.status, body });
    }
    return { status: res.status, body };
  }

  private get accountSid() {
    return this.opts.accountSid ?? 'ACsimulator';
  }

  private get apiUrl() {
    return (this.opts.carrierApiUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
  }

  /**
   * The parameters every request of the call carries. Somleng: Caller, Called, From, To, CallSid,
   * Direction, AccountSid, ApiVersion, and CallStatus `ringing` on the first request and
   * `in-progress` after it (somleng-switch components/app/app/call_controllers/call_controller.rb,
   * request_twiml and redirect). Twilio sends the same names.
   */
  private baseParams(callStatus = 'in-progress'): Record<string, string> {
    // A callback (outbound-api) comes from the hotline's number to the citizen.
    const hotline = this.opts.hotlineNumber ?? '+855000000';
    const [from, to] = this.opts.direction === 'outbound-api' ? [hotline, this.opts.from] : [this.opts.from, hotline];
    return {
      CallSid: this.callSid, AccountSid: this.accountSid, From: from, To: to, Caller: from, Called: to,
      CallStatus: callStatus, Direction: this.opts.direction ?? 'inbound', ApiVersion: '2010-04-01',
    };
  }

  /** What the carrier posts to a Record action (see test/carriers/ for each platform's sources). */
  recordActionParams(recordingSid: string, seconds: number): Record<string, string> {
    if (this.opts.carrier === 'somleng') {
      // somleng-switch components/app/app/workflows/execute_record.rb build_callback_params: only these two.
      return { ...this.baseParams(), RecordingUrl: this.recordingUrl(recordingSid), RecordingDuration: String(seconds) };
    }
    return { ...this.baseParams(), RecordingSid: recordingSid, RecordingUrl: this.recordingUrl(recordingSid), RecordingDuration: String(seconds), Digits: '#' };
  }

  /** The recording's resource URL as the carrier writes it (Somleng's names the call). */
  recordingUrl(recordingSid: string): string {
    return this.opts.carrier === 'somleng'
      ? `${this.apiUrl}/2010-04-01/Accounts/${this.accountSid}/Calls/${this.callSid}/Recordings/${recordingSid}`
      : `${this.apiUrl}/2010-04-01/Accounts/${this.accountSid}/Recordings/${recordingSid}`;
  }

  /** The recording status callback, as both carriers send it once the recording is ready. */
  async sendRecordingStatus(recordingSid: string, seconds: number): Promise<{ status: number; body: string }> {
    return this.post('/voice/recording-status', {
      AccountSid: this.accountSid, CallSid: this.callSid, RecordingSid: recordingSid, RecordingUrl: this.recordingUrl(recordingSid),
      RecordingStatus: 'completed', RecordingDuration: String(seconds), RecordingChannels: '1', RecordingSource: 'RecordVerb', ApiVersion: '2010-04-01',
    });
  }

  /** Runs the whole call: dials in, then plays the actions in order until the hotline or the script hangs up. */
  async run(actions: CallerAction[] = []): Promise<CallTranscript> {
    let res = await this.post('/voice/incoming', this.baseParams('ringing'));
    const queue = [...actions];
    let recordings = 0;
    while (res.status === 200) {
      const verbs = parseTwiml(res.body);
      const next = this.listen(verbs);
      if (next.kind === 'hangup') {
        this.emit({ type: 'hung-up', by: 'hotline' });
        break;
      }
      await this.opts.beforeTurn?.();
      const action = this.opts.nextAction ? await this.opts.nextAction() : queue.shift();
      if (!action || action.type === 'hangup') {
        this.emit({ type: 'hung-up', by: 'caller' });
        break;
      }
      if (action.type === 'silence') {
        this.emit({ type: 'silent' });
        if (!next.redirect) throw new Error('the hotline gave no Redirect to follow on silence');
        res = await this.post(next.redirect, this.baseParams());
      } else if (action.type === 'keys') {
        if (next.kind !== 'gather') throw new Error(`the hotline is not waiting for keys (it expects ${next.kind})`);
        this.emit({ type: 'pressed', digits: action.digits });
        res = await this.post(next.action!, { ...this.baseParams(), Digits: action.digits });
      } else {
        if (next.kind !== 'record') throw new Error(`the hotline is not recording (it expects ${next.kind})`);
        recordings += 1;
        const recordingSid = action.recordingSid
          ?? (this.opts.carrier === 'somleng' ? newUuid() : `RE${this.callSid.slice(2, 30)}${String(recordings).padStart(4, '0')}`);
        this.emit({ type: 'recorded', seconds: action.seconds, recordingSid });
        await this.opts.onRecorded?.(recordingSid, action.seconds);
        res = await this.post(next.action!, this.recordActionParams(recordingSid, action.seconds));
        if (this.opts.sendRecordingStatus && action.seconds > 0) await this.sendRecordingStatus(recordingSid, action.seconds);
      }
    }
    this.transcript.ended = true;
    if (this.opts.sendStatus !== false) {
      await this.post('/voice/status', { ...this.baseParams('completed'), CallDuration: '60' });
    }
    return this.transcript;
  }

  /** Notes every prompt the TwiML plays, and what the call waits for next. */
  private listen(verbs: TwimlVerb[]): { kind: 'gather' | 'record' | 'hangup' | 'none'; action?: string; redirect?: string } {
    let kind: 'gather' | 'record' | 'hangup' | 'none' = 'none';
    let action: string | undefined;
    let redirect: string | undefined;
    for (const v of verbs) {
      if (v.name === 'Play') this.emit({ type: 'heard', prompt: promptOf(v.text) });
      if (v.name === 'Gather') {
        for (const c of v.children) if (c.name === 'Play') this.emit({ type: 'heard', prompt: promptOf(c.text) });
        kind = 'gather';
        action = v.attrs.action;
      }
      if (v.name === 'Record') {
        kind = 'record';
        action = v.attrs.action;
      }
      if (v.name === 'Redirect') redirect = v.text;
      if (v.name === 'Hangup') kind = 'hangup';
    }
    return { kind, action, redirect };
  }
}
