import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { asReportPeriod, fixedPeriod, PublicationSetting } from '../../src/public/public-periods';
import { FigureGrid } from '../../src/reports/disclosure-control';
import { PublicAreaSnapshot, PublicResults } from '../../src/public/public-results';
import { ComposedYear, SnapshotBuilder, YearRatings } from '../../src/public/snapshot-builder';
import { SnapshotSchedule } from '../../src/public/snapshot-schedule';
import { runReportProcess } from '../../src/staff/report-runner';
import { RoundRegister } from '../../src/rounds/round-register';
import { defaultPhonePeriod, resultId, roundId } from '../../src/rounds/scorecard-round';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { rating, storeRatings } from '../reports/rating-fixture';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const AFTER_2026 = new Date('2027-01-10T00:00:00Z');

const many = (prefix: string, n: number, score: number, at: string) => Array.from({ length: n }, (_, k) => rating(`${prefix}${k}`, '010101', 'staff-attitude', score, at));
/** Marks each rating replaced by the same caller's next one of the same key, as the store does. */
function withRepeatMarks(docs: Rating[]): Rating[] {
  const byKey = new Map<string, Rating[]>();
  for (const d of docs) byKey.set(`${d.callerId}\t${d.communeCode}\t${d.indicatorId}`, [...(byKey.get(`${d.callerId}\t${d.communeCode}\t${d.indicatorId}`) ?? []), d]);
  for (const list of byKey.values()) {
    list.sort((a, b) => a.ratedAt.getTime() - b.ratedAt.getTime());
    for (let i = 0; i + 1 < list.length; i++) list[i].supersededAt = list[i + 1].ratedAt;
  }
  return docs;
}

function compose(docs: Rating[], setting: PublicationSetting = { publish: 'all' }, now = AFTER_2026) {
  const builder = new SnapshotBuilder({ store: {} as Store, publicResults: {} as PublicResults, scorecard, gazetteer, minCallers: 5, setting, now: () => now });
  const ratings = new YearRatings(2026, gazetteer);
  for (const d of docs) ratings.add(d);
  return builder.composeYear(2026, ratings).periods;
}
const area = (periods: Map<string, PublicAreaSnapshot[]>, periodId: string, level: string, code: string) => periods.get(periodId)?.find((a) => a.level === level && a.code === code);
const health = (a: PublicAreaSnapshot | undefined) => a?.services.find((s) => s.service === 'health');

