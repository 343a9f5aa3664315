import { changedStatus, itemOutcome, JaapItem, twelveMonthsAfter } from '../../src/jaap/jaap';
import { ItemOutcomeFields } from '../../src/jaap/jaap-register';
import { jaapReportRows, jaapResults } from '../../src/jaap/jaap-results';

/** Cambodian midday of a day, as an instant. */
const day = (d: string) => new Date(`${d}T12:00:00+07:00`);

function item(o: Partial<ItemOutcomeFields> & { communeCode?: string }): ItemOutcomeFields {
  const communeCode = o.communeCode ?? '120101';
  return {
    communeCode, districtCode: communeCode.slice(0, 4), provinceCode: communeCode.slice(0, 2),
    service: 'commune', section: 'B', status: 'not-started', doneAt: null, deadline: '2024-03-15', ...o,
  };
}

describe('the 12 months of a JAAP', () => {
  it('end on the same day a year later, the 29th of February on the 28th', () => {
    expect(twelveMonthsAfter('2023-03-15')).toBe('2024-03-15');
    expect(twelveMonthsAfter('2024-02-29')).toBe('2025-02-28');
    expect(twelveMonthsAfter('2023-12-31')).toBe('2024-12-31');
    expect(() => twelveMonthsAfter('2023-02-30')).toThrow(/not a real calendar day/);
  });

  it('count an item done on its deadline (Cambodian day) as solved within them, and the day after as done later', () => {
    const deadline = '2024-03-15';
    expect(itemOutcome({ status: 'done', doneAt: new Date('2024-03-15T16:59:59Z'), deadline }, day('2025-01-01'))).toBe('solved-within-12-months');
    // 00:00 on the 16th in Phnom Penh is still the 15th in UTC: Cambodia's day decides.
    expect(itemOutcome({ status: 'done', doneAt: new Date('2024-03-15T17:00:00Z'), deadline }, day('2025-01-01'))).toBe('done-later');
  });

  it('count an unfinished item as still inside its 12 months up to its deadline, then as not solved; a dropped one as dropped', () => {
    const deadline = '2024-03-15';
    expect(itemOutcome({ status: 'ongoing', doneAt: null, deadline }, day('2024-03-15'))).toBe('still-inside-12-months');
    expect(itemOutcome({ status: 'ongoing', doneAt: null, deadline }, day('2024-03-16'))).toBe('not-solved');
    expect(itemOutcome({ status: 'dropped', doneAt: null, deadline }, day('2024-01-01'))).toBe('dropped');
  });

  it('count a reopened item from the last time it became done', () => {
    const by = 'dara';
    let it: Pick<JaapItem, 'status' | 'doneAt' | 'history'> = { status: 'not-started', doneAt: null, history: [] };
    it = changedStatus(it, { status: 'done', at: day('2023-06-01'), by });
    it = changedStatus(it, { status: 'ongoing', at: day('2023-07-01'), by, note: 'the ramp broke' });
    expect(it.doneAt).toBeNull();
    it = changedStatus(it, { status: 'done', at: day('2024-05-01'), by });
    expect(it.history.map((h) => h.status)).toEqual(['done', 'ongoing', 'done']);
    expect(itemOutcome({ ...it, deadline: '2024-03-15' }, day('2025-01-01'))).toBe('done-later');
    expect(() => changedStatus(it, { status: 'done', at: day('2024-06-01'), by })).toThrow(/already done/);
  });
});

describe('the JAAP result indicator', () => {
  it("reproduces the seed's year: 285 of 364 items solved within 12 months (78%), 252 of 284 internal and 33 of 80 external", () => {
    const items: ItemOutcomeFields[] = [];
    const add = (n: number, section: 'A' | 'B', solved: boolean) => {
      for (let i = 0; i < n; i++) {
        items.push(item({ section, status: solved ? 'done' : 'ongoing', doneAt: solved ? day('2023-11-01') : null, communeCode: ['120101', '120102', '010201'][i % 3] }));
      }
    };
    add(252, 'B', true); add(32, 'B', false); add(33, 'A', true); add(47, 'A', false);
    const r = jaapResults(items, { asOf: day('2024-06-01'), period: { from: '2023-01-01', to: '2024-01-01' } });
    const country = r.entries[0];
    expect(country).toMatchObject({ level: 'country', code: null, agreed: 364, solvedWithin12Months: 285, share: 0.783, notSolved: 79 });
    expect(country.bySection.B).toMatchObject({ agreed: 284, solvedWithin12Months: 252, share: 0.887 });
    expect(country.bySection.A).toMatchObject({ agreed: 80, solvedWithin12Months: 33, share: 0.413 });
  });

  it('rolls every item up to its commune, district, province and the country, by section and facility type', () => {
    const items = [
      item({ communeCode: '120101', service: 'health', section: 'A', status: 'done', doneAt: day('2023-05-01') }),
      item({ communeCode: '120101', service: 'school', status: 'dropped' }),
      item({ communeCode: '120205', service: 'health', status: 'done', doneAt: day('2024-05-01') }),
      item({ communeCode: '010201', service: 'commune', deadline: '2024-12-01' }),
    ];
    const r = jaapResults(items, { asOf: day('2024-06-01'), period: { from: '2023-01-01', to: '2024-01-01' } });
    expect(r.entries.map((e) => `${e.level} ${e.code}`)).toEqual([
      'country null', 'province 01', 'province 12', 'district 0102', 'district 1201', 'district 1202', 'commune 010201', 'commune 120101', 'commune 120205',
    ]);
    const p12 = r.entries.find((e) => e.code === '12')!;
    expect(p12).toMatchObject({ agreed: 3, solvedWithin12Months: 1, doneLater: 1, dropped: 1, share: 0.333 });
    expect(p12.byService.health).toMatchObject({ agreed: 2, solvedWithin12Months: 1, doneLater: 1 });
    expect(p12.bySection.A).toMatchObject({ agreed: 1, solvedWithin12Months: 1, share: 1 });
    expect(r.entries.find((e) => e.code === '010201')).toMatchObject({ agreed: 1, stillInside12Months: 1, share: 0 });
    expect(r.asOf).toBe('2024-06-01');
  });

  it('has the country with no items and a null share when nothing was agreed', () => {
    const r = jaapResults([], { asOf: day('2024-06-01'), period: { from: '2023-01-01', to: '2024-01-01' } });
    expect(r.entries).toEqual([expect.objectContaining({ level: 'country', agreed: 0, share: null })]);
  });

  it('writes one CSV row per area and breakdown with the figures named', () => {
    const r = jaapResults([item({ service: 'health', status: 'done', doneAt: day('2023-05-01') })], { asOf: day('2024-06-01'), period: { from: '2023-01-01', to: '2024-01-01' } });
    const rows = jaapReportRows(r);
    expect(rows[0]).toEqual(['level', 'code', 'name_km', 'name_latin', 'breakdown', 'agreed', 'solvedWithin12Months', 'share', 'doneLater', 'stillInside12Months', 'notSolved', 'dropped', 'from', 'to', 'as_of']);
    expect(rows.filter((row) => row[0] === 'commune').map((row) => row[4])).toEqual(['all', 'section-A', 'section-B', 'service-health']);
    expect(rows[1]).toEqual(['country', '', '', '', 'all', 1, 1, 1, 0, 0, 0, 0, '2023-01-01', '2024-01-01', '2024-06-01']);
  });
});
