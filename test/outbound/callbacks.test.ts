import { CallbackWorker } from '../../src/outbound/callback-worker';
import { CallbackEntry } from '../../src/outbound/callback-queue';
import { TwilioCarrierCalls } from '../../src/outbound/carrier-calls';
import { buildOutbound, callableNumber, callbackWorkerFor } from '../../src/outbound/outbound';
import { callerIdFor } from '../../src/store/callers';
import { MongoStore } from '../../src/store/mongo-store';
import { Store } from '../../src/store/store';
import { signWebhook } from '../../src/telephony/signature';
import { CarrierKind, FakeCarrierCalls } from '../support/fake-carrier-calls';
import { ENGINE } from '../support/engine';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';

const ACCOUNT = 'ACtest';
const FROM = '+85523900900';
const CITIZEN = '+85512345678';

const ALWAYS_OPEN = { OUTBOUND_CALLING_HOURS: '00:00-24:00', OUTBOUND_FROM_NUMBER: FROM };

async function post(h: TestHotline, path: string, params: Record<string, string>, opts: { sign?: boolean } = {}) {
  const url = `${h.url}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (opts.sign !== false) headers['x-twilio-signature'] = signWebhook(TEST_AUTH_TOKEN, url, params);
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: res.status, text: await res.text() };
}

let callSeq = 0;
const ring = (h: TestHotline, from: string, extra: Record<string, string> = {}) =>
  post(h, '/voice/missed', { CallSid: `CAmissed${String(++callSeq).padStart(24, '0')}`, From: from, To: FROM, Direction: 'inbound', CallStatus: 'ringing', ...extra });

const entries = (h: TestHotline) => h.rt.outbound.queue.collection.find({}, { sort: { createdAt: 1 } });

/** Every document of every collection the app wrote, as text: where a number must not appear. */
async function everythingStored(store: Store): Promise<string> {
  const names = ['outbound_callbacks', 'outbound_blocks', 'outbound_lines', 'outbound_days', 'outbound_control', 'callers', 'calls', 'call_status', 'counters'];
  const docs = await Promise.all(names.map((n) => store.collection(n).find({})));
  return JSON.stringify(docs);
}

/**
 * A request to the stand-in on this machine is never meant to time out, however loaded the machine:
 * the time-out is long, except in the test of a create that hangs (it waits that long for nothing).
 */
const CARRIER_TIMEOUT_MS = 15_000;
const HANGING_CREATE_TIMEOUT_MS = 1500;

function workerOf(h: TestHotline, carrier: FakeCarrierCalls, extra: Partial<ConstructorParameters<typeof CallbackWorker>[0]> = {}, timeoutMs = CARRIER_TIMEOUT_MS) {
  return callbackWorkerFor(h.rt, {
    carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN, timeoutMs }),
    reconcileAfterSeconds: 0,
    ...extra,
  });
}

/** Lets the worker place everything it may now; returns the outcomes. */
async function drain(worker: CallbackWorker, max = 50): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < max; i++) {
    const o = await worker.placeNext();
    if (o === 'paced') {
      // Waiting for the next pace slot is the worker's own business here.
      await new Promise((r) => setTimeout(r, 110));
      continue;
    }
    out.push(o);
    if (!['placed', 'unsure', 'not-placed', 'refused'].includes(o)) break;
  }
  return out;
}

describe.each<CarrierKind>(['twilio', 'somleng'])('missed-call callbacks with a %s-like carrier', (kind) => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls(ACCOUNT, TEST_AUTH_TOKEN, kind).start();
    // One start per 100 ms, so a test never waits long for a pace slot.
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_MAX_PER_MINUTE: '600', ...ALWAYS_OPEN });
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  it('a missed call is rejected as busy (free for the caller) and queues one callback holding the number only encrypted', async () => {
    const r = await ring(h, CITIZEN);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<Reject reason="busy"/>');
    const [entry, ...rest] = await entries(h);
    expect(rest).toHaveLength(0);
    expect(entry.state).toBe('queued');
    expect(entry.callerId).toBe(callerIdFor(CITIZEN, h.config.callerHashSecret));
    expect(entry.sealedNumber).toMatch(/^v1\./);
    expect(h.rt.outbound.queue.numberOf(entry)).toBe(CITIZEN);
    expect(await everythingStored(h.store)).not.toContain('12345678');
    expect(h.logs.join('')).not.toContain('12345678');
  });

  it('the worker calls back through the Calls API, the answered call runs the hotline flow, and the number is erased when it completes', async () => {
    await ring(h, CITIZEN);
    const worker = workerOf(h, carrier);
    expect(await drain(worker)).toEqual(['placed', 'idle']);
    expect(carrier.calls).toHaveLength(1);
    const call = carrier.calls[0];
    expect(call).toMatchObject({ to: CITIZEN, from: FROM, url: `${h.url}/voice/incoming` });
    expect(call.statusCallback).toMatch(new RegExp(`^${h.url}/voice/outbound/status\\?e=[0-9a-f-]{36}&a=[0-9a-f-]{36}$`));

    const twiml = await carrier.answer(call);
    expect(twiml).toContain('<Gather');
    // The callback's caller is the citizen (To), known by the same HMAC as when they call in.
    const record = await h.rt.calls.find(call.sid);
    expect(record?.callerId).toBe(callerIdFor(CITIZEN, h.config.callerHashSecret));

    await carrier.finish(call, 'completed');
    const [entry] = await entries(h);
    expect(entry).toMatchObject({ state: 'completed', outcome: 'answered', attempts: 1, callSid: call.sid });
    expect(entry.expiresAt!.getTime() - entry.endedAt!.getTime()).toBe(90 * 86_400_000);
    expect(entry.sealedNumber).toBeUndefined();
    expect(await h.rt.outbound.limits.linesInUse()).toBe(0);
    expect(await everythingStored(h.store)).not.toContain('12345678');
  });

  it('duplicated and out-of-order status callbacks change nothing once the call ended', async () => {
    await ring(h, CITIZEN);
    const worker = workerOf(h, carrier);
    await drain(worker);
    const call = carrier.calls[0];
    await carrier.sendStatus(call, 'completed', 30);
    await carrier.sendStatus(call, 'completed', 30);
    await carrier.sendStatus(call, 'ringing');
    await carrier.sendStatus(call, 'in-progress');
    const [entry] = await entries(h);
    expect(entry.state).toBe('completed');
    expect(entry.history.filter((e) => e.status === 'completed')).toHaveLength(1);
    expect(await drain(worker)).toEqual(['idle']);
    expect(carrier.calls).toHaveLength(1);
  });

  it('busy, no answer and failed are retried after a backoff, then the callback is abandoned and the number erased', async () => {
    await h.stop();
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_MAX_PER_MINUTE: '600', OUTBOUND_MAX_ATTEMPTS: '3', OUTBOUND_RETRY_BASE_SECONDS: '60', ...ALWAYS_OPEN });
    await ring(h, CITIZEN);
    const worker = workerOf(h, carrier);
    const finals = ['busy', 'no-answer', 'failed'] as const;
    for (const [i, final] of finals.entries()) {
      expect(await drain(worker)).toEqual(['placed', 'idle']);
      await carrier.finish(carrier.calls[i], final);
      const [entry] = await entries(h);
      if (i < 2) {
        expect(entry.state).toBe('retry');
        const wait = (entry.nextAttemptAt!.getTime() - Date.now()) / 1000;
        expect(wait).toBeGreaterThan(60 * 2 ** i - 5);
        expect(wait).toBeLessThanOrEqual(60 * 2 ** i);
        expect(await drain(worker)).toEqual(['idle']); // not due yet
        await h.rt.outbound.queue.collection.updateOne({ _id: entry._id }, { $set: { nextAttemptAt: new Date() } });
      } else {
        expect(entry).toMatchObject({ state: 'abandoned', outcome: 'failed', attempts: 3 });
        expect(entry.sealedNumber).toBeUndefined();
      }
    }
    expect(carrier.callsTo(CITIZEN)).toHaveLength(3);
  });

  it('carrier down at create (503, nothing placed): checked with the carrier, then placed exactly once', async () => {
    await ring(h, CITIZEN);
    carrier.failCreates({ status: 503, placeAnyway: false });
    const worker = workerOf(h, carrier);
    expect(await drain(worker)).toEqual(['unsure', 'idle']);
    expect((await entries(h))[0].state).toBe('unsure');
    expect(await worker.reconcileDue()).toBe(1);
    expect((await entries(h))[0]).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await drain(worker)).toEqual(['placed', 'idle']);
    expect(carrier.callsTo(CITIZEN)).toHaveLength(1);
    expect(await h.rt.outbound.limits.placedToday()).toBe(1);
  });

  it('a create that failed (500) or timed out after the carrier placed the call is adopted, never placed twice', async () => {
    await ring(h, CITIZEN);
    await ring(h, '+85512000001');
    carrier.failCreates({ status: 500, placeAnyway: true }, { hang: true, placeAnyway: true });
    const worker = workerOf(h, carrier, {}, HANGING_CREATE_TIMEOUT_MS);
    expect(await drain(worker)).toEqual(['unsure', 'unsure', 'idle']);
    expect(await worker.reconcileDue()).toBe(2);
    for (const e of await entries(h)) {
      const calls = carrier.calls.filter((c) => c.statusCallback.includes(e._id));
      expect(calls).toHaveLength(1);
      expect(e.callSid).toBe(calls[0].sid);
      await carrier.finish(calls[0], 'completed');
    }
    expect(await drain(worker)).toEqual(['idle']);
    expect(carrier.calls).toHaveLength(2);
    expect((await entries(h)).map((e) => e.state)).toEqual(['completed', 'completed']);
  });

  it('on a busy account the call placed by a failed create is found beyond the first page of the calls list', async () => {
    await ring(h, CITIZEN);
    carrier.failCreates({ status: 502, placeAnyway: true });
    const worker = workerOf(h, carrier);
    expect(await drain(worker)).toEqual(['unsure', 'idle']);
    carrier.addOtherCalls(120); // newer calls of the same account push ours to the third page (Somleng lists them all)
    expect(await worker.reconcileDue()).toBe(1);
    expect(carrier.callsTo(CITIZEN)).toHaveLength(1);
    expect((await entries(h))[0].callSid).toBe(carrier.callsTo(CITIZEN)[0].sid);
    expect(await drain(worker)).toEqual(['idle']);
  });
});

describe('missed-call callbacks: dedupe, limits and abuse', () => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls(ACCOUNT, TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_MAX_PER_MINUTE: '600', CALLBACK_DAILY_LIMIT_PER_NUMBER: '2', ...ALWAYS_OPEN });
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  it('rings from one number while its callback is queued or in progress make one callback, even at the same moment', async () => {
    await Promise.all(Array.from({ length: 6 }, () => ring(h, CITIZEN)));
    expect(await entries(h)).toHaveLength(1);
    const worker = workerOf(h, carrier);
    await drain(worker);
    await ring(h, CITIZEN); // while the callback is ringing
    expect(await entries(h)).toHaveLength(1);
    // Somleng's From may lack the +: still the same caller.
    await ring(h, CITIZEN.slice(1));
    expect(await entries(h)).toHaveLength(1);
  });

  it('a number gets at most CALLBACK_DAILY_LIMIT_PER_NUMBER callbacks a day', async () => {
    const worker = workerOf(h, carrier);
    for (let i = 0; i < 3; i++) {
      await ring(h, CITIZEN);
      await drain(worker);
      const last = carrier.calls[carrier.calls.length - 1];
      if (last && last.status === 'queued') await carrier.finish(last, 'completed');
    }
    expect(await entries(h)).toHaveLength(2);
    expect(carrier.callsTo(CITIZEN)).toHaveLength(2);
    expect(h.logs.join('')).toContain('daily-limit');
  });

  it('a caller blocked by their hashed id is not called back, and their owed callback ends with the number erased', async () => {
    await ring(h, CITIZEN);
    const callerId = callerIdFor(CITIZEN, h.config.callerHashSecret);
    await h.rt.outbound.queue.block(callerId, 'admin1');
    expect((await entries(h))[0]).toMatchObject({ state: 'abandoned', outcome: 'refused' });
    expect((await entries(h))[0].sealedNumber).toBeUndefined();
    await ring(h, CITIZEN);
    expect(await entries(h)).toHaveLength(1);
    expect(await drain(workerOf(h, carrier))).toEqual(['idle']);
    expect(carrier.calls).toHaveLength(0);
  });

  it('nobody can make the hotline call an arbitrary number', async () => {
    const worker = workerOf(h, carrier);
    // Unsigned or wrongly signed: refused before anything is queued.
    expect((await ring(h, '+85599111222', {}).then(() => post(h, '/voice/missed', { CallSid: 'CAforged0000000000000000000000001', From: '+85599000111' }, { sign: false }))).status).toBe(403);
    const forged = await fetch(`${h.url}/voice/missed`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook('another-token', `${h.url}/voice/missed`, { CallSid: 'CAforged0000000000000000000000002', From: '+85599000222' }) },
      body: new URLSearchParams({ CallSid: 'CAforged0000000000000000000000002', From: '+85599000222' }).toString(),
    });
    expect(forged.status).toBe(403);
    // Signed by the carrier, but a number outside OUTBOUND_ALLOWED_PREFIXES, a SIP address, a withheld number.
    for (const from of ['+19005550100', 'sip:alice@example.com', 'anonymous', '+855', '', '+266696687']) await ring(h, from);
    // Twilio's withheld caller IDs spelled on a keypad are nobody, whatever prefixes are allowed (src/telephony/withheld-caller.ts).
    expect(callableNumber('+266696687', ['+'])).toBeNull();
    expect(callableNumber('+8656696', ['+'])).toBeNull();
    expect(callableNumber('+85512345678', ['+'])).toBe('+85512345678');
    // Our own outbound calls never queue a callback, nor does the hotline's own number.
    await ring(h, '+85599000333', { Direction: 'outbound-api' });
    await ring(h, FROM);
    // A status callback cannot create an entry or name a number.
    const status = await post(h, `/voice/outbound/status?e=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}&a=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, { CallSid: 'CA00000000000000000000000000000001', CallStatus: 'completed', To: '+85599000444' });
    expect(status.status).toBe(204);
    await drain(worker);
    // Only the one genuine, signed ring from an allowed number was called back.
    expect(carrier.calls.map((c) => c.to)).toEqual(['+85599111222']);
    expect((await entries(h)).length).toBe(1);
  });
});

