// Types only: the whole twilio client takes a fifth of a second to load, so it loads with the first outbound call.
import type { Twilio } from 'twilio';

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
 * `code`: the carrier's error code from the body (Twilio's numbers, Somleng's also "S1005" and the like),
 * which tells an operator problem (src/outbound/carrier-refusals.ts) from a refusal of this call.
 */
export class CarrierCallError extends Error {
  override readonly name = 'CarrierCallError';
  constructor(message: string, readonly kind: 'unknown' | 'refused' | 'throttled', readonly httpStatus?: number, readonly code?: string) {
    super(message);
  }
}

/** The newest calls to a number, and whether the look-up reached calls older than asked (else some may be missing). */
export interface CallsFound {
  calls: CarrierCall[];
  complete: boolean;
}

export interface CarrierCalls {
  create(req: CreateCallRequest): Promise<CarrierCall>;
  fetch(sid: string): Promise<CarrierCall | null>;
  /**
   * The calls to `to` created after `createdAfter` (Somleng ignores the To filter, so results are
   * filtered here too), reading a bounded number of pages: `complete` is false when the bound was
   * reached first (a busy account), so an empty list does not prove that no call was placed.
   */
  listTo(to: string, createdAfter: Date): Promise<CallsFound>;
  /** Cancels a call the carrier has not started (queued); throws when it cannot (it moved on or ended). */
  cancel(sid: string): Promise<void>;
}

/** A carrier client's error as a CarrierCallError, with the detail staff pages put in words (src/staff/outbound-words.ts). */
export function carrierCallErrorOf(err: unknown): CarrierCallError {
  const status = (err as { status?: number }).status;
  const message = (err as Error).message ?? String(err);
  const rawCode = (err as { code?: unknown }).code;
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode) : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new CarrierCallError(`the carrier refused the call (HTTP ${status}${code ? `, code ${code}` : ''}): ${message}`, status === 429 ? 'throttled' : 'refused', status, code);
  }
  return new CarrierCallError(typeof status === 'number' ? `the carrier answered HTTP ${status}` : `no answer from the carrier: ${message}`, 'unknown', status);
}

type CallsResource = ReturnType<Twilio['api']['v2010']['accounts']>['calls'];

export class TwilioCarrierCalls implements CarrierCalls {
  private resource?: Promise<CallsResource>;

  constructor(private readonly opts: { carrierApiUrl: string; accountSid: string; authToken: string; timeoutMs?: number }) {}

  private calls(): Promise<CallsResource> {
    this.resource ??= import('twilio').then(({ default: twilio }) => {
      const { opts } = this;
      // The client insists on an "AC" account SID; Somleng's are UUIDs. Its Basic auth user is
      // `username`, and the account in the path is the one passed to accounts(): both are ours.
      const client = twilio('AC00000000000000000000000000000000', opts.authToken, { timeout: opts.timeoutMs ?? 15_000, autoRetry: false });
      client.username = opts.accountSid;
      client.api.baseUrl = opts.carrierApiUrl.replace(/\/+$/, '');
      return client.api.v2010.accounts(opts.accountSid).calls;
    });
    return this.resource;
  }

  async create(req: CreateCallRequest): Promise<CarrierCall> {
    try {
      const c = await (await this.calls()).create({
        to: req.to, from: req.from, url: req.url, method: 'POST',
        statusCallback: req.statusCallback, statusCallbackMethod: 'POST',
        // Twilio sends only "completed" unless asked; Somleng sends only the final status anyway.
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      });
      return { sid: c.sid, status: c.status, to: c.to, dateCreated: c.dateCreated };
    } catch (err) {
      throw carrierCallErrorOf(err);
    }
  }

  async fetch(sid: string): Promise<CarrierCall | null> {
    try {
      const c = await (await this.calls())(sid).fetch();
      return { sid: c.sid, status: c.status, to: c.to, dateCreated: c.dateCreated };
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw carrierCallErrorOf(err);
    }
  }

  /**
   * Newest first, page by page, until a page reaches calls created before `createdAfter`
   * (Somleng lists every call of the account, so a busy account needs more than one page), at
   * most `maxPages` pages of 100 (Somleng's page size is the PageSize asked for, lib/twilio_api/pagination.rb).
   */
  async listTo(to: string, createdAfter: Date, maxPages = 10): Promise<CallsFound> {
    const found: CarrierCall[] = [];
    let complete = false;
    try {
      let page = await (await this.calls()).page({ to, pageSize: 100 });
      for (let n = 1; ; n++) {
        for (const c of page.instances) {
          if (c.to === to && (!c.dateCreated || c.dateCreated.getTime() >= createdAfter.getTime())) {
            found.push({ sid: c.sid, status: c.status, to: c.to, dateCreated: c.dateCreated });
          }
        }
        const older = page.instances.some((c) => c.dateCreated && c.dateCreated.getTime() < createdAfter.getTime());
        // Reached calls older than the attempt, or the end of the list: nothing newer was missed.
        if (older || !page.nextPageUrl) {
          complete = true;
          break;
        }
        if (n >= maxPages) break;
        page = (await page.nextPage()) as typeof page;
      }
    } catch (err) {
      throw carrierCallErrorOf(err);
    }
    return { calls: found, complete };
  }

  /** Twilio: "Update a Call resource" with Status=canceled; Somleng: phone_calls#update, app/workflows/update_phone_call.rb `end_call`. */
  async cancel(sid: string): Promise<void> {
    try {
      await (await this.calls())(sid).update({ status: 'canceled' });
    } catch (err) {
      throw carrierCallErrorOf(err);
    }
  }
}
