import fc from 'fast-check';
import { compositionFor, fragmentsNeeded, MAX_SPOKEN_NUMBER, numberFragments, numberPromptIds } from '../../src/prompts/number-words';

/** The Khmer word of each fragment (Wikipedia, "Khmer numerals"), to read an expectation as a Khmer speaker would. */
const KHMER: Record<number, string> = {
  0: 'សូន្យ', 1: 'មួយ', 2: 'ពីរ', 3: 'បី', 4: 'បួន', 5: 'ប្រាំ', 10: 'ដប់', 20: 'ម្ភៃ', 30: 'សាមសិប', 40: 'សែសិប',
  50: 'ហាសិប', 60: 'ហុកសិប', 70: 'ចិតសិប', 80: 'ប៉ែតសិប', 90: 'កៅសិប', 100: 'រយ', 1000: 'ពាន់',
};
const ENGLISH: Record<number, string> = {
  0: 'zero', 1: 'one', 2: 'two', 3: 'three', 4: 'four', 5: 'five', 6: 'six', 7: 'seven', 8: 'eight', 9: 'nine', 10: 'ten',
  11: 'eleven', 12: 'twelve', 13: 'thirteen', 14: 'fourteen', 15: 'fifteen', 16: 'sixteen', 17: 'seventeen', 18: 'eighteen', 19: 'nineteen',
  20: 'twenty', 30: 'thirty', 40: 'forty', 50: 'fifty', 60: 'sixty', 70: 'seventy', 80: 'eighty', 90: 'ninety', 100: 'hundred', 1000: 'thousand',
};
const khmer = (n: number) => numberFragments(n, 'khmer').map((v) => KHMER[v]).join('');
const english = (n: number) => numberFragments(n, 'english').map((v) => ENGLISH[v]).join(' ');

describe('numbers spoken from fragments, per language', () => {
  it.each([
    [0, 'សូន្យ'], [1, 'មួយ'], [5, 'ប្រាំ'], [6, 'ប្រាំមួយ'], [7, 'ប្រាំពីរ'], [9, 'ប្រាំបួន'], [10, 'ដប់'], [11, 'ដប់មួយ'],
    [16, 'ដប់ប្រាំមួយ'], [20, 'ម្ភៃ'], [26, 'ម្ភៃប្រាំមួយ'], [30, 'សាមសិប'], [47, 'សែសិបប្រាំពីរ'], [53, 'ហាសិបបី'],
    [60, 'ហុកសិប'], [70, 'ចិតសិប'], [88, 'ប៉ែតសិបប្រាំបី'], [99, 'កៅសិបប្រាំបួន'], [100, 'មួយរយ'], [101, 'មួយរយមួយ'],
    [250, 'ពីររយហាសិប'], [1000, 'មួយពាន់'], [2027, 'ពីរពាន់ម្ភៃប្រាំពីរ'],
  ])('in Khmer, %i is %s', (n, words) => {
    expect(khmer(n)).toBe(words);
  });

  it.each([
    [0, 'zero'], [7, 'seven'], [10, 'ten'], [13, 'thirteen'], [20, 'twenty'], [21, 'twenty one'], [45, 'forty five'],
    [99, 'ninety nine'], [100, 'one hundred'], [115, 'one hundred fifteen'], [2027, 'two thousand twenty seven'],
  ])('in English, %i is %s', (n, words) => {
    expect(english(n)).toBe(words);
  });

  it('every number up to the largest spoken has Khmer words made only of Khmer fragments (never six to nine, never eleven to nineteen)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_SPOKEN_NUMBER }), (n) => {
      for (const v of numberFragments(n, 'khmer')) expect(KHMER[v]).toBeDefined();
    }));
  });

  it('the fragments add back up to the number in both compositions (hundreds and thousands multiply what comes before them)', () => {
    const value = (fragments: number[]) => {
      let total = 0;
      let group = 0;
      for (const v of fragments) {
        if (v === 100 || v === 1000) {
          total += (group || 1) * v;
          group = 0;
        } else group += v;
      }
      return total + group;
    };
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_SPOKEN_NUMBER }), fc.constantFrom('khmer' as const, 'english' as const), (n, c) => {
      expect(value(numberFragments(n, c))).toBe(n);
    }));
  });

  it('a number out of range or not whole is refused, not spoken wrong', () => {
    expect(() => numberFragments(-1, 'khmer')).toThrow(RangeError);
    expect(() => numberFragments(MAX_SPOKEN_NUMBER + 1, 'english')).toThrow(RangeError);
    expect(() => numberFragments(2.5, 'khmer')).toThrow(RangeError);
  });

  it('Khmer is the default composition (the indigenous languages count with Khmer fragments in their own voice); English has its own', () => {
    expect(compositionFor('km')).toBe('khmer');
    expect(compositionFor('cmo')).toBe('khmer');
    expect(compositionFor('en')).toBe('english');
    expect(numberPromptIds(7, 'km')).toEqual(['number.5', 'number.2']);
    expect(numberPromptIds(7, 'cmo')).toEqual(['number.5', 'number.2']);
    expect(numberPromptIds(7, 'en')).toEqual(['number.7']);
  });

  it('the recording list for 0 to 100: Khmer needs 0-5, the tens and hundred; English adds six to nineteen', () => {
    expect(fragmentsNeeded('khmer', 100)).toEqual([0, 1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(fragmentsNeeded('english', 100)).toEqual([...Array.from({ length: 20 }, (_, i) => i), 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });
});
