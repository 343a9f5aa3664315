import { Rating } from '../../src/store/ratings';
import { markAllRepeatRatings, REPEAT_MARKS_MIGRATION } from '../../src/store/repeat-ratings';
import { Store } from '../../src/store/store';

/**
 * A small fixed data set whose figures were worked out by hand (see the expectations in
 * scorecard-reports.test.ts). Period Q1 2026 in Cambodian days, [2026-01-01, 2026-04-01):
 * from 2025-12-31T17:00Z inclusive to 2026-03-31T17:00Z exclusive.
 */
type Who = { gender?: string; age?: string; disability?: string; lang?: Rating['languageGroup'] };
let seq = 0;
export function rating(caller: string, commune: string, indicatorId: string, score: number, at: string, who: Who = {}, extra: Record<string, unknown> = {}): Rating {
  seq += 1;
  return {
    _id: `CA${seq}:${commune}:health:${indicatorId}`,
    callSid: `CA${seq}`,
    callerId: caller,
    communeCode: commune,
    districtCode: commune.slice(0, 4),
    provinceCode: commune.slice(0, 2),
    service: 'health',
    indicatorId,
    score,
    language: who.lang === 'indigenous' ? 'cmo' : 'km',
    languageGroup: who.lang ?? 'khmer',
    demographics: { gender: who.gender ?? 'unstated', ageGroup: who.age ?? 'unstated', disability: who.disability ?? 'unstated' },
    ratedAt: new Date(at),
    ...extra,
  } as Rating;
}

const woman = (o: Who = {}) => ({ gender: 'woman', disability: 'no', ...o });
const man = (o: Who = {}) => ({ gender: 'man', disability: 'no', ...o });

export const FIXTURE: Rating[] = [
  // 010201 staff-attitude. c1 rated 1 then changed to 4: only the latest (4) counts.
  rating('c1', '010201', 'staff-attitude', 1, '2026-01-10T03:00:00Z'),
  rating('c1', '010201', 'staff-attitude', 4, '2026-02-10T03:00:00Z', woman({ disability: 'yes', lang: 'indigenous' })),
  rating('c2', '010201', 'staff-attitude', 2, '2025-12-31T17:00:00Z', woman()), // exactly at `from`: counted
  rating('c3', '010201', 'staff-attitude', 3, '2026-01-11T03:00:00Z', woman()),
  rating('c4', '010201', 'staff-attitude', 4, '2026-01-12T03:00:00Z', man()),
  rating('c5', '010201', 'staff-attitude', 5, '2026-01-13T03:00:00Z', man({ disability: 'yes', lang: 'indigenous' })),
  rating('c6', '010201', 'staff-attitude', 5, '2026-01-14T03:00:00Z', { gender: 'man' }),
  rating('c7', '010201', 'staff-attitude', 1, '2026-03-31T17:00:00Z', woman()), // exactly at `to`: not counted
  rating('c8', '010201', 'staff-attitude', 1, '2026-01-15T03:00:00Z', woman(), { testCall: true }), // "try the line": never counted
  // 010201 medicines: four ratings, withheld.
  rating('c2', '010201', 'medicines', 1, '2026-01-20T03:00:00Z', woman()),
  rating('c3', '010201', 'medicines', 1, '2026-01-20T03:00:00Z', woman()),
  rating('c4', '010201', 'medicines', 2, '2026-01-20T03:00:00Z', man()),
  rating('c5', '010201', 'medicines', 5, '2026-01-20T03:00:00Z', man({ disability: 'yes', lang: 'indigenous' })),
  // 010202 staff-attitude: five men aged 60 or more rate 3.
  ...['c9', 'c10', 'c11', 'c12', 'c13'].map((c) => rating(c, '010202', 'staff-attitude', 3, '2026-02-01T03:00:00Z', man({ age: '60-plus' }))),
  // Another province, for area filtering.
  ...['e1', 'e2', 'e3', 'e4', 'e5'].map((c) => rating(c, '120101', 'staff-attitude', 1, '2026-02-01T03:00:00Z', man())),
  // Baseline Q4 2025: five callers rate 2; c1's 5 a minute before Q1 starts belongs to Q4.
  ...['d1', 'd2', 'd3', 'd4', 'd5'].map((c) => rating(c, '010201', 'staff-attitude', 2, '2025-11-01T03:00:00Z', woman())),
  rating('c1', '010201', 'staff-attitude', 5, '2025-12-31T16:59:00Z', woman()),
];


/**
 * Stores ratings with insertMany, then marks the repeated ones the way the one-time upgrade
 * does, and records the upgrade as done: the store is then as this version keeps it. The
 * hotline's own saves are tested in test/store/repeat-ratings.test.ts.
 */
export async function storeRatings(store: Store, ratings: readonly Rating[] = FIXTURE): Promise<void> {
  await store.collection<Rating>('ratings').insertMany(ratings.map((r) => ({ ...r })));
  await markAllRepeatRatings(store);
  await store.collection('migrations').updateOne({ _id: REPEAT_MARKS_MIGRATION }, { $set: { doneAt: new Date() } }, { upsert: true });
}
