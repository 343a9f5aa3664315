/**
 * Scorecard figures derived from counts at the five scale points. Counting happens in the
 * database; everything here is arithmetic on those counts, so it is the same on both engines.
 *
 * Definitions (documented for councils and tested by hand):
 * - callers: distinct callers whose ratings the figure rests on; answers: the ratings counted
 *   (after one-caller-one-vote deduplication, see rating-counts.ts). One call can give six
 *   answers, so the privacy threshold is on callers, never on answers.
 * - median: the middle rating; for an even number of answers, the mean of the two middle
 *   ratings (so it can be x.5, e.g. ratings 2,3 give 2.5). ISAF reports the median.
 * - mean: the arithmetic mean, rounded to 2 decimals.
 * - satisfiedShare: ratings of 4 or 5 (scale.satisfiedFrom) over answers, rounded to 4 decimals.
 * - status: "shown"; "no-ratings" (nobody rated: callers and answers 0, the rest null);
 *   "too-few" (1 to minCallers-1 callers); "protects-another" (enough callers, but withheld so
 *   that a "too few" figure cannot be worked out by subtraction, see disclosure-control.ts).
 *   Withheld figures have every number null, callers and answers included.
 */

/** The smallest number of distinct callers a published figure may rest on; never lower. */
export const MIN_CALLERS_FLOOR = 5;
export const SCALE_POINTS = 5;

/** counts[k] = ratings with score k+1. */
export type Counts = number[];

export type FigureStatus = 'shown' | 'no-ratings' | 'too-few' | 'protects-another';

export interface Figures {
  status: FigureStatus;
  /** True for "too-few" and "protects-another". */
  withheld: boolean;
  callers: number | null;
  answers: number | null;
  median: number | null;
  mean: number | null;
  counts: Counts | null;
  satisfiedShare: number | null;
}

export function emptyCounts(): Counts {
  return new Array(SCALE_POINTS).fill(0);
}

export function addCounts(into: Counts, from: Counts): Counts {
  for (let k = 0; k < SCALE_POINTS; k++) into[k] += from[k];
  return into;
}

export function sumCounts(list: Counts[]): Counts {
  return list.reduce((acc, c) => addCounts(acc, c), emptyCounts());
}

export function total(counts: Counts): number {
  return counts.reduce((a, b) => a + b, 0);
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

/** The score at 1-based position `rank` when the ratings are sorted ascending. */
function scoreAtRank(counts: Counts, rank: number): number {
  let seen = 0;
  for (let k = 0; k < SCALE_POINTS; k++) {
    seen += counts[k];
    if (seen >= rank) return k + 1;
  }
  throw new RangeError(`rank ${rank} beyond ${seen} ratings`);
}

/** Median with the even-n rule above; null for no ratings. */
export function medianOf(counts: Counts): number | null {
  const n = total(counts);
  if (n === 0) return null;
  if (n % 2 === 1) return scoreAtRank(counts, (n + 1) / 2);
  return (scoreAtRank(counts, n / 2) + scoreAtRank(counts, n / 2 + 1)) / 2;
}

export function meanOf(counts: Counts): number | null {
  const n = total(counts);
  if (n === 0) return null;
  return round(counts.reduce((acc, c, k) => acc + c * (k + 1), 0) / n, 2);
}

export function satisfiedShareOf(counts: Counts, satisfiedFrom = 4): number | null {
  const n = total(counts);
  if (n === 0) return null;
  return round(counts.slice(satisfiedFrom - 1).reduce((a, b) => a + b, 0) / n, 4);
}

/** The figures for counts resting on `callers` distinct callers, under the given status. */
export function figuresOf(counts: Counts, callers: number, status: FigureStatus, satisfiedFrom = 4): Figures {
  if (status === 'too-few' || status === 'protects-another') {
    return { status, withheld: true, callers: null, answers: null, median: null, mean: null, counts: null, satisfiedShare: null };
  }
  if (status === 'no-ratings') {
    return { status, withheld: false, callers: 0, answers: 0, median: null, mean: null, counts: null, satisfiedShare: null };
  }
  return {
    status,
    withheld: false,
    callers,
    answers: total(counts),
    median: medianOf(counts),
    mean: meanOf(counts),
    counts: [...counts],
    satisfiedShare: satisfiedShareOf(counts, satisfiedFrom),
  };
}

/** A figure with no ratings behind it (an area or period with nothing in scope). */
export const NO_RATINGS: Figures = figuresOf(new Array(5).fill(0), 0, 'no-ratings');

/** Whether a figure's numbers are published ("no ratings" is: it is 0). */
export const isShown = (f: Figures) => !f.withheld;

/** A later period's figure minus the baseline's; null when either is withheld. */
export function change(later: number | null, baseline: number | null, places = 4): number | null {
  if (later === null || baseline === null) return null;
  return round(later - baseline, places);
}
