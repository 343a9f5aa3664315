import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { FigureGrid } from '../../src/reports/disclosure-control';
import { auditSummary } from './disclosure-audit';
import { parsePeriod } from '../../src/reports/period';
import { buildSatisfactionTable, compareTables } from '../../src/reports/satisfaction-table';
import { buildSummary, compareSummaries } from '../../src/reports/scorecard-summary';
import { loadScorecard } from '../../src/scorecard/scorecard';
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

/** The ratings the Q1 report counts, worked out by hand: in [from, to), not test calls, the latest of a repeat. */
const Q1_COUNTED = FIXTURE.filter((r) => r.ratedAt >= Q1.from && r.ratedAt < Q1.to && !(r as { testCall?: boolean }).testCall && !(r.callerId === 'c1' && r.score === 1));

describe('scorecard reports on a fixed data set', () => {
  let store: Store;
  let grid: FigureGrid;
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store);
    grid = await FigureGrid.count(store, Q1, { scorecard, gazetteer });
  });
  afterAll(async () => closeTestStore(store));

  const deps = { scorecard, gazetteer };
  const health = (a: { services: { service: string }[] }) => a.services.find((s) => s.service === 'health') as any;
  const indicator = (a: { services: { service: string }[] }, id: string) => health(a).indicators.find((i: { id: string }) => i.id === id);
  const WITHHELD = { callers: null, answers: null, median: null, mean: null, counts: null, satisfiedShare: null, withheld: true };

  it('counts a caller who rated twice once, with the latest rating, and keeps the period boundary from-inclusive, to-exclusive', () => {
    const summary = buildSummary(grid, { communes: ['010201'] }, deps);
    expect(summary.communes.map((c) => c.code)).toEqual(['010201']);
    const commune = summary.communes[0];
    expect(commune.name).toEqual({ km: 'បន្ទាយនាង', latin: 'Banteay Neang' });
    // The commune's health total is withheld: shown, it would give away the four medicines callers
    // as health minus staff-attitude, and staff-attitude is district 0102's minus 010202's.
    expect(health(commune)).toMatchObject({ service: 'health', status: 'protects-another', callers: null, answers: null, withheld: true });
    // Its ratings are counted in district 0102's total: staff-attitude c1=4 (not 1), c2=2, c3=3,
    // c4=4, c5=5, c6=5 (c7 at `to` and test call c8 left out) + medicines c2 1, c3 1, c4 2, c5 5 =
    // [2,2,1,2,3], plus the five 3s of 010202: [2,2,6,2,3]; 11 callers, 15 answers.
    const district = buildSummary(grid, { districts: ['0102'] }, deps).districts[0];
    expect(health(district)).toMatchObject({ service: 'health', status: 'shown', callers: 11, answers: 15, counts: [2, 2, 6, 2, 3], withheld: false });
  });

  it('withholds an indicator of four callers, and the next-smallest indicator with it, since the service total is shown', () => {
    const commune = buildSummary(grid, { communes: ['010201'] }, deps).communes[0];
    expect(indicator(commune, 'medicines')).toEqual({ id: 'medicines', status: 'too-few', ...WITHHELD });
    // health (shown) minus staff-attitude would be the four medicines callers.
    expect(indicator(commune, 'staff-attitude')).toEqual({ id: 'staff-attitude', status: 'protects-another', ...WITHHELD });
    expect(indicator(commune, 'cleanliness')).toMatchObject({ status: 'no-ratings', withheld: false, callers: 0, answers: 0, counts: null });
    expect(commune.services.find((s) => s.service === 'school')).toMatchObject({ status: 'no-ratings', callers: 0, answers: 0 });
  });

  it('rolls communes up to their district and province when a province is asked for', () => {
    const summary = buildSummary(grid, { provinces: ['01'] }, deps);
    expect(summary.communes.map((c) => c.code)).toEqual(['010201', '010202']);
    expect(summary.country).toBeNull();
    const district = summary.districts.find((d) => d.code === '0102')!;
    // [2,2,1,2,3] + five 3s of 010202: 1,1,2,2,3,3,3,3,3,3,4,4,5,5,5 -> median 3, mean 47/15, share 5/15.
    expect(health(district)).toMatchObject({ callers: 11, answers: 15, counts: [2, 2, 6, 2, 3], median: 3, mean: 3.13, satisfiedShare: 0.3333 });
    expect(health(summary.provinces[0])).toMatchObject({ callers: 11, answers: 15, counts: [2, 2, 6, 2, 3] });
    // 010202's staff-attitude (five callers) is withheld: beside the district's, it would give
    // 010201's, and with it 010201's four medicines callers.
    expect(indicator(summary.communes[1], 'staff-attitude')).toMatchObject({ status: 'protects-another', callers: null, answers: null });
    expect(summary.districts.every((d) => d.code.startsWith('01'))).toBe(true);
    expect(auditSummary(summary, Q1_COUNTED)).toEqual([]);
  });

  it('adds the country and every rated area when no area is given', () => {
    const summary = buildSummary(grid, {}, deps);
    expect(summary.communes.map((c) => c.code)).toEqual(['010201', '010202', '120101']);
    expect(summary.provinces.map((p) => p.code)).toEqual(['01', '12']);
    // 16 callers: c1-c6, c9-c13, e1-e5; 20 answers.
    expect(health(summary.country!)).toMatchObject({ callers: 16, answers: 20, counts: [7, 2, 6, 2, 3] });
    expect(auditSummary(summary, Q1_COUNTED)).toEqual([]);
  });

  it('breaks figures down by group by callers, not answers: three women with five answers are too few', () => {
    const summary = buildSummary(grid, { communes: ['010201'] }, deps, { breakdowns: true });
    // women: c1, c2, c3 (five answers); men: c4, c5, c6; Khmer: c2, c3, c4, c6; indigenous: c1, c5.
    for (const g of ['women', 'men', 'khmer', 'indigenous', 'disability'] as const) expect(health(summary.communes[0]).groups[g]).toMatchObject({ status: 'too-few', callers: null, answers: null });
    expect(health(summary.communes[0]).groups['age-60-plus']).toMatchObject({ status: 'no-ratings', callers: 0 });
    expect(auditSummary(summary, Q1_COUNTED)).toEqual([]);
  });

  it('breaks a district down by group, withholding the groups with too few callers', () => {
    const summary = buildSummary(grid, { districts: ['0102'] }, deps, { breakdowns: true });
    const staff = indicator(summary.districts[0], 'staff-attitude');
    // 60-plus: the five men of 010202 who rated 3, nobody else gave an age: the district's 60-plus
    // is 010202's staff-attitude, withheld to protect 010201's medicines callers.
    expect(staff.groups['age-60-plus']).toEqual({ status: 'protects-another', withheld: true, callers: null, answers: null, counts: null, median: null, mean: null, satisfiedShare: null });
    expect(staff.groups['age-25-59']).toMatchObject({ status: 'no-ratings' });
    // men in the district: c4 4, c5 5, c6 5 + five 3s -> [0,0,5,1,2], median (3+3)/2 over 8.
    expect(staff.groups.men).toEqual({ status: 'shown', withheld: false, callers: 8, answers: 8, counts: [0, 0, 5, 1, 2], median: 3, mean: 3.63, satisfiedShare: 0.375 });
    expect(staff.groups.women).toMatchObject({ status: 'too-few' });
    expect(auditSummary(summary, Q1_COUNTED)).toEqual([]);
  });

  it('builds the satisfaction table with shares, callers, answers and withheld cells', () => {
    const table = buildSatisfactionTable(grid, { provinces: ['01'] }, scorecard);
    expect(table.period).toEqual({ from: '2026-01-01', to: '2026-04-01' });
    expect(table.area).toEqual({ level: 'province', code: '01' });
    const row = table.rows.find((r) => r.service === 'health')!;
    expect(row.cells.all).toEqual({ status: 'shown', withheld: false, callers: 11, answers: 15, satisfiedShare: 0.3333 });
    // disability and indigenous: c1, c5; women: c1, c2, c3.
    expect(row.cells.disability).toMatchObject({ status: 'too-few', callers: null });
    expect(row.cells.indigenous).toMatchObject({ status: 'too-few', callers: null });
    expect(row.cells.women).toMatchObject({ status: 'too-few', callers: null });
    // men (8 callers) would give the three women away as all minus men.
    expect(row.cells.men).toEqual({ status: 'protects-another', withheld: true, callers: null, answers: null, satisfiedShare: null });
    expect(table.rows.map((r) => r.service)).toEqual(['commune', 'health', 'school']);
    expect(table.rows[0].cells.all.status).toBe('no-ratings');
    expect(() => buildSatisfactionTable(grid, { provinces: ['01', '12'] }, scorecard)).toThrow(/one area at a time/);
  });

  it('sets two periods side by side with the change', async () => {
    const area = { districts: ['0102'] };
    const q4 = await FigureGrid.count(store, Q4, deps);
    const compared = compareSummaries(buildSummary(grid, area, deps), buildSummary(q4, area, deps));
    // Q4: d1..d5 = 2, c1 = 5, all in 010201 -> [0,5,0,0,1], median 2, mean 2.5, share 1/6; six callers.
    // Q1: [2,2,6,2,3], median 3, mean 47/15, share 5/15; 11 callers, 15 answers.
    const h = health(compared.districts[0]);
    expect(h.baseline).toMatchObject({ status: 'shown', callers: 6, answers: 6, counts: [0, 5, 0, 0, 1], median: 2, mean: 2.5, satisfiedShare: 0.1667 });
    // The change is the difference of the figures as shown (rounded): 0.3333 - 0.1667.
    expect(h.change).toEqual({ callers: 5, answers: 9, median: 1, mean: 0.63, satisfiedShare: 0.1666 });
    // Q1's staff-attitude in the district is withheld: no change shown.
    expect(indicator(compared.districts[0], 'staff-attitude').change.satisfiedShare).toBeNull();

    const tables = compareTables(buildSatisfactionTable(grid, area, scorecard), buildSatisfactionTable(q4, area, scorecard));
    expect(tables.rows[1].cells.all).toMatchObject({ callers: 11, answers: 15, satisfiedShare: 0.3333, baseline: { callers: 6, answers: 6, satisfiedShare: 0.1667 }, change: 0.1666 });
  });
});
