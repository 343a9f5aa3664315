import { reportingYear } from '../../src/calls/call-turns';
import { roundId, ScorecardRound } from '../../src/rounds/scorecard-round';
import { parseScript } from '../../src/simulator/call-simulator';
import { AuditEntry } from '../../src/staff/audit-log';
import { callerIdFor } from '../../src/store/callers';
import { CallRecord } from '../../src/store/calls';
import { CountersRepository } from '../../src/store/counters';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

const HEALTH_INDICATORS = 6;

function aRound(year: number, state: ScorecardRound['state'] = 'open'): ScorecardRound {
  return {
    _id: roundId('120101', 'health', year), communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', year,
    phoneFrom: `${year}-01-01`, phoneTo: `${year + 1}-01-01`, state, history: [], createdAt: new Date(), createdBy: 'admin',
  };
}

describe(`a service provider self-assesses by phone with a PIN (${ENGINE} store)`, () => {
  let h: TestHotline;
  let number: string;
  let pin: string;
  const year = reportingYear(new Date());
  const round = roundId('120101', 'health', year);

  beforeEach(async () => {
    h = await startHotline();
    ({ providerNumber: number, pin } = await h.rt.providerPins.setPin({ communeCode: '120101', service: 'health' }, 'health', 'admin', new Date(), new CountersRepository(h.store)));
  });
  afterEach(async () => {
    await h.stop();
  });

  const counts = async () => Object.fromEntries((await h.rt.rounds.resultsOf(round, 'self-assessment')).map((r) => [r.indicatorKey, r.counts]));
  const wrongPin = () => (pin[0] === '9' ? '1' : '9') + pin.slice(1);

  it('with the right number and PIN and an open round, the provider scores every indicator and the round\'s self-assessment counts them; the rating figures get nothing', async () => {
    await h.rt.rounds.addRound(aRound(year));
    const t = await h.call(parseScript(`1,#,${number},${pin},4,5,3,4,2,5,hangup`), { from: '+85512888001' });
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    expect(heard).toContain('provider.intro');
    expect(heard.slice(heard.indexOf('provider.pin.accepted'), heard.indexOf('provider.pin.accepted') + 4))
      .toEqual(['provider.pin.accepted', 'rate.service.chosen.health', 'provider.rate.intro', 'indicator.health.staff-attitude']);
    expect(heard).toContain('provider.thanks');
    expect(heard[heard.length - 1]).toBe('main.menu');
    expect(await counts()).toEqual({
      'staff-attitude': [0, 0, 0, 1, 0], 'waiting-time': [0, 0, 0, 0, 1], medicines: [0, 0, 1, 0, 0],
      cleanliness: [0, 0, 0, 1, 0], 'fee-transparency': [0, 1, 0, 0, 0], 'open-24h': [0, 0, 0, 0, 1],
    });
    const [result] = await h.rt.rounds.resultsOf(round, 'self-assessment');
    expect(result).toMatchObject({ source: 'phone-pin', channel: 'self-assessment' });
    expect(await h.rt.ratings.forCall(t.callSid)).toEqual([]);
    // The phone is kept as its keyed hash only; the PIN nowhere in the call's record.
    const [answers] = await h.rt.selfAssessments.forRound(round);
    expect(answers.callerId).toBe(callerIdFor('+85512888001', 'test-caller-secret'));
    expect(JSON.stringify(await h.store.collection<CallRecord>('calls').findOne({ _id: t.callSid }))).not.toContain(pin);
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'provider-pin-accepted' });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(pin);
  });

  it('two providers count as two; the same phone calling again replaces its earlier answers instead of adding', async () => {
    await h.rt.rounds.addRound(aRound(year));
    await h.call(parseScript(`1,#,${number},${pin},4,5,3,4,2,5,hangup`), { from: '+85512888002' });
    await h.call(parseScript(`1,#,${number},${pin},2,2,2,2,2,2,hangup`), { from: '+85512888003' });
    expect((await counts())['staff-attitude']).toEqual([0, 1, 0, 1, 0]);
    // The first provider again: its 4 becomes a 1.
    await h.call(parseScript(`#,${number},${pin},1,1,1,1,1,1,hangup`), { from: '+85512888002' });
    expect((await counts())['staff-attitude']).toEqual([1, 1, 0, 0, 0]);
    expect(await h.rt.selfAssessments.forRound(round)).toHaveLength(2);
  });

  it('a provider who hangs up half-way keeps the answers given; calling again later replaces them, the unanswered ones too', async () => {
    await h.rt.rounds.addRound(aRound(year));
    await h.call(parseScript(`1,#,${number},${pin},4,5,hangup`), { from: '+85512888004' });
    expect(await counts()).toEqual({ 'staff-attitude': [0, 0, 0, 1, 0], 'waiting-time': [0, 0, 0, 0, 1] });
    await h.call(parseScript(`#,${number},${pin},3,hangup`), { from: '+85512888004' });
    expect(await counts()).toEqual({ 'staff-attitude': [0, 0, 1, 0, 0] });
  });

  it('phone answers are added to a self-assessment the desk entered, and a repeat call does not add twice', async () => {
    await h.rt.rounds.addRound(aRound(year));
    await h.rt.rounds.saveResult({
      _id: `${round}:self-assessment:staff-attitude`, roundId: round, channel: 'self-assessment', indicatorKey: 'staff-attitude', counts: [0, 0, 2, 3, 0],
      strengths: ['friendly'], weaknesses: [], suggestedActions: [], priorityActions: [], source: 'desk', enteredBy: 'admin', enteredAt: new Date(),
    });
    await h.call(parseScript(`1,#,${number},${pin},5,hangup`), { from: '+85512888005' });
    await h.call(parseScript(`#,${number},${pin},4,hangup`), { from: '+85512888005' });
    const [r] = await h.rt.rounds.resultsOf(round, 'self-assessment');
    expect(r).toMatchObject({ counts: [0, 0, 2, 4, 0], phoneCounts: [0, 0, 0, 1, 0], strengths: ['friendly'] });
  });

  it('a wrong PIN and an unknown number get the same words; after 5 wrong tries the phone is locked out, even with the right PIN, and it is audited', async () => {
    await h.rt.rounds.addRound(aRound(year));
    const from = '+85512888006';
    const t = await h.call(parseScript(`1,#,${number},${wrongPin()},99999,${pin},${number},${wrongPin()},${number},${wrongPin()},${number},${wrongPin()},hangup`), { from });
    const heard = ids(t);
    expect(heard.filter((id) => id === 'provider.pin.wrong')).toHaveLength(4);
    expect(heard.filter((id) => id === 'provider.pin.locked')).toHaveLength(1);
    expect(heard[heard.length - 1]).toBe('main.menu');
    // Locked: the right PIN is refused too, and the call goes on at the main menu.
    const again = await h.call(parseScript(`#,${number},${pin},hangup`), { from });
    expect(ids(again)).toContain('provider.pin.locked');
    expect(ids(again)).not.toContain('provider.pin.accepted');
    expect(await counts()).toEqual({});
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'provider-pin-locked' });
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(await h.store.collection('staff_audit').find({}))).not.toContain(pin);
  });

  it('the provider number is locked after 5 wrong tries from different phones, so another phone cannot go on guessing it', async () => {
    await h.rt.rounds.addRound(aRound(year));
    for (let i = 0; i < 5; i++) await h.call(parseScript(`1,#,${number},${wrongPin()},hangup`), { from: `+8551288810${i}` });
    const t = await h.call(parseScript(`1,#,${number},${pin},hangup`), { from: '+85512888110' });
    expect(ids(t)).toContain('provider.pin.locked');
  });

  it('with the right PIN but no open round this year, the provider hears so and the call goes on at the main menu', async () => {
    await h.rt.rounds.addRound(aRound(year, 'planned'));
    const t = await h.call(parseScript(`1,#,${number},${pin},2,hangup`), { from: '+85512888007' });
    const heard = ids(t);
    expect(heard.slice(heard.indexOf('provider.no.round'), heard.indexOf('provider.no.round') + 2)).toEqual(['provider.no.round', 'main.menu']);
    expect(heard).toContain('rate.commune.enter'); // 2 at the main menu: rating as any caller
    expect(await counts()).toEqual({});
  });

  it('a citizen who presses # by mistake hears what it is and goes back with 0; silence at the PIN asks again, never silence', async () => {
    const t = await h.call(parseScript('1,#,0,#,12345,silence,hangup'), { from: '+85512888008' });
    const heard = ids(t);
    expect(heard.slice(heard.indexOf('provider.intro'), heard.indexOf('provider.intro') + 3)).toEqual(['provider.intro', 'provider.number', 'main.menu']);
    expect(heard.slice(-3)).toEqual(['provider.pin', 'error.noinput', 'provider.pin']);
    expect(t.errors).toEqual([]);
  });

  it('a self-assessment question takes 1-5 only: 9 hears the provider\'s scale, * repeats the statement', async () => {
    await h.rt.rounds.addRound(aRound(year));
    const t = await h.call(parseScript(`1,#,${number},${pin},9,*,4,hangup`), { from: '+85512888009' });
    const heard = ids(t);
    expect(heard).toContain('provider.rate.invalid');
    expect(heard).not.toContain('rate.dontknow');
    expect(heard.filter((id) => id === 'indicator.health.staff-attitude')).toHaveLength(3);
    expect(await counts()).toEqual({ 'staff-attitude': [0, 0, 0, 1, 0] });
  });
});
