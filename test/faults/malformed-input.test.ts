import twilio from 'twilio';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline, TEST_AUTH_TOKEN } from '../support/hotline';

/**
 * Whatever arrives at the webhooks, the answer is a short plain status, never a stack trace or
 * a crash, and nothing unsigned (or signed for another request) gets past the signature check.
 */
describe(`malformed and forged webhook requests (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h.stop();
  });

  const CALL_SID = 'CA0123456789abcdef0123456789abcdef';
  const sign = (path: string, params: Record<string, unknown>, token = TEST_AUTH_TOKEN) =>
    twilio.getExpectedTwilioSignature(token, h.url + path, params as Record<string, string>);

  async function send(path: string, o: { body?: string; contentType?: string; signature?: string; method?: string } = {}) {
    const headers: Record<string, string> = {};
    if (o.contentType) headers['content-type'] = o.contentType;
    if (o.signature !== undefined) headers['x-twilio-signature'] = o.signature;
    const res = await fetch(h.url + path, { method: o.method ?? 'POST', headers, body: o.body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  }

  /** A form post signed as the carrier would sign it. */
  const signedForm = (path: string, params: Record<string, string>) =>
    send(path, { body: new URLSearchParams(params).toString(), contentType: 'application/x-www-form-urlencoded', signature: sign(path, params) });

  /** What a signed call request that cannot be served gets: error.system, then hang up (never plain text, which Somleng cannot play). */
  function expectSystemErrorTwiml(r: { status: number; type: string; body: string }) {
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/xml/);
    expect(r.body).toMatch(/<Play>[^<]*\/error\.system\.[a-z0-9]+<\/Play><Hangup\/><\/Response>$/);
  }

  function expectShortAnswer(r: { status: number; body: string }) {
    expect(r.body.length).toBeLessThan(300);
    expect(r.body).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+|\.js:\d+|Error:/);
  }

  afterEach(() => {
    // Bad input is the client's fault: nothing here may be logged as a server error.
    expect(h.logs.filter((l) => l.includes('"level":50'))).toEqual([]);
  });

  it('a signed incoming call without CallSid, or with a garbage one, gets error.system then hang-up, and no call is made', async () => {
    const cases: Record<string, string>[] = [{ From: '+85512000001' }, { CallSid: '../../etc/passwd', From: '+85512000001' }, { CallSid: '<script>alert(1)</script>' }, { CallSid: '' }];
    for (const params of cases) {
      const r = await signedForm('/voice/incoming', params);
      expectSystemErrorTwiml(r);
      expectShortAnswer(r);
    }
    expect(await h.store.collection('calls').countDocuments({})).toBe(0);
  });

  it('a signed turn with a missing, non-numeric, zero or absurd turn number gets error.system then hang-up', async () => {
    for (const query of ['', '?t=abc', '?t=0', '?t=-1', '?t=1e9', '?t=1.5', '?t[]=1']) {
      const r = await signedForm(`/voice/turn${query}`, { CallSid: CALL_SID, Digits: '1' });
      expectSystemErrorTwiml(r);
      expectShortAnswer(r);
    }
  });

  it('garbage or repeated Digits are an invalid key, not a crash: the caller hears error.invalid and the question again', async () => {
    await signedForm('/voice/incoming', { CallSid: CALL_SID, From: '+85512000002' });
    const r = await signedForm('/voice/turn?t=1&l=km', { CallSid: CALL_SID, Digits: "1'; DROP TABLE calls;--" });
    expect(r.status).toBe(200);
    expect(r.body).toContain('error.invalid');
    expect(r.body).toContain('language.menu');

    // Digits=1&Digits=2: a list where one value is expected.
    const body = 'CallSid=' + CALL_SID + '&Digits=1&Digits=2';
    const params = { CallSid: CALL_SID, Digits: ['1', '2'] };
    const r2 = await send('/voice/turn?t=2&l=km', { body, contentType: 'application/x-www-form-urlencoded', signature: sign('/voice/turn?t=2&l=km', params) });
    expect(r2.status).toBe(200);
    expect(r2.body).toMatch(/error\.(invalid|noinput)/);
    expect(r2.body).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+|Error:/);
  });

  it('a huge body is refused with 413 and a short message, before any work is done', async () => {
    const huge = `CallSid=${CALL_SID}&Junk=${'x'.repeat(200_000)}`;
    const r = await send('/voice/incoming', { body: huge, contentType: 'application/x-www-form-urlencoded', signature: 'whatever' });
    expect(r.status).toBe(413);
    expect(r.body).toBe('Request body too large.\n');
    expect(await h.rt.calls.find(CALL_SID)).toBeNull();
  });

  it('a body with thousands of parameters is refused with 413', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `p${i}=1`).join('&');
    const r = await send('/voice/incoming', { body: `CallSid=${CALL_SID}&${many}`, contentType: 'application/x-www-form-urlencoded', signature: 'x' });
    expect(r.status).toBe(413);
    expectShortAnswer(r);
  });

  it('a request with a huge URL is refused by the HTTP server, not answered with a crash', async () => {
    const r = await send(`/voice/turn?t=1&pad=${'a'.repeat(40_000)}`, { body: `CallSid=${CALL_SID}`, contentType: 'application/x-www-form-urlencoded', signature: 'x' });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expectShortAnswer(r);
  });

  it('JSON, XML or no content type is not read as the carrier\'s form: the request is refused, not misread', async () => {
    for (const [contentType, body] of [
      ['application/json', JSON.stringify({ CallSid: CALL_SID, From: '+85512000003' })],
      ['text/xml', `<CallSid>${CALL_SID}</CallSid>`],
      [undefined, `CallSid=${CALL_SID}`],
    ] as const) {
      // Signed over the URL alone: what the signature check sees when the body is not a form.
      const r = await send('/voice/incoming', { body, contentType, signature: sign('/voice/incoming', {}) });
      expectSystemErrorTwiml(r);
      expectShortAnswer(r);
    }
    expect(await h.rt.calls.find(CALL_SID)).toBeNull();
  });

  it('a form body with broken percent-encoding is refused or read harmlessly, never a server error', async () => {
    const r = await send('/voice/incoming', { body: 'CallSid=%E0%A4%A&From=%zz', contentType: 'application/x-www-form-urlencoded', signature: 'x' });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expectShortAnswer(r);
  });

  it('unknown paths answer 404 with a plain message; a signed one under /voice gets error.system TwiML', async () => {
    for (const r of [
      await send('/nothing-here', { method: 'GET' }),
      await send('/voice/../../etc/passwd', { method: 'GET' }),
      await send('/audio/km/../../package.json', { method: 'GET' }),
    ]) {
      expect(r.status).toBe(404);
      expectShortAnswer(r);
    }
    expectSystemErrorTwiml(await signedForm('/voice/nothing-here', { CallSid: CALL_SID }));
  });

  it('a webhook without a signature, with a garbage one, or signed with another token is refused with 403', async () => {
    const params = { CallSid: CALL_SID, From: '+85512000004' };
    const body = new URLSearchParams(params).toString();
    for (const signature of [undefined, '', 'garbage', sign('/voice/incoming', params, 'another-token')]) {
      const r = await send('/voice/incoming', { body, contentType: 'application/x-www-form-urlencoded', signature });
      expect(r.status).toBe(403);
      expectShortAnswer(r);
    }
    expect(await h.rt.calls.find(CALL_SID)).toBeNull();
  });

  it('a valid signature replayed on another path, another turn or with other parameters is refused with 403', async () => {
    const params = { CallSid: CALL_SID, From: '+85512000005', CallStatus: 'completed' };
    const body = new URLSearchParams(params).toString();
    const incomingSignature = sign('/voice/incoming', params);
    const ok = await send('/voice/incoming', { body, contentType: 'application/x-www-form-urlencoded', signature: incomingSignature });
    expect(ok.status).toBe(200);

    for (const path of ['/voice/status', '/voice/turn?t=1&l=km', '/voice/recording-status', '/voice/incoming?x=1']) {
      const r = await send(path, { body, contentType: 'application/x-www-form-urlencoded', signature: incomingSignature });
      expect(r.status).toBe(403);
    }
    const turnParams = { CallSid: CALL_SID, Digits: '1' };
    const turnSignature = sign('/voice/turn?t=1&l=km', turnParams);
    const replays: [string, Record<string, string>][] = [['/voice/turn?t=2&l=km', turnParams], ['/voice/turn?t=1&l=km', { ...turnParams, Digits: '2' }]];
    for (const [path, p] of replays) {
      const r = await send(path, { body: new URLSearchParams(p).toString(), contentType: 'application/x-www-form-urlencoded', signature: turnSignature });
      expect(r.status).toBe(403);
    }
    expect(await h.rt.calls.findStatus(CALL_SID)).toBeNull();
    expect((await h.rt.calls.find(CALL_SID))?.turn).toBe(1);
    // Refusals are logged (without the signature itself).
    const refusals = h.logs.filter((l) => l.includes('webhook refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(6);
    expect(refusals.join('')).not.toContain(incomingSignature);
  });
});
