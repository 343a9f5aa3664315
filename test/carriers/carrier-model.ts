import { toneWav } from '../../src/simulator/recording-api-stand-in';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { parseTwiml, promptOf } from '../../src/simulator/call-simulator';
import { signWebhook } from '../../src/telephony/signature';

/**
 * What a carrier-conformance test drives: one model per platform (./twilio-model.ts,
 * ./somleng-model.ts), each written from that platform's documentation or source, with the
 * source cited beside each behaviour. A model plays a caller against the real webhooks of a
 * running hotline: it executes the TwiML the hotline returns as that platform does, posts what
 * that platform posts, and serves recordings the way that platform's REST API does.
 */

/** What the caller does next. Keys come with the seconds before each (time since the previous key, or since the question). */
export type CallerAct =
  | { do: 'keys'; keys: string; gapsSeconds?: number[] }
  | { do: 'silence' }
  | { do: 'record'; seconds: number; silent?: boolean }
  | { do: 'hangup' };

/** Keys typed one second apart, with a pause of `pauseSeconds` before key number `pauseBefore`. */
export function slowKeys(keys: string, pauseBefore: number, pauseSeconds: number): CallerAct {
  return { do: 'keys', keys, gapsSeconds: [...keys].map((_, i) => (i === pauseBefore ? pauseSeconds : 1)) };
}

/** "1,2,120101,silence,record:12,hangup" as caller acts, keys one second apart. */
export function acts(script: string): CallerAct[] {
  return script.split(',').map((s): CallerAct => {
    if (s === 'silence') return { do: 'silence' };
    if (s === 'hangup') return { do: 'hangup' };
    const rec = /^record:(\d+)(:silent)?$/.exec(s);
    if (rec) return { do: 'record', seconds: Number(rec[1]), silent: Boolean(rec[2]) };
    return { do: 'keys', keys: s };
  });
}

export interface GatherAttrs {
  numDigits?: number;
  timeout: number;
  finishOnKey: string;
}

/** A request the model sent and the hotline's answer. */
export interface Exchange {
  path: string;
  params: Record<string, string>;
  status: number;
  body: string;
}

export interface RecordingHeld {
  sid: string;
  audio: Buffer;
  deleted: boolean;
}

/** The parts that differ per platform; CarrierCall runs the rest. */
export interface CarrierModel {
  readonly name: 'twilio' | 'somleng';
  readonly accountSid: string;
  readonly authToken: string;
  /** The hotline settings a deployment on this platform uses. */
  env(): Record<string, string>;
  newCallSid(): string;
  newRecordingSid(): string;
  /** Parameters on every request of a call, with its CallStatus. */
  callParams(call: { callSid: string; from: string }, callStatus: string): Record<string, string>;
  /** The keys one Gather collects from the caller's queue (which it consumes). '' when the Gather timed out. */
  collect(gather: GatherAttrs, queue: { key: string; gapSeconds: number }[]): { digits: string; finishedOnKey?: string };
  /**
   * What a finished <Record> posts to its action, or null when the platform skips the action
   * (and goes on with the next verb).
   */
  recordAction(call: { callSid: string }, rec: { sid: string; seconds: number; silent: boolean }, finishedOnKey: string): Record<string, string> | null;
  /** The recording status callback, or null when the platform sends none for this recording. */
  recordingStatus(call: { callSid: string }, rec: { sid: string; seconds: number; silent: boolean }): Record<string, string> | null;
  /** The call status callback when the call ends. */
  endStatus(call: { callSid: string; from: string }, seconds: number): Record<string, string>;
  /** The platform's recording REST API, on loopback. */
  readonly api: RecordingApi;
}

/** A loopback HTTP server standing in for a platform's REST API (recordings only). */
export abstract class RecordingApi {
  readonly recordings = new Map<string, RecordingHeld>();
  readonly requests: { method: string; path: string; status: number; host: string }[] = [];
  protected server!: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected answer(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: Buffer | string = '', headers: Record<string, string> = {}) {
    this.requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], status, host: req.headers.host ?? '' });
    res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  }

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void;
}