describe('published snapshots of a year and its quarters (hand-computed)', () => {
  // Commune 010101 (district 0101, province 01), health staff-attitude:
  //   Q1: 6 callers, 5 rated 4 and 1 rated 2: 5 of 6 satisfied, 8 of 10.
  //   Q2: 7 callers, all rated 5: 10 of 10, up 2 since Q1.
  //   Q3: 3 callers (too few); the year would then be Q1 + Q2 + Q3, so the year is withheld.
  const base = () => [
    ...many('a', 5, 4, '2026-02-01T03:00:00Z'), ...many('b', 1, 2, '2026-02-01T03:00:00Z'),
    ...many('c', 7, 5, '2026-05-01T03:00:00Z'),
  ];

  it('shows each quarter of 5 callers or more with its share out of 10 and its change since the quarter before', () => {
    const periods = compose(withRepeatMarks(base()));
    expect([...periods.keys()]).toEqual(['2026', '2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
    const q1 = health(area(periods, '2026-Q1', 'commune', '010101'))!;
    expect(q1).toMatchObject({ status: 'shown', callers: 6, satisfiedShare: 0.8333, outOfTen: { tenths: 8 }, changeOutOfTen: null, widerView: null });
    const q2 = health(area(periods, '2026-Q2', 'commune', '010101'))!;
    expect(q2).toMatchObject({ status: 'shown', callers: 7, satisfiedShare: 1, outOfTen: { tenths: 10 }, changeOutOfTen: 2 });
    expect(q2.indicators.find((i) => i.id === 'staff-attitude')).toMatchObject({ status: 'shown', callers: 7 });
    // The year: 13 callers, shown (no quarter is withheld).
    expect(health(area(periods, '2026', 'commune', '010101'))).toMatchObject({ status: 'shown', callers: 13, satisfiedShare: 0.9231 });
    // Breadcrumbs and children: the commune sits under its district and province.
    expect(area(periods, '2026-Q1', 'commune', '010101')).toMatchObject({ parents: [{ level: 'province', code: '01' }, { level: 'district', code: '0101' }], children: [] });
    expect(area(periods, '2026-Q1', 'district', '0101')!.children).toEqual(['010101']);
    expect(area(periods, '2026-Q1', 'country', 'KH')!.children).toEqual(['01']);
  });

  it('withholds the year when a quarter of 1 to 4 callers could be worked out as the year minus the other quarters', () => {
    const periods = compose(withRepeatMarks([...base(), ...many('d', 3, 1, '2026-08-01T03:00:00Z')]));
    const q3 = health(area(periods, '2026-Q3', 'commune', '010101'))!;
    expect(q3).toMatchObject({ status: 'too-few', callers: null, outOfTen: null });
    expect(health(area(periods, '2026', 'commune', '010101'))).toMatchObject({ status: 'protects-another', callers: null, satisfiedShare: null });
    // Its district, province and country are the same ratings (one commune): withheld with it.
    expect(health(area(periods, '2026', 'country', 'KH'))!.status).toBe('protects-another');
    // The quarters that have enough callers stay shown.
    expect(health(area(periods, '2026-Q1', 'commune', '010101'))!.status).toBe('shown');
    expect(health(area(periods, '2026-Q2', 'commune', '010101'))!.status).toBe('shown');
  });

  it('withholds the year when the year minus its quarters would give away one caller\'s replaced rating', () => {
    // b0 rated 2 in Q1 and 5 in Q2: the year counts only the 5, so year - Q1 - Q2 = minus b0's 2.
    const periods = compose(withRepeatMarks([...base(), rating('b0', '010101', 'staff-attitude', 5, '2026-05-02T03:00:00Z')]));
    expect(health(area(periods, '2026-Q2', 'commune', '010101'))).toMatchObject({ callers: 8 });
    expect(health(area(periods, '2026', 'commune', '010101'))!.status).toBe('protects-another');
    // The year, withheld, must not be the sum of shown quarters either: one quarter is withheld too.
    const shownQuarters = ['2026-Q1', '2026-Q2'].filter((q) => health(area(periods, q, 'commune', '010101'))!.status === 'shown');
    expect(shownQuarters).toHaveLength(1);
  });

  it('suggests a wider view for a withheld figure: the year where a quarter is too few', () => {
    // Q3: 3 callers in 010101 and 7 in 010102 (same district): the district is shown in Q3.
    const docs = withRepeatMarks([
      ...base(), ...many('d', 3, 1, '2026-08-01T03:00:00Z'),
      ...Array.from({ length: 7 }, (_, k) => rating(`e${k}`, '010102', 'staff-attitude', 4, '2026-08-01T03:00:00Z')),
    ]);
    const periods = compose(docs);
    const q3 = health(area(periods, '2026-Q3', 'commune', '010101'))!;
    expect(q3.status).not.toBe('shown');
    expect(q3.widerView).not.toBeNull();
    expect(q3.widerView!.periodId).toMatch(/^2026/);
  });

  it('publishes from a date: only the periods starting on or after it, and no year whose first quarter is left out', () => {
    const periods = compose(withRepeatMarks(base()), { publish: 'from', from: '2026-04-01' });
    expect([...periods.keys()]).toEqual(['2026-Q2', '2026-Q3', '2026-Q4']);
    // The change since Q1 is not given: Q1 is not published.
    expect(health(area(periods, '2026-Q2', 'commune', '010101'))!.changeOutOfTen).toBeNull();
  });

  it('builds no quarter that has not started, and marks the running ones not final', () => {
    const periods = compose(withRepeatMarks(base()), { publish: 'all' }, new Date('2026-05-20T00:00:00Z'));
    expect([...periods.keys()]).toEqual(['2026', '2026-Q1', '2026-Q2']);
  });
});

describe(`building and storing published results (${ENGINE} store)`, () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store, withRepeatMarks([
      ...many('a', 5, 4, '2026-02-01T03:00:00Z'), ...many('b', 1, 2, '2026-02-01T03:00:00Z'),
      ...many('c', 7, 5, '2026-05-01T03:00:00Z'),
    ]));
  });
  afterAll(() => closeTestStore(store));

  const builderWith = (setting: PublicationSetting, now = AFTER_2026) =>
    new SnapshotBuilder({ store, publicResults: new PublicResults(store), scorecard, gazetteer, minCallers: 5, setting, now: () => now });

  it('stores the year and its quarters from one read of the ratings, final once they have ended, with figures equal to the staff report\'s', async () => {
    let reads = 0;
    const counting: Store = Object.create(store);
    counting.collection = <T extends { _id: string }>(name: string) => {
      const c = store.collection<T>(name);
      if (name !== 'ratings') return c;
      return Object.assign(Object.create(c), {
        forEach: (...args: Parameters<typeof c.forEach>) => { reads++; return c.forEach(...args); },
        find: (...args: Parameters<typeof c.find>) => { reads++; return c.find(...args); },
        aggregate: (...args: Parameters<typeof c.aggregate>) => { reads++; return c.aggregate(...args); },
        aggregateEach: (...args: Parameters<typeof c.aggregateEach>) => { reads++; return c.aggregateEach(...args); },
      });
    };
    const results = new PublicResults(store);
    const builder = new SnapshotBuilder({ store: counting, publicResults: results, scorecard, gazetteer, minCallers: 5, setting: { publish: 'from', from: '2026-01-01' }, now: () => AFTER_2026 });
    const built = await builder.buildYear(2026);
    expect(reads).toBe(1);
    expect(built.periods).toEqual(['2026', '2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
    const periods = await results.periods();
    expect(periods.map((p) => [p.id, p.final])).toEqual(expect.arrayContaining([['2026', true], ['2026-Q1', true], ['2026-Q2', true]]));
    const q1 = await results.area('2026-Q1', 'commune', '010101');
    expect(health(q1 ?? undefined)).toMatchObject({ status: 'shown', callers: 6, satisfiedShare: 0.8333 });
    // The staff report's engine, counting the quarter on its own, gives the same figures.
    for (const id of ['2026-Q1', '2026-Q2', '2026'] as const) {
      const staff = await FigureGrid.count(store, asReportPeriod(fixedPeriod(id)!), { scorecard, gazetteer });
      for (const level of ['commune', 'country'] as const) {
        const code = level === 'commune' ? '010101' : 'KH';
        const published = health((await results.area(id, level, code)) ?? undefined)!;
        expect([published.status, published.callers, published.satisfiedShare]).toEqual([staff.figures(level, code, 'health').status, staff.figures(level, code, 'health').callers, staff.figures(level, code, 'health').satisfiedShare]);
      }
    }
  });

  it('removes every stored period and its areas when the setting publishes nothing, and the daily run builds nothing', async () => {
    await builderWith({ publish: 'all' }).buildDue();
    const results = new PublicResults(store);
    expect((await results.periods()).length).toBeGreaterThan(0);
    const off = builderWith({ publish: 'off' });
    await off.buildDue();
    expect(await results.periods()).toEqual([]);
    expect(await store.collection('public_snapshots').countDocuments({})).toBe(0);
  });

  it('publishes a period only once it has ended: the running quarter is never stored, and a year is built again only when one of its periods ends', async () => {
    const builder = builderWith({ publish: 'from', from: '2026-01-01' });
    // 2027 has begun (its first quarter runs): counted, never stored; 2026 has ended and is built final once.
    expect((await builder.buildDue()).map((b) => [b.year, b.periods])).toEqual([[2026, ['2026', '2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']]]);
    expect((await builder.buildDue()).map((b) => b.year)).toEqual([]);
    const results = new PublicResults(store);
    expect((await results.periods()).map((p) => [p.id, p.final]).filter(([id]) => String(id).startsWith('2027'))).toEqual([]);
    // Once 2027's first quarter has ended, it is published (and 2027 as a year still is not).
    const inQ2 = builderWith({ publish: 'from', from: '2026-01-01' }, new Date('2027-04-02T03:00:00Z'));
    expect((await inQ2.buildDue()).map((b) => [b.year, b.periods])).toEqual([[2027, ['2027-Q1']]]);
    expect((await results.periods()).filter((p) => p.id.startsWith('2027')).map((p) => [p.id, p.final])).toEqual([['2027-Q1', true]]);
  });

  it('is built by one instance a day: a second instance finds today claimed and builds nothing', async () => {
    const setting: PublicationSetting = { publish: 'from', from: '2026-01-01' };
    const day = () => new Date('2027-01-10T03:00:00Z');
    const first = new SnapshotSchedule(store, builderWith(setting), setting, undefined, day);
    const second = new SnapshotSchedule(store, builderWith(setting), setting, undefined, day);
    const [a, b] = await Promise.all([first.runIfDue(), second.runIfDue()]);
    expect([a, b].filter((r) => r === null)).toHaveLength(1);
  });

  it('computes a year in the report process (off the webhooks\' event loop) with the same snapshots as here', async () => {
    const setting: PublicationSetting = { publish: 'all' };
    const here = await builderWith(setting).computeYear(2026, new Map());
    const job = { kind: 'public-year' as const, year: 2026, setting, now: AFTER_2026, stored: [] };
    const there = (await runReportProcess({ source: store.readerSource(), scorecardFile: path.join(root, 'config', 'scorecard.json'), gazetteerDir: path.join(root, 'data', 'gazetteer'), minCallers: 5, job })) as ComposedYear;
    expect(there.periods).toEqual(here.periods);
  });

  it('publishes a completed round with its meeting and providers\' results only (no caller figures), and removes it when it is no longer completed', async () => {
    const rounds = new RoundRegister(store);
    const id = roundId('120101', 'health', 2026);
    await rounds.addRound({
      _id: id, communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', year: 2026, heldOn: '2026-05-10',
      ...defaultPhonePeriod(2026, '2026-05-10'), state: 'completed', history: [], createdAt: AFTER_2026, createdBy: 'admin1',
    });
    const result = (channel: 'meeting' | 'self-assessment', counts: [number, number, number, number, number]) => ({
      _id: resultId(id, channel, 'staff-attitude'), roundId: id, channel, indicatorKey: 'staff-attitude', counts, strengths: ['kind nurses'], weaknesses: [], suggestedActions: ['a ramp'],
      priorityActions: channel === 'meeting' ? ['a ramp'] : [], source: 'desk' as const, enteredBy: 'admin1', enteredAt: AFTER_2026,
    });
    await rounds.saveResult(result('meeting', [1, 2, 3, 4, 5]));
    await rounds.saveResult(result('self-assessment', [0, 0, 1, 1, 2]));
    const results = new PublicResults(store);
    const builder = new SnapshotBuilder({ store, publicResults: results, scorecard, gazetteer, minCallers: 5, setting: { publish: 'from', from: '2026-01-01' }, now: () => AFTER_2026, rounds });
    expect(await builder.publishRounds()).toEqual([`round-${id}`]);
    const period = (await results.periods()).find((p) => p.id === `round-${id}`);
    expect(period).toMatchObject({ kind: 'round', from: '2026-05-10', to: '2026-05-11', final: true });
    const area = await results.area(`round-${id}`, 'commune', '120101');
    expect(area).toMatchObject({ services: [], round: { roundId: id, heldOn: '2026-05-10', indicators: [{ key: 'staff-attitude', meeting: [1, 2, 3, 4, 5], selfAssessment: [0, 0, 1, 1, 2], priorityActions: ['a ramp'] }] } });
    // Not the meeting's other words, nor anything of callers.
    expect(JSON.stringify(area)).not.toContain('kind nurses');
    await rounds.setState(id, 'completed', { state: 'in-review', at: AFTER_2026, by: 'admin1' });
    expect(await builder.publishRounds()).toEqual([]);
    expect((await results.periods()).some((p) => p.kind === 'round')).toBe(false);
    expect(await results.area(`round-${id}`, 'commune', '120101')).toBeNull();
  });
});
