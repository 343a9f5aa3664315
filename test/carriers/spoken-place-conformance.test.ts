import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { acts, CallerAct, CarrierCall, CarrierModel } from './carrier-model';
import { SomlengModel } from './somleng-model';
import { TwilioModel } from './twilio-model';

/**
 * The place-record node on each carrier model (./twilio-model.ts, ./somleng-model.ts: each
 * behaviour with its source): a caller without a code says the place after the beep (a Record,
 * its action and status callback in the carrier's own forms), the rating goes on, and the
 * recording reaches the store like a voice message's without becoming one. Also with every
 * webhook delivered twice, and with nothing said.
 */
describe.each([
  ['Twilio', () => new TwilioModel()],
  ['Somleng', () => new SomlengModel()],
] as const)(`a place said instead of a code, on %s (${ENGINE} store)`, (_name, makeModel) => {
  let model: CarrierModel;
  let h: TestHotline;

  beforeEach(async () => {
    model = makeModel();
    await model.api.start();
    h = await startHotline(model.env());
  });
  afterEach(async () => {
    await h?.stop();
    await model?.api.stop();
  });

  const call = (script: CallerAct[], opts: { retryEveryRequest?: boolean } = {}) => new CarrierCall(model, h, script, opts).run();
  // Language 1, rate 2, * (no code), the place, health 2, used it 1, then two answers.
  const SCRIPT = '1,2,*,record:6,2,1,4,5,hangup';

  it('the place is recorded, the rating goes on, and the recording is fetched and stored as a place, never a message', async () => {
    const r = await call(acts(SCRIPT));
    expect(r.exchanges.every((e) => e.status < 300)).toBe(true);
    expect(r.heard).toContain('rate.place.say');
    expect(r.heard.indexOf('rate.place.saved')).toBeGreaterThan(r.heard.indexOf('rate.place.say'));
    const [sid] = r.recordings;
    expect(await h.rt.places.find(sid)).toMatchObject({ callSid: r.callSid, state: 'to-confirm' });
    const ratings = await h.rt.ratings.forCall(r.callSid);
    expect(ratings.map((x) => [x.score, x.communeCode, x.spokenPlaceId, x.placeToConfirm])).toEqual([[4, '', sid, true], [5, '', sid, true]]);
    expect(await h.rt.messages.find(sid)).toMatchObject({ callerChoice: 'place', download: { state: 'queued' } });
    expect(await recordingDownloadWorkerFor(h.rt).drain()).toEqual([{ recordingSid: sid, outcome: 'stored' }]);
    expect(await h.rt.messages.find(sid)).toMatchObject({ callerChoice: 'place', download: { state: 'stored' } });
  });

  it('every webhook delivered twice: one place, the same answers, one rating per indicator', async () => {
    const r = await call(acts(SCRIPT), { retryEveryRequest: true });
    expect(r.inconsistentRetries).toEqual([]);
    expect(r.exchanges.every((e) => e.status < 300)).toBe(true);
    expect((await h.rt.places.list('to-confirm', 1, 20)).total).toBe(1);
    expect((await h.rt.ratings.forCall(r.callSid)).map((x) => x.score)).toEqual([4, 5]);
  });

  it('nothing said: the place is asked for again and nothing is kept; the place said next is', async () => {
    const r = await call(acts('1,2,*,record:0,record:6,2,1,4,hangup'));
    const asked = r.heard.filter((id) => id === 'rate.place.say');
    expect(asked).toHaveLength(2);
    expect(r.heard[r.heard.indexOf('rate.place.say') + 1]).toBe('error.noinput');
    const places = await h.rt.places.list('to-confirm', 1, 20);
    expect(places.places.map((p) => p._id)).toEqual([r.recordings[r.recordings.length - 1]]);
  });
});
