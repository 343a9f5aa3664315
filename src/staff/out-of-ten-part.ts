/**
 * A share satisfied as a council member and a citizen read it: ten squares, as many filled as
 * callers out of 10 satisfied, beside the same figure in words ("7 of 10 callers satisfied").
 * The words are the text alternative (the squares are hidden from screen readers); the squares
 * scale with the text (em units), so the part fits a 360 px phone and prints in greyscale
 * (filled and empty squares differ in more than colour). Used by the staff commune report and
 * the public dashboard and posters (src/public/), so both show one picture of one figure.
 */
import { OutOfTen } from '../reports/out-of-ten';
import { html, SafeHtml } from './html';
import { Translate } from './i18n/i18n';

/** The number of the words: "7", "fewer than 1", "more than 9". */
export function outOfTenNumber(o: OutOfTen, t: Translate): string | number {
  return o.underOne ? t('report.fewer-than-one') : o.overNine ? t('report.more-than-nine') : o.tenths;
}

/** Ten squares, `tenths` of them filled; hidden from screen readers (the words beside it say the same). */
export function outOfTenChart(o: OutOfTen): SafeHtml {
  const squares = Array.from({ length: 10 }, (_, k) => html`<rect x="${k * 20 + 1}" y="1" width="16" height="16" rx="2" class="${k < o.tenths ? 'filled' : 'empty'}"/>`);
  return html`<svg class="of-ten-chart" viewBox="0 0 200 18" aria-hidden="true" focusable="false">${squares}</svg>`;
}

/** The squares and the words together; `words` is the figure in words (report-words.ts). */
export function outOfTenPart(o: OutOfTen, words: string): SafeHtml {
  return html`<span class="of-ten-part">${outOfTenChart(o)} <strong class="of-ten">${words}</strong></span>`;
}
