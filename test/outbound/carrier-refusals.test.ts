import { CallbackWorker } from '../../src/outbound/callback-worker';
import { TwilioCarrierCalls } from '../../src/outbound/carrier-calls';
import { callbackWorkerFor } from '../../src/outbound/outbound';
import { signWebhook } from '../../src/telephony/signature';
import { ENGINE } from '../support/engine';
import { CarrierKind, FakeCarrierCalls } from '../support/fake-carrier-calls';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';

/**
 * Issue 21, section 3: what Somleng's own code answers when a call cannot be created, and
 * calls it drops without a word. Somleng source read at github.com/somleng/somleng commit
 * dcdc755725a41df60e5dbead2465574db8155766:
 *
 * - app/controllers/twilio_api_controller.rb:11-19 `authorize_account!` runs before every
 *   Twilio-API action (the create included) and answers through `unauthorized_render_options`
 *   (lines 46-58): HTTP 401, JSON { code, message, status: 401 }, code "20003" "Authenticate" by
 *   default (wrong credentials, e.g. a rotated auth token), "30002" when the account is disabled
 *   (line 15, `account_suspended`), "S1004" when the carrier is not in good standing (line 19,
 *   `carrier_standing`).
 * - app/errors/application_error/errors.rb: line 12 S1004 "Carrier is not in good standing",
 *   line 13 S1005 "Insufficient balance", line 26 30002 "Account suspended", lines 45-48 21210
 *   "The source phone number provided is not yet verified for your account".
 * - The create's request schema refuses with HTTP 400 (app/controllers/api_controller.rb:8-21
 *   `validate_request_schema` -> lib/invalid_request_schema_responder.rb:6 `status: :bad_request`),
 *   its body's code from app/serializers/twilio_api/request_errors_serializer.rb:22-28 (and
 *   "status": 422 in the body, line 18-20): 21210 from
 *   app/request_schemas/twilio_api/phone_call_request_schema.rb:28-35 (From must be one of
 *   `account.incoming_phone_numbers.active`), S1005 from app/models/account_billing_policy.rb:18-19
 *   through app/request_schemas/schema_rules/phone_call_destination_schema_rules.rb:18-19 (rule(:To),
 *   phone_call_request_schema.rb:59-69).
 * - A call held in "queued" (its account's session limits, app/workflows/initiate_outbound_call.rb:17,29-37
 *   reschedules every 10 s) is cancelled after 7 days by app/workflows/expire_queued_phone_calls.rb:3
 *   (`update_all`, so no status callback; run daily, app/jobs/daily_job.rb:5). Canceling it through the
 *   API (app/workflows/update_phone_call.rb:19-28 `end_call` -> `cancel!`) sends none either.
 * - The calls list ignores filters (app/controllers/twilio_api/phone_calls_controller.rb:3-5) and
 *   pages by PageSize (lib/twilio_api/pagination.rb:71-73).
 */
const ACCOUNT = 'ACtest';
const FROM = '+85523900900';
const CITIZEN = '+85512345678';
const OPEN = { OUTBOUND_CALLING_HOURS: '00:00-24:00', OUTBOUND_FROM_NUMBER: FROM, OUTBOUND_MAX_PER_MINUTE: '600' };

let seq = 0;
async function ring(h: TestHotline, from: string) {
  const url = `${h.url}/voice/missed`;
  const params = { CallSid: `CArefusal${String(++seq).padStart(23, '0')}`, From: from, To: FROM, Direction: 'inbound', CallStatus: 'ringing' };
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(TEST_AUTH_TOKEN, url, params) },
    body: new URLSearchParams(params).toString(),
  }).then((r) => r.text());
}

const entries = (h: TestHotline) => h.rt.outbound.queue.collection.find({}, { sort: { createdAt: 1 } });

function workerOf(h: TestHotline, carrier: FakeCarrierCalls, extra: Partial<ConstructorParameters<typeof CallbackWorker>[0]> = {}, authToken = TEST_AUTH_TOKEN) {
  return callbackWorkerFor(h.rt, {
    carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: ACCOUNT, authToken, timeoutMs: 1500 }),
    reconcileAfterSeconds: 0,
    ...extra,
  });
}

