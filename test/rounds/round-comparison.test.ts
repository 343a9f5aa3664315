import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { Rating } from '../../src/store/ratings';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Store } from '../../src/store/store';
import { RoundRegister } from '../../src/rounds/round-register';
import { roundComparison } from '../../src/rounds/round-comparison';
import { proposedIndicatorKey, resultId, RoundResult, roundId, ScorecardRound } from '../../src/rounds/scorecard-round';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';
import { rating, storeRatings } from '../reports/rating-fixture';
import { seedMessage } from '../staff/staff-support';

const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const AT = new Date('2026-04-20T03:00:00Z');
const COMMUNE = '080101';
const FACILITY = 'hc-ampov-prey';
const IN_PERIOD = '2026-02-03T03:00:00Z';
/** The phone period's end, 2026-04-01 00:00 in Cambodia: not counted. */
const AT_END = '2026-03-31T17:00:00Z';

function aRound(over: Partial<ScorecardRound> = {}): ScorecardRound {
  return {
    _id: roundId(COMMUNE, over.facilityId ?? 'health', 2026), communeCode: COMMUNE, districtCode: '0801', provinceCode: '08', service: 'health', year: 2026,
    plannedOn: '2026-04-01', phoneFrom: '2026-01-01', phoneTo: '2026-04-01', state: 'open', history: [], createdAt: AT, createdBy: 'admin1', ...over,
  };
}

function aResult(round: string, channel: RoundResult['channel'], indicatorKey: string, counts: RoundResult['counts'], over: Partial<RoundResult> = {}): RoundResult {
  return {
    _id: resultId(round, channel, indicatorKey), roundId: round, channel, indicatorKey, counts, strengths: [], weaknesses: [], suggestedActions: [], priorityActions: [],
    source: 'desk', enteredBy: 'admin1', enteredAt: AT, ...over,
  };
}

/**
 * Health ratings of 080101 in Q1 2026, worked out by hand:
 * - waiting-time: ten callers k1..k10 at the Ampov Prey health centre give 5,5,4,4,4,3,3,2,1,5:
 *   counts [1,1,2,3,3], median (4+4)/2 = 4; k11's rating at the period's end is not counted.
 * - medicines: three callers m1..m3: fewer than 5, withheld ("too few").
 * - staff-attitude: six callers s1..s6 rate 3. With medicines withheld and the service total
 *   shown, the next-smallest indicator (staff-attitude, 6 callers) is withheld with it, so that
 *   medicines cannot be worked out by subtraction.
 */
function ratings(): Rating[] {
  const atHealthCentre = { facilityId: FACILITY };
  return [
    ...[5, 5, 4, 4, 4, 3, 3, 2, 1, 5].map((score, k) => rating(`k${k + 1}`, COMMUNE, 'waiting-time', score, IN_PERIOD, {}, atHealthCentre)),
    rating('k11', COMMUNE, 'waiting-time', 1, AT_END, {}, atHealthCentre),
    ...[1, 2, 3].map((k) => rating(`m${k}`, COMMUNE, 'medicines', 1, IN_PERIOD)),
    ...[1, 2, 3, 4, 5, 6].map((k) => rating(`s${k}`, COMMUNE, 'staff-attitude', 3, IN_PERIOD)),
  ];
}

