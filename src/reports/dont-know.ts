import { Rating } from '../store/ratings';
import { Store } from '../store/store';
import { checkMinCallers } from './disclosure-control';
import { MIN_CALLERS_FLOOR } from './figures';
import { Period } from './period';
import { Area, scopeFilter } from './rating-counts';

/**
 * "Don't know / did not use" (9 on a rating question): kept as an answer without a score
 * (Rating.noScore), so it is in no figure (rating-counts.ts reads scores 1-5 only), and counted
 * here, apart, with the same scope rule as every figure (one caller's latest answer per indicator,
 * test calls and places still to confirm left out). Like every published number it is shown only
 * when it rests on at least minCallers distinct callers; below that, only that there are some.
 */
export const DONT_KNOW = 'dont-know';

export interface DontKnowCount {
  answers: number;
  callers: number;
  /** 'shown': `answers` may be published; 'too-few': fewer than minCallers callers; 'none': no such answer. */
  status: 'shown' | 'too-few' | 'none';
}

export async function dontKnowAnswers(store: Store, period: Period, area: Area = {}, minCallers = MIN_CALLERS_FLOOR): Promise<DontKnowCount> {
  const floor = checkMinCallers(minCallers);
  const perCaller = await store.collection<Rating>('ratings').aggregate<{ _id: string; n: number }>([
    { $match: { $and: [scopeFilter(period, area), { noScore: DONT_KNOW }] } },
    { $group: { _id: '$callerId', n: { $sum: 1 } } },
  ]);
  const answers = perCaller.reduce((sum, c) => sum + c.n, 0);
  const callers = perCaller.length;
  return { answers, callers, status: callers === 0 ? 'none' : callers < floor ? 'too-few' : 'shown' };
}
