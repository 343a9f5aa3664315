import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreError } from '../../src/errors';
import { parseTwiml, promptOf } from '../../src/simulator/call-simulator';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { INDEXES } from '../../src/store/indexes';
import { MongoStore } from '../../src/store/mongo-store';
import { Collection, Doc, Store } from '../../src/store/store';
import { signWebhook } from '../../src/telephony/signature';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';

/**
 * The webhooks as the carrier drives them: signed form posts to the real Express app on the
 * test engine, then a look at what landed in the store.
 */

interface Reply {
  status: number;
  type: string;
  body: string;
}

let sidCounter = 0;
const newSid = () => `CA${String(Date.now())}${String(++sidCounter).padStart(6, '0')}${'0'.repeat(8)}`;

/** Posts a form to the hotline, signed over PUBLIC_BASE_URL + path unless told otherwise. */
async function post(
  h: TestHotline,
  pathAndQuery: string,
  params: Record<string, string>,
  opts: { signature?: string | null; contentType?: string; body?: string } = {},
): Promise<Reply> {
  const signature = opts.signature === undefined ? signWebhook(TEST_AUTH_TOKEN, h.url + pathAndQuery, params) : opts.signature;
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/x-www-form-urlencoded' };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  const res = await fetch(h.url + pathAndQuery, { method: 'POST', headers, body: opts.body ?? new URLSearchParams(params).toString() });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

const heard = (r: Reply) =>
  parseTwiml(r.body).flatMap((v) => (v.name === 'Gather' ? v.children : [v])).filter((v) => v.name === 'Play').map((v) => promptOf(v.text).id);
const heardWithLanguage = (r: Reply) =>
  parseTwiml(r.body).flatMap((v) => (v.name === 'Gather' ? v.children : [v])).filter((v) => v.name === 'Play').map((v) => promptOf(v.text));
/** The path and query of the reply's Gather or Record action (where the next turn goes). */
function actionOf(r: Reply): string {
  const v = parseTwiml(r.body).find((x) => x.name === 'Gather' || x.name === 'Record');
  if (!v) throw new Error(`the reply waits for nothing: ${r.body}`);
  return new URL(v.attrs.action).pathname + new URL(v.attrs.action).search;
}
function silenceOf(r: Reply): string {
  const v = parseTwiml(r.body).find((x) => x.name === 'Redirect');
  if (!v) throw new Error(`the reply has no Redirect: ${r.body}`);
  return new URL(v.text).pathname + new URL(v.text).search;
}
const hangsUp = (r: Reply) => parseTwiml(r.body).some((v) => v.name === 'Hangup');

/** A call driven turn by turn: each press posts to the action of the previous reply. */
class Call {
  readonly sid = newSid();
  reply!: Reply;
  constructor(readonly h: TestHotline, readonly from = '+85512000111') {}
  params(extra: Record<string, string> = {}) {
    return { CallSid: this.sid, AccountSid: 'ACtest', From: this.from, To: '+855000000', CallStatus: 'in-progress', ...extra };
  }
  async dial() {
    this.reply = await post(this.h, '/voice/incoming', this.params({ CallStatus: 'ringing' }));
    return this.reply;
  }
  async press(...keys: string[]) {
    for (const digits of keys) this.reply = await post(this.h, actionOf(this.reply), this.params({ Digits: digits }));
    return this.reply;
  }
  async silence() {
    this.reply = await post(this.h, silenceOf(this.reply), this.params());
    return this.reply;
  }
}

/**
 * A signed request the hotline cannot serve: the caller hears error.system and the call ends.
 * Somleng would hang up in silence on a plain-text body (somleng-switch
 * components/app/app/workflows/execute_twiml.rb rescues the parse error), Twilio would play its own error.
 */
const expectSystemErrorTwiml = (r: Reply) => {
  expect(r.status).toBe(200);
  expect(r.type).toMatch(/^text\/xml/);
  expect(heard(r)).toEqual(['error.system']);
  expect(parseTwiml(r.body).map((v) => v.name)).toEqual(['Play', 'Hangup']);
};

const expectPlainShortError = (r: Reply, status: number) => {
  expect(r.status).toBe(status);
  expect(r.type).toMatch(/^text\/plain/);
  expect(r.body.length).toBeLessThan(200);
  expect(r.body).not.toMatch(/\n\s+at |Error:|node_modules/);
};

describe(`voice webhooks (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h?.stop();
  });

  describe('signatures', () => {
    it('a wrong signature is refused with 403 and changes nothing', async () => {
      const sid = newSid();
      const r = await post(h, '/voice/incoming', { CallSid: sid, From: '+85512000999' }, { signature: 'bm90IGEgc2lnbmF0dXJl' });
      expectPlainShortError(r, 403);
      expect(await h.rt.calls.find(sid)).toBeNull();
      expect(await h.store.collection('callers').countDocuments({})).toBe(0);
    });

    it('a request with no signature is refused with 403', async () => {
      const r = await post(h, '/voice/incoming', { CallSid: newSid() }, { signature: null });
      expectPlainShortError(r, 403);
    });

    it('a signature made for another path is refused', async () => {
      const params = { CallSid: newSid(), From: '+85512000999' };
      const r = await post(h, '/voice/incoming', params, { signature: signWebhook(TEST_AUTH_TOKEN, `${h.url}/voice/status`, params) });
      expectPlainShortError(r, 403);
      expect(await h.rt.calls.find(params.CallSid)).toBeNull();
    });

    it('a signature made with another token, or over other keys, is refused', async () => {
      const c = new Call(h);
      await c.dial();
      const params = c.params({ Digits: '1' });
      const forged = await post(h, actionOf(c.reply), params, { signature: signWebhook('another-token', h.url + actionOf(c.reply), params) });
      expectPlainShortError(forged, 403);
      const tampered = await post(h, actionOf(c.reply), { ...params, Digits: '2' }, { signature: signWebhook(TEST_AUTH_TOKEN, h.url + actionOf(c.reply), params) });
      expectPlainShortError(tampered, 403);
      expect((await h.rt.calls.find(c.sid))!.turn).toBe(1);
    });

    it('a status callback with a wrong signature does not record the status', async () => {
      const sid = newSid();
      const r = await post(h, '/voice/status', { CallSid: sid, CallStatus: 'completed' }, { signature: 'wrong' });
      expectPlainShortError(r, 403);
      expect(await h.rt.calls.findStatus(sid)).toBeNull();
    });
  });

  describe('garbage parameters: error.system TwiML to a signed call request, 4xx in plain words to a callback, never a 500 or a stack', () => {
    it('a missing CallSid: the caller hears error.system; a status callback without one is a 400', async () => {
      expectSystemErrorTwiml(await post(h, '/voice/incoming', { From: '+85512000999' }));
      expectSystemErrorTwiml(await post(h, '/voice/turn?t=1', { Digits: '1' }));
      expectPlainShortError(await post(h, '/voice/status', { CallStatus: 'completed' }), 400);
    });

    it('a malformed CallSid: the caller hears error.system', async () => {
      expectSystemErrorTwiml(await post(h, '/voice/incoming', { CallSid: '../../etc/passwd' }));
      expectSystemErrorTwiml(await post(h, '/voice/incoming', { CallSid: 'x'.repeat(500) }));
    });

    it.each(['', 't=abc', 't=0', 't=-1', 't=1.5', 't=99999999', 't=1&t=2'])('a bad turn number (%s): error.system, and the call does not move', async (query) => {
      const c = new Call(h);
      await c.dial();
      expectSystemErrorTwiml(await post(h, `/voice/turn${query ? `?${query}` : ''}`, c.params({ Digits: '1' })));
      expect((await h.rt.calls.find(c.sid))!.turn).toBe(1);
    });

    it.each([['letters', 'abc'], ['a huge number of keys', '1'.repeat(5000)], ['an empty string', ''], ['a lone #', '#']])(
      'Digits that are %s are an invalid key: error.invalid and the same question', async (_what, digits) => {
        const c = new Call(h);
        await c.dial();
        const r = await c.press(digits);
        expect(r.status).toBe(200);
        expect(r.type).toMatch(/^text\/xml/);
        expect(heard(r).slice(0, 2)).toEqual(['error.invalid', 'language.menu']);
      });

    it('Digits sent twice in one request is an invalid key, not a silence', async () => {
      const c = new Call(h);
      await c.dial();
      const params = c.params();
      const body = `${new URLSearchParams(params).toString()}&Digits=1&Digits=2`;
      // The carrier signs the sorted parameters; a repeated key is outside what it ever sends, so sign it as one value list.
      const r = await post(h, actionOf(c.reply), params, { body, signature: signWebhook(TEST_AUTH_TOKEN, h.url + actionOf(c.reply), { ...params, Digits: ['1', '2'] } as never) });
      expect(r.status).toBe(200);
      expect(heard(r).slice(0, 2)).toEqual(['error.invalid', 'language.menu']);
      expect((await h.rt.calls.find(c.sid))!.flow.silences).toBe(0);
    });

    it('more parameters than the carrier ever sends is refused in plain words', async () => {
      const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`P${i}`, 'x']));
      const r = await post(h, '/voice/incoming', { CallSid: newSid(), ...many });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expectPlainShortError(r, r.status);
    });

    it('a callback (Direction outbound-api, Twilio\'s value for a call placed through the Calls API) opens with welcome.callback, not the ordinary welcome', async () => {
      // https://www.twilio.com/docs/voice/twiml#request-parameters: Direction is inbound, outbound-api or outbound-dial.
      const c = new Call(h, '+85512000222');
      const r = await post(h, '/voice/incoming', c.params({ CallStatus: 'in-progress', Direction: 'outbound-api', From: '+855000000', To: '+85512000222' }));
      expect(heard(r).slice(0, 3)).toEqual(['welcome.callback', 'keys.intro', 'language.menu']);
      const inbound = new Call(h, '+85512000333');
      expect(heard(await inbound.dial())[0]).toBe('welcome');
    });

    it('a caller with a withheld number is not remembered from one call to the next', async () => {
      const first = new Call(h, 'anonymous');
      await first.dial();
      await first.press('3');
      const second = new Call(h, 'anonymous');
      expect(heard(await second.dial()).slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
    });

    it('a JSON body (wrong content type) is not misread: error.system, and the call does not move', async () => {
      const c = new Call(h);
      await c.dial();
      const body = JSON.stringify(c.params({ Digits: '1' }));
      const r = await post(h, actionOf(c.reply), {}, { contentType: 'application/json', body });
      expectSystemErrorTwiml(r);
      expect((await h.rt.calls.find(c.sid))!.turn).toBe(1);
      // Signed over no parameters, which is all the signature check can read from a text body.
      expectSystemErrorTwiml(await post(h, '/voice/incoming', {}, { contentType: 'text/plain', body: 'CallSid=CA1' }));
      expectPlainShortError(await post(h, '/voice/incoming', {}, { contentType: 'text/plain', body: 'CallSid=CA1', signature: null }), 403);
    });

    it('a body over the size limit is refused in plain words', async () => {
      const r = await post(h, '/voice/incoming', {}, { body: `CallSid=${newSid()}&Junk=${'x'.repeat(64 * 1024)}` });
      expectPlainShortError(r, 413);
    });

    it('an unknown CallStatus is a 400; a signed request to an unknown /voice path (a mistyped voice URL) gets error.system', async () => {
      expectPlainShortError(await post(h, '/voice/status', { CallSid: newSid(), CallStatus: 'exploded' }), 400);
      expectSystemErrorTwiml(await post(h, '/voice/nowhere', { CallSid: newSid() }));
      expect(h.logs.some((l) => l.includes('check the voice URL configured at the carrier'))).toBe(true);
      expectPlainShortError(await post(h, '/voice/nowhere', { CallSid: newSid() }, { signature: 'wrong' }), 403);
    });
  });

  describe('retries and order', () => {
    it('the incoming webhook twice: one call, one caller, the same TwiML', async () => {
      const c = new Call(h);
      const first = await c.dial();
      const second = await c.dial();
      expect(second.body).toBe(first.body);
      expect(await h.store.collection('calls').countDocuments({ _id: c.sid })).toBe(1);
      expect(await h.store.collection('callers').countDocuments({})).toBe(1);
    });

    it('a retried turn changes nothing the second time and returns the same TwiML', async () => {
      const c = new Call(h);
      await c.dial();
      await c.press('1', '2', '120101', '1', '2', '1');
      const action = actionOf(c.reply);
      const first = await post(h, action, c.params({ Digits: '4' }));
      const before = await h.rt.calls.find(c.sid);
      const again = await post(h, action, c.params({ Digits: '4' }));
      expect(again.body).toBe(first.body);
      const after = await h.rt.calls.find(c.sid);
      expect(after!.turn).toBe(before!.turn);
      expect(after!.flow).toEqual(before!.flow);
      expect((await h.rt.ratings.forCall(c.sid)).map((r) => [r.indicatorId, r.score])).toEqual([['staff-attitude', 4]]);
    });

    it('a retry with a different key for an answered turn does not change the answer', async () => {
      const c = new Call(h);
      await c.dial();
      await c.press('1', '2', '120101', '1', '2', '1');
      const action = actionOf(c.reply);
      const first = await post(h, action, c.params({ Digits: '4' }));
      const other = await post(h, action, c.params({ Digits: '1' }));
      expect(other.body).toBe(first.body);
      expect((await h.rt.ratings.forCall(c.sid)).map((r) => r.score)).toEqual([4]);
    });

    it('a turn number the call has not reached yet changes nothing', async () => {
      const c = new Call(h);
      await c.dial();
      const r = await post(h, '/voice/turn?t=7&l=km', c.params({ Digits: '2' }));
      expect(r.status).toBe(200);
      expect(r.body).toBe(c.reply.body);
      const call = await h.rt.calls.find(c.sid);
      expect(call!.turn).toBe(1);
      expect(call!.flow.language).toBe('km');
    });

    it('two copies of a rating turn sent at once: one rating, one advance, the same answer to both', async () => {
      const c = new Call(h);
      await c.dial();
      await c.press('1', '2', '120101', '1', '2', '1');
      const before = await h.rt.calls.find(c.sid);
      const action = actionOf(c.reply);
      const [a, b] = await Promise.all([post(h, action, c.params({ Digits: '5' })), post(h, action, c.params({ Digits: '5' }))]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(a.body).toBe(b.body);
      expect((await h.rt.calls.find(c.sid))!.turn).toBe(before!.turn + 1);
      expect(await h.rt.ratings.collection.countDocuments({ callSid: c.sid })).toBe(1);
    });

    it('status callbacks in any order: completed then ringing keeps completed, with its duration', async () => {
      const c = new Call(h);
      await c.dial();
      expect((await post(h, '/voice/status', c.params({ CallStatus: 'completed', CallDuration: '42' }))).status).toBe(204);
      expect((await post(h, '/voice/status', c.params({ CallStatus: 'ringing' }))).status).toBe(204);
      expect((await post(h, '/voice/status', c.params({ CallStatus: 'in-progress' }))).status).toBe(204);
      expect(await h.rt.calls.findStatus(c.sid)).toMatchObject({ status: 'completed', durationSeconds: 42 });
    });

    it('status callbacks in order end at the final status; a repeat changes nothing', async () => {
      const c = new Call(h);
      for (const status of ['ringing', 'in-progress', 'completed', 'completed']) {
        expect((await post(h, '/voice/status', c.params({ CallStatus: status, CallDuration: '10' }))).status).toBe(204);
      }
      expect(await h.rt.calls.findStatus(c.sid)).toMatchObject({ status: 'completed' });
      expect(await h.store.collection('call_status').countDocuments({ _id: c.sid })).toBe(1);
    });

    it('a status callback for a call the app never saw is recorded, and a garbage duration is ignored', async () => {
      const sid = newSid();
      const r = await post(h, '/voice/status', { CallSid: sid, CallStatus: 'no-answer', CallDuration: 'soon' });
      expect(r.status).toBe(204);
      const status = await h.rt.calls.findStatus(sid);
      expect(status).toMatchObject({ status: 'no-answer' });
      expect(status!.durationSeconds).toBeUndefined();
      expect(await h.rt.calls.find(sid)).toBeNull();
    });

    it('a turn for a call the app never saw starts the call', async () => {
      const c = new Call(h);
      const r = await post(h, '/voice/turn?t=3&l=cmo', c.params({ Digits: '2' }));
      expect(r.status).toBe(200);
      expect(heard(r).slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
      expect((await h.rt.calls.find(c.sid))!.turn).toBe(1);
    });
  });

  describe('invalid keys and silence through the HTTP layer', () => {
    it('an invalid key: error.invalid and the same menu; three in a row: the main menu', async () => {
      const c = new Call(h);
      await c.dial();
      await c.press('1', '2');
      // The shipped audio has no place names: * would have the caller say the place, never read lists.
      expect(heard(c.reply)).toEqual(['rate.commune.enter']);
      await c.press('120101', '1');
      expect(heard(await c.press('7'))).toEqual(['error.invalid', 'rate.service.menu']);
      expect(heard(await c.press('#'))).toEqual(['error.invalid', 'rate.service.menu']);
      expect(heard(await c.press('9'))).toEqual(['error.to.main', 'main.menu']);
    });

    it('an unknown commune code is read back and asked again', async () => {
      const c = new Call(h);
      await c.dial();
      await c.press('1', '2');
      expect(heard(await c.press('999991'))).toEqual([
        'rate.commune.unknown', 'digit.9', 'digit.9', 'digit.9', 'digit.9', 'digit.9', 'digit.1', 'rate.commune.enter',
      ]);
    });

    it('silence: error.noinput and the question again; the third silence: goodbye and Hangup; a later turn only hangs up', async () => {
      const c = new Call(h);
      await c.dial();
      // Silence at the language menu chooses Khmer ("stay on the line"); the main menu then counts silences.
      expect(heard(await c.silence())).toEqual(['main.menu']);
      expect(heard(await c.silence())).toEqual(expect.arrayContaining(['error.noinput', 'main.menu']));
      expect(heard(await c.silence())[0]).toBe('error.noinput');
      const end = await c.silence();
      expect(heard(end)).toEqual(['goodbye.silence']);
      expect(hangsUp(end)).toBe(true);
      const call = await h.rt.calls.find(c.sid);
      const late = await post(h, `/voice/turn?t=${call!.turn}&l=km`, c.params({ Digits: '1' }));
      expect(late.status).toBe(200);
      expect(heard(late)).toEqual([]);
      expect(hangsUp(late)).toBe(true);
    });

    it('a recording that ends in silence (the Redirect after Record) asks to record again', async () => {
      const c = new Call(h);
      await c.dial();
      await c.press('1', '3', '120101', '1', '2');
      expect(parseTwiml(c.reply.body).some((v) => v.name === 'Record')).toBe(true);
      const r = await c.silence();
      expect(heard(r)).toEqual(['error.noinput', 'message.intro']);
      expect(parseTwiml(r.body).map((v) => v.name)).toEqual(['Play', 'Play', 'Record', 'Redirect']);
    });

    it('the language chosen is the language of every later prompt URL', async () => {
      const c = new Call(h);
      await c.dial();
      const r = await c.press('2');
      expect(actionOf(r)).toMatch(/l=cmo/);
    });
  });

  describe('a store failure mid-call', () => {
    it('the caller hears error.system in their language and the call hangs up; never a 500', async () => {
      await h.stop();
      const audioDir = tempDir('hotline-audio-');
      fs.cpSync(path.resolve(__dirname, '../../audio'), audioDir, { recursive: true });
      fs.mkdirSync(path.join(audioDir, 'cmo'), { recursive: true });
      fs.copyFileSync(path.join(audioDir, 'km/error.system.wav'), path.join(audioDir, 'cmo/error.system.wav'));
      const failing = await failingStore();
      h = await startHotline({ AUDIO_DIR: audioDir }, { store: failing.store });
      const c = new Call(h);
      await c.dial();
      await c.press('2'); // Bunong
      failing.fail(true);
      const r = await c.press('2');
      expect(r.status).toBe(200);
      expect(heardWithLanguage(r).map((p) => `${p.language}/${p.id}`)).toEqual(['cmo/error.system']);
      expect(parseTwiml(r.body).map((v) => v.name)).toEqual(['Play', 'Hangup']);
      expect(h.logs.join('')).toMatch(/turn failed; caller hears error.system/);

      const fresh = new Call(h);
      const first = await fresh.dial();
      expect(first.status).toBe(200);
      expect(heardWithLanguage(first).map((p) => `${p.language}/${p.id}`)).toEqual(['km/error.system']);
      // Kept on disk for when the store is back (the carrier never posts it again: src/calls/call-status-journal.ts).
      const status = await post(h, '/voice/status', c.params({ CallStatus: 'completed' }));
      expectPlainShortError(status, 202);
      failing.fail(false);
    });
  });
});

describe(`a call survives an app restart (${ENGINE} store)`, () => {
  it('a second app on the same store continues the call with the next turn, and keeps every rating', async () => {
    const dataDir = tempDir();
    const dbName = `test_restart_${process.pid}_${Date.now()}`;
    const open = async (): Promise<Store> => {
      const s = ENGINE === 'mongodb' ? await MongoStore.connect(process.env.MONGODB_URI!, dbName) : new EmbeddedStore(dataDir);
      await s.ensureIndexes(INDEXES);
      return s;
    };
    const first = await startHotline({}, { store: await open() });
    const c = new Call(first);
    await c.dial();
    await c.press('1', '2', '120101', '1', '2', '1', '4');
    const action = actionOf(c.reply);
    // The embedded store belongs to one process: the first app stops before the second opens it.
    if (ENGINE === 'embedded') await first.stop();
    const second = await startHotline({}, { store: await open() });
    try {
      const next = await post(second, action, c.params({ Digits: '5' }));
      expect(next.status).toBe(200);
      expect(heard(next)).toEqual(['scale.5', 'indicator.health.medicines', 'rate.scale.short']);
      expect((await second.rt.ratings.forCall(c.sid)).map((r) => [r.indicatorId, r.score])).toEqual([['staff-attitude', 4], ['waiting-time', 5]]);
    } finally {
      await second.stop();
      if (ENGINE === 'mongodb') await first.stop();
    }
  });
});

/** The test engine, wrapped so every collection operation throws StoreError while failing. */
async function failingStore(): Promise<{ store: Store; fail(on: boolean): void }> {
  const { openTestStore } = await import('../support/engine');
  const inner = await openTestStore();
  let failing = false;
  const wrap = <T extends Doc>(c: Collection<T>): Collection<T> =>
    new Proxy(c, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (failing) return Promise.reject(new StoreError('the database did not answer (test)'));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'collection') return <T extends Doc>(name: string) => wrap(target.collection<T>(name));
      return Reflect.get(target, prop, receiver);
    },
  });
  return { store, fail: (on) => { failing = on; } };
}
