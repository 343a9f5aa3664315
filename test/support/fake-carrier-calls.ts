import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { signWebhook } from '../../src/telephony/signature';

/**
 * A stand-in for the carrier's Calls resource on loopback, behaving like Twilio's and Somleng's:
 *
 * - POST /2010-04-01/Accounts/<AccountSid>/Calls.json with To, From, Url, StatusCallback
 *   (form-encoded, HTTP Basic auth) answers 201 with the call as JSON: sid, status "queued",
 *   direction "outbound-api" (Twilio: "Create a Call resource", docs twilio.com/docs/voice/api/call-resource;
 *   Somleng: config/routes.rb `resources :phone_calls, path: "Calls"`, the create in
 *   app/controllers/twilio_api/phone_calls_controller.rb, attributes in
 *   app/serializers/twilio_api/phone_call_serializer.rb).
 * - GET .../Calls.json lists calls as `{ calls: [...] }`, newest first. Twilio filters by `To`;
 *   Somleng's index ignores filters (`respond_with(scope...)` in the same controller), so in
 *   'somleng' mode every call comes back and the client must filter.
 * - GET .../Calls/<Sid>.json fetches one.
 * - Status callbacks are form posts signed with X-Twilio-Signature over the StatusCallback URL:
 *   CallSid, AccountSid, From, To, CallStatus, Direction, ApiVersion, CallDuration (Somleng
 *   app/serializers/twilio_api/webhook/voice_status_callback_serializer.rb, which cites Twilio's
 *   StatusCallback parameters). Twilio sends one per StatusCallbackEvent asked for (initiated,
 *   ringing, answered, completed; CallStatus values queued, ringing, in-progress, completed, busy,
 *   failed, no-answer, canceled); Somleng sends only the final one (app/jobs/complete_phone_call_job.rb
 *   notify_status_callback_url), its statuses mapped by PhoneCallDecorator::TWILIO_CALL_STATUS_MAPPINGS
 *   (not_answered -> no-answer, session_timeout -> failed).
 * - Tests add what real networks do: duplicated and out-of-order callbacks, a create that fails
 *   (with or without the call having been placed), a create that never answers.
 */
export type CarrierKind = 'twilio' | 'somleng';

export interface FakeCall {
  sid: string;
  to: string;
  from: string;
  url: string;
  statusCallback: string;
  events: string[];
  status: string;
  dateCreated: Date;
}

/**
 * A create that fails: an HTTP status (with the carrier's error `code` in the body, as Somleng's
 * and Twilio's error JSON carry it), the call placed anyway or not; or no answer at all.
 */
type CreateFailure = { status: number; placeAnyway: boolean; code?: string; message?: string } | { hang: true; placeAnyway: boolean };

export class FakeCarrierCalls {
  readonly calls: FakeCall[] = [];
  /** Every create request, including failed ones. */
  readonly createRequests: { to: string; answered: number }[] = [];
  /** Every cancel asked for (POST Calls/<Sid> with Status=canceled). */
  readonly cancels: string[] = [];
  /** Every create from now on is refused with this HTTP status and JSON body (an account problem), until set back to undefined. */
  refuseAll: { httpStatus: number; body: Record<string, unknown> } | undefined;
  private readonly failures: CreateFailure[] = [];
  private server!: http.Server;
  private seq = 0;
  url = '';
  down = false;

