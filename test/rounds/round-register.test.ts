import { ConflictError } from '../../src/errors';
import { RoundRegister } from '../../src/rounds/round-register';
import { changedRoundState, checkedCounts, defaultPhonePeriod, proposedIndicatorKey, resultId, RoundResult, roundId, ScorecardRound } from '../../src/rounds/scorecard-round';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

const AT = new Date('2026-03-01T03:00:00Z');

function aRound(over: Partial<ScorecardRound> = {}): ScorecardRound {
  return {
    _id: roundId('120101', 'health', 2026), communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', year: 2026,
    plannedOn: '2026-05-10', ...defaultPhonePeriod(2026, '2026-05-10'), state: 'planned', history: [], createdAt: AT, createdBy: 'admin1', ...over,
  };
}

function aResult(round: string, over: Partial<RoundResult> = {}): RoundResult {
  const base = { roundId: round, channel: 'meeting' as const, indicatorKey: 'opening-hours', ...over };
  return {
    _id: resultId(base.roundId, base.channel, base.indicatorKey), counts: [1, 2, 3, 4, 5], strengths: [], weaknesses: [], suggestedActions: [], priorityActions: [],
    source: 'desk', enteredBy: 'admin1', enteredAt: AT, ...base,
  };
}

describe('scorecard rounds: the model', () => {
  test('a round moves planned → open → in review → completed, one step back for corrections, never a jump', () => {
    let r: Pick<ScorecardRound, 'state' | 'history'> = { state: 'planned', history: [] };
    for (const state of ['open', 'in-review', 'completed'] as const) r = changedRoundState(r, { state, at: AT, by: 'a' });
    expect(r.history.map((h) => h.state)).toEqual(['open', 'in-review', 'completed']);
    expect(changedRoundState(r, { state: 'in-review', at: AT, by: 'a' }).state).toBe('in-review');
    expect(() => changedRoundState({ state: 'planned', history: [] }, { state: 'completed', at: AT, by: 'a' })).toThrow('a round that is planned cannot become completed');
  });

  test('the phone period is the year before the meeting, or the calendar year when no day is set', () => {
    expect(defaultPhonePeriod(2026, '2026-05-10')).toEqual({ phoneFrom: '2025-05-10', phoneTo: '2026-05-10' });
    expect(defaultPhonePeriod(2026)).toEqual({ phoneFrom: '2026-01-01', phoneTo: '2027-01-01' });
  });

  test('counts are five whole numbers with somebody scoring; a proposed indicator is keyed by its words', () => {
    expect(checkedCounts([0, 0, 3, 0, 2])).toEqual([0, 0, 3, 0, 2]);
    expect(() => checkedCounts([0, 0, 0, 0, 0])).toThrow('at least one participant');
    expect(() => checkedCounts([1, 2, 3, 4])).toThrow('five whole numbers');
    expect(() => checkedCounts([1, 2, 3, 4, 1.5])).toThrow('five whole numbers');
    expect(proposedIndicatorKey('  Clean toilets, for girls! ')).toBe('proposed:clean-toilets-for-girls');
    expect(proposedIndicatorKey('បង្គន់ស្អាត')).toBe('proposed:បង្គន់ស្អាត');
  });
});

describe(`scorecard rounds in the store (${ENGINE} store)`, () => {
  let store: Store;
  let register: RoundRegister;
  beforeEach(async () => {
    store = await openTestStore();
    register = new RoundRegister(store);
  });
  afterEach(() => closeTestStore(store));

  test('one round per commune, service and year; listed by year and area', async () => {
    await register.addRound(aRound());
    await expect(register.addRound(aRound())).rejects.toThrow(ConflictError);
    await register.addRound(aRound({ _id: roundId('120102', 'school', 2025), communeCode: '120102', service: 'school', year: 2025 }));
    await register.addRound(aRound({ _id: roundId('020101', 'health', 2026), communeCode: '020101', districtCode: '0201', provinceCode: '02' }));
    expect((await register.list()).map((r) => r._id)).toEqual(['020101-health-2026', '120101-health-2026', '120102-school-2025']);
    expect((await register.list({ provinces: ['12'], year: 2026 })).map((r) => r._id)).toEqual(['120101-health-2026']);
  });

  test('a state change made from a stale state is refused, not applied over the other', async () => {
    await register.addRound(aRound());
    const opened = await register.setState('120101-health-2026', 'planned', { state: 'open', at: AT, by: 'rev1' });
    expect(opened).toMatchObject({ state: 'open', history: [{ state: 'open', by: 'rev1' }] });
    await expect(register.setState('120101-health-2026', 'planned', { state: 'open', at: AT, by: 'rev2' })).rejects.toThrow('someone changed it meanwhile');
    expect((await register.round('120101-health-2026'))?.history).toHaveLength(1);
  });

  test('a result is one per round, channel and indicator: saving again replaces it', async () => {
    await register.addRound(aRound());
    await register.saveResult(aResult('120101-health-2026'));
    await register.saveResult(aResult('120101-health-2026', { counts: [0, 0, 0, 1, 9] }));
    await register.saveResult(aResult('120101-health-2026', { channel: 'self-assessment', counts: [0, 0, 0, 0, 4] }));
    const all = await register.resultsOf('120101-health-2026');
    expect(all.map((r) => [r.channel, r.counts])).toEqual([['meeting', [0, 0, 0, 1, 9]], ['self-assessment', [0, 0, 0, 0, 4]]]);
    expect(await register.resultsOf('120101-health-2026', 'self-assessment')).toHaveLength(1);
  });
});
