import { parsePeriod } from '../../src/reports/period';
import { COLUMN_DIMS, RatingColumns } from '../../src/reports/rating-columns';
import { RatingScope } from '../../src/reports/rating-counts';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, openTestStore } from '../support/engine';
import { FIXTURE, rating, storeRatings } from './rating-fixture';

/**
 * The figure grid reads a period's ratings in one of two ways (grouped in the database on a
 * server, document by document on the embedded store). Both must give the same ratings as the
 * per-caller rows the reports were first built on (RatingScope.callerRows), odd documents
 * included: answers missing, null or empty (unstated), scores off the scale, test calls,
 * a caller who rated one indicator again a minute later (the first rating replaced), and the
 * facility rated, where a rating names one ('' where not).
 */
const Q1 = parsePeriod('2026-01-01', '2026-04-01');
const ODD: Rating[] = [
  rating('o1', '010202', 'staff-attitude', 5, '2026-02-01T03:00:00Z', {}, { demographics: undefined, languageGroup: undefined }),
  rating('o1', '010202', 'opening-hours', 2, '2026-02-01T03:00:00Z', {}, { demographics: { gender: '', ageGroup: null } }),
  rating('o2', '010202', 'staff-attitude', 0, '2026-02-02T03:00:00Z'),
  rating('o2', '010202', 'opening-hours', 6, '2026-02-02T03:00:00Z'),
  rating('o2', '010202', 'service-time', 2.5, '2026-02-02T03:00:00Z'),
  rating('o3', '010202', 'staff-attitude', 3, '2026-02-03T03:00:00Z', { gender: 'woman' }, { testCall: true }),
  rating('o4', '010202', 'staff-attitude', 4, '2026-02-04T03:00:00Z', { gender: 'man', age: '60-plus' }),
  rating('o4', '010202', 'staff-attitude', 1, '2026-02-04T03:01:00Z', { gender: 'man', age: '60-plus' }),
  rating('o5', '010202', 'staff-attitude', 4, '2026-02-05T03:00:00Z', {}, { facilityId: 'health-centre-one' }),
];

/** The ratings as sorted lines "caller, values in COLUMN_DIMS order, score", one per rating. */
function lines(columns: RatingColumns): string[] {
  const out: string[] = [];
  for (let r = 0; r < columns.length; r++) {
    const values = COLUMN_DIMS.map((_, d) => columns.dictionaries[d].names[columns.values[d][r]]);
    for (let w = 0; w < columns.weight[r]; w++) out.push([columns.callers.names[columns.caller[r]], ...values, columns.score[r]].join('|'));
  }
  return out.sort();
}

describe('the ratings behind the figure grid', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store, [...FIXTURE, ...ODD]);
  });
  afterAll(async () => closeTestStore(store));

  it('are the same read grouped in the database, document by document, and as per-caller rows', async () => {
    const scope = RatingScope.of(store, Q1);
    const grouped = lines(await RatingColumns.read(scope, 'grouped'));
    const documents = lines(await RatingColumns.read(scope, 'documents'));
    const rows = lines(RatingColumns.fromRows(await scope.callerRows([...COLUMN_DIMS])));
    expect(grouped).toEqual(rows);
    expect(documents).toEqual(rows);
    // What the odd documents give: unstated answers, nothing off the scale, no test call, o4's latest.
    const odd = rows.filter((l) => l.startsWith('o'));
    expect(odd).toEqual([
      'o1|010202|health|opening-hours|unstated|unstated|unstated|unstated|khmer||2',
      'o1|010202|health|staff-attitude|unstated|unstated|unstated|unstated|other||5',
      'o4|010202|health|staff-attitude|man|60-plus|unstated|unstated|khmer||1',
      'o5|010202|health|staff-attitude|unstated|unstated|unstated|unstated|khmer|health-centre-one|4',
    ]);
    expect(rows.length).toBeGreaterThan(odd.length + 10);
  });
});
