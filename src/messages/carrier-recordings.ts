import { AppError } from '../errors';

/**
 * The carrier's recording resources (Twilio's REST API; Somleng speaks the same):
 *   GET    <CARRIER_API_URL>/2010-04-01/Accounts/<AccountSid>/Recordings/<RecordingSid>.wav  the audio
 *   DELETE <CARRIER_API_URL>/2010-04-01/Accounts/<AccountSid>/Recordings/<RecordingSid>       removes it
 * both with HTTP Basic auth (account SID : auth token).
 *
 * We fetch `.wav`: it is the carrier's original 8 kHz PCM (no lossy re-encoding of evidence),
 * its length is checkable from its header without decoding, and browsers play it. MP3 is
 * accepted too in case a carrier only serves that.
 */

/** A RecordingUrl that is not a recording resource under CARRIER_API_URL. */
export class UntrustedRecordingUrlError extends AppError {
  override readonly code = 'RECORDING_URL_UNTRUSTED';
  override readonly status = 400;
}

/** The carrier did not hand over the recording (network, HTTP status, size limit, timeout). */
export class CarrierRequestError extends AppError {
  override readonly code = 'CARRIER_REQUEST_FAILED';
  override readonly status = 502;
  constructor(message: string, readonly httpStatus?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The URL as it may be logged: never user:password, never a query string. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * Checks that `raw` is the recording resource of `recordingSid` under `carrierApiUrl` (same
 * scheme, host and port, no credentials in it) and returns it without a media extension.
 * Throws UntrustedRecordingUrlError otherwise: our credentials are only ever sent to the carrier.
 */
export function trustedRecordingUrl(raw: string, recordingSid: string, carrierApiUrl: string): string {
  let u: URL;
  let base: URL;
  try {
    u = new URL(raw);
    base = new URL(carrierApiUrl);
  } catch {
    throw new UntrustedRecordingUrlError('RecordingUrl is not a URL');
  }
  if (u.username || u.password) throw new UntrustedRecordingUrlError('RecordingUrl carries credentials');
  if (u.protocol !== base.protocol || u.host !== base.host) throw new UntrustedRecordingUrlError(`RecordingUrl is not under CARRIER_API_URL (${base.origin})`);
  if (u.search || u.hash) throw new UntrustedRecordingUrlError('RecordingUrl has a query or fragment');
  const basePath = base.pathname.replace(/\/+$/, '');
  const path = u.pathname.replace(/\.(wav|mp3|json)$/, '');
  const m = /^\/2010-04-01\/Accounts\/([A-Za-z0-9-]{2,64})\/Recordings\/([A-Za-z0-9-]{2,64})$/.exec(path.slice(basePath.length));
  if (!path.startsWith(`${basePath}/`) || !m) throw new UntrustedRecordingUrlError('RecordingUrl is not a recording resource of the carrier API');
  if (m[2] !== recordingSid) throw new UntrustedRecordingUrlError('RecordingUrl names another recording than RecordingSid');
  return `${u.origin}${path}`;
}

/** The resource URL for a recording when no callback gave one. */
export function recordingResourceUrl(carrierApiUrl: string, accountSid: string, recordingSid: string): string {
  return `${carrierApiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Recordings/${encodeURIComponent(recordingSid)}`;
}

export interface CarrierClientOptions {
  accountSid: string;
  authToken: string;
  /** Per request, from sending to the last byte. */
  timeoutMs?: number;
  maxBytes: number;
  fetchImpl?: typeof fetch;
}

export class CarrierRecordings {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly opts: CarrierClientOptions) {
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  private get authorization() {
    return `Basic ${Buffer.from(`${this.opts.accountSid}:${this.opts.authToken}`).toString('base64')}`;
  }

  /**
   * Downloads `<resource>.wav`. Redirects are followed (the carrier may hand the media to a
   * storage host); fetch drops the Authorization header on a redirect to another origin.
   */
  async download(resourceUrl: string): Promise<{ data: Buffer; contentType: string }> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs ?? 60_000);
    let res: Response;
    try {
      res = await this.fetchImpl(`${resourceUrl}.wav`, { headers: { authorization: this.authorization }, redirect: 'follow', signal });
    } catch (err) {
      throw new CarrierRequestError(`download failed: ${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}`, undefined, { cause: err });
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new CarrierRequestError(`download answered HTTP ${res.status}`, res.status);
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > this.opts.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new CarrierRequestError(`recording is ${declared} bytes, over the ${this.opts.maxBytes} byte limit`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > this.opts.maxBytes) throw new CarrierRequestError(`recording is over the ${this.opts.maxBytes} byte limit`);
        chunks.push(Buffer.from(chunk));
      }
    } catch (err) {
      if (err instanceof CarrierRequestError) throw err;
      throw new CarrierRequestError(`download broke off: ${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}`, undefined, { cause: err });
    }
    return { data: Buffer.concat(chunks), contentType: (res.headers.get('content-type') ?? '').split(';')[0].trim() };
  }

  /** DELETE on the recording resource; a recording already gone (404) counts as deleted. */
  async delete(resourceUrl: string): Promise<void> {
    let res: Response;
    try {
      res = await this.fetchImpl(resourceUrl, {
        method: 'DELETE', headers: { authorization: this.authorization }, redirect: 'error', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
      });
    } catch (err) {
      throw new CarrierRequestError(`delete failed: ${(err as Error).message}`, undefined, { cause: err });
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 204 && res.status !== 200 && res.status !== 404) throw new CarrierRequestError(`delete answered HTTP ${res.status}`, res.status);
  }
}