/** A mono 16-bit PCM WAV at 8 kHz: a varying tone (speech stands in), or digital silence. */
export function wav(seconds: number, silent = false): Buffer {
  return toneWav(seconds, silent);
}

export interface CallResult {
  callSid: string;
  /** Prompt ids in the order the caller heard them. */
  heard: string[];
  exchanges: Exchange[];
  /** Digits each Gather posted, in order. */
  posted: string[];
  recordings: string[];
  /** Retried requests whose answer differed from the first. */
  inconsistentRetries: string[];
  endedBy: 'hotline' | 'caller';
}

/**
 * One call through a model: posts the incoming webhook, executes each TwiML answer verb by verb
 * as the platform does, and plays the caller's acts into it.
 */
export class CarrierCall {
  readonly callSid: string;
  private readonly queue: { key: string; gapSeconds: number }[] = [];
  private readonly result: CallResult;
  private seconds = 0;

  constructor(
    private readonly model: CarrierModel,
    private readonly hotline: { url: string },
    private readonly script: CallerAct[],
    /** `placed`: a call the hotline placed through the Calls API, answered by the citizen `from`; the platform fetches `url` first. */
    private readonly opts: { from?: string; retryEveryRequest?: boolean; placed?: { url: string; hotlineNumber: string } } = {},
  ) {
    this.callSid = model.newCallSid();
    this.result = { callSid: this.callSid, heard: [], exchanges: [], posted: [], recordings: [], inconsistentRetries: [], endedBy: 'caller' };
  }

  private get call() {
    return { callSid: this.callSid, from: this.opts.from ?? '+85512000123' };
  }

