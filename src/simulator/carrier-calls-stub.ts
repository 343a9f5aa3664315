import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { signWebhook } from '../telephony/signature';

/**
 * The carrier's Calls API as `npm run simulate -- --missed` and the callback benchmark need it:
 * accepts POST /2010-04-01/Accounts/<sid>/Calls.json (form: To, From, Url, StatusCallback) and
 * answers 201 with a new sid, as Twilio and Somleng do; GET lists the calls. It never rings a
 * phone: the caller's side is played by the simulator. (The test suite's fuller model, with
 * failures and out-of-order callbacks, is test/support/fake-carrier-calls.ts.)
 */
export interface StubCall {
  sid: string;
  to: string;
  from: string;
  url: string;
  statusCallback: string;
  createdAt: number;
}

export class CarrierCallsStub {
  readonly calls: StubCall[] = [];
  private server!: http.Server;
  private seq = 0;
  private waiters: ((c: StubCall) => void)[] = [];
  url = '';
  onCreate?: (call: StubCall) => void;

  constructor(readonly accountSid: string, readonly authToken: string) {}

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, resolve);
    });
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves with the next call the hotline creates. */
  nextCall(): Promise<StubCall> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0];
    const base = `/2010-04-01/Accounts/${this.accountSid}/Calls.json`;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, { code: 20003, message: 'Authenticate', status: 401 });
    if (path !== base) return send(404, { code: 20404, message: 'not found', status: 404 });
    if (req.method === 'GET') return send(200, { calls: [], page: 0, page_size: 50, next_page_uri: null, uri: base });
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    this.seq += 1;
    const call: StubCall = {
      sid: `CA${Date.now().toString(16).padStart(16, '0')}${this.seq.toString(16).padStart(16, '0')}`,
      to: form.get('To') ?? '', from: form.get('From') ?? '', url: form.get('Url') ?? '', statusCallback: form.get('StatusCallback') ?? '',
      createdAt: Date.now(),
    };
    this.calls.push(call);
    send(201, { sid: call.sid, to: call.to, from: call.from, status: 'queued', direction: 'outbound-api', date_created: new Date().toUTCString() });
    this.onCreate?.(call);
    this.waiters.shift()?.(call);
  }

  /** Sends the call's status callback, signed, as the carrier does. `serverUrl` replaces the public base when given. */
  async sendStatus(call: StubCall, status: string, opts: { publicBaseUrl?: string; serverUrl?: string } = {}): Promise<number> {
    const params = { CallSid: call.sid, AccountSid: this.accountSid, From: call.from, To: call.to, CallStatus: status, Direction: 'outbound-api', ApiVersion: '2010-04-01', CallDuration: status === 'completed' ? '30' : '0' };
    const target = opts.publicBaseUrl && opts.serverUrl ? opts.serverUrl + call.statusCallback.slice(opts.publicBaseUrl.length) : call.statusCallback;
    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(this.authToken, call.statusCallback, params) },
      body: new URLSearchParams(params).toString(),
    });
    await res.text();
    return res.status;
  }
}
