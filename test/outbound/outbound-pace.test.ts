import { OutboundLimits } from '../../src/outbound/outbound-limits';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

/**
 * The pace of outbound starts (OUTBOUND_MAX_PER_MINUTE) is a carrier's calls-per-second limit: no
 * window of time may hold more starts than the pace allows, wherever the window falls. The
 * benchmark (npm run bench:callbacks) once saw 101 starts in a 10 s window at 600/min, when starts
 * were slots aligned to the clock: one at the end of a slot and one at the start of the next.
 */
describe(`outbound pace (${ENGINE} store)`, () => {
  let store: Store;
  let clock: number;
  const limitsAt = () => new OutboundLimits(store, { maxConcurrent: 5, maxPerMinute: 600, dailyBudget: 1000 }, () => new Date(clock));
  beforeEach(async () => {
    store = await openTestStore();
    clock = Date.parse('2026-11-30T03:00:00.000Z');
  });
  afterEach(() => closeTestStore(store));

  it('refuses a start less than a slot (100 ms at 600/min) after the last, even across a slot boundary of the clock', async () => {
    const limits = limitsAt();
    clock += 99; // the last millisecond of a clock-aligned 100 ms slot
    expect(await limits.takePaceSlot()).toBe(true);
    clock += 1; // the first millisecond of the next one
    expect(await limits.takePaceSlot()).toBe(false);
    expect(await limits.msToNextSlot()).toBe(99);
    clock += 99;
    expect(await limits.takePaceSlot()).toBe(true);
  });

  it('holds across instances: two sets of limits on one store never start two calls within a slot', async () => {
    const a = limitsAt();
    const b = limitsAt();
    const starts: number[] = [];
    for (let step = 0; step < 300; step++) {
      clock += 7; // both instances ask every 7 ms, at the same moment
      const [gotA, gotB] = await Promise.all([a.takePaceSlot(), b.takePaceSlot()]);
      if (gotA) starts.push(clock);
      if (gotB) starts.push(clock);
    }
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
    // 2,100 ms of asking at one start per 100 ms (rounded up to the 7 ms steps): 20 or 21 starts.
    expect(starts.length).toBeGreaterThanOrEqual(19);
    // Any 1 s window: at most 10 starts.
    for (let i = 0; i < starts.length; i++) expect(starts.filter((t) => t >= starts[i] && t < starts[i] + 1000).length).toBeLessThanOrEqual(10);
  });
});