  /** A signed form post, as both platforms sign (Twilio's algorithm; Somleng: somleng-switch components/app/app/models/twiml_endpoint.rb#twilio_signature). */
  async post(url: string, params: Record<string, string>): Promise<Exchange> {
    const target = url.startsWith('http') ? url : this.hotline.url + url;
    const send = async () => {
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-twilio-signature': signWebhook(this.model.authToken, target, params) },
        body: new URLSearchParams(params).toString(),
      });
      return { path: new URL(target).pathname + new URL(target).search, params, status: res.status, body: await res.text() };
    };
    const ex = await send();
    if (this.opts.retryEveryRequest) {
      const again = await send();
      if (again.status !== ex.status || (ex.status === 200 && again.body !== ex.body)) this.result.inconsistentRetries.push(ex.path);
    }
    this.result.exchanges.push(ex);
    return ex;
  }

  private nextAct(): CallerAct {
    return this.script.shift() ?? { do: 'hangup' };
  }

  /**
   * The call's parameters with its CallStatus. On a call the hotline placed, From is the hotline
   * and To the citizen, and Direction is outbound-api: Twilio, "outbound-api for calls initiated
   * via the REST API" (docs twilio.com/docs/voice/twiml#request-parameters, Direction); Somleng
   * posts the same names to the call's Url as for an inbound call (somleng-switch
   * components/app/app/call_controllers/call_controller.rb, request_twiml), from the metadata the
   * switch gives an outbound call: direction "outbound-api", to the citizen, from the caller id
   * (somleng-switch's DrbEndpoint#initiate_outbound_call! spec, drb_endpoint_spec.rb).
   */
  private paramsWith(callStatus: string): Record<string, string> {
    const params = this.model.callParams(this.call, callStatus);
    const placed = this.opts.placed;
    if (!placed) return params;
    const citizen = this.call.from;
    return { ...params, From: placed.hotlineNumber, To: citizen, ...('Caller' in params ? { Caller: placed.hotlineNumber, Called: citizen } : {}), Direction: 'outbound-api' };
  }

  async run(): Promise<CallResult> {
    // A placed call is fetched once the citizen answers: in-progress.
    let answer = await this.post(this.opts.placed?.url ?? '/voice/incoming', this.paramsWith(this.opts.placed ? 'in-progress' : 'ringing'));
    for (let hops = 0; hops < 500; hops++) {
      const next = await this.execute(answer.body);
      if (!next) break;
      answer = next;
    }
    // A placed call's status goes to its own StatusCallback (the outbound queue's), not the voice status URL.
    if (!this.opts.placed) await this.post('/voice/status', this.model.endStatus(this.call, this.seconds));
    return this.result;
  }

  /** Every request after the first: CallStatus in-progress (the first, to the voice URL, says ringing). */
  private params() {
    return this.paramsWith('in-progress');
  }

  /** Runs one TwiML document; returns the next answer, or null when the call ended. */
  private async execute(xml: string): Promise<Exchange | null> {
    const verbs = parseTwiml(xml);
    if (!/^<\?xml[^>]*\?><Response>/.test(xml.trim())) throw new Error(`the hotline answered something that is not TwiML: ${xml.slice(0, 120)}`);
    for (const v of verbs) {
      switch (v.name) {
        case 'Play':
          this.hear(v.text);
          break;
        case 'Gather': {
          for (const c of v.children) if (c.name === 'Play') this.hear(c.text);
          if (this.queue.length === 0) {
            const act = this.nextAct();
            if (act.do === 'hangup') return null;
            if (act.do === 'record') throw new Error('the script records, but the hotline asks for keys');
            if (act.do === 'keys') [...act.keys].forEach((key, i) => this.queue.push({ key, gapSeconds: act.gapsSeconds?.[i] ?? 1 }));
          }
          const attrs: GatherAttrs = {
            numDigits: v.attrs.numDigits ? Number(v.attrs.numDigits) : undefined,
            timeout: Number(v.attrs.timeout ?? 5),
            finishOnKey: v.attrs.finishOnKey ?? '#',
          };
          const { digits, finishedOnKey } = this.model.collect(attrs, this.queue);
          this.seconds += attrs.timeout;
          if (!digits && !finishedOnKey) break; // nothing typed: both platforms go on with the next verb
          this.result.posted.push(digits);
          return this.post(v.attrs.action, { ...this.params(), Digits: digits, ...(this.model.name === 'twilio' && finishedOnKey ? { FinishedOnKey: finishedOnKey } : {}) });
        }
        case 'Record': {
          const act = this.nextAct();
          if (act.do === 'hangup') return null;
          if (act.do !== 'record') {
            // Silence or keys instead of speech: the recording ends on its timeout with nothing in it.
            const empty = { sid: this.model.newRecordingSid(), seconds: 0, silent: true };
            const posted = await this.recorded(v.attrs, empty);
            if (posted) return posted;
            break;
          }
          const rec = { sid: this.model.newRecordingSid(), seconds: act.seconds, silent: Boolean(act.silent) };
          const posted = await this.recorded(v.attrs, rec);
          if (posted) return posted;
          break;
        }
        case 'Redirect':
          return this.post(v.text, this.params());
        case 'Hangup':
          this.result.endedBy = 'hotline';
          return null;
        default:
          throw new Error(`the hotline used <${v.name}>, which this project does not use`);
      }
    }
    this.result.endedBy = 'hotline'; // nothing left to execute: both platforms end the call
    return null;
  }

  /** A recording made: the platform keeps it, posts the action (or not), then its status callback. */
  private async recorded(attrs: Record<string, string>, rec: { sid: string; seconds: number; silent: boolean }): Promise<Exchange | null> {
    this.seconds += rec.seconds;
    this.model.api.recordings.set(rec.sid, { sid: rec.sid, audio: wav(rec.seconds, rec.silent), deleted: false });
    this.result.recordings.push(rec.sid);
    const action = this.model.recordAction(this.call, rec, '#');
    const answer = action ? await this.post(attrs.action, { ...this.params(), ...action }) : null;
    const status = this.model.recordingStatus(this.call, rec);
    if (status && attrs.recordingStatusCallback) await this.post(attrs.recordingStatusCallback, status);
    return answer;
  }

  private hear(url: string) {
    this.result.heard.push(promptOf(url).id);
  }
}
