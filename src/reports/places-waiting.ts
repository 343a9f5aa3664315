import { PLACE_TO_CONFIRM_FIELD } from '../store/places-to-confirm';
import { Rating } from '../store/ratings';
import { Store } from '../store/store';
import { checkMinCallers } from './disclosure-control';
import { MIN_CALLERS_FLOOR } from './figures';
import { Period } from './period';
import { TEST_CALL_FIELD } from './rating-counts';

/**
 * Ratings of a period whose place a caller said (no code) and staff have not yet confirmed: they
 * are in no figure (src/reports/rating-counts.ts leaves them out), and reports say how many wait,
 * apart. Under the same rule as every figure: the number is shown only when it rests on at least
 * minCallers distinct callers; below that, only that some wait.
 */
export interface PlacesWaiting {
  ratings: number;
  callers: number;
  /** 'shown': `ratings` may be published; 'too-few': fewer than minCallers callers; 'none': nothing waits. */
  status: 'shown' | 'too-few' | 'none';
}

export async function ratingsWaitingForPlace(store: Store, period: Period, minCallers = MIN_CALLERS_FLOOR): Promise<PlacesWaiting> {
  const floor = checkMinCallers(minCallers);
  const perCaller = await store.collection<Rating>('ratings').aggregate<{ _id: string; n: number }>([
    { $match: { [PLACE_TO_CONFIRM_FIELD]: true, [TEST_CALL_FIELD]: { $ne: true }, ratedAt: { $gte: period.from, $lt: period.to } } },
    { $group: { _id: '$callerId', n: { $sum: 1 } } },
  ]);
  const ratings = perCaller.reduce((sum, c) => sum + c.n, 0);
  const callers = perCaller.length;
  return { ratings, callers, status: callers === 0 ? 'none' : callers < floor ? 'too-few' : 'shown' };
}
