import { CallSimulator, parseScript } from '../../src/simulator/call-simulator';
import { TwilioCarrierCalls } from '../../src/outbound/carrier-calls';
import { callbackWorkerFor } from '../../src/outbound/outbound';
import { Caller, callerIdFor } from '../../src/store/callers';
import { signWebhook } from '../../src/telephony/signature';
import { ENGINE } from '../support/engine';
import { FakeCarrierCalls } from '../support/fake-carrier-calls';
import { ids, startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';

const FROM = '+85523900900';
const CITIZEN = '+85512555666';
const HEALTH = ['staff-attitude', 'waiting-time', 'medicines', 'cleanliness', 'fee-transparency', 'open-24h'];

describe(`a rating broken off in a callback is offered again on the next call (${ENGINE})`, () => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls('ACtest', TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_FROM_NUMBER: FROM, OUTBOUND_CALLING_HOURS: '00:00-24:00' });
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  /** The citizen rings, is called back, and rates two health centre indicators before the line drops. */
  async function callbackDropsMidRating() {
    const url = `${h.url}/voice/missed`;
    const params = { CallSid: 'CAmissed0000000000000000000000001', From: CITIZEN, Direction: 'inbound' };
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(TEST_AUTH_TOKEN, url, params) }, body: new URLSearchParams(params).toString() });
    const worker = callbackWorkerFor(h.rt, { carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: 'ACtest', authToken: TEST_AUTH_TOKEN }) });
    expect(await worker.placeNext()).toBe('placed');
    const call = carrier.calls[0];
    // The carrier fetches the call's Url when the citizen answers; the simulator plays the citizen.
    const sim = new CallSimulator({
      serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: CITIZEN, callSid: call.sid,
      direction: 'outbound-api', hotlineNumber: FROM, sendStatus: false,
    });
    const t = await sim.run(parseScript('1,2,120101,1,2,1,4,5,hangup'));
    // A callback opens with its own words (free, who is calling, why); a first-time caller then chooses a language.
    expect(ids(t).slice(0, 3)).toEqual(['welcome.callback', 'keys.intro', 'language.menu']);
    expect(ids(t)).toContain(`indicator.health.${HEALTH[2]}`);
    await carrier.finish(call, 'completed');
    return call;
  }

  it('the answers given are kept, and the next call within a day goes on at the next indicator', async () => {
    const call = await callbackDropsMidRating();
    expect((await h.rt.ratings.forCall(call.sid)).map((r) => [r.indicatorId, r.score])).toEqual([[HEALTH[0], 4], [HEALTH[1], 5]]);
    const callerId = callerIdFor(CITIZEN, h.config.callerHashSecret);
    // Noted once, at the first answer, with the call: how far it got is in that call's ratings.
    expect((await h.rt.callers.find(callerId))?.unfinishedRating).toMatchObject({ communeCode: '120101', service: 'health', indicatorIndex: 1, callSid: call.sid });
    expect((await h.rt.outbound.queue.collection.findOne({}))?.state).toBe('completed');

    const next = await h.call(parseScript('1,3,2,hangup'), { from: CITIZEN });
    const heard = ids(next);
    expect(heard.slice(0, 3)).toEqual(['welcome.back', 'keys.intro', 'rate.resume.health']);
    expect(heard).toContain('rate.resume.press');
    // 1: straight to the third indicator, no intro again.
    const afterPress = heard.slice(heard.indexOf('rate.resume.press') + 1);
    expect(afterPress[0]).toBe(`indicator.health.${HEALTH[2]}`);
    expect(afterPress).not.toContain('rate.intro');
    const ratings = await h.rt.ratings.forCall(next.callSid);
    expect(ratings.map((r) => [r.communeCode, r.indicatorId, r.score])).toEqual([['120101', HEALTH[2], 3], ['120101', HEALTH[3], 2]]);
    expect((await h.rt.callers.find(callerId))?.unfinishedRating).toMatchObject({ indicatorIndex: 3, callSid: next.callSid });
    // Broken off again: the call after goes on where this one stopped.
    const third = ids(await h.call(parseScript('1,hangup'), { from: CITIZEN }));
    expect(third.slice(0, 3)).toEqual(['welcome.back', 'keys.intro', 'rate.resume.health']);
    expect(third[third.indexOf('rate.resume.press') + 1]).toBe(`indicator.health.${HEALTH[4]}`);
  });

  it('a rating noted before the call was (no callSid) goes on at its own next indicator', async () => {
    const callerId = callerIdFor(CITIZEN, h.config.callerHashSecret);
    await h.store.collection<Caller>('callers').insertOne({
      _id: callerId, firstCallAt: new Date(), lastCallAt: new Date(), lastCommune: '120101', language: 'km',
      unfinishedRating: { communeCode: '120101', service: 'health', indicatorIndex: 3, at: new Date() },
    });
    const heard = ids(await h.call(parseScript('1,hangup'), { from: CITIZEN }));
    expect(heard[heard.indexOf('rate.resume.press') + 1]).toBe(`indicator.health.${HEALTH[3]}`);
  });

  it('when every indicator was answered but the note was not forgotten (an instance died), nothing is offered', async () => {
    const call = await callbackDropsMidRating();
    // The last two answers, in that call, as if its instance died before forgetting the note.
    const callerId = callerIdFor(CITIZEN, h.config.callerHashSecret);
    for (const [i, id] of HEALTH.slice(2).entries()) {
      await h.rt.ratings.save({
        callSid: call.sid, callerId, communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', indicatorId: id,
        score: 3, language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: new Date(Date.now() + i),
      }, { mayReplace: false });
    }
    expect((await h.rt.callers.find(callerId))?.unfinishedRating).toBeDefined();
    const t = await h.call(parseScript('hangup'), { from: CITIZEN });
    expect(ids(t)).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
  });

  it('2 declines: the main menu, and the offer is not made again', async () => {
    await callbackDropsMidRating();
    const first = await h.call(parseScript('2,hangup'), { from: CITIZEN });
    expect(ids(first).slice(-1)).toEqual(['main.menu']);
    const second = await h.call(parseScript('hangup'), { from: CITIZEN });
    expect(ids(second)).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
  });

  it('after a day the offer is gone', async () => {
    await callbackDropsMidRating();
    const callerId = callerIdFor(CITIZEN, h.config.callerHashSecret);
    await h.store.collection<Caller>('callers').updateOne({ _id: callerId }, { $set: { 'unfinishedRating.at': new Date(Date.now() - 25 * 3600_000) } });
    const t = await h.call(parseScript('hangup'), { from: CITIZEN });
    expect(ids(t)).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
  });

  it('finishing the rating forgets it', async () => {
    await callbackDropsMidRating();
    await h.call(parseScript('1,3,2,1,1,hangup'), { from: CITIZEN });
    const callerId = callerIdFor(CITIZEN, h.config.callerHashSecret);
    expect((await h.rt.callers.find(callerId))?.unfinishedRating).toBeUndefined();
  });
});