describe('pacing, calling hours and budget', () => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });
  const start = async (env: Record<string, string>) => {
    carrier = await new FakeCarrierCalls(ACCOUNT, TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_FROM_NUMBER: FROM, ...env });
    for (let i = 0; i < 3; i++) await ring(h, `+8551200000${i}`);
  };

  it('calls only within calling hours, Cambodia time (UTC+7)', async () => {
    await start({ OUTBOUND_CALLING_HOURS: '08:00-19:00', OUTBOUND_MAX_PER_MINUTE: '600' });
    let now = new Date('2026-11-30T12:30:00Z'); // 19:30 in Phnom Penh
    const worker = workerOf(h, carrier, { now: () => now });
    expect(await drain(worker)).toEqual(['closed']);
    now = new Date('2026-11-30T00:59:00Z'); // 07:59
    expect(await drain(worker)).toEqual(['closed']);
    now = new Date('2026-11-30T01:00:00Z'); // 08:00
    expect(await worker.placeNext()).toBe('placed');
    expect(worker.nextOpening().toISOString()).toBe('2026-11-30T01:00:00.000Z');
    now = new Date('2026-11-30T13:00:00Z');
    expect(worker.nextOpening().toISOString()).toBe('2026-12-01T01:00:00.000Z');
    expect(carrier.calls).toHaveLength(1);
  });

  it('says once per wait, not every poll, that callbacks wait for calling hours and when the next call goes out', async () => {
    await start({ OUTBOUND_CALLING_HOURS: '08:00-19:00', OUTBOUND_MAX_PER_MINUTE: '600' });
    let now = new Date('2026-11-30T12:30:00Z'); // 19:30 in Phnom Penh
    const worker = workerOf(h, carrier, { now: () => now });
    const waitingLines = () => h.logs.filter((l) => l.includes('waiting for calling hours'));
    for (let poll = 0; poll < 5; poll++) expect(await worker.placeNext()).toBe('closed');
    expect(waitingLines()).toHaveLength(1);
    expect(waitingLines()[0]).toContain('OUTBOUND_CALLING_HOURS=08:00-19:00');
    expect(waitingLines()[0]).toContain('the next call is placed at 2026-12-01 08:00 Cambodia time');
    now = new Date('2026-12-01T01:00:00Z'); // 08:00: calls go out, the wait is over
    expect(await worker.placeNext()).toBe('placed');
    now = new Date('2026-12-01T12:30:00Z'); // the next evening, with two still waiting
    expect(await worker.placeNext()).toBe('closed');
    expect(waitingLines()).toHaveLength(2);
  });

  it('stops at the daily budget, and the staff pause holds everything', async () => {
    await start({ ...ALWAYS_OPEN, OUTBOUND_DAILY_BUDGET: '2', OUTBOUND_MAX_PER_MINUTE: '600' });
    const worker = workerOf(h, carrier);
    await h.rt.outbound.limits.setPaused(true, 'admin1');
    expect(await drain(worker)).toEqual(['paused']);
    await h.rt.outbound.limits.setPaused(false, 'admin1');
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await worker.placeNext());
      await new Promise((r) => setTimeout(r, 110));
    }
    expect(outcomes).toEqual(['placed', 'placed', 'no-budget']);
    expect(await h.rt.outbound.limits.placedToday()).toBe(2);
    expect(carrier.calls).toHaveLength(2);
  });

  it('keeps the pace (starts at least a slot apart) and the number of calls at once', async () => {
    // 3 s between starts, and each step starts as the next start is allowed: a slow store (a loaded
    // test server) still asks twice within 3 s, so 'paced' does not depend on how fast the machine is.
    await start({ ...ALWAYS_OPEN, OUTBOUND_MAX_PER_MINUTE: '20', OUTBOUND_MAX_CONCURRENT: '2' });
    const worker = workerOf(h, carrier);
    const nextSlot = async () => {
      const ms = await h.rt.outbound.limits.msToNextSlot();
      await new Promise((r) => setTimeout(r, ms + 20));
    };
    await nextSlot();
    expect(await worker.placeNext()).toBe('placed');
    expect(await worker.placeNext()).toBe('paced');
    await nextSlot();
    expect(await worker.placeNext()).toBe('placed');
    await nextSlot();
    expect(await worker.placeNext()).toBe('lines-busy');
    await carrier.finish(carrier.calls[0], 'completed');
    // The start allowed a moment ago went unused (no line): the next one waits its own turn.
    expect(await worker.placeNext()).toBe('paced');
    await nextSlot();
    expect(await worker.placeNext()).toBe('placed');
    expect(carrier.calls).toHaveLength(3);
  });
});

