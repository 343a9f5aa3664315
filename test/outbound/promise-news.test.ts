import { JaapRegister } from '../../src/jaap/jaap-register';
import { TwilioCarrierCalls } from '../../src/outbound/carrier-calls';
import { callbackWorkerFor } from '../../src/outbound/outbound';
import { PromiseAlert } from '../../src/outbound/promise-alerts';
import { CallSimulator, parseScript } from '../../src/simulator/call-simulator';
import { callerIdFor } from '../../src/store/callers';
import { ENGINE } from '../support/engine';
import { FakeCarrierCalls } from '../support/fake-carrier-calls';
import { planItem } from '../support/jaap-items';
import { ids, startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';

const FROM = '+85523900900';
const CITIZEN = '+85512444555';
const PLAN = '120101-2026';

/**
 * Promise news through the real app with signed webhooks: a caller signs up after a voice
 * message, staff change two JAAP items of the commune in one sitting, exactly one news call is
 * queued (number sealed), the outbound worker places it, it tells both items, and 9 ends the
 * sign-up with its number.
 */
describe(`promise news calls (${ENGINE})`, () => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls('ACtest', TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_FROM_NUMBER: FROM, OUTBOUND_CALLING_HOURS: '00:00-24:00' });
    await addAccount(h.store, 'rev1', 'reviewer');
    const register = new JaapRegister(h.store);
    await register.addPlan({ _id: PLAN, communeCode: '120101', year: 2026, agreedOn: '2026-03-01', createdAt: new Date(), createdBy: 'rev1' });
    await register.addItems([planItem('120101', 2026, '2026-03-01', 'A', 1), planItem('120101', 2026, '2026-03-01', 'B', 1, { service: 'school' })]);
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  const alerts = () => h.store.collection<PromiseAlert>('promise_alerts').find({});
  /** A carrier leg of the citizen's call, signed as the carrier signs, that does not post a final status. */
  const citizenCall = (from = CITIZEN) => new CallSimulator({
    serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from, sendStatus: false, accountSid: h.config.twilioAccountSid, carrierApiUrl: h.config.carrierApiUrl,
  });
  /** To the promise-news offer: Khmer, leave a message about 120101's health centre, send it, no answer call. */
  const toOffer = [...parseScript('1,3,120101,1,2,record:10,1,2')];

  it('a caller signs up after a message, a retried webhook signs up nothing more, and a second call is not asked again', async () => {
    const sim = citizenCall();
    const t = await sim.run(toOffer);
    expect(ids(t).slice(-1)).toEqual(['jaap.alerts.offer']);
    const turn = (await h.rt.calls.find(sim.callSid))!.turn;
    const press1 = { CallSid: sim.callSid, AccountSid: 'ACtest', From: CITIZEN, To: '+855000000', CallStatus: 'in-progress', Direction: 'inbound', Digits: '1' };
    const first = await sim.post(`/voice/turn?t=${turn}&l=km`, press1);
    const retried = await sim.post(`/voice/turn?t=${turn}&l=km`, press1);
    expect(first.body).toContain('jaap.alerts.offer.yes.wav');
    expect(retried.body).toBe(first.body);
    const [alert, ...more] = await alerts();
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ _id: `${callerIdFor(CITIZEN, h.config.callerHashSecret)}:120101`, communeCode: '120101', language: 'km' });
    // Sealed, never in clear; it opens only under the callback number key, for this sign-up.
    expect(JSON.stringify(alert)).not.toContain(CITIZEN.slice(1));
    expect(h.rt.outbound.alerts.numberOf(alert)).toBe(CITIZEN);
    expect(alert.expiresAt.getTime() - alert.createdAt.getTime()).toBeGreaterThan(364 * 86_400_000);

    const again = await h.call([...parseScript('3,1,2'), { type: 'record', seconds: 10 }, ...parseScript('1,2,hangup')], { from: CITIZEN });
    expect(ids(again)).not.toContain('jaap.alerts.offer');
    expect(ids(again)).toContain('message.saved.after');
  });

  it('two items changed at the desk make one news call; placed by the worker it tells both, and 9 ends the sign-up and erases the number', async () => {
    const sim = citizenCall();
    await sim.run([...toOffer, ...parseScript('1,hangup')]);
    expect(await alerts()).toHaveLength(1);

    const staff = await new StaffClient(h).signedIn('rev1');
    await staff.page(`/staff/jaap/${PLAN}`);
    expect((await staff.post(`/staff/jaap/${PLAN}/items/${PLAN}-A1/status`, { from: 'not-started', status: 'ongoing' })).status).toBe(303);
    expect((await staff.post(`/staff/jaap/${PLAN}/items/${PLAN}-B1/status`, { from: 'not-started', status: 'ongoing' })).status).toBe(303);
    expect((await staff.post(`/staff/jaap/${PLAN}/items/${PLAN}-A1/status`, { from: 'ongoing', status: 'done' })).status).toBe(303);
    const queue = h.rt.outbound.queue;
    const [entry, ...others] = await queue.collection.find({});
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ kind: 'promise-news', state: 'queued', communeCode: '120101', language: 'km', callerId: callerIdFor(CITIZEN, h.config.callerHashSecret) });
    expect(JSON.stringify(entry)).not.toContain(CITIZEN.slice(1));
    expect(queue.numberOf(entry)).toBe(CITIZEN);
    // It waits while staff may change more; the Outbound calls page lists it by kind and commune.
    const worker = callbackWorkerFor(h.rt, { carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: 'ACtest', authToken: TEST_AUTH_TOKEN }) });
    expect(await worker.placeNext()).toBe('idle');
    const page = await staff.page('/staff/outbound');
    expect(page.text).toContain('news of a commune&#39;s promises');

    // The gathering time has passed.
    await queue.collection.updateOne({ _id: entry._id }, { $set: { nextAttemptAt: new Date(Date.now() - 1000) } });
    expect(await worker.placeNext()).toBe('placed');
    const [call] = carrier.calls;
    expect(call.to).toBe(CITIZEN);
    expect(call.url).toBe(`${h.url}/voice/incoming?news=${entry._id}`);
    const twiml = await carrier.answer(call);
    const played = [...twiml.matchAll(/<Play>[^<]*\/audio\/\w+\/([^<]+)\.wav<\/Play>/g)].map((m) => m[1]);
    // Each item once, with its latest status.
    expect(played).toEqual(['jaap.alerts.intro', 'jaap.alerts.service.health', 'jaap.alerts.status.done', 'jaap.alerts.service.school', 'jaap.alerts.status.ongoing', 'jaap.alerts.stop.press']);
    const action = /<Gather [^>]*action="([^"]+)"/.exec(twiml)![1].replace(/&amp;/g, '&');
    const leg = new CallSimulator({ serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: CITIZEN, callSid: call.sid, direction: 'outbound-api', hotlineNumber: FROM });
    const stopped = await leg.post(action, { CallSid: call.sid, AccountSid: 'ACtest', From: FROM, To: CITIZEN, CallStatus: 'in-progress', Direction: 'outbound-api', Digits: '9' });
    expect(stopped.body).toMatch(/jaap\.alerts\.stopped\.wav<\/Play><Hangup\/>/);
    expect(await alerts()).toEqual([]);

    await carrier.finish(call, 'completed');
    const ended = await queue.find(entry._id);
    expect(ended).toMatchObject({ state: 'completed', outcome: 'answered' });
    expect(ended?.sealedNumber).toBeUndefined();
    // A later change calls nobody.
    expect((await staff.post(`/staff/jaap/${PLAN}/items/${PLAN}-B1/status`, { from: 'ongoing', status: 'done' })).status).toBe(303);
    expect(await queue.collection.countDocuments({ kind: 'promise-news' })).toBe(1);
  });

  it('a withheld number is not offered promise news', async () => {
    const t = await citizenCall('anonymous').run([...toOffer, ...parseScript('hangup')]);
    expect(ids(t)).toContain('message.saved.after');
    expect(ids(t)).not.toContain('jaap.alerts.offer');
    expect(await alerts()).toEqual([]);
  });
});
