import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-in for the carrier's REST API on loopback: serves recordings behind HTTP Basic auth at
 * /2010-04-01/Accounts/<AccountSid>/Recordings/<RecordingSid>(.wav|.mp3), deletes them on
 * DELETE, records every request, and can fail a number of times before it answers.
 */
export interface CarrierRequest {
  method: string;
  path: string;
  recordingSid: string;
  status: number;
  authorized: boolean;
}

export class FakeCarrier {
  readonly requests: CarrierRequest[] = [];
  private readonly recordings = new Map<string, { data: Buffer; contentType: string }>();
  private failures = 0;
  private failStatus = 503;
  private failMethod: string | undefined;
  private server!: http.Server;
  private media!: http.Server;
  url = '';
  /** Like Twilio, answer a media GET with a redirect to a storage host (another origin). */
  redirectMedia = false;
  /** Authorization headers the storage host received (it must get none). */
  readonly mediaAuthorizations: (string | undefined)[] = [];
  /** Media GETs of these recordings wait until the test lets them go (a slow carrier). */
  private readonly held = new Map<string, Promise<void>>();
  /** Redirect media to this URL instead of the storage host (a carrier pointing elsewhere). */
  redirectTo?: string;

  /** Holds every media GET of `recordingSid` until the returned function is called. */
  hold(recordingSid: string): () => void {
    let release!: () => void;
    this.held.set(recordingSid, new Promise<void>((resolve) => { release = resolve; }));
    return () => {
      this.held.delete(recordingSid);
      release();
    };
  }

  /** Runs when a DELETE arrives, before it is answered (a test checks the store there). */
  onDelete?: (recordingSid: string) => Promise<void> | void;

  constructor(readonly accountSid: string, readonly authToken: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.media = http.createServer((req, res) => {
      this.mediaAuthorizations.push(req.headers.authorization);
      const rec = this.recordings.get((req.url ?? '').replace(/^\/media\//, ''));
      res.writeHead(rec ? 200 : 404, { 'content-type': rec?.contentType ?? 'text/plain' });
      res.end(rec?.data ?? 'gone');
    });
    await new Promise<void>((resolve) => this.media.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const s of [this.server, this.media]) {
      s.closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** host:port of the storage host media is redirected to (another origin than the API). */
  get mediaHost(): string {
    return `localhost:${(this.media.address() as AddressInfo).port}`;
  }

  /** The recording resource URL, as the carrier puts it in RecordingUrl. */
  recordingUrl(recordingSid: string): string {
    return `${this.url}/2010-04-01/Accounts/${this.accountSid}/Recordings/${recordingSid}`;
  }

  addRecording(recordingSid: string, data: Buffer, contentType = 'audio/x-wav'): void {
    this.recordings.set(recordingSid, { data, contentType });
  }

  has(recordingSid: string): boolean {
    return this.recordings.has(recordingSid);
  }

  /** The next `n` requests (of `method`, or any) answer `status`. */
  failNext(n: number, status = 503, method?: 'GET' | 'DELETE'): void {
    this.failures = n;
    this.failStatus = status;
    this.failMethod = method;
  }

  requestsFor(recordingSid: string, method?: string): CarrierRequest[] {
    return this.requests.filter((r) => r.recordingSid === recordingSid && (!method || r.method === method));
  }

  private authorized(req: http.IncomingMessage): boolean {
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    return req.headers.authorization === expected;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = (req.url ?? '').split('?')[0];
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Recordings\/([A-Za-z0-9-]+?)(\.wav|\.mp3|\.json)?$/.exec(path);
    const authorized = this.authorized(req);
    const answer = (status: number, body: Buffer | string = '', type = 'application/json') => {
      this.requests.push({ method: req.method ?? '', path, recordingSid: m?.[2] ?? '', status, authorized });
      res.writeHead(status, status === 204 ? {} : { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(status === 204 ? undefined : body);
    };
    if (!m || m[1] !== this.accountSid) return answer(404, '{"message":"not found"}');
    if (!authorized) return answer(401, '{"message":"Authenticate"}');
    if (this.failures > 0 && (!this.failMethod || this.failMethod === req.method)) {
      this.failures -= 1;
      return answer(this.failStatus, '{"message":"try later"}');
    }
    const sid = m[2];
    const rec = this.recordings.get(sid);
    if (req.method === 'GET') {
      if (!rec || m[3] === '.json') return answer(404, '{"message":"no such recording"}');
      await this.held.get(sid);
      if (this.redirectTo) {
        this.requests.push({ method: 'GET', path, recordingSid: sid, status: 302, authorized });
        res.writeHead(302, { location: this.redirectTo });
        res.end();
        return;
      }
      if (this.redirectMedia) {
        // "localhost" is another origin than "127.0.0.1": fetch must not forward the credentials.
        this.requests.push({ method: 'GET', path, recordingSid: sid, status: 302, authorized });
        res.writeHead(302, { location: `http://localhost:${(this.media.address() as AddressInfo).port}/media/${sid}` });
        res.end();
        return;
      }
      return answer(200, rec.data, rec.contentType);
    }
    if (req.method === 'DELETE') {
      if (!rec) return answer(404, '{"message":"no such recording"}');
      await this.onDelete?.(sid);
      this.recordings.delete(sid);
      return answer(204);
    }
    return answer(405, '{"message":"method not allowed"}');
  }
}

/** A mono 16-bit PCM WAV of `seconds` at 8 kHz with a varying tone, as a carrier records it. */
export function wavOf(seconds: number, sampleRate = 8000): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((i * (300 + (i % 997))) / sampleRate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
