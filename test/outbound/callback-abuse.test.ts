import { parseScript } from '../../src/simulator/call-simulator';
import { afterCallingTime } from '../../src/outbound/cambodia-time';
import { CallbackWorker } from '../../src/outbound/callback-worker';
import { TwilioCarrierCalls } from '../../src/outbound/carrier-calls';
import { buildOutbound, callableNumber, callbackWorkerFor, typedPhoneNumber } from '../../src/outbound/outbound';
import { AuditLog } from '../../src/staff/audit-log';
import { callerIdFor } from '../../src/store/callers';
import { Store } from '../../src/store/store';
import { signWebhook } from '../../src/telephony/signature';
import { ENGINE } from '../support/engine';
import { FakeCarrierCalls } from '../support/fake-carrier-calls';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';

/**
 * Issue 21, section 2: the missed-call service as an attacker uses it (signed rings from many
 * numbers, replays, impossible numbers) and what staff can do about it (caps they see, expiry,
 * a purge, blocking a typed number).
 */
const ACCOUNT = 'ACtest';
const FROM = '+85523900900';
const OPEN = { OUTBOUND_CALLING_HOURS: '00:00-24:00', OUTBOUND_FROM_NUMBER: FROM, OUTBOUND_MAX_PER_MINUTE: '600' };

let seq = 0;
const newSid = () => `CAabuse${String(++seq).padStart(25, '0')}`;

async function ring(h: TestHotline, from: string, callSid = newSid()) {
  const url = `${h.url}/voice/missed`;
  const params = { CallSid: callSid, From: from, To: FROM, Direction: 'inbound', CallStatus: 'ringing' };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(TEST_AUTH_TOKEN, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

const entries = (h: TestHotline) => h.rt.outbound.queue.collection.find({}, { sort: { createdAt: 1 } });
/** Distinct valid Cambodian mobile numbers. */
const numberNo = (i: number) => `+8551260${String(i).padStart(4, '0')}`;

function workerOf(h: TestHotline, carrier: FakeCarrierCalls, extra: Partial<ConstructorParameters<typeof CallbackWorker>[0]> = {}) {
  return callbackWorkerFor(h.rt, {
    carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN, timeoutMs: 1500 }),
    reconcileAfterSeconds: 0,
    ...extra,
  });
}

/** Places one call (waiting out the pace), as the worker would. */
async function placeOne(worker: CallbackWorker): Promise<string> {
  for (;;) {
    const o = await worker.placeNext();
    if (o !== 'paced') return o;
    await new Promise((r) => setTimeout(r, 110));
  }
}

async function everythingStored(store: Store): Promise<string> {
  const names = ['outbound_callbacks', 'outbound_blocks', 'outbound_rings', 'outbound_queue_hours', 'staff_audit', 'callers', 'calls'];
  return JSON.stringify(await Promise.all(names.map((n) => store.collection(n).find({}))));
}

