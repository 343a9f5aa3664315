import * as http from 'node:http';

/**
 * A stand-in for the carrier's recording API on this machine, for `npm run simulate` when
 * CARRIER_API_URL points at loopback: it holds the recordings the simulated caller made, so the
 * hotline can listen to and download them as it would from the real carrier. On Somleng it
 * answers like Somleng (no credentials needed to read, a 302 to the audio, 404 to a DELETE:
 * somleng config/routes.rb and app/controllers/twilio_api/recordings_controller.rb); on Twilio
 * like Twilio (Basic auth, the audio, 204 to a DELETE).
 */
export class RecordingApiStandIn {
  private readonly recordings = new Map<string, Buffer>();
  readonly requests: { method: string; path: string; status: number }[] = [];
  private server: http.Server | undefined;

  constructor(private readonly opts: { carrier: 'twilio' | 'somleng'; url: string; onRequest?: (r: { method: string; path: string; status: number }) => void }) {}

  /** Listens on CARRIER_API_URL's port; refuses anything but a loopback URL. */
  async start(): Promise<void> {
    const u = new URL(this.opts.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) throw new Error(`CARRIER_API_URL (${this.opts.url}) is not on this machine: the simulator can only stand in for a loopback carrier API`);
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(Number(u.port || (u.protocol === 'https:' ? 443 : 80)), u.hostname.replace(/^\[|\]$/g, ''), resolve);
    });
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  add(recordingSid: string, seconds: number): void {
    this.recordings.set(recordingSid, toneWav(seconds));
  }

  /** Resolves once the hotline has fetched `recordingSid` `times` times, or after `timeoutMs`. */
  async waitForDownloads(recordingSid: string, times: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    const count = () => this.requests.filter((r) => r.method === 'GET' && r.status === 200 && r.path.includes(recordingSid)).length;
    while (count() < times && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    return count() >= times;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: Buffer | string = '', headers: Record<string, string> = {}) => {
      const r = { method: req.method ?? '', path, status };
      this.requests.push(r);
      this.opts.onRequest?.(r);
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    const media = /^\/media\/([^/]+)$/.exec(path);
    if (media && req.method === 'GET') {
      const audio = this.recordings.get(media[1]);
      return audio ? answer(200, audio, { 'content-type': 'audio/x-wav' }) : answer(404);
    }
    const m = /\/Recordings\/([^/.]+)(\.wav)?$/.exec(path);
    if (!m || !this.recordings.has(m[1])) return answer(404, '{"message":"Not Found"}');
    if (req.method === 'DELETE') {
      if (this.opts.carrier === 'somleng') return answer(404, '{"message":"Not Found"}');
      this.recordings.delete(m[1]);
      return answer(204);
    }
    if (req.method !== 'GET') return answer(405);
    if (this.opts.carrier === 'somleng') return answer(302, '', { location: `/media/${m[1]}` });
    return answer(200, this.recordings.get(m[1])!, { 'content-type': 'audio/x-wav' });
  }
}

/** A mono 16-bit PCM WAV at 8 kHz holding a varying tone (something to hear), or digital silence. */
export function toneWav(seconds: number, silent = false): Buffer {
  const samples = Math.round(seconds * 8000);
  const data = Buffer.alloc(samples * 2);
  if (!silent) for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((i * (300 + (i % 997))) / 8000)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}
