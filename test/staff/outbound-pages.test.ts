import { CALLBACK_STATES } from '../../src/outbound/callback-queue';
import { AuditLog } from '../../src/staff/audit-log';
import { translator } from '../../src/staff/i18n/i18n';
import { carrierCallErrorOf } from '../../src/outbound/carrier-calls';
import { callbackErrorWord, callbackKindWord, callbackOutcomeWord, callbackStateWord } from '../../src/staff/outbound-words';
import { callerIdFor } from '../../src/store/callers';
import { signWebhook } from '../../src/telephony/signature';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from './staff-support';

const CITIZEN = '+85512345678';

async function ring(h: TestHotline, from: string) {
  const url = `${h.url}/voice/missed`;
  const params = { CallSid: `CA${Date.now()}${Math.floor(Math.random() * 1e6)}abcdef`, From: from, Direction: 'inbound' };
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(TEST_AUTH_TOKEN, url, params) }, body: new URLSearchParams(params).toString() });
}

describe('staff page "Outbound calls"', () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline({ OUTBOUND_DAILY_BUDGET: '120' });
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'view1', 'viewer');
  });
  afterEach(() => h.stop());

  it('shows the queue with states and attempts and today\'s count against the budget, never a number', async () => {
    await ring(h, CITIZEN);
    await h.rt.outbound.limits.spendBudget();
    const c = await new StaffClient(h).signedIn('view1');
    const { res, text } = await c.page('/staff/outbound');
    expect(res.status).toBe(200);
    expect(text).toContain('<strong>Today: 1 of 120 calls in the daily budget.</strong>');
    expect(text).toContain(callerIdFor(CITIZEN, h.config.callerHashSecret));
    expect(text).toMatch(/<td>queued<\/td><td>0<\/td>/);
    expect(text).not.toContain('12345678');
    // A viewer sees no pause button and may not pause.
    expect(text).not.toContain('Pause all outbound calling');
    expect((await c.post('/staff/outbound/pause')).status).toBe(403);
  });

  it('an admin pauses and resumes; the page and the audit log say who and when', async () => {
    const c = await new StaffClient(h).signedIn('admin1');
    await c.page('/staff/outbound');
    expect((await c.post('/staff/outbound/pause')).status).toBe(303);
    expect(await h.rt.outbound.limits.isPaused()).toBe(true);
    let { text } = await c.page('/staff/outbound');
    expect(text).toMatch(/<strong>Paused<\/strong> — paused by admin1 on \d{1,2} [A-Z][a-z]+ 20\d\d at \d\d:\d\d/);
    expect((await c.post('/staff/outbound/resume')).status).toBe(303);
    ({ text } = await c.page('/staff/outbound'));
    expect(text).toMatch(/<strong>Calling<\/strong> — resumed by admin1/);
    const { entries } = await new AuditLog(h.store).page({ username: 'admin1' }, 1, 50);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['outbound-pause', 'outbound-resume']));
  });

  it('an admin blocks a caller by hashed id only; a phone number is refused', async () => {
    const c = await new StaffClient(h).signedIn('admin1');
    await c.page('/staff/outbound');
    expect((await c.post('/staff/outbound/block', { callerId: CITIZEN })).status).toBe(400);
    const callerId = callerIdFor(CITIZEN, h.config.callerHashSecret);
    expect((await c.post('/staff/outbound/block', { callerId })).status).toBe(303);
    await ring(h, CITIZEN);
    expect(await h.rt.outbound.queue.collection.countDocuments({})).toBe(0);
    const { entries } = await new AuditLog(h.store).page({ action: 'outbound-block' }, 1, 10);
    expect(entries[0]).toMatchObject({ username: 'admin1', detail: { callerId } });
  });

  it('speaks Khmer to a reader who chose it: headings, states and buttons from the staff catalog', async () => {
    await ring(h, CITIZEN);
    const c = await new StaffClient(h).signedIn('admin1');
    await c.page('/staff/outbound');
    expect((await c.post('/staff/language', { lang: 'km', next: '/staff/outbound' })).status).toBe(303);
    const { res, text } = await c.page('/staff/outbound');
    expect(res.status).toBe(200);
    const km = translator('km');
    for (const key of ['outbound.title', 'outbound.awaiting-title', 'outbound.queue-title', 'outbound.blocked-title', 'outbound.pause-button', 'outbound.col-caller']) {
      expect(text).toContain(km(key));
    }
    expect(text).toContain(`<td>${km('outbound.state-queued')}</td><td>0</td>`);
    expect(text).not.toContain('Pause all outbound calling');
  });

  it('says why the last attempt failed in the reader\'s words, the carrier\'s English folded under a summary, and times as Cambodian dates', async () => {
    await ring(h, CITIZEN);
    const entry = (await h.rt.outbound.queue.claimForCall(60))!;
    // The detail exactly as the carrier client writes it for Twilio's 21205 ("Url is not a valid URL").
    const refusal = carrierCallErrorOf(Object.assign(new Error('Url is not a valid URL'), { status: 400, code: 21205 }));
    await h.rt.outbound.queue.notPlaced(entry, refusal.message, 0);
    const c = await new StaffClient(h).signedIn('admin1');
    await c.page('/staff/outbound');
    let { text } = await c.page('/staff/outbound');
    expect(text).toContain('The carrier refused this call (HTTP 400, code 21205).');
    expect(text).toContain('<code lang="en">the carrier refused the call (HTTP 400, code 21205): Url is not a valid URL</code>');
    expect((await c.post('/staff/language', { lang: 'km', next: '/staff/outbound' })).status).toBe(303);
    ({ text } = await c.page('/staff/outbound'));
    const km = translator('km');
    expect(text).toContain(km('outbound.error-refused-code', { status: '400', code: '21205' }));
    expect(text).toContain(`<summary>${km('common.technical-detail')}</summary>`);
    // The queued time in Khmer month words and digits, not 2026-12-07 10:00.
    expect(text).not.toMatch(/<td>20\d\d-\d\d-\d\d \d\d:\d\d<\/td>/);
    expect(text).toMatch(/<td>[០-៩]{1,2} [\u1780-\u17FF]+ [០-៩]{4} [^<]*[០-៩]{2}:[០-៩]{2}<\/td>/);
  });
});

