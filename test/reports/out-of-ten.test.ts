import { changeOutOfTen, satisfiedOutOfTen } from '../../src/reports/out-of-ten';
import { lastDay, longerPeriod, parsePeriod, previousPeriod, wholeMonths } from '../../src/reports/period';
import { checkComparable } from '../../src/reports/scorecard-report';

const shown = (satisfiedShare: number) => ({ status: 'shown' as const, satisfiedShare });

describe('the share satisfied out of 10', () => {
  it('rounds the share to a whole number out of 10', () => {
    expect(satisfiedOutOfTen(shown(0.6667))).toEqual({ tenths: 7, underOne: false, overNine: false });
    expect(satisfiedOutOfTen(shown(0.25))).toMatchObject({ tenths: 3 });
    expect(satisfiedOutOfTen(shown(0))).toEqual({ tenths: 0, underOne: false, overNine: false });
    expect(satisfiedOutOfTen(shown(1))).toEqual({ tenths: 10, underOne: false, overNine: false });
  });

  it('says "fewer than 1" and "more than 9" rather than rounding a few to none or all', () => {
    expect(satisfiedOutOfTen(shown(0.04))).toEqual({ tenths: 0, underOne: true, overNine: false });
    expect(satisfiedOutOfTen(shown(0.96))).toEqual({ tenths: 10, underOne: false, overNine: true });
  });

  it('has no number for a withheld figure or one with no ratings', () => {
    expect(satisfiedOutOfTen({ status: 'too-few', satisfiedShare: null })).toBeNull();
    expect(satisfiedOutOfTen({ status: 'protects-another', satisfiedShare: null })).toBeNull();
    expect(satisfiedOutOfTen({ status: 'no-ratings', satisfiedShare: null })).toBeNull();
    // Even were a share left on a withheld figure by mistake, it is not read.
    expect(satisfiedOutOfTen({ status: 'too-few', satisfiedShare: 0.5 })).toBeNull();
  });

  it('gives the change as the difference of the two numbers shown, only when both are shown', () => {
    // 0.66 and 0.44 differ by 0.22, but the page shows 7 and 4 of 10: the change is 3.
    expect(changeOutOfTen(shown(0.66), shown(0.44))).toBe(3);
    expect(changeOutOfTen(shown(0.3), shown(0.5))).toBe(-2);
    expect(changeOutOfTen(shown(0.5), shown(0.52))).toBe(0);
    expect(changeOutOfTen(shown(0.5), { status: 'too-few', satisfiedShare: 0.1 })).toBeNull();
    expect(changeOutOfTen({ status: 'protects-another', satisfiedShare: 0.9 }, shown(0.5))).toBeNull();
    expect(changeOutOfTen(shown(0.5), { status: 'no-ratings', satisfiedShare: null })).toBeNull();
  });
});

describe('periods around a report period', () => {
  const q1 = parsePeriod('2026-01-01', '2026-04-01');

  it('takes the previous period of the same length: whole months back for months, days back otherwise', () => {
    expect(previousPeriod(q1).label).toEqual({ from: '2025-10-01', to: '2026-01-01' });
    expect(previousPeriod(parsePeriod('2026-03-01', '2026-04-01')).label).toEqual({ from: '2026-02-01', to: '2026-03-01' });
    expect(previousPeriod(parsePeriod('2026-01-01', '2027-01-01')).label).toEqual({ from: '2025-01-01', to: '2026-01-01' });
    // 1 January to 15 March (73 days): the 73 days before.
    expect(previousPeriod(parsePeriod('2026-01-01', '2026-03-15')).label).toEqual({ from: '2025-10-20', to: '2026-01-01' });
    // It never overlaps the period, so their difference singles out nobody.
    for (const p of [q1, parsePeriod('2026-02-10', '2026-02-11'), parsePeriod('2024-02-29', '2026-03-01')]) expect(() => checkComparable(p, previousPeriod(p))).not.toThrow();
  });

  it('names the last day a period includes and its whole months', () => {
    expect(lastDay(q1)).toBe('2026-03-31');
    expect(lastDay(parsePeriod('2024-02-01', '2024-03-01'))).toBe('2024-02-29');
    expect(wholeMonths(q1)).toBe(3);
    expect(wholeMonths(parsePeriod('2026-01-01', '2026-03-15'))).toBeNull();
  });

  it('offers the 12 months up to the end as a longer period, and nothing for a year or more', () => {
    expect(longerPeriod(q1)!.label).toEqual({ from: '2025-04-01', to: '2026-04-01' });
    expect(longerPeriod(parsePeriod('2026-01-01', '2026-03-15'))!.label).toEqual({ from: '2025-03-15', to: '2026-03-15' });
    expect(longerPeriod(parsePeriod('2025-04-01', '2026-04-01'))).toBeNull();
    expect(longerPeriod(parsePeriod('2024-01-01', '2026-04-01'))).toBeNull();
  });
});