async function placeOne(worker: CallbackWorker): Promise<string> {
  for (;;) {
    const o = await worker.placeNext();
    if (o !== 'paced') return o;
    await new Promise((r) => setTimeout(r, 110));
  }
}

interface Refusal {
  name: string;
  httpStatus: number;
  body: Record<string, unknown> & { code: string | number };
  /** The operator problem it stands for, and words of its fix on the staff page. */
  kind: string;
  fix: string;
}

/** Somleng's refusals of a create, as its code renders them (see above). */
const SOMLENG_REFUSALS: Refusal[] = [
  { name: '400 S1005 insufficient balance', httpStatus: 400, body: { message: 'Insufficient balance', status: 422, code: 'S1005', more_info: 'https://www.twilio.com/docs/errors/S1005' }, kind: 'balance', fix: 'Top up the account' },
  { name: '401 30002 account suspended', httpStatus: 401, body: { code: '30002', message: 'Account suspended', detail: '', more_info: 'https://www.twilio.com/docs/errors/30002', status: 401 }, kind: 'suspended', fix: 'Ask the carrier to enable it again' },
  { name: '401 S1004 carrier not in good standing', httpStatus: 401, body: { code: 'S1004', message: 'Carrier is not in good standing', detail: '', more_info: 'https://www.twilio.com/docs/errors/S1004', status: 401 }, kind: 'carrier-standing', fix: 'Ask the Somleng operator' },
  { name: '401 20003 authenticate', httpStatus: 401, body: { code: '20003', message: 'Authenticate', detail: '', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 }, kind: 'credentials', fix: 'TWILIO_AUTH_TOKEN' },
  { name: '400 21210 From not an active number', httpStatus: 400, body: { message: 'The source phone number provided is not yet verified for your account. You may only make calls from phone numbers that you\'ve verified or purchased.', status: 422, code: '21210', more_info: 'https://www.twilio.com/docs/errors/21210' }, kind: 'from-number', fix: `OUTBOUND_FROM_NUMBER (${FROM}) is not an active number` },
];

/**
 * Twilio's, from its error pages: 20003 "Permission Denied" with HTTP 401 (twilio.com/docs/errors/20003),
 * 21210 "'From' phone number not verified" with HTTP 400 (twilio.com/docs/errors/21210), 21215
 * "Geo Permission configuration is not permitting call" with HTTP 400 (twilio.com/docs/errors/21215);
 * Twilio's error JSON carries the code as a number ({ code, message, more_info, status }).
 */
const TWILIO_REFUSALS: Refusal[] = [
  { name: '401 20003 authenticate', httpStatus: 401, body: { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 }, kind: 'credentials', fix: 'TWILIO_AUTH_TOKEN' },
  { name: '400 21210 From not verified', httpStatus: 400, body: { code: 21210, message: 'The source phone number provided, +85523900900, is not yet verified for your account.', more_info: 'https://www.twilio.com/docs/errors/21210', status: 400 }, kind: 'from-number', fix: `OUTBOUND_FROM_NUMBER (${FROM}) is not an active number` },
  { name: '400 21215 geographic permissions', httpStatus: 400, body: { code: 21215, message: 'Account not authorized to call +85512345678.', more_info: 'https://www.twilio.com/docs/errors/21215', status: 400 }, kind: 'geo-permissions', fix: 'geographic permissions' },
];

