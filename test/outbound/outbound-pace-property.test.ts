import fc from 'fast-check';
import { OutboundLimits } from '../../src/outbound/outbound-limits';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

/**
 * OUTBOUND_MAX_PER_MINUTE is a promise to the carrier: no 60 s window, wherever it falls, holds
 * more starts than the pace. Paces that do not divide 60 s are where a rounding slip shows: at 7
 * a minute, a gap rounded down (8,571 ms) lets a window of 59,997 ms hold 8 starts.
 * The clock is the test's: nothing here waits or races the machine.
 */
const MINUTE = 60_000;

/** The most starts any 60 s window [t, t + 60 s) holds; the fullest window starts at a start. */
function fullestMinute(starts: number[]): number {
  let most = 0;
  for (let i = 0; i < starts.length; i++) {
    let n = 0;
    for (let j = i; j < starts.length && starts[j] < starts[i] + MINUTE; j++) n += 1;
    most = Math.max(most, n);
  }
  return most;
}

describe(`outbound pace over any minute (${ENGINE} store)`, () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(() => closeTestStore(store));

  /**
   * A worker asking as eagerly as it can: after each start it waits exactly what msToNextSlot
   * says (plus `lateBy(k)` ms, a scheduler's delay) and asks again. Returns the start times.
   */
  async function startsAt(perMinute: number, startCount: number, lateBy: (k: number) => number): Promise<number[]> {
    await store.collection('outbound_pace').deleteMany({});
    let clock = Date.parse('2026-11-30T03:00:00.000Z');
    const limits = new OutboundLimits(store, { maxConcurrent: 1, maxPerMinute: perMinute, dailyBudget: 100_000 }, () => new Date(clock));
    const starts: number[] = [];
    while (starts.length < startCount) {
      if (!(await limits.takePaceSlot())) throw new Error(`pace ${perMinute}: refused after waiting what msToNextSlot said`);
      starts.push(clock);
      const wait = await limits.msToNextSlot();
      expect(wait).toBeGreaterThan(0); // a start was just taken: the next is not allowed at once
      clock += wait + lateBy(starts.length);
    }
    return starts;
  }

  it('at every pace from 1 to 60 a minute, an eager worker never gets more starts than the pace into a 60 s window', async () => {
    const tooMany: string[] = [];
    for (let perMinute = 1; perMinute <= 60; perMinute++) {
      const starts = await startsAt(perMinute, perMinute + 2, () => 0);
      const most = fullestMinute(starts);
      if (most > perMinute) tooMany.push(`${perMinute}/min: ${most} starts in one 60 s window`);
      // And it does get the pace: the gap is no longer than a whole millisecond above 60 s / pace.
      expect(starts[perMinute] - starts[0]).toBeLessThan(MINUTE + perMinute);
    }
    expect(tooMany).toEqual([]);
  }, 180_000); // about 4,000 store operations: a slow shared server may need a minute

  it('holds for any pace and any delays of the worker between asks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        // Mostly no delay (the eager case), sometimes a few ms or seconds late.
        fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }) }), { minLength: 1, maxLength: 80 }),
        async (perMinute, delays) => {
          const starts = await startsAt(perMinute, Math.min(perMinute * 2 + 1, 40), (k) => delays[k % delays.length]);
          expect(fullestMinute(starts)).toBeLessThanOrEqual(perMinute);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
