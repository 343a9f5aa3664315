import { dontKnowAnswers } from '../../src/reports/dont-know';
import { parsePeriod } from '../../src/reports/period';
import { RatingScope } from '../../src/reports/rating-counts';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';
import { rating } from './rating-fixture';

/** 9 on a rating question is kept without a score: in no figure, counted apart under the same 5-callers rule. */
describe(`"don't know / did not use" answers (${ENGINE} store)`, () => {
  let store: Store;
  const period = parsePeriod('2026-01-01', '2026-04-01');
  const dontKnow = (caller: string, commune = '010201', extra: Record<string, unknown> = {}) =>
    rating(caller, commune, 'staff-attitude', 0, '2026-02-01T03:00:00Z', {}, { score: null, noScore: 'dont-know', ...extra });

  beforeEach(async () => {
    store = await openTestStore();
  });
  afterEach(async () => {
    await closeTestStore(store);
  });

  it('are never counted as a score, and are counted apart once five callers gave them', async () => {
    await store.collection('ratings').insertMany([
      ...['a', 'b', 'c', 'd', 'e'].map((c) => dontKnow(c)),
      rating('f', '010201', 'staff-attitude', 4, '2026-02-01T03:00:00Z'),
      dontKnow('g', '010201', { testCall: true }), // a staff test call: never counted
      dontKnow('h', '120101'), // another commune: outside the area asked for
    ]);
    const rows = await RatingScope.of(store, period).countBy(['communeCode', 'indicatorId']);
    // Only the one score of 4 is a figure; the don't-knows add nothing to any scale point.
    expect(rows.map((r) => [r.key.communeCode, r.counts])).toEqual([['010201', [0, 0, 0, 1, 0]]]);
    expect(await dontKnowAnswers(store, period, { communes: ['010201'] })).toEqual({ answers: 5, callers: 5, status: 'shown' });
    expect(await dontKnowAnswers(store, period, { communes: ['120101'] })).toEqual({ answers: 1, callers: 1, status: 'too-few' });
    expect(await dontKnowAnswers(store, period)).toEqual({ answers: 6, callers: 6, status: 'shown' });
  });

  it('a caller who later gave a score counts with the score only (the latest answer of a caller counts)', async () => {
    await store.collection('ratings').insertOne(dontKnow('a', '010201', { supersededAt: new Date('2026-02-02T03:00:00Z') }));
    expect(await dontKnowAnswers(store, period)).toEqual({ answers: 0, callers: 0, status: 'none' });
  });
});
