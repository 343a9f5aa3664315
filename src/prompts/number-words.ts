/**
 * Numbers spoken from recorded fragments, composed per language. Each fragment is one recorded
 * word, prompt `number.<value>` (its text per language in prompts/catalog.json); a number is the
 * list of fragment values to play in order. Languages compose differently, so the composition is
 * declared per language, never borrowed from English.
 *
 * Khmer counts in fives below ten and in tens above (source: Wikipedia, "Khmer numerals",
 * https://en.wikipedia.org/wiki/Khmer_numerals, "Modern Khmer numbers"): 1-5 have their own words
 * (មួយ ពីរ បី បួន ប្រាំ), 6-9 are five plus one to four (ប្រាំមួយ = ប្រាំ + មួយ … ប្រាំបួន), 10 ដប់,
 * the tens have their own words (ម្ភៃ 20, សាមសិប 30, សែសិប 40, ហាសិប 50, ហុកសិប 60, ចិតសិប 70,
 * ប៉ែតសិប 80, កៅសិប 90) followed by the units (ដប់មួយ 11, ម្ភៃប្រាំមួយ 26), and 100 is មួយរយ
 * (one + hundred), 1000 មួយពាន់.
 *
 * English has its own words for 0-19 and the tens; twenty-one is twenty + one; 100 is one hundred.
 *
 * The indigenous languages offered (Bunong, Tampuan, Jarai, Kreung, Kavet, Brao) count here with
 * the Khmer composition, each fragment recorded in their own voice: a default to be confirmed by
 * native speakers (many speakers count in Khmer for figures; where a language's own numbers are
 * wanted, it gets its own composition here).
 */

export const NUMBER_COMPOSITIONS = ['khmer', 'english'] as const;
export type NumberComposition = (typeof NUMBER_COMPOSITIONS)[number];

/** The largest number composed (a figure above it is not spoken: nothing on the line needs it). */
export const MAX_SPOKEN_NUMBER = 9999;

/** Languages whose composition is not the Khmer default. */
const COMPOSITION_OF_LANGUAGE: Readonly<Record<string, NumberComposition>> = { en: 'english' };

/** How a language composes numbers: Khmer unless declared otherwise above. */
export function compositionFor(language: string): NumberComposition {
  return COMPOSITION_OF_LANGUAGE[language] ?? 'khmer';
}

function checkRange(n: number) {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SPOKEN_NUMBER) throw new RangeError(`a spoken number is a whole number from 0 to ${MAX_SPOKEN_NUMBER}, not ${n}`);
}

/** Below 100, in Khmer: ones by fives, tens by their own words. */
function khmerBelowHundred(n: number): number[] {
  if (n <= 5) return [n];
  if (n < 10) return [5, n - 5];
  const tens = Math.floor(n / 10) * 10;
  const units = n % 10;
  return units === 0 ? [tens] : [tens, ...khmerBelowHundred(units)];
}

function englishBelowHundred(n: number): number[] {
  if (n < 20) return [n];
  const tens = Math.floor(n / 10) * 10;
  return n % 10 === 0 ? [tens] : [tens, n % 10];
}

/** Hundreds and thousands are "<count> hundred", "<count> thousand" in both, the rest after them. */
function compose(n: number, belowHundred: (n: number) => number[]): number[] {
  if (n < 100) return belowHundred(n);
  for (const unit of [1000, 100]) {
    if (n >= unit) {
      const count = Math.floor(n / unit);
      const rest = n % unit;
      return [...compose(count, belowHundred), unit, ...(rest ? compose(rest, belowHundred) : [])];
    }
  }
  return belowHundred(n);
}

/** The fragment values to play for `n`, in order (e.g. 26 in Khmer: [20, 5, 1]). */
export function numberFragments(n: number, composition: NumberComposition): number[] {
  checkRange(n);
  if (n === 0) return [0];
  return compose(n, composition === 'khmer' ? khmerBelowHundred : englishBelowHundred);
}

/** The prompt ids that speak `n` in a language (`number.<value>` each). */
export function numberPromptIds(n: number, language: string): string[] {
  return numberFragments(n, compositionFor(language)).map((v) => `number.${v}`);
}

/** Every fragment value a composition needs for the numbers 0..max (the recording list). */
export function fragmentsNeeded(composition: NumberComposition, max: number): number[] {
  const out = new Set<number>();
  for (let n = 0; n <= max; n++) for (const v of numberFragments(n, composition)) out.add(v);
  return [...out].sort((a, b) => a - b);
}