describe(`callback abuse (${ENGINE})`, () => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  const start = async (env: Record<string, string> = {}) => {
    h = await startHotline({ CARRIER_API_URL: carrier.url, ...OPEN, ...env });
  };
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls(ACCOUNT, TEST_AUTH_TOKEN).start();
  });
  afterEach(async () => {
    await h?.stop();
    await carrier.stop();
  });

  it('at CALLBACK_QUEUE_MAX_PER_HOUR further rings get the busy reject without queuing, in the log and on the Outbound page', async () => {
    await start({ CALLBACK_QUEUE_MAX_PER_HOUR: '5' });
    // The rings' clock stays in the hour the test began (a test crossing a clock hour would count
    // in two hours); the page shows this hour and the one before, so it sees them either way.
    const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const pinned = buildOutbound(h.store, h.config, () => new Date(Math.min(Date.now(), hourStart + 3_599_999)));
    h.rt.outbound.missedCall = pinned.missedCall;
    for (let i = 0; i < 8; i++) {
      const r = await ring(h, numberNo(i));
      expect(r.status).toBe(200);
      expect(r.text).toContain('<Reject reason="busy"/>');
    }
    expect(await entries(h)).toHaveLength(5);
    expect(h.logs.filter((l) => l.includes('queue-full') && l.includes('CALLBACK_QUEUE_MAX_PER_HOUR'))).toHaveLength(3);
    const [hit] = await pinned.queue.capHits();
    expect(hit).toMatchObject({ queued: 5, refused: 3, lastRefusedBy: 'per-hour' });

    await addAccount(h.store, 'viewer1', 'viewer');
    const page = await (await new StaffClient(h).signedIn('viewer1')).page('/staff/outbound');
    expect(page.text).toContain('The callback queue is full: 3 rings were not queued');
    expect(page.text).toContain('(CALLBACK_QUEUE_MAX_PER_HOUR reached)');
    expect(page.text).toContain('at most 5 queued an hour');
  });

  it('at CALLBACK_QUEUE_MAX_WAITING further rings are not queued until the waiting queue shrinks', async () => {
    await start({ CALLBACK_QUEUE_MAX_WAITING: '3' });
    for (let i = 0; i < 4; i++) await ring(h, numberNo(i));
    expect(await entries(h)).toHaveLength(3);
    expect((await h.rt.outbound.queue.capHits())[0]).toMatchObject({ refused: 1, lastRefusedBy: 'waiting' });
    // One callback placed: it no longer waits, so a new ring is queued.
    expect(await placeOne(workerOf(h, carrier))).toBe('placed');
    await ring(h, numberNo(4));
    expect(await entries(h)).toHaveLength(4);
  });

  it('a callback not placed within OUTBOUND_MAX_WAIT_HOURS of calling time is dropped and its number erased; calling hours do not count', async () => {
    await start({ OUTBOUND_MAX_WAIT_HOURS: '2' });
    await ring(h, numberNo(1));
    const [entry] = await entries(h);
    expect(entry.waitUntil!.getTime() - entry.createdAt.getTime()).toBe(2 * 3_600_000);
    // Another instance, two hours and a second later.
    let now = new Date(entry.createdAt.getTime() + 2 * 3_600_000 - 1000);
    const later = buildOutbound(h.store, h.config, () => now);
    const worker = callbackWorkerFor({ outbound: later, logger: h.rt.logger, config: h.config }, {
      carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN, timeoutMs: 1500 }), now: () => now,
    });
    expect(await later.queue.expireWaiting()).toBe(0);
    now = new Date(entry.createdAt.getTime() + 2 * 3_600_000 + 1000);
    expect(await later.queue.hasDue()).toBe(false);
    expect(await worker.placeNext()).toBe('idle');
    // The running worker drops it (its housekeeping, before placing anything).
    worker.start();
    for (let i = 0; i < 100 && (await entries(h))[0].state !== 'abandoned'; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.stop();
    expect(h.logs.some((l) => l.includes('"expired":1'))).toBe(true);
    const [ended] = await entries(h);
    expect(ended).toMatchObject({ state: 'abandoned', outcome: 'expired' });
    expect(ended.sealedNumber).toBeUndefined();
    expect(carrier.calls).toHaveLength(0);
    // A ring at 18:30 in Phnom Penh with calling hours 08:00-19:00 keeps 1.5 of its 2 hours for the next morning.
    const hours = { startMinute: 8 * 60, endMinute: 19 * 60 };
    expect(afterCallingTime(new Date('2026-11-30T11:30:00Z'), 2 * 3_600_000, hours).toISOString()).toBe('2026-12-01T02:30:00.000Z');
    expect(afterCallingTime(new Date('2026-11-30T22:00:00Z'), 3_600_000, hours).toISOString()).toBe('2026-12-01T02:00:00.000Z');
  });

  it('staff purge the waiting queue in bulk, only when confirmed and only as admin; audited, numbers erased', async () => {
    await start();
    for (let i = 0; i < 3; i++) await ring(h, numberNo(i));
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'rev1', 'reviewer');
    const reviewer = await new StaffClient(h).signedIn('rev1');
    expect((await reviewer.post('/staff/outbound/purge', { confirm: 'yes' })).status).toBe(403);
    const admin = await new StaffClient(h).signedIn('admin1');
    expect((await admin.page('/staff/outbound')).text).toContain('all 3 waiting missed-call callbacks end now');
    expect((await admin.post('/staff/outbound/purge', {})).status).toBe(400);
    expect((await entries(h)).map((e) => e.state)).toEqual(['queued', 'queued', 'queued']);
    expect((await admin.post('/staff/outbound/purge', { confirm: 'yes' })).status).toBe(303);
    const after = await entries(h);
    expect(after.map((e) => [e.state, e.outcome])).toEqual(Array(3).fill(['abandoned', 'purged']));
    expect(after.every((e) => e.sealedNumber === undefined)).toBe(true);
    const audit = await new AuditLog(h.store).collection.find({ action: 'outbound-purge' });
    expect(audit).toEqual([expect.objectContaining({ username: 'admin1', detail: { purged: 3 } })]);
    expect(await placeOne(workerOf(h, carrier))).toBe('idle');
  });

  it('staff block a typed phone number: hashed at once with the caller-hash key, never stored or logged in clear; its owed callback ends', async () => {
    await start();
    const victim = '+85512345678';
    await ring(h, victim);
    await addAccount(h.store, 'admin1', 'admin');
    const admin = await new StaffClient(h).signedIn('admin1');
    expect((await admin.post('/staff/outbound/block-number', { phoneNumber: '+8550000000' })).status).toBe(400);
    expect((await admin.post('/staff/outbound/block-number', { phoneNumber: '012 345 678' })).status).toBe(303);
    const callerId = callerIdFor(victim, h.config.callerHashSecret);
    expect((await h.rt.outbound.queue.listBlocks()).map((b) => b._id)).toEqual([callerId]);
    expect((await entries(h))[0]).toMatchObject({ state: 'abandoned', outcome: 'refused' });
    await ring(h, victim);
    expect(await entries(h)).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('"outcome":"blocked"');
    for (const text of [await everythingStored(h.store), h.logs.join('\n')]) {
      expect(text).not.toContain('12345678');
      expect(text).not.toContain('345 678');
    }
    const audit = await new AuditLog(h.store).collection.find({ action: 'outbound-block' });
    expect(audit).toEqual([expect.objectContaining({ username: 'admin1', detail: { callerId, entered: 'phone number' } })]);
  });

  it('one number gets at most CALLBACK_WEEKLY_CALLS_PER_NUMBER calls in 7 days, retries included', async () => {
    await start({ CALLBACK_WEEKLY_CALLS_PER_NUMBER: '2', CALLBACK_DAILY_LIMIT_PER_NUMBER: '10', OUTBOUND_MAX_ATTEMPTS: '3', OUTBOUND_RETRY_BASE_SECONDS: '1' });
    const victim = numberNo(7);
    const worker = workerOf(h, carrier);
    await ring(h, victim);
    expect(await placeOne(worker)).toBe('placed');
    await carrier.finish(carrier.calls[0], 'busy');
    expect((await entries(h))[0].state).toBe('retry');
    await h.rt.outbound.queue.collection.updateOne({}, { $set: { nextAttemptAt: new Date() } });
    expect(await placeOne(worker)).toBe('placed');
    await carrier.finish(carrier.calls[1], 'no-answer');
    // Two calls this week: the third attempt is not made, though OUTBOUND_MAX_ATTEMPTS allows it.
    expect((await entries(h))[0]).toMatchObject({ state: 'abandoned', attempts: 2 });
    await ring(h, victim);
    expect(await entries(h)).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('"outcome":"weekly-limit"');
    expect(carrier.callsTo(victim)).toHaveLength(2);
  });

  it('replaying one signed /voice/missed queues nothing more, even after its callback ended', async () => {
    await start({ CALLBACK_DAILY_LIMIT_PER_NUMBER: '10' });
    const sid = newSid();
    await ring(h, numberNo(3), sid);
    expect(await placeOne(workerOf(h, carrier))).toBe('placed');
    await carrier.finish(carrier.calls[0], 'completed');
    for (let i = 0; i < 3; i++) await ring(h, numberNo(3), sid);
    expect(await entries(h)).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('"outcome":"duplicate-ring"');
    // A new ring (a new CallSid) from the same number is a new request.
    await ring(h, numberNo(3));
    expect(await entries(h)).toHaveLength(2);
  });

  it('numbers outside the numbering plan are never called back: +8550000000 and 15-digit +855 numbers', async () => {
    await start();
    for (const bad of ['+8550000000', '+855123456789012', '855123456789012', '+85500000000']) {
      expect(callableNumber(bad, ['+855'])).toBeNull();
      await ring(h, bad);
    }
    expect(await entries(h)).toHaveLength(0);
    expect(callableNumber('85512345678', ['+855'])).toBe('+85512345678');
    expect(callableNumber('+85523900901', ['+855'])).toBe('+85523900901');
    expect(callableNumber('+19005550100', ['+'])).toBeNull(); // premium rate
    expect(callableNumber('+14155550123', ['+855'])).toBe('not-allowed');
    expect(typedPhoneNumber('012 345 678')).toBe('+85512345678');
    expect(typedPhoneNumber('+855 0000000')).toBeNull();
  });

  it('the answer-call opt-in refuses the same numbers: a caller from +8550000000 leaving a message is never called', async () => {
    await start();
    const leaveMessage = (from: string, recordingSid: string) => h.call([
      ...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 10, recordingSid }, ...parseScript('1,1,hangup'),
    ], { from });
    await leaveMessage('+8550000000', 'RE00000000000000000000000000000071');
    await leaveMessage('+855123456789012', 'RE00000000000000000000000000000072');
    expect(await entries(h)).toHaveLength(0);
    await leaveMessage('+85512444556', 'RE00000000000000000000000000000073');
    expect((await entries(h)).map((e) => e.state)).toEqual(['awaiting-answer']);
    const optIn = (party: string) => h.rt.outbound.optIn({ messageId: `RE${party.replace(/\D/g, '').padEnd(32, '0')}`, callerId: 'c'.repeat(64), party, language: 'km' });
    expect(await optIn('+8550000000')).toBe('no-number');
    expect(await optIn('+855123456789012')).toBe('no-number');
  });
});
