import { RatingScope } from '../../src/reports/rating-counts';
import { parsePeriod } from '../../src/reports/period';
import { Rating, RatingsRepository } from '../../src/store/ratings';
import { bucketOf, ensureRepeatRatingsMarked, markAllRepeatRatings, supersededAtChanges } from '../../src/store/repeat-ratings';
import { Store } from '../../src/store/store';
import { rating } from '../reports/rating-fixture';
import { closeTestStore, openTestStore } from '../support/engine';

const at = (iso: string) => new Date(iso);

describe('supersededAtChanges: each rating of a key points at the next one', () => {
  it('marks every rating but the latest with the next one\'s time, whatever order they come in', () => {
    const links = [
      { _id: 'c', ratedAt: at('2026-03-01T00:00:00Z') },
      { _id: 'a', ratedAt: at('2026-01-01T00:00:00Z') },
      { _id: 'b', ratedAt: at('2026-02-01T00:00:00Z') },
    ];
    expect(supersededAtChanges(links)).toEqual([
      { _id: 'a', supersededAt: at('2026-02-01T00:00:00Z') },
      { _id: 'b', supersededAt: at('2026-03-01T00:00:00Z') },
    ]);
  });

  it('on an exact tie the larger _id is the later rating', () => {
    const t = at('2026-01-01T00:00:00Z');
    expect(supersededAtChanges([{ _id: 'y', ratedAt: t }, { _id: 'x', ratedAt: t }])).toEqual([{ _id: 'x', supersededAt: t }]);
  });

  it('asks for nothing when the marks are right, and clears a mark left on the latest', () => {
    const jan = at('2026-01-01T00:00:00Z');
    const feb = at('2026-02-01T00:00:00Z');
    expect(supersededAtChanges([{ _id: 'a', ratedAt: jan, supersededAt: feb }, { _id: 'b', ratedAt: feb }])).toEqual([]);
    expect(supersededAtChanges([{ _id: 'a', ratedAt: jan, supersededAt: feb }])).toEqual([{ _id: 'a', supersededAt: null }]);
  });
});

