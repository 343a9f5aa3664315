import { CallTurns, PromiseAlertSink, reportingYear } from '../../src/calls/call-turns';
import { FlowInput, FlowState } from '../../src/flow/types';
import { CallsRepository, LastTurn } from '../../src/store/calls';
import { Rating, RatingsRepository, TEST_CALL_SID_PREFIX } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { ResultsLine } from '../../src/public/phone-results';
import { ENGINE } from '../support/engine';
import { sharedTestStore } from '../support/shared-store';
import { Harness, harness, heard, SERVICES } from './call-turns-harness';

/**
 * A call, turn by turn, below the HTTP layer: the shipped flow on the real engine with real
 * repositories on a test store and the test's clock (test/calls/call-turns-harness.ts), so what a
 * caller hears and what is kept of what they gave can be checked in milliseconds. The webhook tests
 * (call-turns.test.ts, rating-call.test.ts, winning-copy.test.ts) cover the same through a whole
 * hotline; the call-turns mutation group (stryker.config.mjs) runs this file, at a fraction of
 * their time.
 */
// After the machine's date, as the stores expire TTL records by the real clock.
const T0 = Date.parse('2030-11-30T03:00:00.000Z'); // 10:00 in Phnom Penh
const HOUR = 3_600_000;
/** A broken-off rating is offered for a day (written out: the module's own constant would move with it). */
const DAY = 24 * HOUR;
const PARTY = '+85512345678';
const HEALTH = SERVICES.health;

/** Keys from the language menu to the first health indicator: Khmer, rate, the commune, confirm it, health, used it. */
const TO_FIRST_HEALTH_RATING = ['1', '2', '120101', '1', '2', '1'];
/** Keys from the language menu to recording a message about health in commune 120101. */
const TO_MESSAGE = ['1', '3', '120101', '1', '2'];

const digits = (d: string): FlowInput => ({ type: 'digits', digits: d });
const recording = (sid: string, extra: Partial<Extract<FlowInput, { type: 'recording' }>> = {}): FlowInput =>
  ({ type: 'recording', recordingSid: sid, recordingUrl: `https://carrier.example/${sid}`, durationSeconds: 6, referenceNumber: '', ...extra });

/** One call as the carrier drives it: start, then each answer at the turn it answers. */
class Call {
  turn = 1;
  last: LastTurn | null = null;
  constructor(readonly turns: CallTurns, readonly callSid: string, readonly callerId: string) {}
  async start(opts?: { callback?: boolean; withheld?: boolean }) {
    this.last = await this.turns.start(this.callSid, this.callerId, opts);
    this.turn = this.last.turn;
    return this.last;
  }
  async answer(...inputs: (string | FlowInput)[]) {
    for (const i of inputs) {
      this.last = await this.turns.resume(this.callSid, this.turn, typeof i === 'string' ? digits(i) : i, PARTY);
      if (this.last) this.turn = this.last.turn;
    }
    return this.last;
  }
}

/** Calls whose next compare-and-set first runs a hook once: another copy of the turn gets in between. */
class HookedCalls extends CallsRepository {
  beforeAdvance?: () => Promise<void>;
  override async advance(...args: Parameters<CallsRepository['advance']>) {
    const hook = this.beforeAdvance;
    this.beforeAdvance = undefined;
    if (hook) await hook();
    return super.advance(...args);
  }
}

