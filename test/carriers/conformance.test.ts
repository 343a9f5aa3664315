import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { SOMLENG_KEEPS_RECORDINGS } from '../../src/telephony/carrier-profile';
import { callerIdFor } from '../../src/store/callers';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { publishCommune } from '../support/published-commune';
import { acts, CallerAct, CarrierCall, CarrierModel, slowKeys, wav } from './carrier-model';
import { SomlengModel } from './somleng-model';
import { TwilioModel } from './twilio-model';

/**
 * The carrier-conformance suite: the same calls, through the real webhooks, played by a model of
 * each platform (./twilio-model.ts, ./somleng-model.ts: each behaviour with its source), on the
 * store engine of this run (npm test runs both).
 */
describe.each([
  ['Twilio', () => new TwilioModel()],
  ['Somleng', () => new SomlengModel()],
] as const)(`the hotline on %s (${ENGINE} store)`, (_name, makeModel) => {
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

  const call = (script: CallerAct[], opts: { from?: string; retryEveryRequest?: boolean } = {}) => new CarrierCall(model, h, script, opts).run();
  const heardAfter = (heard: string[], id: string) => heard.slice(heard.indexOf(id) + 1);

  it('a new caller rates a health centre: one rating per indicator, and the call status at the end', async () => {
    const r = await call(acts('1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,3,0,hangup'));
    expect(r.inconsistentRetries).toEqual([]);
    expect(r.heard.slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
    expect(r.heard).toContain('rate.commune.confirm');
    const ratings = await h.rt.ratings.forCall(r.callSid);
    expect(ratings.map((x) => [x.indicatorId, x.score])).toEqual([
      ['staff-attitude', 4], ['waiting-time', 5], ['medicines', 3], ['cleanliness', 4], ['fee-transparency', 2], ['open-24h', 5],
    ]);
    expect(ratings.every((x) => x.communeCode === '120101' && x.service === 'health')).toBe(true);
    expect(await h.rt.calls.findStatus(r.callSid)).toMatchObject({ status: 'completed' });
    expect(r.exchanges.every((e) => e.status < 300)).toBe(true);
  });

  it('I4C: a caller hears the health centre fees, then the topics again', async () => {
    const r = await call(acts('1,1,2,2,9,hangup'));
    expect(r.heard).toContain('info.health.menu');
    expect(heardAfter(r.heard, 'info.health.menu')).toContain('info.health.fees.1');
    expect(r.heard[r.heard.length - 1]).toBe('info.health.menu');
  });

  it('a voice message: recorded, confirmed, downloaded, stored byte for byte, and deleted at the carrier or kept there with the reason', async () => {
    const r = await call(acts('1,3,120101,1,2,record:12,1,hangup'));
    expect(r.heard).toContain('message.saved');
    const [sid] = r.recordings;
    const m = await h.rt.messages.find(sid);
    expect(m).toMatchObject({ callSid: r.callSid, communeCode: '120101', service: 'health', callerChoice: 'sent', durationSeconds: 12 });
    expect(m?.download?.state).toBe('queued'); // the recording status callback in its carrier's URL form was accepted

    const worker = recordingDownloadWorkerFor(h.rt);
    expect(await worker.drain()).toEqual([{ recordingSid: sid, outcome: 'stored' }]);
    const stored = await h.rt.messages.find(sid);
    expect((await h.store.files.read(stored!.download!.fileId!)).equals(wav(12))).toBe(true);
    const deletes = model.api.requests.filter((q) => q.method === 'DELETE');
    if (model.name === 'twilio') {
      expect(stored?.download).toMatchObject({ deletedAtCarrier: true });
      expect(deletes.map((q) => q.status)).toEqual([204]);
      expect(model.api.recordings.get(sid)?.deleted).toBe(true);
    } else {
      // Somleng has no DELETE for recordings: none is sent, and staff are told the copy stays there.
      expect(stored?.download).toMatchObject({ deletedAtCarrier: false, keptAtCarrier: SOMLENG_KEEPS_RECORDINGS });
      expect(deletes).toEqual([]);
      // Its media came through the storage redirect, fetched without our credentials.
      expect(model.api.requests.some((q) => q.status === 302)).toBe(true);
    }
  });

  it('a recording in which the caller said nothing is asked again and never kept; the next one is', async () => {
    const r = await call(acts('1,3,120101,1,2,record:10:silent,record:0,record:9,1,hangup'));
    // Both empty recordings: error.noinput, then the recording prompt again.
    expect(r.heard.filter((id) => id === 'message.intro')).toHaveLength(3);
    expect(r.heard.filter((id) => id === 'error.noinput')).toHaveLength(2);
    expect(r.heard).toContain('message.saved');
    const [silent, empty, spoken] = r.recordings;
    await recordingDownloadWorkerFor(h.rt).drain();
    const visible = await h.rt.messages.collection.find({ callerChoice: { $ne: 'discarded' } });
    expect(visible.map((m) => m._id)).toEqual([spoken]);
    for (const sid of [silent, empty]) {
      const m = await h.rt.messages.find(sid);
      if (model.name === 'twilio') expect(m).toBeNull(); // Twilio never posted them (empty recording: no action, no callback)
      else expect(m).toMatchObject({ callerChoice: 'discarded' });
      expect(await h.store.files.size(`recording-${sid}.wav`)).toBeNull();
    }
  });

  it('silence: error.noinput and the question again; the third silence: goodbye.silence (how to get a free callback) and hang up', async () => {
    const r = await call(acts('1,silence,silence,silence'));
    expect(r.heard.filter((id) => id === 'error.noinput')).toHaveLength(2);
    expect(r.heard[r.heard.length - 1]).toBe('goodbye.silence');
    expect(r.endedBy).toBe('hotline');
  });

  it('invalid keys: error.invalid and the same menu; the third in a row: the main menu', async () => {
    const r = await call(acts('1,9,hangup'));
    expect(heardAfter(r.heard, 'main.menu').slice(0, 2)).toEqual(['error.invalid', 'main.menu']);
    const r2 = await call(acts('1,1,9,9,9,hangup'));
    expect(r2.heard.filter((id) => id === 'error.invalid')).toHaveLength(2);
    expect(r2.heard[r2.heard.length - 1]).toBe('main.menu');
  });

  it.each([1, 2, 3, 4, 5])('a slow typist who pauses 3 s before key %i of the commune code ends with the right commune, read back once', async (at) => {
    const r = await call([...acts('1,2'), slowKeys('120101', at, 3), ...acts('1,2,1,4,hangup')]);
    expect(r.heard).not.toContain('rate.commune.unknown');
    expect(r.heard.filter((id) => id === 'rate.commune.confirm')).toHaveLength(1);
    // The code is read back only once it is whole: six digits before the confirm question's end.
    const confirm = r.heard.indexOf('rate.commune.confirm');
    expect(r.heard.slice(confirm + 1, confirm + 7)).toEqual(['digit.1', 'digit.2', 'digit.0', 'digit.1', 'digit.0', 'digit.1']);
    const ratings = await h.rt.ratings.forCall(r.callSid);
    expect(ratings.map((x) => [x.communeCode, x.service, x.score])).toEqual([['120101', 'health', 4]]);
    if (model.name === 'somleng') expect(r.posted.length).toBeGreaterThan(4); // the code did come in pieces
  });

  it('a caller who types part of the code and then stops hears it read back as unknown after the code wait, once', async () => {
    const r = await call([...acts('1,2'), { do: 'keys', keys: '12' }, { do: 'silence' }, ...acts('hangup')]);
    const unknown = r.heard.indexOf('rate.commune.unknown');
    expect(unknown).toBeGreaterThan(-1);
    expect(r.heard.slice(unknown + 1, unknown + 3)).toEqual(['digit.1', 'digit.2']);
    expect(r.heard.filter((id) => id === 'rate.commune.unknown')).toHaveLength(1);
  });

  it('silence at the language menu chooses Khmer; on a rating question 9 is kept as "don\'t know" without a score, and 0 asks before leaving (1 goes on)', async () => {
    const r = await call(acts('silence,2,120101,1,2,1,9,0,1,4,hangup'));
    expect(r.heard).toContain('main.menu');
    expect(r.heard).not.toContain('error.noinput');
    expect(r.heard).toContain('rate.dontknow');
    expect(heardAfter(r.heard, 'rate.leave.ask')[0]).toBe('indicator.health.waiting-time');
    const ratings = await h.rt.ratings.forCall(r.callSid);
    expect(ratings.map((x) => [x.indicatorId, x.score, x.noScore])).toEqual([['staff-attitude', null, 'dont-know'], ['waiting-time', 4, undefined]]);
  });

  it('a caller who hangs up in the middle of rating keeps the ratings given, and the call ends completed', async () => {
    const r = await call(acts('1,2,120101,1,2,1,4,5,hangup'));
    expect((await h.rt.ratings.forCall(r.callSid)).map((x) => x.score)).toEqual([4, 5]);
    expect(await h.rt.calls.findStatus(r.callSid)).toMatchObject({ status: 'completed' });
  });

  it('results by phone (key 4), every webhook delivered twice: seven of ten in Khmer number words, the promises, one "no" kept for the done item, and not asked again next call', async () => {
    const { doneItem } = await publishCommune(h.store, '120101');
    const from = '+85512777001';
    const r = await call(acts('1,4,120101,1,3,hangup'), { retryEveryRequest: true, from });
    expect(r.inconsistentRetries).toEqual([]);
    expect(r.exchanges.every((e) => e.status < 300)).toBe(true);
    const heard = heardAfter(r.heard, 'results.intro');
    expect(heard.slice(6, 12)).toEqual(['results.service.commune', 'number.5', 'number.2', 'results.satisfied', 'results.service.health', 'results.too.few']);
    expect(heardAfter(r.heard, 'jaap.check.ask')).toEqual(['jaap.check.thanks', 'jaap.promised', 'jaap.about.school', 'jaap.by', 'month.3', 'jaap.status', 'jaap.status.ongoing', 'results.after']);
    expect(await h.rt.publicResults.checkCounts([doneItem])).toEqual(new Map([[doneItem, { yes: 0, partly: 0, no: 1 }]]));
    // The same caller next time: the commune offered back, and the item heard without the question.
    const again = await call(acts('4,1,hangup'), { from });
    expect(again.heard).toContain('results.commune.last');
    expect(again.heard).not.toContain('jaap.check.ask');
    expect(again.heard.at(-1)).toBe('results.after');
  });

  it('a promise news call the hotline places: the changed item by service and status, then 9 ends the sign-up and erases its number', async () => {
    const citizen = '+85512000777';
    const callerId = callerIdFor(citizen, h.config.callerHashSecret);
    expect(await h.rt.outbound.subscribe({ callerId, party: citizen, communeCode: '120101', language: 'km' })).toBe('subscribed');
    expect(await h.rt.outbound.itemStatusChanged({ _id: '120101-2026-A1', communeCode: '120101', service: 'health', status: 'done' }, new Date())).toBe(1);
    const [entry] = await h.rt.outbound.queue.collection.find({ kind: 'promise-news' });
    const placed = { url: `/voice/incoming?news=${entry._id}`, hotlineNumber: '+85523000000' };
    const r = await new CarrierCall(model, h, acts('9'), { from: citizen, placed, retryEveryRequest: true }).run();
    expect(r.inconsistentRetries).toEqual([]);
    expect(r.heard).toEqual(['jaap.alerts.intro', 'jaap.alerts.service.health', 'jaap.alerts.status.done', 'jaap.alerts.stop.press', 'jaap.alerts.stopped']);
    expect(r.endedBy).toBe('hotline');
    expect(await h.rt.outbound.alerts.collection.countDocuments({})).toBe(0);
  });

  it('every webhook delivered twice (rating and voice message): the same answers, one rating per indicator, one message', async () => {
    // 0 at the first question about the caller skips them; 2 declines promise news; 1 at rate.after records a message about this service.
    const r = await call(acts('1,2,120101,1,2,1,4,5,3,4,2,5,0,2,1,record:7,1,hangup'), { retryEveryRequest: true });
    expect(r.inconsistentRetries).toEqual([]);
    expect(r.exchanges.every((e) => e.status < 300)).toBe(true);
    expect(await h.rt.ratings.forCall(r.callSid)).toHaveLength(6);
    const messages = await h.rt.messages.forCall(r.callSid);
    expect(messages.map((m) => [m._id, m.callerChoice])).toEqual([[r.recordings[0], 'sent']]);
    expect(await recordingDownloadWorkerFor(h.rt).drain()).toEqual([{ recordingSid: r.recordings[0], outcome: 'stored' }]);
  });
});