describe('repeat marks in the store', () => {
  let store: Store;
  let repo: RatingsRepository;
  beforeEach(async () => {
    store = await openTestStore();
    repo = new RatingsRepository(store);
  });
  afterEach(async () => closeTestStore(store));

  const marks = async () => {
    const docs = await store.collection<Rating>('ratings').find({}, { sort: { _id: 1 } });
    return Object.fromEntries(docs.map((d) => [d._id, d.supersededAt ? new Date(d.supersededAt).toISOString() : null]));
  };
  const save = (callSid: string, callerId: string, indicatorId: string, score: number, ratedAt: string) => repo.save({
    callSid, callerId, communeCode: '010201', districtCode: '0102', provinceCode: '01', service: 'health', indicatorId, score,
    language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: at(ratedAt),
  });

  it('two schools of one commune are two things rated: both kept in one call, each replaced only by the caller\'s next rating of it', async () => {
    const school = (callSid: string, facilityId: string | undefined, score: number, ratedAt: string) => repo.save({
      callSid, callerId: 'caller-1', communeCode: '010201', districtCode: '0102', provinceCode: '01', service: 'school', indicatorId: 'teacher-attendance', score,
      language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: at(ratedAt), ...(facilityId ? { facilityId } : {}),
    });
    await school('CA1', 'ps-a', 4, '2026-02-01T03:00:00Z');
    await school('CA1', 'ps-b', 2, '2026-02-01T03:05:00Z');
    await school('CA1', undefined, 3, '2026-02-01T03:10:00Z'); // the commune's school where no facility was chosen
    expect(await marks()).toEqual({ 'CA1:010201:school:teacher-attendance': null, 'CA1:010201:school:teacher-attendance:ps-a': null, 'CA1:010201:school:teacher-attendance:ps-b': null });
    await school('CA2', 'ps-a', 5, '2026-03-01T03:00:00Z');
    expect(await marks()).toMatchObject({ 'CA1:010201:school:teacher-attendance:ps-a': '2026-03-01T03:00:00.000Z', 'CA1:010201:school:teacher-attendance:ps-b': null, 'CA1:010201:school:teacher-attendance': null });
    // The whole-store pass agrees.
    await store.collection<Rating>('ratings').updateMany({}, { $unset: { supersededAt: '' } });
    await markAllRepeatRatings(store);
    expect(await marks()).toMatchObject({ 'CA1:010201:school:teacher-attendance:ps-a': '2026-03-01T03:00:00.000Z', 'CA1:010201:school:teacher-attendance:ps-b': null, 'CA1:010201:school:teacher-attendance': null });
  });

  it('the hotline\'s saves mark the replaced ratings, in any arrival order, and a retried turn changes nothing', async () => {
    await save('CAfeb', 'caller-1', 'staff-attitude', 2, '2026-02-01T03:00:00Z');
    await save('CAjan', 'caller-1', 'staff-attitude', 1, '2026-01-01T03:00:00Z'); // arrives late (another instance's clock)
    await save('CAmar', 'caller-1', 'staff-attitude', 5, '2026-03-01T03:00:00Z');
    await save('CAmar', 'caller-1', 'staff-attitude', 5, '2026-03-01T03:00:00Z'); // the carrier retried the turn
    await save('CAmar', 'caller-1', 'medicines', 4, '2026-03-01T03:00:00Z'); // another indicator: its own key
    await save('CAother', 'caller-2', 'staff-attitude', 3, '2026-03-02T03:00:00Z'); // another caller: their own key
    await save('CAtestline1', 'caller-1', 'staff-attitude', 1, '2026-04-01T03:00:00Z'); // staff test call: never replaces
    expect(await marks()).toEqual({
      'CAfeb:010201:health:staff-attitude': '2026-03-01T03:00:00.000Z',
      'CAjan:010201:health:staff-attitude': '2026-02-01T03:00:00.000Z',
      'CAmar:010201:health:medicines': null,
      'CAmar:010201:health:staff-attitude': null,
      'CAother:010201:health:staff-attitude': null,
      'CAtestline1:010201:health:staff-attitude': null,
    });
    // Counted once per period, the latest in that period: February's 2 in Jan-Feb, March's 5 over the quarter.
    const scores = async (from: string, to: string) => (await RatingScope.of(store, parsePeriod(from, to)).countBy(['indicatorId']))
      .filter((r) => r.key.indicatorId === 'staff-attitude').map((r) => r.counts);
    expect(await scores('2026-01-01', '2026-03-01')).toEqual([[0, 1, 0, 0, 0]]);
    expect(await scores('2026-01-01', '2026-04-01')).toEqual([[0, 0, 1, 0, 1]]); // caller-2's 3 and caller-1's 5
    expect(await scores('2026-01-01', '2026-01-15')).toEqual([[1, 0, 0, 0, 0]]);
  });

  it('a save told that the caller had never rated before reads nothing and marks nothing', async () => {
    await save('CAjan', 'caller-1', 'staff-attitude', 1, '2026-01-01T03:00:00Z');
    await repo.save({
      callSid: 'CAfeb', callerId: 'caller-1', communeCode: '010201', districtCode: '0102', provinceCode: '01', service: 'health', indicatorId: 'staff-attitude', score: 2,
      language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: at('2026-02-01T03:00:00Z'),
    }, { mayReplace: false });
    expect(Object.values(await marks())).toEqual([null, null]);
  });

  it('the upgrade marks ratings stored without marks, clears stray ones, and a second run changes nothing', async () => {
    const stored = [
      rating('u1', '010201', 'staff-attitude', 1, '2026-01-10T03:00:00Z'),
      rating('u1', '010201', 'staff-attitude', 4, '2026-02-10T03:00:00Z'),
      rating('u1', '010201', 'staff-attitude', 5, '2026-01-20T03:00:00Z'),
      rating('u2', '010201', 'staff-attitude', 3, '2026-01-10T03:00:00Z', {}, { supersededAt: at('2026-05-01T00:00:00Z') }), // stray
      rating('u1', '010201', 'staff-attitude', 2, '2026-03-10T03:00:00Z', {}, { testCall: true }),
    ];
    await store.collection<Rating>('ratings').insertMany(stored);
    const first = await markAllRepeatRatings(store);
    expect(first).toEqual({ ratings: 4, repeatedKeys: 1, changed: 3 });
    const m = await marks();
    expect(m[stored[0]._id]).toBe('2026-01-20T03:00:00.000Z');
    expect(m[stored[2]._id]).toBe('2026-02-10T03:00:00.000Z');
    expect(m[stored[1]._id]).toBeNull();
    expect(m[stored[3]._id]).toBeNull();
    expect(m[stored[4]._id]).toBeNull();
    expect(await markAllRepeatRatings(store)).toEqual({ ratings: 4, repeatedKeys: 1, changed: 0 });
  });

  it('the upgrade leaves alone two single ratings whose keys share a bucket, and clears a stray mark on one', async () => {
    // Two callers whose keys (caller, commune, service, indicator) hash to the same bucket.
    const key = (c: string) => `${c}\u0000010201\u0000health\u0000medicines`;
    const byBucket = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; !pair; i++) {
      const caller = `k${i}`;
      const other = byBucket.get(bucketOf(key(caller)));
      if (other) pair = [other, caller];
      else byBucket.set(bucketOf(key(caller)), caller);
    }
    const a = rating(pair[0], '010201', 'medicines', 2, '2026-01-10T03:00:00Z');
    const b = rating(pair[1], '010201', 'medicines', 3, '2026-01-11T03:00:00Z', {}, { supersededAt: at('2026-02-01T00:00:00Z') });
    await store.collection<Rating>('ratings').insertMany([a, b]);
    expect(await markAllRepeatRatings(store)).toEqual({ ratings: 2, repeatedKeys: 0, changed: 1 });
    expect(await marks()).toEqual({ [a._id]: null, [b._id]: null });
  });

  it('the upgrade runs once per store', async () => {
    await store.collection<Rating>('ratings').insertMany([
      rating('v1', '010201', 'medicines', 1, '2026-01-10T03:00:00Z'),
      rating('v1', '010201', 'medicines', 2, '2026-01-11T03:00:00Z'),
    ]);
    const logged: string[] = [];
    const log = (msg: string) => { logged.push(msg); };
    expect(await ensureRepeatRatingsMarked(store, log)).toEqual({ ratings: 2, repeatedKeys: 1, changed: 1 });
    expect(await ensureRepeatRatingsMarked(store, log)).toBeNull();
    expect(logged).toEqual([expect.stringMatching(/^upgrade: marking ratings/), expect.stringMatching(/^upgrade: marked the ratings/)]);
  });
});
