import { parseScript } from '../../src/simulator/call-simulator';
import { callerIdFor } from '../../src/store/callers';
import { CallRecord } from '../../src/store/calls';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

describe(`a citizen rates a public service by phone (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('when a new caller rates a health centre in commune 120101 in Khmer, every answer is in the store', async () => {
    const from = '+85512999001';
    const t = await h.call(parseScript('1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,1,0,hangup'), { from });
    expect(t.errors).toEqual([]);
    expect(ids(t).slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
    expect(ids(t)).toContain('rate.commune.confirm');
    expect(ids(t)).toContain('indicator.health.open-24h');

    const ratings = await h.rt.ratings.forCall(t.callSid);
    expect(ratings.map((r) => [r.indicatorId, r.score])).toEqual([
      ['staff-attitude', 4], ['waiting-time', 5], ['medicines', 3], ['cleanliness', 4], ['fee-transparency', 2], ['open-24h', 5],
    ]);
    for (const r of ratings) {
      expect(r).toMatchObject({
        communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', language: 'km', languageGroup: 'khmer',
        demographics: { gender: 'woman', ageGroup: '25-59', disability: 'no', idPoor: 'yes' },
      });
      expect(r.ratedAt).toBeInstanceOf(Date);
      expect(r.callerId).toBe(callerIdFor(from, 'test-caller-secret'));
    }
  });

  it('when the caller hangs up after two indicators, both ratings are kept', async () => {
    const t = await h.call(parseScript('1,2,120101,1,2,1,4,5,hangup'));
    const ratings = await h.rt.ratings.forCall(t.callSid);
    expect(ratings.map((r) => [r.indicatorId, r.score])).toEqual([['staff-attitude', 4], ['waiting-time', 5]]);
    expect(ratings[0].demographics).toEqual({});
  });

  it('when the caller calls again, the language and last commune are remembered', async () => {
    const from = '+85512999002';
    await h.call(parseScript('1,2,120101,1,3,hangup'), { from });
    const t = await h.call(parseScript('2,1,1,hangup'), { from });
    expect(ids(t).slice(0, 3)).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
    expect(ids(t)).toContain('rate.commune.last');
    expect(ids(t)).toContain('rate.service.menu');
  });

  it('when the caller rates the same health centre again on a later call, the earlier ratings are marked as replaced', async () => {
    const from = '+85512999003';
    const first = await h.call(parseScript('1,2,120101,1,2,1,4,5,hangup'), { from });
    // A first-time rater's call reads no earlier ratings (nothing to replace): none are marked.
    expect((await h.rt.ratings.forCall(first.callSid)).map((r) => r.supersededAt)).toEqual([undefined, undefined]);
    // The first call broke off mid-rating: decline going on (2), then rate there again: health, staff-attitude 1.
    const again = await h.call(parseScript('2,2,1,2,1,1,hangup'), { from });
    expect(ids(again).slice(0, 3)).toEqual(['welcome.back', 'keys.intro', 'rate.resume.health']);
    expect(ids(again)).toContain('rate.commune.last');
    const [later] = await h.rt.ratings.forCall(again.callSid);
    expect(later).toMatchObject({ indicatorId: 'staff-attitude', score: 1 });
    const earlier = await h.rt.ratings.forCall(first.callSid);
    expect(earlier.map((r) => [r.indicatorId, r.supersededAt])).toEqual([['staff-attitude', later.ratedAt], ['waiting-time', undefined]]);
    expect((await h.store.collection<CallRecord>('calls').findOne({ _id: first.callSid }))?.returningRater).toBe(false);
    expect((await h.store.collection<CallRecord>('calls').findOne({ _id: again.callSid }))?.returningRater).toBe(true);
  });

  it('a caller who answered the questions about them is not asked again that reporting year: the next call\'s ratings carry the same answers', async () => {
    const from = '+85512999004';
    await h.call(parseScript('1,2,120101,1,2,1,4,5,3,4,2,5,2,3,1,2,hangup'), { from });
    const callerId = callerIdFor(from, 'test-caller-secret');
    const kept = { gender: 'man', ageGroup: '60-plus', disability: 'yes', idPoor: 'no' };
    expect(await h.rt.callers.find(callerId)).toMatchObject({ demographics: kept, demographicsYear: Number(new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 4)) });
    const again = await h.call(parseScript('2,1,3,1,5,5,5,5,5,hangup'), { from });
    expect(ids(again)).not.toContain('ask.gender');
    // The end of the rating: rate.thanks, then the promise-news offer.
    expect(ids(again)).toContain('jaap.alerts.offer');
    const ratings = await h.rt.ratings.forCall(again.callSid);
    expect(ratings).toHaveLength(5);
    for (const r of ratings) expect(r.demographics).toEqual(kept);
    // A new reporting year asks again.
    await h.store.collection('callers').updateOne({ _id: callerId }, { $set: { demographicsYear: 2000 } });
    const nextYear = await h.call(parseScript('2,1,1,1,5,5,5,5,5,hangup'), { from });
    expect(ids(nextYear)).toContain('ask.gender');
  });

  it('0 at the questions about the caller skips them, and they are not asked again that year', async () => {
    const from = '+85512999005';
    const t = await h.call(parseScript('1,2,120101,1,2,1,4,5,3,4,2,5,0,hangup'), { from });
    // Past the questions: rate.thanks (the rating is saved), then the promise-news offer.
    expect(ids(t).slice(-2)).toEqual(['rate.thanks', 'jaap.alerts.offer']);
    const again = await h.call(parseScript('2,1,3,1,5,5,5,5,5,hangup'), { from });
    expect(ids(again)).not.toContain('ask.gender');
  });

  it('never stores or logs the caller number', async () => {
    const from = '+85512777333';
    const t = await h.call(parseScript('1,2,120101,1,2,1,4,hangup'), { from });
    expect(t.errors).toEqual([]);
    const everything = JSON.stringify(await h.store.collection('callers').find({})) + JSON.stringify(await h.store.collection('calls').find({}))
      + JSON.stringify(await h.store.collection('ratings').find({})) + h.logs.join('');
    expect(everything).not.toContain('12777333');
  });
});
