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
  override readonly code: string = 'CARRIER_REQUEST_FAILED';
  override readonly status = 502;
  constructor(message: string, readonly httpStatus?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The carrier redirected the download to a host that is neither under CARRIER_API_URL nor in CARRIER_MEDIA_HOSTS. */
export class MediaRedirectRefusedError extends CarrierRequestError {
  override readonly code = 'CARRIER_MEDIA_REDIRECT_REFUSED';
  constructor(readonly host: string, httpStatus: number) {
    super(`download redirected to ${host}, which is not under CARRIER_API_URL nor in CARRIER_MEDIA_HOSTS; not followed`, httpStatus);
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

/** What a RecordingUrl names: its account, its call (Somleng's form only) and the recording. */
export interface RecordingResource {
  /** The resource URL without a media extension: what is fetched (with `.wav`) and deleted. */
  url: string;
  accountSid: string;
  /** Present in Somleng's form `/Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{RecordingSid}`. */
  callSid?: string;
  recordingSid: string;
}

const RESOURCE_PATH = /^\/2010-04-01\/Accounts\/([A-Za-z0-9-]{2,64})(?:\/Calls\/([A-Za-z0-9-]{2,64}))?\/Recordings\/([A-Za-z0-9-]{2,64})$/;

/**
 * Reads a RecordingUrl the carrier posted. Both forms are recording resources of the Twilio API:
 *   Twilio:  <API>/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}
 *   Somleng: <API>/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{RecordingSid}
 *            (somleng app/serializers/twilio_api/webhook/recording_status_callback_serializer.rb,
 *             RecordingUrl = api_twilio_account_phone_call_recording_url; no extension)
 * It must be under `carrierApiUrl` (same scheme, host and port, no credentials, no query), and
 * name what `expected` says: our AccountSid, the RecordingSid posted with it, the call it came
 * in. Throws UntrustedRecordingUrlError otherwise: our credentials only ever go to the carrier,
 * and one call's turn can never adopt another call's recording.
 */
export function parseRecordingUrl(
  raw: string, carrierApiUrl: string, expected: { recordingSid?: string; accountSid?: string; callSid?: string } = {},
): RecordingResource {
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
  const m = RESOURCE_PATH.exec(path.slice(basePath.length));
  if (!path.startsWith(`${basePath}/`) || !m) throw new UntrustedRecordingUrlError('RecordingUrl is not a recording resource of the carrier API');
  const [, accountSid, callSid, recordingSid] = m;
  if (expected.accountSid && accountSid !== expected.accountSid) throw new UntrustedRecordingUrlError('RecordingUrl names another account than ours (TWILIO_ACCOUNT_SID)');
  if (expected.recordingSid && recordingSid !== expected.recordingSid) throw new UntrustedRecordingUrlError('RecordingUrl names another recording than RecordingSid');
  if (expected.callSid && callSid && callSid !== expected.callSid) throw new UntrustedRecordingUrlError('RecordingUrl names another call than CallSid');
  return { url: `${u.origin}${path}`, accountSid, callSid, recordingSid };
}

/** The checked resource URL of `recordingSid` (see parseRecordingUrl). */
export function trustedRecordingUrl(raw: string, recordingSid: string, carrierApiUrl: string, expected: { accountSid?: string; callSid?: string } = {}): string {
  return parseRecordingUrl(raw, carrierApiUrl, { ...expected, recordingSid }).url;
}

/**
 * Whether the download may follow a redirect to `target`: only to the carrier API's own origin,
 * to a subdomain of its host, or to a host the operator listed in CARRIER_MEDIA_HOSTS (Somleng
 * hands recordings to its S3 bucket: app/controllers/twilio_api/recordings_controller.rb#show,
 * `redirect_to(recording.file.url, allow_other_host: true)`). Entries are host[:port] or
 * `*.suffix`. The scheme must be https, or the API's own scheme.
 */
export function redirectAllowed(target: URL, carrierApiUrl: string, mediaHosts: readonly string[]): boolean {
  const base = new URL(carrierApiUrl);
  if (target.username || target.password) return false;
  if (target.protocol !== 'https:' && target.protocol !== base.protocol) return false;
  if (target.host === base.host) return true;
  if (target.hostname.endsWith(`.${base.hostname}`) && !target.port) return true;
  return mediaHosts.some((h) => {
    const entry = h.trim().toLowerCase();
    if (!entry) return false;
    if (entry.startsWith('*.')) return target.hostname.endsWith(entry.slice(1)) && !target.port;
    return target.host === entry || (!entry.includes(':') && target.hostname === entry && !target.port);
  });
}

/** The resource URL for a recording when no callback gave one. */
export function recordingResourceUrl(carrierApiUrl: string, accountSid: string, recordingSid: string): string {
  return `${carrierApiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Recordings/${encodeURIComponent(recordingSid)}`;
}

export interface CarrierClientOptions {
  accountSid: string;
  authToken: string;
  /** CARRIER_API_URL: the only origin that gets our credentials. */
  apiUrl: string;
  /** CARRIER_MEDIA_HOSTS: other hosts a download may be redirected to (the carrier's storage). */
  mediaHosts?: readonly string[];
  /** Per request, from sending to the last byte. */
  timeoutMs?: number;
  maxBytes: number;
  fetchImpl?: typeof fetch;
}

const MAX_REDIRECTS = 3;

/** What the carrier said to a DELETE: only a 2xx means the recording is gone. */
export type CarrierDeleteResult =
  | { deleted: true }
  /** The carrier refused for good (4xx such as Somleng's 404: it has no DELETE route). */
  | { deleted: false; permanent: boolean; reason: string; httpStatus?: number };

export class CarrierRecordings {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly opts: CarrierClientOptions) {
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  private get authorization() {
    return `Basic ${Buffer.from(`${this.opts.accountSid}:${this.opts.authToken}`).toString('base64')}`;
  }

  /**
   * Downloads `<resource>.wav`. Redirects are followed by hand, at most three, and only where
   * redirectAllowed() says (the API's origin, its subdomains, CARRIER_MEDIA_HOSTS); the
   * credentials go only to the API's origin. Anything else fails the download.
   */
  async download(resourceUrl: string): Promise<{ data: Buffer; contentType: string }> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs ?? 60_000);
    const apiOrigin = new URL(this.opts.apiUrl).origin;
    let url = new URL(`${resourceUrl}.wav`);
    let res: Response;
    for (let hop = 0; ; hop++) {
      try {
        res = await this.fetchImpl(url, {
          headers: url.origin === apiOrigin ? { authorization: this.authorization } : {}, redirect: 'manual', signal,
        });
      } catch (err) {
        throw new CarrierRequestError(`download failed: ${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}`, undefined, { cause: err });
      }
      if (![301, 302, 303, 307, 308].includes(res.status)) break;
      await res.body?.cancel().catch(() => undefined);
      const location = res.headers.get('location');
      let next: URL;
      try {
        next = new URL(location ?? '', url);
      } catch {
        throw new CarrierRequestError(`download answered HTTP ${res.status} with no usable Location`, res.status);
      }
      if (!location || !redirectAllowed(next, this.opts.apiUrl, this.opts.mediaHosts ?? [])) {
        throw new MediaRedirectRefusedError(`${next.protocol}//${next.host}`, res.status);
      }
      if (hop + 1 >= MAX_REDIRECTS) throw new CarrierRequestError(`download redirected more than ${MAX_REDIRECTS} times`, res.status);
      url = next;
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

  /**
   * DELETE on the recording resource. Only a 2xx counts as deleted: a 404 may mean the carrier
   * has no such route (Somleng: config/routes.rb declares Recordings only: %i[index show]), so
   * the audio may well still be there.
   */
  async delete(resourceUrl: string): Promise<CarrierDeleteResult> {
    let res: Response;
    try {
      res = await this.fetchImpl(resourceUrl, {
        method: 'DELETE', headers: { authorization: this.authorization }, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
      });
    } catch (err) {
      return { deleted: false, permanent: false, reason: `the DELETE failed: ${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}` };
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { deleted: true };
    const permanent = res.status >= 300 && res.status < 500 && res.status !== 408 && res.status !== 429;
    return { deleted: false, permanent, httpStatus: res.status, reason: `the carrier answered HTTP ${res.status} to the DELETE` };
  }
}
