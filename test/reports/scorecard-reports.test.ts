import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { RatingScope } from '../../src/reports/rating-counts';
import { parsePeriod } from '../../src/reports/period';
import { buildSatisfactionTable, compareTables } from '../../src/reports/satisfaction-table';
import { buildSummary, compareSummaries } from '../../src/reports/scorecard-summary';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Rating } from '../../src/store/ratings';
import { FIXTURE, storeRatings } from './rating-fixture';
import { Store } from '../../src/store/store';
import { closeTestStore, openTestStore } from '../support/engine';

/**
 * A small fixed data set whose figures were worked out by hand (see each expectation).
 * Period: Q1 2026 in Cambodian days, [2026-01-01, 2026-04-01): from 2025-12-31T17:00Z
 * inclusive to 2026-03-31T17:00Z exclusive.
 */
const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const Q1 = parsePeriod('2026-01-01', '2026-04-01');
const Q4 = parsePeriod('2025-10-01', '2026-01-01');

describe('scorecard reports on a fixed data set', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store);
  });
  afterAll(async () => closeTestStore(store));

  const deps = { scorecard, gazetteer };
  const health = (a: { services: { service: string }[] }) => a.services.find((s) => s.service === 'health') as any;
  const indicator = (a: { services: { service: string }[] }, id: string) => health(a).indicators.find((i: { id: string }) => i.id === id);

  it('counts a caller who rated twice once, with the latest rating, and keeps the period boundary from-inclusive, to-exclusive', async () => {
    const summary = await buildSummary(RatingScope.of(store, Q1, { communes: ['010201'] }), deps);
    expect(summary.communes.map((c) => c.code)).toEqual(['010201']);
    const commune = summary.communes[0];
    expect(commune.name).toEqual({ km: 'បន្ទាយនាង', latin: 'Banteay Neang' });
    // c1=4 (not 1), c2=2, c3=3, c4=4, c5=5, c6=5; c7 at `to` and test call c8 left out.
    expect(indicator(commune, 'staff-attitude')).toEqual({
      id: 'staff-attitude', n: 6, counts: [0, 1, 1, 2, 2], median: 4, mean: 3.83, satisfiedShare: 0.6667, withheld: false,
    });
  });

  it('withholds an indicator with four ratings but pools it into the service figures', async () => {
    const summary = await buildSummary(RatingScope.of(store, Q1, { communes: ['010201'] }), deps);
    const commune = summary.communes[0];
    expect(indicator(commune, 'medicines')).toEqual({ id: 'medicines', n: null, counts: null, median: null, mean: null, satisfiedShare: null, withheld: true });
    // staff [0,1,1,2,2] + medicines [2,1,0,0,1] = [2,2,1,2,3]: 1,1,2,2,3,4,4,5,5,5 -> median (3+4)/2, mean 32/10.
    expect(health(commune)).toMatchObject({ service: 'health', ratings: 10, counts: [2, 2, 1, 2, 3], median: 3.5, mean: 3.2, satisfiedShare: 0.5, withheld: false });
    expect(commune.services.find((s) => s.service === 'school')).toMatchObject({ ratings: null, withheld: true });
  });

  it('rolls communes up to their district and province when a province is asked for', async () => {
    const summary = await buildSummary(RatingScope.of(store, Q1, { provinces: ['01'] }), deps);
    expect(summary.communes.map((c) => c.code)).toEqual(['010201', '010202']);
    expect(summary.country).toBeNull();
    const district = summary.districts.find((d) => d.code === '0102')!;
    // [0,1,1,2,2] + [0,0,5,0,0]: 2,3,3,3,3,3,3,4,4,5,5 -> median 3, mean 38/11, share 4/11.
    expect(indicator(district, 'staff-attitude')).toMatchObject({ n: 11, counts: [0, 1, 6, 2, 2], median: 3, mean: 3.45, satisfiedShare: 0.3636 });
    expect(indicator(summary.provinces[0], 'staff-attitude')).toMatchObject({ n: 11, counts: [0, 1, 6, 2, 2] });
    expect(summary.districts.every((d) => d.code.startsWith('01'))).toBe(true);
  });

  it('adds the country and every rated area when no area is given', async () => {
    const summary = await buildSummary(RatingScope.of(store, Q1), deps);
    expect(summary.communes.map((c) => c.code)).toEqual(['010201', '010202', '120101']);
    expect(summary.provinces.map((p) => p.code)).toEqual(['01', '12']);
    expect(indicator(summary.country!, 'staff-attitude')).toMatchObject({ n: 16, counts: [5, 1, 6, 2, 2] });
  });

  it('breaks figures down by group, counting the superseded rating in no group', async () => {
    const summary = await buildSummary(RatingScope.of(store, Q1, { communes: ['010201'] }), deps, { breakdowns: true });
    const staff = indicator(summary.communes[0], 'staff-attitude');
    // women: c1=4, c2=2, c3=3 -> withheld; men: c4=4, c5=5, c6=5 -> withheld.
    expect(staff.groups.women).toMatchObject({ withheld: true });
    // service level, women: staff 4,2,3 + medicines 1,1 -> [2,1,1,1,0], median 2, share 1/5.
    expect(health(summary.communes[0]).groups.women).toEqual({ n: 5, counts: [2, 1, 1, 1, 0], median: 2, mean: 2.2, satisfiedShare: 0.2, withheld: false });
    // men: staff 4,5,5 + medicines 2,5 -> [0,1,0,1,3]
    expect(health(summary.communes[0]).groups.men).toMatchObject({ n: 5, counts: [0, 1, 0, 1, 3], median: 5, satisfiedShare: 0.8 });
    // Khmer: staff c2 2, c3 3, c4 4, c6 5 + medicines c2 1, c3 1, c4 2 -> [2,2,1,1,1], share 2/7.
    expect(health(summary.communes[0]).groups.khmer).toMatchObject({ n: 7, counts: [2, 2, 1, 1, 1], median: 2, satisfiedShare: 0.2857 });
    expect(health(summary.communes[0]).groups.indigenous).toMatchObject({ withheld: true });
  });

  it('breaks a district down by age group, withholding the groups with too few ratings', async () => {
    const summary = await buildSummary(RatingScope.of(store, Q1, { districts: ['0102'] }), deps, { breakdowns: true });
    const staff = indicator(summary.districts[0], 'staff-attitude');
    // 60-plus: the five men of 010202 who rated 3; nobody else gave an age.
    expect(staff.groups['age-60-plus']).toEqual({ n: 5, counts: [0, 0, 5, 0, 0], median: 3, mean: 3, satisfiedShare: 0, withheld: false });
    expect(staff.groups['age-25-59']).toMatchObject({ withheld: true });
    // men in the district: c4 4, c5 5, c6 5 + five 3s -> [0,0,5,1,2], median (3+3)/2 over 8.
    expect(staff.groups.men).toEqual({ n: 8, counts: [0, 0, 5, 1, 2], median: 3, mean: 3.63, satisfiedShare: 0.375, withheld: false });
  });

  it('builds the satisfaction table with shares, counts and a withheld cell', async () => {
    const table = await buildSatisfactionTable(RatingScope.of(store, Q1, { provinces: ['01'] }), scorecard);
    expect(table.period).toEqual({ from: '2026-01-01', to: '2026-04-01' });
    const row = table.rows.find((r) => r.service === 'health')!;
    // all: 6 + 4 + 5 = 15, satisfied c1,c4,c5,c6 (staff) + c5 (medicines) = 5.
    expect(row.cells.all).toEqual({ n: 15, satisfiedShare: 0.3333, withheld: false });
    // disability and indigenous: c1 staff, c5 staff, c5 medicines = 3 -> withheld.
    expect(row.cells.disability).toEqual({ n: null, satisfiedShare: null, withheld: true });
    expect(row.cells.indigenous).toEqual({ n: null, satisfiedShare: null, withheld: true });
    // women: c1 4, c2 2, c3 3, c2 1, c3 1 -> 1 of 5.
    expect(row.cells.women).toEqual({ n: 5, satisfiedShare: 0.2, withheld: false });
    // men: c4 4, c5 5, c6 5, c4 2, c5 5, five 3s -> 4 of 10.
    expect(row.cells.men).toEqual({ n: 10, satisfiedShare: 0.4, withheld: false });
    expect(table.rows.map((r) => r.service)).toEqual(['commune', 'health', 'school']);
    expect(table.rows[0].cells.all.withheld).toBe(true);
  });

  it('sets two periods side by side with the change', async () => {
    const area = { communes: ['010201'] };
    const [later, baseline] = await Promise.all([
      buildSummary(RatingScope.of(store, Q1, area), deps),
      buildSummary(RatingScope.of(store, Q4, area), deps),
    ]);
    // Q4: d1..d5 = 2, c1 = 5 -> [0,5,0,0,1], median 2, mean 2.5, share 1/6.
    const staff = indicator(compareSummaries(later, baseline).communes[0], 'staff-attitude');
    expect(staff.baseline).toMatchObject({ n: 6, counts: [0, 5, 0, 0, 1], median: 2, mean: 2.5, satisfiedShare: 0.1667 });
    expect(staff.change).toEqual({ n: 0, median: 2, mean: 1.33, satisfiedShare: 0.5 });
    expect(indicator(compareSummaries(later, baseline).communes[0], 'medicines').change.satisfiedShare).toBeNull();

    const tables = compareTables(
      await buildSatisfactionTable(RatingScope.of(store, Q1, area), scorecard),
      await buildSatisfactionTable(RatingScope.of(store, Q4, area), scorecard),
    );
    // Q1 health in 010201: 10 ratings, 5 satisfied; Q4: 6 ratings, 1 satisfied.
    expect(tables.rows[1].cells.all).toMatchObject({ n: 10, satisfiedShare: 0.5, baseline: { n: 6, satisfiedShare: 0.1667 }, change: 0.3333 });
  });
});