describe(`restarts and several instances (${ENGINE})`, () => {
  let carrier: FakeCarrierCalls;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls(ACCOUNT, TEST_AUTH_TOKEN).start();
  });
  afterEach(() => carrier.stop());

  it('a restart with callbacks queued loses none and doubles none', async () => {
    const first = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_MAX_PER_MINUTE: '6000', OUTBOUND_MAX_CONCURRENT: '10', ...ALWAYS_OPEN });
    const numbers = Array.from({ length: 6 }, (_, i) => `+8551300000${i}`);
    for (const n of numbers) await ring(first, n);
    const w1 = workerOf(first, carrier);
    await w1.placeNext();
    await w1.placeNext();
    await w1.stop();
    // The process is gone: a new instance builds everything afresh from the config and the store.
    const restarted = buildOutbound(first.store, first.config);
    const w2 = callbackWorkerFor({ outbound: restarted, logger: first.rt.logger, config: first.config }, {
      carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN, timeoutMs: CARRIER_TIMEOUT_MS }),
    });
    expect(await drain(w2)).toContain('idle');
    for (const n of numbers) expect(carrier.callsTo(n)).toHaveLength(1);
    await first.stop();
  });

  it('two app instances on one database place each callback exactly once', async () => {
    const a = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_MAX_PER_MINUTE: '6000', OUTBOUND_MAX_CONCURRENT: '50', ...ALWAYS_OPEN });
    let storeB: Store = a.store;
    if (ENGINE === 'mongodb') {
      const dbName = (a.store as unknown as { db: { databaseName: string } }).db.databaseName;
      storeB = await MongoStore.connect(process.env.MONGODB_URI!, dbName);
    }
    // Instance B: its own runtime objects (and, on MongoDB, its own connection) over the same data.
    const outboundB = buildOutbound(storeB, a.config);
    const numbers = Array.from({ length: 20 }, (_, i) => `+855140000${String(i).padStart(2, '0')}`);
    for (const n of numbers) await ring(a, n);
    const workerA = workerOf(a, carrier);
    const workerB = callbackWorkerFor({ outbound: outboundB, logger: a.rt.logger, config: a.config }, {
      carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: ACCOUNT, authToken: TEST_AUTH_TOKEN, timeoutMs: CARRIER_TIMEOUT_MS }),
    });
    const runUntilIdle = async (w: CallbackWorker) => {
      for (let i = 0; i < 200; i++) {
        const o = await w.placeNext();
        if (o === 'idle') return;
        if (o === 'paced') await new Promise((r) => setTimeout(r, 5));
      }
    };
    await Promise.all([runUntilIdle(workerA), runUntilIdle(workerB), runUntilIdle(workerA), runUntilIdle(workerB)]);
    for (const n of numbers) expect(carrier.callsTo(n)).toHaveLength(1);
    expect(carrier.calls).toHaveLength(20);
    const states = (await entries(a)).map((e: CallbackEntry) => e.state);
    expect(states.every((s) => s === 'dialing')).toBe(true);
    if (storeB !== a.store) await storeB.close();
    await a.stop();
  });
});