  constructor(readonly accountSid: string, readonly authToken: string, readonly kind: CarrierKind = 'twilio') {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next creates fail, in order: an HTTP status (the call placed anyway or not), or no answer at all. */
  failCreates(...failures: CreateFailure[]): void {
    this.failures.push(...failures);
  }

  /** Other traffic on the account: calls this hotline did not place. */
  addOtherCalls(n: number): void {
    for (let i = 0; i < n; i++) {
      this.calls.push({ sid: this.newSid(), to: `+8559${String(i).padStart(7, '0')}`, from: '+85523000001', url: 'https://other.example/voice', statusCallback: '', events: [], status: 'completed', dateCreated: new Date() });
    }
  }

  callsTo(to: string): FakeCall[] {
    return this.calls.filter((c) => c.to === to);
  }

  private newSid(): string {
    this.seq += 1;
    // Twilio: CA + 32 hex; Somleng: a UUID.
    const hex = this.seq.toString(16).padStart(12, '0');
    return this.kind === 'twilio' ? `CA${'0'.repeat(20)}${hex}` : `6f1e2d3c-0000-4000-8000-${hex}`;
  }

  private json(call: FakeCall) {
    return {
      sid: call.sid, account_sid: this.accountSid, to: call.to, from: call.from, status: call.status,
      direction: 'outbound-api', date_created: call.dateCreated.toUTCString(), api_version: '2010-04-01',
      uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${call.sid}.json`,
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const [pathname, query = ''] = (req.url ?? '').split('?');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const answer = (status: number, body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return answer(401, { code: 20003, message: 'Authenticate', status: 401 });
    const base = `/2010-04-01/Accounts/${this.accountSid}/Calls`;
    if (req.method === 'POST' && pathname === `${base}.json`) {
      const to = form.get('To') ?? '';
      const failure = this.failures.shift();
      const request = { to, answered: 0 };
      this.createRequests.push(request);
      if (!to || !form.get('From') || !form.get('Url')) return answer(400, { code: 21201, message: 'To, From and Url are required', status: 400 });
      if (this.refuseAll) {
        request.answered = this.refuseAll.httpStatus;
        return answer(this.refuseAll.httpStatus, this.refuseAll.body);
      }
      if (failure && !failure.placeAnyway) {
        if ('hang' in failure) return; // never answers; the client times out
        request.answered = failure.status;
        return answer(failure.status, { code: failure.code ?? 20500, message: failure.message ?? 'Internal Server Error', status: failure.status });
      }
      const call: FakeCall = {
        sid: this.newSid(), to, from: form.get('From') ?? '', url: form.get('Url') ?? '', statusCallback: form.get('StatusCallback') ?? '',
        events: form.getAll('StatusCallbackEvent'), status: 'queued', dateCreated: new Date(),
      };
      this.calls.push(call);
      if (failure) {
        if ('hang' in failure) return;
        request.answered = failure.status;
        return answer(failure.status, { code: 20500, message: 'Internal Server Error', status: failure.status });
      }
      request.answered = 201;
      return answer(201, this.json(call));
    }
    if (req.method === 'GET' && pathname === `${base}.json`) {
      const params = new URLSearchParams(query);
      const to = params.get('To');
      const size = Math.min(1000, Number(params.get('PageSize') ?? 50) || 50);
      const pageNo = Number(params.get('Page') ?? 0) || 0;
      const list = [...this.calls].reverse().filter((c) => this.kind === 'somleng' || !to || c.to === to);
      const slice = list.slice(pageNo * size, pageNo * size + size);
      const more = list.length > (pageNo + 1) * size;
      const toParam = to && this.kind === 'twilio' ? `&To=${encodeURIComponent(to)}` : '';
      return answer(200, {
        calls: slice.map((c) => this.json(c)), page: pageNo, page_size: size, start: pageNo * size, end: pageNo * size + slice.length,
        uri: `${base}.json`, first_page_uri: `${base}.json?Page=0&PageSize=${size}${toParam}`,
        next_page_uri: more ? `${base}.json?Page=${pageNo + 1}&PageSize=${size}${toParam}` : null, previous_page_uri: null,
      });
    }
    const one = new RegExp(`^${base}/([A-Za-z0-9-]+)\\.json$`).exec(pathname);
    if (req.method === 'GET' && one) {
      const call = this.calls.find((c) => c.sid === one[1]);
      return call ? answer(200, this.json(call)) : answer(404, { code: 20404, message: 'not found', status: 404 });
    }
    if (req.method === 'POST' && one && form.get('Status') === 'canceled') {
      // Twilio "Update a Call resource"; Somleng phone_calls#update: a call not yet started is
      // cancelled with no status callback (app/workflows/update_phone_call.rb `end_call` -> cancel!),
      // a completed one is refused with 21220 (app/request_schemas/twilio_api/update_phone_call_request_schema.rb).
      const call = this.calls.find((c) => c.sid === one[1]);
      if (!call) return answer(404, { code: 20404, message: 'not found', status: 404 });
      if (!['queued', 'ringing'].includes(call.status)) return answer(400, { code: '21220', message: 'Call is not in-progress', status: 422 });
      this.cancels.push(call.sid);
      call.status = 'canceled';
      return answer(200, this.json(call));
    }
    return answer(404, { code: 20404, message: 'not found', status: 404 });
  }

  private paramsOf(call: FakeCall, status: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      CallSid: call.sid, AccountSid: this.accountSid, From: call.from, To: call.to, CallStatus: status,
      Direction: 'outbound-api', ApiVersion: '2010-04-01', ...extra,
    };
  }

  /** Posts one signed status callback for the call, as the carrier does; returns the HTTP status. */
  async sendStatus(call: FakeCall, status: string, durationSeconds?: number): Promise<number> {
    call.status = status;
    const params = this.paramsOf(call, status, durationSeconds !== undefined ? { CallDuration: String(durationSeconds) } : {});
    const res = await fetch(call.statusCallback, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(this.authToken, call.statusCallback, params) },
      body: new URLSearchParams(params).toString(),
    });
    await res.text();
    return res.status;
  }

  /**
   * Plays out a call to its end: Twilio reports each event asked for, Somleng only the final
   * status. Returns the statuses sent.
   */
  async finish(call: FakeCall, final: 'completed' | 'busy' | 'no-answer' | 'failed'): Promise<string[]> {
    const sent: string[] = [];
    if (this.kind === 'twilio') {
      const steps: [string, string][] = [['initiated', 'queued'], ['ringing', 'ringing']];
      if (final === 'completed') steps.push(['answered', 'in-progress']);
      for (const [event, status] of steps) {
        if (!call.events.includes(event)) continue;
        await this.sendStatus(call, status);
        sent.push(status);
      }
    }
    await this.sendStatus(call, final, final === 'completed' ? 42 : 0);
    sent.push(final);
    return sent;
  }

  /** The callee answers: the carrier fetches the call's Url (signed), as for any call. Returns the TwiML. */
  async answer(call: FakeCall): Promise<string> {
    const params = this.paramsOf(call, 'in-progress');
    const res = await fetch(call.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(this.authToken, call.url, params) },
      body: new URLSearchParams(params).toString(),
    });
    return res.text();
  }
}
