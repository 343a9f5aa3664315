import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { facilityAreaCode, FigureGrid } from '../../src/reports/disclosure-control';
import { parsePeriod } from '../../src/reports/period';
import { CallerRow } from '../../src/reports/rating-counts';
import { loadScorecard } from '../../src/scorecard/scorecard';

/**
 * The suppression rules on hand-built grids, without a store (so `npm run mutate -- disclosure`
 * can run them for every mutant); disclosure-control.test.ts checks what reports, pages and CSVs
 * print from stored ratings, disclosure-property.test.ts random grids.
 */
const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const Q1 = parsePeriod('2026-01-01', '2026-04-01');

describe('the privacy threshold counts callers, not answers', () => {
  const row = (caller: string, key: Partial<CallerRow['key']>, counts: number[]): CallerRow => ({
    callerId: caller, counts,
    key: { communeCode: '010201', districtCode: '', provinceCode: '', service: 'health', indicatorId: 'staff-attitude', gender: 'unstated', ageGroup: 'unstated', disability: 'unstated', idPoor: 'unstated', languageGroup: 'khmer', ...key },
  });
  const grid = (rows: CallerRow[], min = 5) => new FigureGrid(rows, Q1.label, scorecard, gazetteer, min);

  it('withholds six answers from one caller, and shows five callers with their callers and answers', () => {
    const one = grid([row('a', {}, [5, 1, 0, 0, 0])]);
    expect(one.figures('commune', '010201', 'health', 'staff-attitude')).toMatchObject({ status: 'too-few', withheld: true, callers: null, answers: null, counts: null });
    const five = grid(['a', 'b', 'c', 'd', 'e'].map((c) => row(c, {}, [0, 0, 1, 0, 0])));
    expect(five.figures('commune', '010201', 'health', 'staff-attitude')).toMatchObject({ status: 'shown', callers: 5, answers: 5, counts: [0, 0, 5, 0, 0] });
  });

  it('counts a caller once in a roll-up, however many communes or indicators they rated', () => {
    // Five callers rate two communes of district 0102 each: 10 answers, 5 callers.
    const rows = ['a', 'b', 'c', 'd', 'e'].flatMap((c) => [row(c, { communeCode: '010201' }, [1, 0, 0, 0, 0]), row(c, { communeCode: '010202' }, [0, 0, 0, 0, 1])]);
    const g = grid(rows);
    expect(g.figures('district', '0102', 'health', 'staff-attitude')).toMatchObject({ status: 'shown', callers: 5, answers: 10 });
    expect(g.figures('country', 'KH', 'health')).toMatchObject({ callers: 5, answers: 10 });
    // Four of them: 8 answers, still too few.
    expect(grid(rows.slice(0, 8)).figures('district', '0102', 'health', 'staff-attitude').status).toBe('too-few');
  });

  it('tells "no ratings" from "too few"', () => {
    const g = grid([row('a', {}, [0, 0, 1, 0, 0])]);
    expect(g.figures('commune', '010201', 'health', 'medicines')).toMatchObject({ status: 'no-ratings', withheld: false, callers: 0, answers: 0, counts: null });
    expect(g.figures('commune', '010201', 'health', 'staff-attitude').status).toBe('too-few');
  });

  it('withholds the next-smallest group when one group alone is withheld beside the total (women vs all)', () => {
    // 3 women, 6 men, nobody else: all - men would be the 3 women.
    const g = grid([
      ...['w1', 'w2', 'w3'].map((c) => row(c, { gender: 'woman' }, [1, 0, 0, 0, 0])),
      ...['m1', 'm2', 'm3', 'm4', 'm5', 'm6'].map((c) => row(c, { gender: 'man' }, [0, 0, 0, 0, 1])),
    ]);
    const f = (group: string) => g.figures('commune', '010201', 'health', 'staff-attitude', group).status;
    expect([f('all'), f('women'), f('men')]).toEqual(['shown', 'too-few', 'protects-another']);
  });

  it('reports families with an ID-Poor card as a group, withheld on fewer than 5 callers like any other', () => {
    const card = (n: number) => Array.from({ length: n }, (_, k) => row(`p${k}`, { idPoor: 'yes' }, [0, 0, 0, 1, 0]));
    const others = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'].map((c) => row(c, { idPoor: 'no' }, [0, 1, 0, 0, 0]));
    const shown = grid([...card(5), ...others]).figures('commune', '010201', 'health', 'staff-attitude', 'id-poor');
    expect(shown).toMatchObject({ status: 'shown', callers: 5, answers: 5, counts: [0, 0, 0, 5, 0] });
    const few = grid([...card(2), ...others]).figures('commune', '010201', 'health', 'staff-attitude', 'id-poor');
    expect(few).toMatchObject({ status: 'too-few', withheld: true, callers: null });
  });

  it('leaves the others shown when the withheld parts together rest on enough callers', () => {
    // 3 women and 2 callers who did not say: all - men is 5 callers, enough.
    const g = grid([
      ...['w1', 'w2', 'w3'].map((c) => row(c, { gender: 'woman' }, [1, 0, 0, 0, 0])),
      ...['u1', 'u2'].map((c) => row(c, {}, [1, 0, 0, 0, 0])),
      ...['m1', 'm2', 'm3', 'm4', 'm5'].map((c) => row(c, { gender: 'man' }, [0, 0, 0, 0, 1])),
    ]);
    expect(g.figures('commune', '010201', 'health', 'staff-attitude', 'men')).toMatchObject({ status: 'shown', callers: 5 });
  });

  it('withholds a second indicator when one indicator alone is withheld beside the service total', () => {
    const rows = [
      ...['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((c) => row(c, { indicatorId: 'staff-attitude' }, [0, 1, 0, 0, 0])),
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((c) => row(c, { indicatorId: 'cleanliness' }, [0, 1, 0, 0, 0])),
      ...['a', 'b'].map((c) => row(c, { indicatorId: 'medicines' }, [1, 0, 0, 0, 0])),
    ];
    const g = grid(rows);
    const status = (i: string) => g.figures('commune', '010201', 'health', i).status;
    expect(['*', 'staff-attitude', 'cleanliness', 'medicines'].map(status)).toEqual(['shown', 'shown', 'protects-another', 'too-few']);
  });

  it('withholds a commune beside its withheld neighbour when their district is shown, on every page alike', () => {
    // District 0102: 010201 has 6 callers, 010202 has 2. The district total shows 8.
    const rows = [
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((c) => row(c, { communeCode: '010201' }, [0, 0, 1, 0, 0])),
      ...['x', 'y'].map((c) => row(c, { communeCode: '010202' }, [1, 0, 0, 0, 0])),
    ];
    const g = grid(rows);
    expect(g.figures('district', '0102', 'health', 'staff-attitude')).toMatchObject({ status: 'shown', callers: 8 });
    expect(g.figures('commune', '010202', 'health', 'staff-attitude').status).toBe('too-few');
    expect(g.figures('commune', '010201', 'health', 'staff-attitude').status).toBe('protects-another');
  });

  it('withholds the only part of a withheld total, which would show it again', () => {
    // Province 12 has one district with one commune: if the country withholds the province, the
    // district and the commune carry the same numbers and must be withheld with it.
    const rows = [
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((c) => row(c, { communeCode: '010201', indicatorId: 'staff-attitude' }, [0, 0, 1, 0, 0])),
      ...['a', 'b'].map((c) => row(c, { communeCode: '010201', indicatorId: 'medicines' }, [1, 0, 0, 0, 0])),
    ];
    const g = grid(rows);
    expect(g.figures('country', 'KH', 'health', 'staff-attitude').status).toBe('protects-another');
    for (const [level, code] of [['province', '01'], ['district', '0102'], ['commune', '010201']] as const) {
      expect(g.figures(level, code, 'health', 'staff-attitude').status).toBe('protects-another');
    }
  });

  it('uses a higher threshold when set, and never one below 5', async () => {
    const five = ['a', 'b', 'c', 'd', 'e'].map((c) => row(c, {}, [0, 0, 1, 0, 0]));
    expect(grid(five, 6).figures('commune', '010201', 'health', 'staff-attitude').status).toBe('too-few');
    expect(() => grid(five, 4)).not.toThrow(); // the constructor trusts its caller; the setting and count() check:
    await expect(FigureGrid.count({} as never, Q1, { scorecard, gazetteer, minCallers: 4 })).rejects.toThrow(/at least 5/);
    expect(() => loadConfig({ REPORT_MIN_CALLERS: '4' })).toThrow(/REPORT_MIN_CALLERS=4 is below 5/);
    expect(loadConfig({ REPORT_MIN_CALLERS: '8' }).reportMinCallers).toBe(8);
    expect(loadConfig({}).reportMinCallers).toBe(5);
  });
});

describe('facility figures: a facility rated from one commune, inside that commune', () => {
  const row = (caller: string, commune: string, facilityId: string | undefined, counts = [0, 0, 1, 0, 0], indicatorId = 'teacher-attendance'): CallerRow => ({
    callerId: caller, counts,
    key: { communeCode: commune, districtCode: '', provinceCode: '', service: 'school', indicatorId, ...(facilityId === undefined ? {} : { facilityId }), gender: 'unstated', ageGroup: 'unstated', disability: 'unstated', idPoor: 'unstated', languageGroup: 'khmer' },
  });
  const callers = (prefix: string, n: number) => Array.from({ length: n }, (_, k) => `${prefix}${k}`);
  const grid = (rows: CallerRow[]) => new FigureGrid(rows, Q1.label, scorecard, gazetteer, 5);
  const facility = (g: FigureGrid, commune: string, id: string, indicator?: string) => g.figures('facility', facilityAreaCode(commune, id), 'school', indicator);

  it('withholds a school of 3 callers, and the school of 6 beside it, which the commune total minus it would give away', () => {
    const g = grid([...callers('a', 6).map((c) => row(c, '010201', 'school-a')), ...callers('b', 3).map((c) => row(c, '010201', 'school-b'))]);
    expect(g.ratedFacilities('010201')).toEqual(['school-a', 'school-b']);
    expect(g.figures('commune', '010201', 'school')).toMatchObject({ status: 'shown', callers: 9 });
    expect(facility(g, '010201', 'school-b').status).toBe('too-few');
    expect(facility(g, '010201', 'school-a').status).toBe('protects-another');
    // Per indicator as well: the indicator's commune figure minus school A would be school B's.
    expect(facility(g, '010201', 'school-a', 'teacher-attendance').status).toBe('protects-another');
  });

  it('shows both schools when each rests on enough callers, with their own callers and answers', () => {
    const g = grid([...callers('a', 6).map((c) => row(c, '010201', 'school-a', [0, 0, 0, 0, 1])), ...callers('b', 5).map((c) => row(c, '010201', 'school-b', [1, 0, 0, 0, 0]))]);
    expect(facility(g, '010201', 'school-a')).toMatchObject({ status: 'shown', callers: 6, answers: 6, counts: [0, 0, 0, 0, 6] });
    expect(facility(g, '010201', 'school-b')).toMatchObject({ status: 'shown', callers: 5, counts: [5, 0, 0, 0, 0] });
    expect(g.figures('commune', '010201', 'school')).toMatchObject({ status: 'shown', callers: 11 });
  });

  it("counts a commune's ratings of no school as an unpublished rest, which a shown school must not give away", () => {
    // School A 6 callers, 3 callers rated the commune's school without naming one: commune minus A is those 3.
    const few = grid([...callers('a', 6).map((c) => row(c, '010201', 'school-a')), ...callers('r', 3).map((c) => row(c, '010201', undefined))]);
    expect(few.ratedFacilities('010201')).toEqual(['school-a']);
    expect(few.figures('commune', '010201', 'school')).toMatchObject({ status: 'shown', callers: 9 });
    expect(facility(few, '010201', 'school-a').status).toBe('protects-another');
    // With 5 such callers, commune minus A rests on 5: A is shown.
    const enough = grid([...callers('a', 6).map((c) => row(c, '010201', 'school-a')), ...callers('r', 5).map((c) => row(c, '010201', ''))]);
    expect(facility(enough, '010201', 'school-a')).toMatchObject({ status: 'shown', callers: 6 });
    // The rest is no facility: nothing to ask for under an empty id.
    expect(facility(enough, '010201', '').status).toBe('no-ratings');
  });

  it('leaves a school shown when the withheld school and the rest together rest on enough callers', () => {
    // 2 in the rest: too few on their own; 7: enough on their own, but never published, so still unknown to a reader.
    for (const rest of [2, 7]) {
      const g = grid([
        ...callers('a', 6).map((c) => row(c, '010201', 'school-a')),
        ...callers('b', 3).map((c) => row(c, '010201', 'school-b')),
        ...callers('r', rest).map((c) => row(c, '010201', undefined)),
      ]);
      expect(facility(g, '010201', 'school-b').status).toBe('too-few');
      expect(facility(g, '010201', 'school-a')).toMatchObject({ status: 'shown', callers: 6 });
    }
  });

  it('withholds a school that is its commune\'s only part when the commune is withheld', () => {
    // District 0102: 010201 (school A, 6 callers) and 010202 (2 callers). 010201 protects 010202,
    // and school A, all of 010201's ratings, would show it again.
    const g = grid([...callers('a', 6).map((c) => row(c, '010201', 'school-a')), ...callers('x', 2).map((c) => row(c, '010202', undefined))]);
    expect(g.figures('commune', '010201', 'school').status).toBe('protects-another');
    expect(facility(g, '010201', 'school-a').status).toBe('protects-another');
  });

  it('gives a health centre serving two communes one figure per commune it was rated from, and no total of its own', () => {
    const hc = (caller: string, commune: string): CallerRow => ({ ...row(caller, commune, 'health-centre-x', [0, 0, 0, 1, 0], 'staff-attitude'), key: { ...row(caller, commune, 'health-centre-x').key, service: 'health', indicatorId: 'staff-attitude' } });
    const g = grid([...callers('p', 6).map((c) => hc(c, '010201')), ...callers('q', 5).map((c) => hc(c, '010202'))]);
    expect(g.ratedFacilities('010201')).toEqual(['health-centre-x']);
    expect(g.ratedFacilities('010202')).toEqual(['health-centre-x']);
    expect(g.figures('facility', facilityAreaCode('010201', 'health-centre-x'), 'health')).toMatchObject({ status: 'shown', callers: 6 });
    expect(g.figures('facility', facilityAreaCode('010202', 'health-centre-x'), 'health')).toMatchObject({ status: 'shown', callers: 5 });
    expect(g.figures('facility', 'health-centre-x', 'health').status).toBe('no-ratings');
    expect(g.figures('district', '0102', 'health')).toMatchObject({ status: 'shown', callers: 11 });
  });

  it('adds no facility cells for a commune whose ratings name no facility', () => {
    const g = grid([...callers('a', 6).map((c) => row(c, '010201', 'school-a')), ...callers('x', 6).map((c) => row(c, '010202', undefined))]);
    expect(g.ratedFacilities('010202')).toEqual([]);
    expect(g.figures('commune', '010202', 'school')).toMatchObject({ status: 'shown', callers: 6 });
  });
});