describe.each<CarrierKind>(['somleng', 'twilio'])(`carrier refusals with a %s-like carrier (${ENGINE})`, (kind) => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls(ACCOUNT, TEST_AUTH_TOKEN, kind).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, ...OPEN });
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  it.each(kind === 'somleng' ? SOMLENG_REFUSALS : TWILIO_REFUSALS)('$name holds outbound calling with the queue kept, tells staff and the log what to fix, and resumes once fixed', async (refusal) => {
    await ring(h, CITIZEN);
    await ring(h, '+85512000002');
    carrier.refuseAll = { httpStatus: refusal.httpStatus, body: { ...refusal.body } };
    let now = new Date();
    const worker = workerOf(h, carrier, { now: () => now, carrierProblemRetrySeconds: 300 });
    expect(await placeOne(worker)).toBe('carrier-problem');
    // Nothing lost: both callbacks still wait, the numbers kept, the attempt not counted, budget and line given back.
    const kept = await entries(h);
    expect(kept.map((e) => [e.state, e.attempts])).toEqual([['queued', 0], ['queued', 0]]);
    expect(kept.every((e) => e.sealedNumber)).toBe(true);
    expect(await h.rt.outbound.limits.placedToday()).toBe(0);
    expect(await h.rt.outbound.limits.linesInUse()).toBe(0);
    expect((await h.rt.outbound.limits.controlState()).carrierProblem).toMatchObject({ kind: refusal.kind, code: String(refusal.body.code), httpStatus: refusal.httpStatus });
    const logged = h.logs.filter((l) => l.includes('outbound calling paused'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('To fix:');
    expect(logged[0]).toContain('"level":50');
    // Held: the next number is not tried (it would be refused the same way).
    expect(await placeOne(worker)).toBe('carrier-problem');
    expect(carrier.createRequests).toHaveLength(1);

    await addAccount(h.store, 'viewer1', 'viewer');
    const page = (await (await new StaffClient(h).signedIn('viewer1')).page('/staff/outbound')).text;
    expect(page).toContain(`code ${refusal.body.code}`);
    expect(page).toContain(refusal.fix);

    // Fixed at the carrier; the next try comes after carrierProblemRetrySeconds.
    carrier.refuseAll = undefined;
    const { retryAt } = (await h.rt.outbound.limits.controlState()).carrierProblem!;
    expect(new Date(retryAt).getTime() - now.getTime()).toBeGreaterThanOrEqual(300_000);
    now = new Date(new Date(retryAt).getTime() + 1000);
    expect(await placeOne(worker)).toBe('placed');
    expect((await h.rt.outbound.limits.controlState()).carrierProblem).toBeUndefined();
    expect(h.logs.some((l) => l.includes('outbound calling resumed'))).toBe(true);
    expect(await placeOne(worker)).toBe('placed');
    expect(carrier.calls.map((c) => c.to).sort()).toEqual(['+85512000002', CITIZEN].sort());
  });

  it('a rotated auth token (the carrier answers 401 20003) holds calling until staff say it is fixed', async () => {
    await ring(h, CITIZEN);
    const stale = workerOf(h, carrier, {}, 'the-old-token');
    expect(await placeOne(stale)).toBe('carrier-problem');
    expect((await h.rt.outbound.limits.controlState()).carrierProblem).toMatchObject({ kind: 'credentials', code: '20003', httpStatus: 401 });
    const fixed = workerOf(h, carrier);
    expect(await placeOne(fixed)).toBe('carrier-problem'); // still waiting for the next try
    await addAccount(h.store, 'admin1', 'admin');
    const admin = await new StaffClient(h).signedIn('admin1');
    expect((await admin.page('/staff/outbound')).text).toContain('It is fixed: try calling now');
    expect((await admin.post('/staff/outbound/resume', {})).status).toBe(303);
    expect(await placeOne(fixed)).toBe('placed');
  });

  it('a refusal about this call only (400 21211, invalid To) ends that callback and calling goes on', async () => {
    await ring(h, CITIZEN);
    await ring(h, '+85512000002');
    carrier.failCreates({ status: 400, placeAnyway: false, code: '21211', message: 'Invalid \'To\' Phone Number' });
    const worker = workerOf(h, carrier);
    expect(await placeOne(worker)).toBe('refused');
    expect((await h.rt.outbound.limits.controlState()).carrierProblem).toBeUndefined();
    expect(await placeOne(worker)).toBe('placed');
    expect((await entries(h)).map((e) => e.state).sort()).toEqual(['abandoned', 'dialing']);
  });

  it('a call still queued at the carrier is cancelled there after maxQueuedSeconds, counted as failed and its line freed (no callback ever comes)', async () => {
    await ring(h, CITIZEN);
    const worker = workerOf(h, carrier, { maxQueuedSeconds: 600 });
    expect(await placeOne(worker)).toBe('placed');
    expect(await h.rt.outbound.limits.linesInUse()).toBe(1);
    const [placed] = await entries(h);
    // Half an hour later the lease runs out: the carrier still has it queued.
    await h.rt.outbound.queue.collection.updateOne({ _id: placed._id }, { $set: { attemptStartedAt: new Date(Date.now() - 1_800_000), nextAttemptAt: new Date(Date.now() - 1000) } });
    expect(await worker.reconcileDue()).toBe(1);
    expect(carrier.cancels).toEqual([placed.callSid]);
    const [after] = await entries(h);
    expect(after).toMatchObject({ state: 'retry', outcome: 'failed', attempts: 1 });
    expect(await h.rt.outbound.limits.linesInUse()).toBe(0);
  });

  it('a call queued a short while is left alone, with its line held until the next check', async () => {
    await ring(h, CITIZEN);
    const worker = workerOf(h, carrier, { maxQueuedSeconds: 600 });
    expect(await placeOne(worker)).toBe('placed');
    const [placed] = await entries(h);
    await h.rt.outbound.queue.collection.updateOne({ _id: placed._id }, { $set: { attemptStartedAt: new Date(Date.now() - 60_000), nextAttemptAt: new Date(Date.now() - 1000) } });
    const before = Date.now();
    expect(await worker.reconcileDue()).toBe(1);
    expect(carrier.cancels).toEqual([]);
    const [after] = await entries(h);
    expect(after.state).toBe('dialing');
    expect(after.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + 600_000);
    expect(await h.rt.outbound.limits.linesInUse()).toBe(1);
  });
});

