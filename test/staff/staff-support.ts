import { StaffAccountsRepository } from '../../src/auth/staff-accounts';
import { StaffRole } from '../../src/auth/roles';
import { StaffVisibleMessage } from '../../src/messages/message-queries';
import { ReviewState } from '../../src/messages/messages';
import { Store } from '../../src/store/store';
import { TestHotline } from '../support/hotline';

export const PASSWORD = 'a long enough password';

/** A real, playable WAV: `seconds` of a 440 Hz tone, 8 kHz 16-bit mono, as the carrier records. */
export function toneWav(seconds = 1, rate = 8000): Buffer {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export async function addAccount(store: Store, username: string, role: StaffRole, password = PASSWORD) {
  return new StaffAccountsRepository(store).create(username, role, password);
}

let seq = 0;
/** A voice message as the worker leaves it once the audio is stored (seeded straight into the store). */
export async function seedMessage(store: Store, over: Partial<StaffVisibleMessage> & { audio?: Buffer | null; state?: ReviewState } = {}): Promise<StaffVisibleMessage> {
  seq += 1;
  const id = over._id ?? `RE${String(Date.now()).slice(-8)}${String(seq).padStart(6, '0')}abcdef`;
  const communeCode = over.communeCode ?? '010201';
  const audio = over.audio === undefined ? toneWav(1) : over.audio;
  const fileId = `recording-${id}.wav`;
  if (audio) await store.files.write(fileId, audio, { contentType: 'audio/wav' });
  const { audio: _a, state, ...rest } = over;
  const message: StaffVisibleMessage = {
    _id: id,
    callSid: `CA${id.slice(2)}`,
    communeCode,
    districtCode: communeCode.slice(0, 4),
    provinceCode: communeCode.slice(0, 2),
    service: 'health',
    language: 'km',
    referenceNumber: String(100000 + seq),
    durationSeconds: 1,
    callerChoice: 'sent',
    download: audio
      ? { state: 'stored', recordingUrl: `https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/${id}`, attempts: 1, fileId, bytes: audio.length, contentType: 'audio/wav', storedAt: new Date() }
      : { state: 'queued', recordingUrl: `https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/${id}`, attempts: 0 },
    review: { state: state ?? 'new', notes: [] },
    createdAt: new Date(),
    ...rest,
  } as StaffVisibleMessage;
  await store.collection<StaffVisibleMessage>('messages').insertOne(message);
  return message;
}

/** A browser-like client: keeps cookies, reads the CSRF token from the last page. */
export class StaffClient {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly h: TestHotline, readonly address?: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(path: string, init: { method?: string; form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html', ...(init.headers ?? {}) };
    if (this.cookies.size) headers.cookie = this.cookieHeader;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const res = await fetch(this.h.url + path, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/Max-Age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** GET a page and remember its CSRF token. */
  async page(path: string): Promise<{ res: Response; text: string }> {
    const res = await this.request(path);
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1];
    return { res, text };
  }

  async signIn(username: string, password = PASSWORD): Promise<Response> {
    await this.page('/staff/sign-in');
    return this.request('/staff/sign-in', { form: { _csrf: this.csrf, username, password, next: '/staff/messages' } });
  }

  /** Signs in and loads the messages page so the session's CSRF token is known. */
  async signedIn(username: string, password = PASSWORD): Promise<this> {
    const res = await this.signIn(username, password);
    if (res.status !== 303) throw new Error(`sign-in as ${username} answered ${res.status}`);
    await this.page('/staff/messages');
    return this;
  }

  post(path: string, form: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { form: { _csrf: this.csrf, ...form } });
  }
}
