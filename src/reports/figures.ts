/**
 * Scorecard figures derived from counts at the five scale points. Counting happens in the
 * database; everything here is arithmetic on those counts, so it is the same on both engines.
 *
 * Definitions (documented for councils and tested by hand):
 * - n: ratings counted (after one-caller-one-vote deduplication, see rating-counts.ts).
 * - median: the middle rating; for an even n, the mean of the two middle ratings (so it can
 *   be x.5, e.g. ratings 2,3 give 2.5). ISAF reports the median as its summary figure.
 * - mean: the arithmetic mean, rounded to 2 decimals.
 * - satisfiedShare: ratings of 4 or 5 (scale.satisfiedFrom) over n, a fraction rounded to 4 decimals.
 * - Withheld: built on fewer than MIN_RATINGS ratings, every figure (n included) is null and
 *   withheld is true, so that no one's answer can be singled out.
 */

export const MIN_RATINGS = 5;
export const SCALE_POINTS = 5;

/** counts[k] = ratings with score k+1. */
export type Counts = number[];

export interface Figures {
  n: number | null;
  median: number | null;
  mean: number | null;
  counts: Counts | null;
  satisfiedShare: number | null;
  withheld: boolean;
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

export function figuresOf(counts: Counts, satisfiedFrom = 4): Figures {
  const n = total(counts);
  if (n < MIN_RATINGS) return { n: null, median: null, mean: null, counts: null, satisfiedShare: null, withheld: true };
  return {
    n,
    median: medianOf(counts),
    mean: meanOf(counts),
    counts: [...counts],
    satisfiedShare: satisfiedShareOf(counts, satisfiedFrom),
    withheld: false,
  };
}

/** A later period's figure minus the baseline's; null when either is withheld. */
export function change(later: number | null, baseline: number | null, places = 4): number | null {
  if (later === null || baseline === null) return null;
  return round(later - baseline, places);
}
