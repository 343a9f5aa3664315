import { FigureStatus } from './figures';

/**
 * Figures in words a council reads at a glance: the share satisfied (rated 4 or 5) as a whole
 * number out of 10 ("7 of 10 callers satisfied"), and its change since the previous period as the
 * difference of the two numbers shown ("up 2 of 10"). Both come only from figures that disclosure
 * control let through (status "shown"): a withheld figure, or one with no ratings, has no number
 * out of 10 and no change, so no difference is ever taken with a figure nobody may see.
 */

/** What is needed of a figure: its status and its share satisfied (a table cell or a full figure). */
export interface SharedFigure {
  status: FigureStatus;
  satisfiedShare: number | null;
}

export interface OutOfTen {
  /** The share satisfied rounded to a whole number out of 10. */
  tenths: number;
  /** Some satisfied, but fewer than half of one in 10 ("fewer than 1 of 10" rather than "0 of 10"). */
  underOne: boolean;
  /** Not all satisfied, but more than 9.5 in 10 ("more than 9 of 10" rather than "10 of 10"). */
  overNine: boolean;
}

/** The share satisfied out of 10, or null when the figure is not shown. */
export function satisfiedOutOfTen(f: SharedFigure): OutOfTen | null {
  if (f.status !== 'shown' || f.satisfiedShare === null) return null;
  const tenths = Math.round(f.satisfiedShare * 10);
  return { tenths, underOne: tenths === 0 && f.satisfiedShare > 0, overNine: tenths === 10 && f.satisfiedShare < 1 };
}

/**
 * The change out of 10 from the baseline to the later figure: the later number shown minus the
 * earlier one, so that "7 of 10, up 2" always agrees with "5 of 10" shown for the earlier period.
 * Null unless both figures are shown.
 */
export function changeOutOfTen(later: SharedFigure, baseline: SharedFigure): number | null {
  const a = satisfiedOutOfTen(later);
  const b = satisfiedOutOfTen(baseline);
  return a && b ? a.tenths - b.tenths : null;
}
