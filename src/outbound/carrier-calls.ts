import twilio from 'twilio';

/**
 * The carrier's Calls resource (Twilio's REST API; Somleng implements the same under
 * /2010-04-01/Accounts/<AccountSid>/Calls, see somleng config/routes.rb and
 * app/controllers/twilio_api/phone_calls_controller.rb), through the `twilio` client pointed at
 * CARRIER_API_URL. Only three operations: create, fetch one, list the newest to a number.
 */
export interface CarrierCall {
  sid: string;
  status: string;
  to: string;
  dateCreated?: Date;
}

export interface CreateCallRequest {
  to: string;
  from: string;
  /** Where the carrier fetches TwiML when the callee answers: the hotline's own flow. */
  url: string;
  statusCallback: string;
}

/**
 * Why a create failed. `unknown`: 5xx, time-out or broken connection, so the call may exist.
 * `refused`: a 4xx other than 429, so no call exists and trying again will not help.
 * `throttled`: 429, no call exists, try later.
 */
export class CarrierCallError extends Error {
  override readonly name = 'CarrierCallError';
  constructor(message: string, readonly kind: 'unknown' | 'refused' | 'throttled', readonly httpStatus?: number) {
    super(message);
  }
}

export interface CarrierCalls {
  create(req: CreateCallRequest): Promise<CarrierCall>;
  fetch(sid: string): Promise<CarrierCall | null>;
  /** The newest calls to `to` (Somleng ignores the To filter, so results are filtered here too). */
  listTo(to: string, createdAfter: Date): Promise<CarrierCall[]>;
}

function classify(err: unknown): CarrierCallError {
  const status = (err as { status?: number }).status;
  const message = (err as Error).message ?? String(err);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new CarrierCallError(`the carrier refused the call (HTTP ${status}): ${message}`, status === 429 ? 'throttled' : 'refused', status);
  }
  return new CarrierCallError(typeof status === 'number' ? `the carrier answered HTTP ${status}` : `no answer from the carrier: ${message}`, 'unknown', status);
}

export class TwilioCarrierCalls implements CarrierCalls {
  private readonly calls;

  constructor(opts: { carrierApiUrl: string; accountSid: string; authToken: string; timeoutMs?: number }) {
    // The client insists on an "AC" account SID; Somleng's are UUIDs. Its Basic auth user is
    // `username`, and the account in the path is the one passed to accounts(): both are ours.
    const client = twilio('AC00000000000000000000000000000000', opts.authToken, { timeout: opts.timeoutMs ?? 15_000, autoRetry: false });
    client.username = opts.accountSid;
    client.api.baseUrl = opts.carrierApiUrl.replace(/\/+$/, '');
    this.calls = client.api.v2010.accounts(opts.accountSid).calls;
  }

  async create(req: CreateCallRequest): Promise<CarrierCall> {
    try {
      const c = await this.calls.create({
        to: req.to, from: req.from, url: req.url, method: 'POST',
        statusCallback: req.statusCallback, statusCallbackMethod: 'POST',
        // Twilio sends only "completed" unless asked; Somleng sends only the final status anyway.
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      });
      return { sid: c.sid, status: c.status, to: c.to, dateCreated: c.dateCreated };
    } catch (err) {
      throw classify(err);
    }
  }

  async fetch(sid: string): Promise<CarrierCall | null> {
    try {
      const c = await this.calls(sid).fetch();
      return { sid: c.sid, status: c.status, to: c.to, dateCreated: c.dateCreated };
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw classify(err);
    }
  }

  /**
   * Newest first, page by page, until a page reaches calls created before `createdAfter`
   * (Somleng lists every call of the account, so a busy account needs more than one page).
   */
  async listTo(to: string, createdAfter: Date, maxPages = 10): Promise<CarrierCall[]> {
    const found: CarrierCall[] = [];
    try {
      let page = await this.calls.page({ to, pageSize: 50 });
      for (let n = 1; ; n++) {
        for (const c of page.instances) {
          if (c.to === to && (!c.dateCreated || c.dateCreated.getTime() >= createdAfter.getTime())) {
            found.push({ sid: c.sid, status: c.status, to: c.to, dateCreated: c.dateCreated });
          }
        }
        const older = page.instances.some((c) => c.dateCreated && c.dateCreated.getTime() < createdAfter.getTime());
        const next = older || n >= maxPages ? undefined : page.nextPage();
        if (!next) break;
        page = (await next) as typeof page;
      }
    } catch (err) {
      throw classify(err);
    }
    return found;
  }
}