describe('the outbound words (states, outcomes, kinds) in both staff languages', () => {
  it('has an English and a Khmer word for every code, never the code itself in Khmer', () => {
    const outcomes = ['answered', 'no-answer', 'busy', 'failed', 'refused', 'number-not-allowed'];
    for (const lang of ['en', 'km'] as const) {
      const t = translator(lang);
      const words = [
        ...CALLBACK_STATES.map((s) => callbackStateWord(s, t)),
        ...outcomes.map((o) => callbackOutcomeWord(o, t)),
        ...(['missed-call', 'message-answer'] as const).map((k) => callbackKindWord(k, t)),
      ];
      for (const w of words) expect(w).toMatch(lang === 'km' ? /[\u1780-\u17FF]/ : /^[a-z (),-]+$/);
    }
    // Why an attempt failed: each kind of detail the carrier client writes has its own words.
    const en = translator('en');
    const details = [
      carrierCallErrorOf(Object.assign(new Error('Not Found'), { status: 404 })).message,
      carrierCallErrorOf(Object.assign(new Error('Service Unavailable'), { status: 503 })).message,
      carrierCallErrorOf(new Error('connect ECONNREFUSED 127.0.0.1:9')).message,
      'create not taken',
    ];
    expect(details.map((d) => callbackErrorWord(d, en))).toEqual([
      'The carrier refused this call (HTTP 404).',
      'The carrier had a fault (HTTP 503); the call is tried again.',
      'The carrier could not be reached; the call is tried again.',
      'The last attempt did not go through; the call is tried again.',
    ]);
    for (const d of details) expect(callbackErrorWord(d, translator('km')).replace(/HTTP/g, '')).not.toMatch(/[A-Za-z]{3,}/);
    // An ended entry without an outcome shows its state.
    expect(callbackOutcomeWord('abandoned', translator('en'))).toBe('abandoned');
  });
});