describe(`call turns on the shipped flow (${ENGINE} store)`, () => {
  let store: Store;
  let clock: number;
  let h: Harness;
  const now = () => new Date(clock);
  const call = (callSid: string, callerId: string, turns = h.turns) => new Call(turns, callSid, callerId);
  const ratingsOf = (callSid: string) => h.ratings.forCall(callSid);
  const sharedStore = sharedTestStore(['calls', 'call_status', 'callers', 'ratings', 'places_to_confirm', 'messages']);
  beforeEach(async () => {
    store = sharedStore();
    clock = T0;
    h = harness(store, now);
  });

  describe('the first request of a call', () => {
    it('a new caller hears the welcome and the language menu; the call and the caller are recorded', async () => {
      const first = await call('CA-new', 'caller-1').start();
      expect(heard(first)).toEqual(['welcome', 'keys.intro', 'language.menu', 'language.option.km', 'language.option.cmo', 'language.option.tpu', 'language.more']);
      expect(first).toMatchObject({ turn: 1, language: 'km', output: { end: { type: 'gather' } } });
      expect(await h.calls.find('CA-new')).toMatchObject({ callerId: 'caller-1', turn: 1, flowVersion: h.deps.flow.version, startedAt: new Date(T0), updatedAt: new Date(T0), returningRater: false, last: first });
      expect(await h.callers.find('caller-1')).toMatchObject({ firstCallAt: new Date(T0), lastCallAt: new Date(T0) });
    });

    it('a retried first request gets the same answer and makes no second call record; the caller\'s last call moves', async () => {
      const a = await call('CA-twice', 'caller-1').start();
      clock += 2000;
      const b = await call('CA-twice', 'caller-1').start();
      expect(b).toEqual(a);
      expect(await store.collection('calls').countDocuments({})).toBe(1);
      expect(await h.callers.find('caller-1')).toMatchObject({ firstCallAt: new Date(T0), lastCallAt: new Date(T0 + 2000) });
      // Another instance (its own call records) answers the retry the same way.
      const other = harness(store, now);
      expect(await call('CA-twice', 'caller-1', other.turns).start()).toEqual(a);
    });

    it('a caller whose language is remembered is welcomed back in it and goes straight to the main menu', async () => {
      const c = call('CA-lang', 'caller-1');
      await c.start();
      await c.answer('2'); // Bunong
      expect(c.last!.language).toBe('cmo');
      expect(await h.callers.find('caller-1')).toMatchObject({ language: 'cmo' });
      const again = await call('CA-lang-2', 'caller-1').start();
      expect(heard(again)).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
      expect(again.language).toBe('cmo');
    });

    it('a remembered language no longer offered is not used: the caller hears the language menu', async () => {
      await h.callers.rememberLanguage('caller-1', 'cmo');
      const withoutBunong = harness(store, now, { context: { languages: [{ code: 'km', key: '1' }, { code: 'tpu', key: '3' }] } });
      const first = await call('CA-gone', 'caller-1', withoutBunong.turns).start();
      expect(heard(first)).toEqual(['welcome', 'keys.intro', 'language.menu', 'language.option.km', 'language.option.tpu']);
      expect(first.language).toBe('km');
    });

    it('each call is counted once where it is created, as incoming or a callback; a retry and a staff test call are not counted', async () => {
      const started: string[] = [];
      const counted = new CallTurns({ ...h.deps, metrics: { callStarted: (direction) => { started.push(direction); } } });
      await call('CA-count-in', 'caller-1', counted).start();
      await call('CA-count-in', 'caller-1', counted).start(); // the carrier retried the incoming webhook
      await call('CA-count-back', 'caller-2', counted).start({ callback: true });
      await call(`${TEST_CALL_SID_PREFIX}-count`, 'caller-3', counted).start();
      expect(started).toEqual(['incoming', 'callback']);
      expect(await store.collection('calls').countDocuments({})).toBe(3);
    });

    it('promise news is offered after a rating, except on a withheld number or for a commune the caller already hears about; 1 signs up', async () => {
      const signedUp: unknown[] = [];
      let communes: string[] = [];
      const alerts: PromiseAlertSink = {
        subscribe: async (o) => { signedUp.push(o); return 'subscribed'; },
        stop: async () => undefined,
        communesOf: async () => communes,
        newsFor: async () => null,
      };
      const turns = new CallTurns({ ...h.deps, promiseAlerts: alerts });
      /** A whole health rating in commune 120101, then the questions about the caller skipped; what the caller hears after the thanks. */
      const rate = async (c: Call, opts?: { withheld?: boolean }) => {
        await c.start(opts);
        await c.answer(...TO_FIRST_HEALTH_RATING, ...HEALTH.map(() => '4'));
        for (let i = 0; i < 8 && !heard(c.last)!.includes('rate.thanks'); i++) await c.answer('0');
        expect(heard(c.last)).toContain('rate.thanks');
        return heard(c.last)!;
      };
      const offered = call('CA-offer', 'caller-1', turns);
      expect(await rate(offered)).toContain('jaap.alerts.offer');
      await offered.answer('1');
      expect(heard(offered.last)).toContain('jaap.alerts.offer.yes');
      expect(signedUp).toEqual([{ callerId: 'caller-1', party: PARTY, communeCode: '120101', language: 'km' }]);
      expect(await rate(call('CA-withheld', 'caller-2', turns), { withheld: true })).not.toContain('jaap.alerts.offer');
      communes = ['120101'];
      expect(await rate(call('CA-known', 'caller-3', turns))).not.toContain('jaap.alerts.offer');
      expect(signedUp).toHaveLength(1);
    });

    it('published results are read only on the results path (key 4), for the commune chosen, and a commune without any is said so', async () => {
      const read: string[] = [];
      const results: ResultsLine = {
        communeResults: async (communeCode) => { read.push(communeCode); return { communeCode, services: null, promises: null }; },
        recordCheck: async () => undefined,
      };
      const turns = new CallTurns({ ...h.deps, results });
      const rating = call('CA-rating', 'caller-1', turns);
      await rating.start();
      await rating.answer(...TO_FIRST_HEALTH_RATING, '4');
      expect(read).toEqual([]);
      const asking = call('CA-results', 'caller-2', turns);
      await asking.start();
      await asking.answer('1', '4', '120101', '1');
      expect(new Set(read)).toEqual(new Set(['120101']));
      expect(heard(asking.last)).toContain('results.none');
    });

    it('a call the hotline placed opens with its own words', async () => {
      const first = await call('CA-callback', 'caller-1').start({ callback: true });
      expect(heard(first)![0]).toBe('welcome.callback');
    });

    it('a caller who rated before is a returning rater: a new rating of the same indicator replaces the earlier one', async () => {
      const c1 = call('CA-r1', 'caller-1');
      await c1.start();
      await c1.answer(...TO_FIRST_HEALTH_RATING, '2');
      expect((await h.calls.find('CA-r1'))!.returningRater).toBe(false);
      clock += 2 * DAY;
      const c2 = call('CA-r2', 'caller-1');
      expect(heard(await c2.start())).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
      expect((await h.calls.find('CA-r2'))!.returningRater).toBe(true);
      // Rate, the last commune (1), health, used it, then the first indicator again.
      await c2.answer('2', '1', '2', '1', '4');
      const [earlier] = await ratingsOf('CA-r1');
      const [later] = await ratingsOf('CA-r2');
      expect(later).toMatchObject({ indicatorId: HEALTH[0], score: 4, communeCode: '120101' });
      expect(later.supersededAt).toBeUndefined();
      expect(earlier).toMatchObject({ indicatorId: HEALTH[0], score: 2, supersededAt: new Date(T0 + 2 * DAY) });
    });
  });

  describe('a rating broken off', () => {
    /** A first call that rates the first `n` health indicators and hangs up. */
    const ratePart = async (n: number, callSid = 'CA-part') => {
      const c = call(callSid, 'caller-1');
      await c.start();
      await c.answer(...TO_FIRST_HEALTH_RATING, ...Array.from({ length: n }, () => '3'));
      return c;
    };

    it('is offered on the next call within a day, from the indicator after the last one answered', async () => {
      await ratePart(3);
      clock += DAY - 1;
      const c = call('CA-next', 'caller-1');
      expect(heard(await c.start())).toEqual(['welcome.back', 'keys.intro', 'rate.resume.health', 'place.120101', 'rate.resume.press']);
      expect(heard(await c.answer('1'))).toContain(`indicator.health.${HEALTH[3]}`);
      await c.answer('5');
      expect((await ratingsOf('CA-next')).map((r) => [r.indicatorId, r.score])).toEqual([[HEALTH[3], 5]]);
    });

    it('is not offered a day or more later', async () => {
      await ratePart(2);
      clock += DAY;
      expect(heard(await call('CA-late', 'caller-1').start())).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
    });

    it('declined, it is forgotten', async () => {
      await ratePart(2);
      clock += HOUR;
      const c = call('CA-no', 'caller-1');
      await c.start();
      expect(heard(await c.answer('2'))).toEqual(['main.menu']);
      expect((await h.callers.find('caller-1'))!.unfinishedRating).toBeUndefined();
      expect(heard(await call('CA-no-2', 'caller-1').start())).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
    });

    it('finished, it is forgotten; and if that write was lost, a rating with every indicator answered is not offered', async () => {
      const c = await ratePart(HEALTH.length);
      expect((await h.callers.find('caller-1'))!.unfinishedRating).toBeUndefined();
      await h.callers.rememberUnfinishedRating('caller-1', { communeCode: '120101', service: 'health', indicatorIndex: 1 }, new Date(clock), c.callSid);
      clock += HOUR;
      expect(heard(await call('CA-done', 'caller-1').start())).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
    });

    it('counts only the ratings of its own commune and service in the call that began it', async () => {
      await ratePart(1);
      // The same call also rated another commune's health, and this commune's commune office, further along.
      const base = { callSid: 'CA-part', callerId: 'caller-1', language: 'km', languageGroup: 'khmer' as const, demographics: {}, ratedAt: new Date(T0), score: 3 };
      await h.ratings.save({ ...base, communeCode: '120102', districtCode: '1201', provinceCode: '12', service: 'health', indicatorId: HEALTH[4] });
      // An indicator both services have, far along health's list.
      expect(SERVICES.commune).toContain('fee-transparency');
      expect(HEALTH.indexOf('fee-transparency')).toBeGreaterThan(1);
      await h.ratings.save({ ...base, communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'commune', indicatorId: 'fee-transparency' });
      clock += HOUR;
      const c = call('CA-next', 'caller-1');
      await c.start();
      expect(heard(await c.answer('1'))).toContain(`indicator.health.${HEALTH[1]}`);
    });

    it('broken off at one facility of several, it resumes at that facility, counting only that facility\'s answers', async () => {
      const fac = harness(store, now, { context: { facilities: (_c, s) => (s === 'health' ? ['fac-a', 'fac-b'] : []) } });
      const first = call('CA-fac-1', 'caller-1', fac.turns);
      await first.start();
      // Khmer, rate, the commune, confirm it, health, the second facility, used it, two answers.
      await first.answer('1', '2', '120101', '1', '2', '2', '1', '3', '3');
      expect((await ratingsOf('CA-fac-1')).map((r) => r.facilityId)).toEqual(['fac-b', 'fac-b']);
      // The same call also rated the other facility further along.
      await fac.ratings.save({
        callSid: 'CA-fac-1', callerId: 'caller-1', communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', indicatorId: HEALTH[4],
        facilityId: 'fac-a', score: 2, language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: new Date(T0),
      });
      clock += HOUR;
      const next = call('CA-fac-2', 'caller-1', fac.turns);
      await next.start();
      expect(heard(await next.answer('1'))).toContain(`indicator.health.${HEALTH[2]}`);
      await next.answer('4');
      expect(await ratingsOf('CA-fac-2')).toEqual([expect.objectContaining({ indicatorId: HEALTH[2], facilityId: 'fac-b', score: 4 })]);
    });

    it('noted without the call that began it (an older record), it resumes at the indicator noted', async () => {
      await store.collection('callers').updateOne({ _id: 'caller-1' }, {
        $set: { language: 'km', lastCommune: '120101', unfinishedRating: { communeCode: '120101', service: 'health', indicatorIndex: 2, at: new Date(T0) }, firstCallAt: new Date(T0), lastCallAt: new Date(T0) },
      }, { upsert: true });
      clock += HOUR;
      const c = call('CA-old', 'caller-1');
      await c.start();
      expect(heard(await c.answer('1'))).toContain(`indicator.health.${HEALTH[2]}`);
    });
  });

  describe('answers about the caller', () => {
    const rateAll = async (callSid: string, callerId = 'caller-1') => {
      const c = call(callSid, callerId);
      await c.start();
      await c.answer(...TO_FIRST_HEALTH_RATING, ...HEALTH.map(() => '4'));
      return c;
    };

    it('are stamped on the call\'s ratings and kept for the reporting year', async () => {
      const c = await rateAll('CA-who');
      expect(heard(c.last)).toEqual(['scale.4', 'ask.gender']);
      await c.answer('1', '2', '3', '2');
      expect(heard(c.last)).toEqual(['rate.thanks', 'rate.after']);
      const who = { gender: 'woman', ageGroup: '25-59', disability: 'unstated', idPoor: 'no' };
      for (const r of await ratingsOf('CA-who')) expect(r.demographics).toEqual(who);
      expect(await h.callers.find('caller-1')).toMatchObject({ demographics: who, demographicsYear: 2030 });
      // A later call the same year is not asked again, and its ratings carry the answers.
      clock += 2 * DAY;
      const again = call('CA-who-2', 'caller-1');
      await again.start();
      await again.answer('2', '1', '2', '1', ...HEALTH.map(() => '5'));
      expect(heard(again.last)).toEqual(['scale.5', 'rate.thanks', 'rate.after']);
      for (const r of await ratingsOf('CA-who-2')) expect(r.demographics).toEqual(who);
    });

    it('answers part-given are kept without a year: the questions come again', async () => {
      const c = await rateAll('CA-part-who');
      await c.answer('1');
      expect(await h.callers.find('caller-1')).toMatchObject({ demographics: { gender: 'woman' } });
      expect((await h.callers.find('caller-1'))!.demographicsYear).toBeUndefined();
    });

    it('are asked again in a new reporting year, which begins at midnight in Phnom Penh', async () => {
      // Two new callers (each call goes the same way), both asked in 2030.
      await h.callers.rememberDemographics('caller-1', { gender: 'man' }, 2030);
      await h.callers.rememberDemographics('caller-2', { gender: 'man' }, 2030);
      expect(reportingYear(new Date('2030-12-31T16:59:59.999Z'))).toBe(2030);
      expect(reportingYear(new Date('2030-12-31T17:00:00.000Z'))).toBe(2031);
      clock = Date.parse('2030-12-31T16:00:00.000Z');
      const same = await rateAll('CA-y1');
      expect(heard(same.last)).toEqual(['scale.4', 'rate.thanks', 'rate.after']);
      for (const r of await ratingsOf('CA-y1')) expect(r.demographics).toEqual({ gender: 'man' });
      clock = Date.parse('2030-12-31T17:00:00.000Z');
      const next = await rateAll('CA-y2', 'caller-2');
      expect(heard(next.last)).toEqual(['scale.4', 'ask.gender']);
      for (const r of await ratingsOf('CA-y2')) expect(r.demographics).toEqual({});
    });
  });

  describe('later requests', () => {
    it('an unknown call gets null (the route starts it afresh)', async () => {
      expect(await h.turns.resume('CA-unknown', 1, digits('1'))).toBeNull();
    });

    it('a rating is kept as the caller gave it, where and when', async () => {
      const c = call('CA-rate', 'caller-1');
      await c.start();
      clock += 5000;
      await c.answer('2'); // Bunong: an indigenous language
      await c.answer('2', '120101', '1', '2', '1');
      clock += 5000;
      await c.answer('5', '9');
      // Both given at the same instant of this test's clock: found by indicator, not by order.
      const ratings = await ratingsOf('CA-rate');
      const [first, second] = HEALTH.slice(0, 2).map((id) => ratings.find((r) => r.indicatorId === id));
      expect(ratings).toHaveLength(2);
      expect(first).toEqual({
        _id: `CA-rate:120101:health:${HEALTH[0]}`, callSid: 'CA-rate', callerId: 'caller-1', communeCode: '120101', districtCode: '1201', provinceCode: '12',
        service: 'health', indicatorId: HEALTH[0], score: 5, language: 'cmo', languageGroup: 'indigenous', demographics: {}, ratedAt: new Date(T0 + 10_000),
      });
      expect(second).toMatchObject({ indicatorId: HEALTH[1], score: null, noScore: 'dont-know' });
      expect(await h.callers.find('caller-1')).toMatchObject({
        language: 'cmo', lastCommune: '120101', unfinishedRating: expect.objectContaining({ communeCode: '120101', service: 'health', at: new Date(T0 + 10_000), callSid: 'CA-rate' }),
      });
    });

    it('the facility chosen is kept with the rating', async () => {
      const withFacilities = harness(store, now, { context: { facilities: (_c, s) => (s === 'health' ? ['fac-a', 'fac-b'] : []) } });
      const c = call('CA-fac', 'caller-1', withFacilities.turns);
      await c.start();
      await c.answer('1', '2', '120101', '1', '2');
      expect(heard(c.last)).toEqual(['rate.facility.menu', 'facility.fac-a', 'digit.1', 'facility.fac-b', 'digit.2']);
      await c.answer('2', '1', '4');
      expect(await ratingsOf('CA-fac')).toEqual([expect.objectContaining({ facilityId: 'fac-b', score: 4 })]);
    });

    it('a retry of an answered turn gets the answer already given and changes nothing, whatever keys it carries', async () => {
      const c = call('CA-retry', 'caller-1');
      await c.start();
      await c.answer(...TO_FIRST_HEALTH_RATING);
      const ratingTurn = c.turn;
      const first = await c.answer('2');
      clock += 1000;
      const retry = await h.turns.resume('CA-retry', ratingTurn, digits('5'));
      expect(retry).toEqual(first);
      expect((await ratingsOf('CA-retry')).map((r) => r.score)).toEqual([2]);
      expect((await h.calls.find('CA-retry'))!.turn).toBe(ratingTurn + 1);
      // An older turn's retry is answered from the call as it is now, and changes nothing either.
      expect(await h.turns.resume('CA-retry', ratingTurn - 3, digits('9'))).toEqual(first);
      // A turn the call has not reached (a forged or confused URL) changes nothing.
      expect(await h.turns.resume('CA-retry', ratingTurn + 5, digits('4'))).toEqual(first);
      expect((await ratingsOf('CA-retry')).map((r) => r.score)).toEqual([2]);
      expect((await h.calls.find('CA-retry'))!.turn).toBe(ratingTurn + 1);
    });

    it('a retry of the latest turn applies its effects again: the instance that saved it may have died before keeping the rating', async () => {
      class DyingRatings extends RatingsRepository {
        override async save(): Promise<void> {
          throw new Error('instance died');
        }
      }
      const dying = new CallTurns({ ...h.deps, ratings: new DyingRatings(store) });
      const c = call('CA-die', 'caller-1');
      await c.start();
      await c.answer(...TO_FIRST_HEALTH_RATING);
      const t = c.turn;
      await expect(dying.resume('CA-die', t, digits('4'))).rejects.toThrow('instance died');
      expect(await ratingsOf('CA-die')).toEqual([]);
      // The carrier retries on another instance: the saved turn is answered and its rating kept.
      const other = harness(store, now);
      const retry = await other.turns.resume('CA-die', t, digits('1'));
      expect(heard(retry)).toEqual(['scale.4', `indicator.health.${HEALTH[1]}`, 'rate.scale.short']);
      expect((await ratingsOf('CA-die')).map((r) => r.score)).toEqual([4]);
    });

    it('a retried first request applies the first turn\'s effects again', async () => {
      const startEffects = harness(store, now);
      // A call whose first turn left an effect (written as the carrier's retry would find it).
      await call('CA-first', 'caller-1').start();
      await store.collection('calls').updateOne({ _id: 'CA-first' }, { $set: { lastEffects: [{ type: 'remember-commune', communeCode: '120101' }] } });
      await call('CA-first', 'caller-1', startEffects.turns).start();
      expect((await h.callers.find('caller-1'))!.lastCommune).toBe('120101');
    });

    it('two copies of a rating turn at once: the one that wins decides, and the other answers with it', async () => {
      const hooked = new HookedCalls(store);
      const a = harness(store, now, { calls: hooked });
      const b = harness(store, now);
      const c = call('CA-race', 'caller-1', a.turns);
      await c.start();
      await c.answer(...TO_FIRST_HEALTH_RATING);
      const t = c.turn;
      let winner: LastTurn | null = null;
      hooked.beforeAdvance = async () => {
        winner = await b.turns.resume('CA-race', t, digits('5'));
      };
      const loser = await a.turns.resume('CA-race', t, digits('1'));
      expect(heard(winner)![0]).toBe('scale.5');
      expect(loser).toEqual(winner);
      expect((await ratingsOf('CA-race')).map((r) => r.score)).toEqual([5]);
      expect((await h.calls.find('CA-race'))!.turn).toBe(t + 1);
    });

    it('two copies at once, and the winner dies before keeping its rating: the losing copy keeps the winner\'s', async () => {
      class DyingRatings extends RatingsRepository {
        override async save(): Promise<void> {
          throw new Error('instance died');
        }
      }
      const hooked = new HookedCalls(store);
      const a = harness(store, now, { calls: hooked });
      const dying = new CallTurns({ ...harness(store, now).deps, ratings: new DyingRatings(store) });
      const c = call('CA-race-die', 'caller-1', a.turns);
      await c.start();
      await c.answer(...TO_FIRST_HEALTH_RATING);
      const t = c.turn;
      hooked.beforeAdvance = async () => {
        await expect(dying.resume('CA-race-die', t, digits('5'))).rejects.toThrow('instance died');
      };
      const answer = await a.turns.resume('CA-race-die', t, digits('1'));
      expect(heard(answer)![0]).toBe('scale.5');
      expect((await ratingsOf('CA-race-die')).map((r) => r.score)).toEqual([5]);
    });

    it('a flow mistake mid-call takes the caller to the main menu and is logged; the call goes on', async () => {
      const broken = harness(store, now, { context: { indicators: (s) => (s === 'school' ? [] : SERVICES[s] ?? []) } });
      const c = call('CA-mistake', 'caller-1', broken.turns);
      await c.start();
      await c.answer('1', '2', '120101', '1', '3');
      const last = await c.answer('1');
      expect(heard(last)).toEqual(['main.menu']);
      expect(last!.output.end.type).toBe('gather');
      expect(broken.logs.join('')).toMatch(/"callSid":"CA-mistake".*flow error; caller returned to the main menu/);
      expect(heard(await c.answer('2'))![0]).toBe('rate.commune.last');
    });

    it('any other failure is not hidden as a flow mistake', async () => {
      const failing = harness(store, now, { context: { indicators: (s) => { if (s === 'school') throw new Error('disk gone'); return SERVICES[s] ?? []; } } });
      const c = call('CA-fail', 'caller-1', failing.turns);
      await c.start();
      await c.answer('1', '2', '120101', '1', '3');
      await expect(failing.turns.resume('CA-fail', c.turn, digits('1'))).rejects.toThrow('disk gone');
    });
  });

  describe('voice messages', () => {
    it('a message gets a reference number once recorded, and is sent with it where and when the caller pressed send', async () => {
      const c = call('CA-msg', 'caller-1');
      await c.start();
      await c.answer(...TO_MESSAGE);
      expect(heard(c.last)).toEqual(['message.intro']);
      expect(h.sinks.of('newReferenceNumber')).toHaveLength(0);
      await c.answer(recording('RE1'));
      expect(h.sinks.of('newReferenceNumber')).toHaveLength(1);
      expect(h.sinks.of('saveFromCall')).toHaveLength(0);
      clock += 3000;
      await c.answer('1');
      expect(h.sinks.of('saveFromCall')).toEqual([[{
        callSid: 'CA-msg', communeCode: '120101', service: 'health', language: 'km', at: new Date(T0 + 3000),
        recording: { recordingSid: 'RE1', recordingUrl: 'https://carrier.example/RE1', durationSeconds: 6, referenceNumber: '1001' },
      }]]);
      expect(heard(c.last)).toEqual(expect.arrayContaining(['message.saved', 'digit.1', 'digit.0']));
    });

    it('a recording that already carries its number, or a silent one, takes no new number', async () => {
      const c = call('CA-msg2', 'caller-1');
      await c.start();
      await c.answer(...TO_MESSAGE);
      await c.answer(recording('RE0', { silent: true }));
      expect(h.sinks.of('newReferenceNumber')).toHaveLength(0);
      await h.turns.resume('CA-msg2', c.turn, recording('RE1', { referenceNumber: '777' }));
      expect(h.sinks.of('newReferenceNumber')).toHaveLength(0);
    });

    it('the facility chosen is sent with the message', async () => {
      const withFacilities = harness(store, now, { context: { facilities: (_c, s) => (s === 'health' ? ['fac-a', 'fac-b'] : []) } });
      const c = call('CA-msg-fac', 'caller-1', withFacilities.turns);
      await c.start();
      await c.answer(...TO_MESSAGE);
      expect(heard(c.last)![0]).toBe('rate.facility.menu'); // the flow's facility question, shared with rating
      await c.answer('1', recording('RE1'), '1');
      expect(withFacilities.sinks.of('saveFromCall')).toEqual([[expect.objectContaining({ communeCode: '120101', service: 'health', facilityId: 'fac-a' })]]);
    });

    it('recording again discards the first take', async () => {
      const c = call('CA-again', 'caller-1');
      await c.start();
      await c.answer(...TO_MESSAGE, recording('RE1'));
      clock += 1000;
      await c.answer('2');
      expect(h.sinks.of('discardFromCall')).toEqual([['CA-again', 'RE1', new Date(T0 + 1000)]]);
      await c.answer(recording('RE2'), '1');
      expect(h.sinks.of('saveFromCall').map(([m]) => (m as { recording: { recordingSid: string } }).recording.recordingSid)).toEqual(['RE2']);
    });

    it('asking for the answer to be called back passes the number the carrier posted, and is logged', async () => {
      const c = call('CA-optin', 'caller-1');
      await c.start();
      await c.answer(...TO_MESSAGE, recording('RE1'), '1', '1');
      expect(h.sinks.of('optIn')).toEqual([[{ messageId: 'RE1', callerId: 'caller-1', party: PARTY, language: 'km' }]]);
      expect(h.logs.join('')).toMatch(/"callSid":"CA-optin","messageId":"RE1","outcome":"queued".*answer call requested/);
    });

    it('without answer calls (no outbound calling) the opt-in is logged as off', async () => {
      const off = harness(store, now, { answerCalls: false });
      const c = call('CA-off', 'caller-1', off.turns);
      await c.start();
      await c.answer(...TO_MESSAGE, recording('RE1'), '1', '1');
      expect(off.sinks.of('optIn')).toEqual([]);
      expect(off.logs.join('')).toMatch(/"outcome":"off".*answer call requested/);
    });
  });

  describe('a place said instead of a code', () => {
    /** No province has all its names recorded: * at the code lets the caller say the place. */
    const saying = () => harness(store, now, { context: { places: () => [] } });

    it('is kept for staff to confirm, and the rating waits for it', async () => {
      const s = saying();
      const c = call('CA-say', 'caller-1', s.turns);
      await c.start();
      await c.answer('1', '2', '*');
      expect(heard(c.last)).toEqual(['rate.place.say']);
      clock += 1000;
      await c.answer(recording('REplace'));
      expect(s.sinks.of('newReferenceNumber')).toEqual([]);
      expect(s.sinks.of('keepPlaceRecording')).toEqual([['CA-say', 'REplace', 'km', new Date(T0 + 1000)]]);
      expect(await store.collection('places_to_confirm').find({})).toEqual([
        { _id: 'REplace', callSid: 'CA-say', purpose: 'rate', language: 'km', state: 'to-confirm', createdAt: new Date(T0 + 1000) },
      ]);
      await c.answer('2', '1', '3');
      expect(await ratingsOf('CA-say')).toEqual([expect.objectContaining({ communeCode: '', districtCode: '', provinceCode: '', spokenPlaceId: 'REplace', placeToConfirm: true, score: 3 })]);
    });

    it('once staff confirmed it, a rating or message given after is kept in that commune', async () => {
      const s = saying();
      const c = call('CA-conf', 'caller-1', s.turns);
      await c.start();
      await c.answer('1', '2', '*', recording('REplace'));
      expect(await s.places.confirm('REplace', '120101', 'dara', new Date(clock))).toBe(true);
      await c.answer('2', '1', '3');
      const [r] = await ratingsOf('CA-conf');
      expect(r).toMatchObject({ communeCode: '120101', districtCode: '1201', provinceCode: '12', spokenPlaceId: 'REplace', score: 3 });
      expect(r.placeToConfirm).toBeUndefined();
      const m = call('CA-conf-msg', 'caller-2', s.turns);
      await m.start();
      await m.answer('1', '3', '*', recording('REplace2'));
      await m.answer('2', recording('REmsg'), '1');
      expect(s.sinks.of('saveFromCall')).toEqual([[expect.objectContaining({ communeCode: '', spokenPlaceId: 'REplace2', service: 'health' })]]);
      await s.places.confirm('REplace2', '120102', 'dara', new Date(clock));
      // The carrier retries the send: the message now goes to the confirmed commune.
      await s.turns.resume('CA-conf-msg', m.turn - 1, digits('1'));
      expect(s.sinks.of('saveFromCall')[1]).toEqual([expect.objectContaining({ communeCode: '120102', spokenPlaceId: 'REplace2' })]);
    });

    it('on a staff test call the place is marked as a test', async () => {
      const s = saying();
      const c = call('CAtestline-0001', 'caller-1', s.turns);
      await c.start();
      await c.answer('1', '2', '*', recording('REtest'));
      expect(await store.collection('places_to_confirm').findOne({ _id: 'REtest' })).toMatchObject({ testCall: true });
    });
  });

  it('without a clock given, the time is the real time', async () => {
    const { now: _given, ...deps } = h.deps;
    const before = Date.now();
    await new CallTurns(deps).start('CA-real-time', 'caller-1');
    const startedAt = new Date((await h.calls.find('CA-real-time'))!.startedAt).getTime();
    expect(startedAt).toBeGreaterThanOrEqual(before);
    expect(startedAt).toBeLessThanOrEqual(Date.now());
  });

  it('ratings keep the rated time of the turn, not of a later retry', async () => {
    const c = call('CA-time', 'caller-1');
    await c.start();
    await c.answer(...TO_FIRST_HEALTH_RATING);
    const t = c.turn;
    clock += 1000;
    await c.answer('3');
    clock += 60_000;
    await h.turns.resume('CA-time', t, digits('3'));
    const [r]: Rating[] = await ratingsOf('CA-time');
    expect(r.ratedAt).toEqual(new Date(T0 + 1000));
    const state: FlowState = (await h.calls.find('CA-time'))!.flow;
    expect(state.node).toBe('rate.indicators');
  });
});
