import { figuresOf, meanOf, medianOf, satisfiedShareOf, change } from '../../src/reports/figures';
import { cambodianMidnight, parsePeriod, parsePeriodRange } from '../../src/reports/period';

describe('figures from counts at the five scale points', () => {
  it('takes the middle rating as the median when n is odd', () => {
    // ratings 1,2,2,4,5 -> middle is 2
    expect(medianOf([1, 2, 0, 1, 1])).toBe(2);
  });

  it('takes the mean of the two middle ratings as the median when n is even', () => {
    // ratings 1,2,3,4,5,5 -> middle pair 3,4 -> 3.5
    expect(medianOf([1, 1, 1, 1, 2])).toBe(3.5);
    // ratings 3,3,4,4 -> 3.5 ; ratings 4,4,4,5 -> 4
    expect(medianOf([0, 0, 2, 2, 0])).toBe(3.5);
    expect(medianOf([0, 0, 0, 3, 1])).toBe(4);
  });

  it('rounds the mean to two decimals and the satisfied share to four', () => {
    // 2+3+4+4+5+5 = 23 over 6
    expect(meanOf([0, 1, 1, 2, 2])).toBe(3.83);
    expect(satisfiedShareOf([0, 1, 1, 2, 2])).toBe(0.6667);
    expect(satisfiedShareOf([0, 0, 5, 0, 0])).toBe(0);
  });

  it('nulls every number of a withheld figure, callers and answers included, and keeps "no ratings" apart', () => {
    const withheld = { callers: null, answers: null, median: null, mean: null, counts: null, satisfiedShare: null, withheld: true };
    expect(figuresOf([5, 1, 0, 0, 0], 1, 'too-few')).toEqual({ status: 'too-few', ...withheld });
    expect(figuresOf([5, 1, 0, 0, 0], 6, 'protects-another')).toEqual({ status: 'protects-another', ...withheld });
    expect(figuresOf([0, 0, 0, 0, 0], 0, 'no-ratings')).toEqual({ status: 'no-ratings', withheld: false, callers: 0, answers: 0, median: null, mean: null, counts: null, satisfiedShare: null });
    // Five callers, six answers.
    expect(figuresOf([0, 0, 5, 1, 0], 5, 'shown')).toEqual({ status: 'shown', withheld: false, callers: 5, answers: 6, median: 3, mean: 3.17, counts: [0, 0, 5, 1, 0], satisfiedShare: 0.1667 });
  });

  it('reports no change when either period is withheld', () => {
    expect(change(0.6667, 0.1667)).toBe(0.5);
    expect(change(0.6667, null)).toBeNull();
  });
});

describe('reporting periods in Cambodian calendar days', () => {
  it('starts a day at midnight in Phnom Penh (17:00 UTC the day before)', () => {
    expect(cambodianMidnight('2026-01-01').toISOString()).toBe('2025-12-31T17:00:00.000Z');
  });

  it('refuses a malformed date, an impossible day, and a period that ends before it starts', () => {
    expect(() => parsePeriod('2026-1-1', '2026-02-01')).toThrow(/not a date/);
    expect(() => parsePeriod('2026-02-30', '2026-03-01')).toThrow(/not a real calendar day/);
    expect(() => parsePeriod('2026-03-01', '2026-03-01')).toThrow(/before or when it starts/);
    expect(() => parsePeriodRange('2026-01-01')).toThrow(/2025-01-01\.\.2025-04-01/);
  });
});