describe(`a busy Somleng account (${ENGINE})`, () => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls(ACCOUNT, TEST_AUTH_TOKEN, 'somleng').start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, ...OPEN, OUTBOUND_RETRY_BASE_SECONDS: '600' });
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  it('when the calls list is too long to find the call a failed create placed, the attempt counts and the caller is not rung again at once', async () => {
    await ring(h, CITIZEN);
    carrier.failCreates({ status: 502, placeAnyway: true });
    const worker = workerOf(h, carrier);
    expect(await placeOne(worker)).toBe('unsure');
    // More calls of the account since the attempt than the look-up reads (10 pages of 100).
    carrier.addOtherCalls(1100);
    const before = Date.now();
    expect(await worker.reconcileDue()).toBe(1);
    const [entry] = await entries(h);
    expect(entry).toMatchObject({ state: 'retry', attempts: 1 });
    expect(entry.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + 600_000);
    expect(await placeOne(worker)).toBe('idle');
    expect(carrier.callsTo(CITIZEN)).toHaveLength(1);
    expect(await h.rt.outbound.limits.linesInUse()).toBe(0);
    expect(h.logs.some((l) => l.includes('call list is too long'))).toBe(true);
  });

  it('when the look-up reaches calls older than the attempt and finds none, the create never took effect and the callback is placed again', async () => {
    await ring(h, CITIZEN);
    carrier.addOtherCalls(150);
    carrier.failCreates({ status: 503, placeAnyway: false });
    const worker = workerOf(h, carrier);
    expect(await placeOne(worker)).toBe('unsure');
    // Older calls are on the account, dated before the attempt.
    for (const c of carrier.calls) c.dateCreated = new Date(Date.now() - 3_600_000);
    expect(await worker.reconcileDue()).toBe(1);
    expect((await entries(h))[0]).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await placeOne(worker)).toBe('placed');
    expect(carrier.callsTo(CITIZEN)).toHaveLength(1);
  });
});