describe(`a scorecard round's channels side by side (${ENGINE} store)`, () => {
  let store: Store;
  let register: RoundRegister;
  const deps = () => ({ store, scorecard, gazetteer });
  beforeEach(async () => {
    store = await openTestStore();
    register = new RoundRegister(store);
    await storeRatings(store, ratings());
    const inPeriod = new Date(IN_PERIOD);
    await seedMessage(store, { communeCode: COMMUNE, service: 'health', audio: null, createdAt: inPeriod });
    await seedMessage(store, { communeCode: COMMUNE, service: 'health', audio: null, createdAt: inPeriod, facilityId: FACILITY });
    await seedMessage(store, { communeCode: COMMUNE, service: 'health', audio: null, createdAt: inPeriod, state: 'resolved' });
    // Not about the round: at the period's end, another service, another commune, a recording the caller replaced, a test call.
    await seedMessage(store, { communeCode: COMMUNE, service: 'health', audio: null, createdAt: new Date(AT_END) });
    await seedMessage(store, { communeCode: COMMUNE, service: 'school', audio: null, createdAt: inPeriod });
    await seedMessage(store, { communeCode: '080102', service: 'health', audio: null, createdAt: inPeriod });
    await seedMessage(store, { communeCode: COMMUNE, service: 'health', audio: null, createdAt: inPeriod, callerChoice: 'discarded' });
    await seedMessage(store, { communeCode: COMMUNE, service: 'health', audio: null, createdAt: inPeriod, testCall: true });
  });
  afterEach(() => closeTestStore(store));

  test('phone, meeting and self-assessment stay in their own columns, with the gaps to the self-assessment and the meeting\'s words', async () => {
    const round = aRound();
    await register.addRound(round);
    await register.saveResult(aResult(round._id, 'meeting', 'waiting-time', [0, 2, 3, 4, 1], {
      strengths: ['Nurses explain the treatment'], weaknesses: ['Nobody at lunchtime'], suggestedActions: ['A duty roster on the door', 'A bench in the shade'], priorityActions: ['A duty roster on the door'],
    }));
    await register.saveResult(aResult(round._id, 'self-assessment', 'waiting-time', [0, 0, 0, 1, 2]));
    await register.saveResult(aResult(round._id, 'self-assessment', 'medicines', [0, 0, 0, 0, 3], { source: 'phone-pin' }));
    const proposed = proposedIndicatorKey('Clean toilets for women');
    await register.saveResult(aResult(round._id, 'meeting', proposed, [3, 1, 0, 0, 0], { indicatorName: 'Clean toilets for women' }));
    // Another round's result never leaks in.
    await register.saveResult(aResult(roundId(COMMUNE, 'health', 2025), 'meeting', 'medicines', [5, 0, 0, 0, 0]));

    const c = await roundComparison(deps(), round);
    expect(c.indicators.map((i) => i.key)).toEqual(['staff-attitude', 'waiting-time', 'medicines', 'cleanliness', 'fee-transparency', 'open-24h', proposed]);
    const row = (key: string) => c.indicators.find((i) => i.key === key)!;

    // Phone: the reports' own figure; the meeting's 10 participants are not added to the 10 callers.
    expect(row('waiting-time').phone).toMatchObject({ status: 'shown', callers: 10, answers: 10, counts: [1, 1, 2, 3, 3], median: 4 });
    // Meeting [0,2,3,4,1]: 2,2,3,3,3,4,4,4,4,5 -> median 3.5; self-assessment 4,5,5 -> 5.
    expect(row('waiting-time').meeting).toEqual({ counts: [0, 2, 3, 4, 1], participants: 10, median: 3.5, mean: 3.4, source: 'desk' });
    expect(row('waiting-time').selfAssessment).toMatchObject({ participants: 3, median: 5 });
    expect(row('waiting-time')).toMatchObject({ meetingGap: -1.5, phoneGap: -1, priorityActions: ['A duty roster on the door'], suggestedActions: ['A duty roster on the door', 'A bench in the shade'], strengths: ['Nurses explain the treatment'], weaknesses: ['Nobody at lunchtime'] });

    // Three medicines callers: withheld, whatever the providers say; no gap is worked out from it.
    expect(row('medicines').phone).toEqual({ status: 'too-few', withheld: true, callers: null, answers: null, median: null, mean: null, counts: null, satisfiedShare: null });
    expect(row('medicines')).toMatchObject({ meeting: null, meetingGap: null, phoneGap: null, selfAssessment: { median: 5, source: 'phone-pin' } });
    // Staff attitude protects it (the commune report withholds the same).
    expect(row('staff-attitude').phone).toMatchObject({ status: 'protects-another', withheld: true, median: null });
    expect(row('cleanliness').phone).toMatchObject({ status: 'no-ratings', callers: 0 });
    expect(row(proposed)).toMatchObject({ proposedWords: 'Clean toilets for women', phone: null, meeting: { median: 1, participants: 4 }, selfAssessment: null, meetingGap: null });

    expect(c.phoneAll).toMatchObject({ status: 'shown', callers: 19, answers: 19 });
    expect(c.minCallers).toBe(5);
    expect(c.messages).toEqual({ new: 2, 'in-review': 0, forwarded: 0, resolved: 1, dismissed: 0, total: 3 });
  });

  test('a round of one facility counts the ratings and messages that name it, from its commune', async () => {
    const round = aRound({ facilityId: FACILITY });
    await register.addRound(round);
    const c = await roundComparison(deps(), round);
    const row = (key: string) => c.indicators.find((i) => i.key === key)!;
    expect(row('waiting-time').phone).toMatchObject({ status: 'shown', callers: 10, median: 4 });
    expect(row('medicines').phone).toMatchObject({ status: 'no-ratings', callers: 0 });
    expect(row('staff-attitude').phone).toMatchObject({ status: 'no-ratings' });
    expect(c.messages).toMatchObject({ new: 1, total: 1 });
  });

  test('a period with no ratings and no messages gives empty phone columns, not an error', async () => {
    const round = aRound({ phoneFrom: '2024-01-01', phoneTo: '2024-07-01' });
    await register.addRound(round);
    const c = await roundComparison(deps(), round);
    expect(c.indicators.every((i) => i.phone?.status === 'no-ratings')).toBe(true);
    expect(c.messages.total).toBe(0);
  });
});
