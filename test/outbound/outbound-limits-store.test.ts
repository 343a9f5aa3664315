import { OutboundLimits } from '../../src/outbound/outbound-limits';
import { OperatorProblem } from '../../src/outbound/carrier-refusals';
import { Store } from '../../src/store/store';
import { ENGINE } from '../support/engine';
import { failingWrites } from '../support/failing-store';
import { sharedTestStore } from '../support/shared-store';

/**
 * The shared outbound limits as the callback worker and the staff pages use them, straight on a
 * store with the test's clock: lines (calls at once) with their leases, the day's budget by the
 * Cambodian day, the staff pause switch and a carrier problem's hold. Fast on purpose: the
 * outbound-limits mutation group (stryker.config.mjs) runs these, not the hotline tests.
 */
describe(`outbound limits on the store (${ENGINE} store)`, () => {
  let store: Store;
  let clock: number;
  const T0 = Date.parse('2026-11-30T03:00:00.000Z'); // 10:00 in Phnom Penh
  const at = (msFromNow: number) => new Date(clock + msFromNow);
  const limitsWith = (o: Partial<{ maxConcurrent: number; maxPerMinute: number; dailyBudget: number }> = {}) =>
    new OutboundLimits(store, { maxConcurrent: 2, maxPerMinute: 60, dailyBudget: 3, ...o }, () => new Date(clock));
  const sharedStore = sharedTestStore(['outbound_lines', 'outbound_pace', 'outbound_days', 'outbound_control']);
  beforeEach(async () => {
    store = sharedStore();
    clock = T0;
  });

  describe('lines', () => {
    it('gives out as many lines as OUTBOUND_MAX_CONCURRENT and no more; a released line can be taken again', async () => {
      const limits = limitsWith({ maxConcurrent: 2 });
      expect(await limits.linesInUse()).toBe(0);
      expect(await limits.takeLine('a', at(60_000))).toBe(true);
      expect(await limits.takeLine('b', at(60_000))).toBe(true);
      expect(await limits.linesInUse()).toBe(2);
      expect(await limits.takeLine('c', at(60_000))).toBe(false);
      await limits.releaseLine('a');
      expect(await limits.linesInUse()).toBe(1);
      expect(await limits.takeLine('c', at(60_000))).toBe(true);
      expect(await limits.takeLine('d', at(60_000))).toBe(false);
    });

    it('releasing a holder that holds nothing frees no one else\'s line', async () => {
      const limits = limitsWith({ maxConcurrent: 1 });
      expect(await limits.takeLine('a', at(60_000))).toBe(true);
      await limits.releaseLine('nobody');
      expect(await limits.linesInUse()).toBe(1);
      expect(await limits.takeLine('b', at(60_000))).toBe(false);
    });

    it('a lease holds until its end, inclusive; a line whose holder\'s lease ran out can be taken', async () => {
      const limits = limitsWith({ maxConcurrent: 1 });
      expect(await limits.takeLine('a', at(30_000))).toBe(true);
      clock += 30_000; // the lease's last moment
      expect(await limits.linesInUse()).toBe(1);
      expect(await limits.takeLine('b', at(30_000))).toBe(false);
      clock += 1; // a crashed instance's lease ran out
      expect(await limits.linesInUse()).toBe(0);
      expect(await limits.takeLine('b', at(30_000))).toBe(true);
      expect(await limits.linesInUse()).toBe(1);
      // 'a' coming back late and releasing must not free 'b''s line.
      await limits.releaseLine('a');
      expect(await limits.linesInUse()).toBe(1);
    });

    it('extending a lease keeps the line past its first end', async () => {
      const limits = limitsWith({ maxConcurrent: 1 });
      expect(await limits.takeLine('a', at(10_000))).toBe(true);
      await limits.extendLine('a', at(120_000));
      clock += 60_000;
      expect(await limits.linesInUse()).toBe(1);
      expect(await limits.takeLine('b', at(10_000))).toBe(false);
      clock += 60_001;
      expect(await limits.takeLine('b', at(10_000))).toBe(true);
    });

    it('extending someone else\'s lease changes nothing for the holder', async () => {
      const limits = limitsWith({ maxConcurrent: 1 });
      expect(await limits.takeLine('a', at(10_000))).toBe(true);
      await limits.extendLine('other', at(120_000));
      clock += 10_001;
      expect(await limits.takeLine('b', at(10_000))).toBe(true);
    });

    it('a line taken under a placeholder is handed over: the new holder releases it, the placeholder no longer holds it', async () => {
      const limits = limitsWith({ maxConcurrent: 1 });
      expect(await limits.takeLine('placeholder-1', at(5_000))).toBe(true);
      await limits.handOverLine('placeholder-1', 'entry-7', at(300_000));
      clock += 60_000; // past the placeholder's lease, within the handed-over one
      expect(await limits.linesInUse()).toBe(1);
      await limits.releaseLine('placeholder-1');
      expect(await limits.linesInUse()).toBe(1);
      await limits.releaseLine('entry-7');
      expect(await limits.linesInUse()).toBe(0);
    });

    it('two instances starting at the same moment both make and take lines (the other\'s line records are no error)', async () => {
      const [a, b] = [limitsWith({ maxConcurrent: 2 }), limitsWith({ maxConcurrent: 2 })];
      expect(await Promise.all([a.takeLine('a1', at(60_000)), b.takeLine('b1', at(60_000))])).toEqual([true, true]);
      expect(await a.linesInUse()).toBe(2);
    });

    it('a hand-over moves only the placeholder\'s line', async () => {
      const limits = limitsWith({ maxConcurrent: 2 });
      expect(await limits.takeLine('other-call', at(5_000))).toBe(true);
      expect(await limits.takeLine('placeholder-1', at(5_000))).toBe(true);
      await limits.handOverLine('placeholder-1', 'entry-7', at(300_000));
      clock += 60_000; // past both first leases: only the handed-over line is still held
      expect(await limits.linesInUse()).toBe(1);
      expect(await limits.takeLine('next', at(60_000))).toBe(true);
      expect(await limits.takeLine('again', at(60_000))).toBe(false);
    });

    it('holds across instances: two sets of limits on one store share the same lines', async () => {
      const a = limitsWith({ maxConcurrent: 2 });
      const b = limitsWith({ maxConcurrent: 2 });
      expect(await a.takeLine('a1', at(60_000))).toBe(true);
      expect(await b.takeLine('b1', at(60_000))).toBe(true);
      expect(await a.takeLine('a2', at(60_000))).toBe(false);
      expect(await b.takeLine('b2', at(60_000))).toBe(false);
      expect(await b.linesInUse()).toBe(2);
      await a.releaseLine('a1');
      const both = await Promise.all([a.takeLine('a3', at(60_000)), b.takeLine('b3', at(60_000))]);
      expect(both.filter(Boolean)).toHaveLength(1);
    });

    it('lines above a lowered OUTBOUND_MAX_CONCURRENT are neither given out nor counted', async () => {
      const wide = limitsWith({ maxConcurrent: 3 });
      for (const h of ['a', 'b', 'c']) expect(await wide.takeLine(h, at(60_000))).toBe(true);
      const narrow = limitsWith({ maxConcurrent: 1 });
      expect(await narrow.linesInUse()).toBe(1);
      await wide.releaseLine('c');
      expect(await narrow.takeLine('d', at(60_000))).toBe(false);
    });
  });

  describe('pace', () => {
    it('the first start is allowed at once, and nothing is to wait for before any start', async () => {
      const limits = limitsWith({ maxPerMinute: 60 });
      expect(await limits.msToNextSlot()).toBe(0);
      expect(await limits.takePaceSlot()).toBe(true);
      expect(await limits.msToNextSlot()).toBe(1000);
      clock += 1000;
      expect(await limits.msToNextSlot()).toBe(0);
      clock += 5000; // long after: still 0, never negative
      expect(await limits.msToNextSlot()).toBe(0);
      expect(await limits.takePaceSlot()).toBe(true);
    });

    it('a gap that does not divide a minute is rounded up, so a minute never holds more than the pace', async () => {
      expect(limitsWith({ maxPerMinute: 7 }).slotMs).toBe(8572);
      expect(limitsWith({ maxPerMinute: 60 }).slotMs).toBe(1000);
      const limits = limitsWith({ maxPerMinute: 7 });
      expect(await limits.takePaceSlot()).toBe(true);
      clock += 8571;
      expect(await limits.takePaceSlot()).toBe(false);
      clock += 1;
      expect(await limits.takePaceSlot()).toBe(true);
    });
  });

  describe('daily budget', () => {
    it('counts calls up to OUTBOUND_DAILY_BUDGET and refuses the next without counting it', async () => {
      const limits = limitsWith({ dailyBudget: 3 });
      expect(limits.dailyBudget).toBe(3);
      expect(await limits.placedToday()).toBe(0);
      for (let i = 1; i <= 3; i++) {
        expect(await limits.spendBudget()).toBe(true);
        expect(await limits.placedToday()).toBe(i);
      }
      expect(await limits.spendBudget()).toBe(false);
      expect(await limits.placedToday()).toBe(3);
    });

    it('a budget of 0 places nothing', async () => {
      const limits = limitsWith({ dailyBudget: 0 });
      expect(await limits.spendBudget()).toBe(false);
      expect(await limits.placedToday()).toBe(0);
    });

    it('a refund gives one call back, and never takes the count below zero', async () => {
      const limits = limitsWith({ dailyBudget: 2 });
      await limits.refundBudget(); // nothing spent today: nothing to give back
      expect(await limits.placedToday()).toBe(0);
      expect(await limits.spendBudget()).toBe(true);
      expect(await limits.spendBudget()).toBe(true);
      expect(await limits.spendBudget()).toBe(false);
      await limits.refundBudget();
      expect(await limits.placedToday()).toBe(1);
      expect(await limits.spendBudget()).toBe(true);
      await limits.refundBudget();
      await limits.refundBudget();
      await limits.refundBudget();
      expect(await limits.placedToday()).toBe(0);
    });

    it('the budget is per Cambodian day: it starts again at midnight in Phnom Penh (17:00 UTC), not at UTC midnight', async () => {
      const limits = limitsWith({ dailyBudget: 1 });
      clock = Date.parse('2026-11-30T16:59:59.999Z'); // 23:59:59.999 in Phnom Penh
      expect(await limits.spendBudget()).toBe(true);
      expect(await limits.spendBudget()).toBe(false);
      clock = Date.parse('2026-11-30T17:00:00.000Z'); // midnight there: a new day
      expect(await limits.placedToday()).toBe(0);
      expect(await limits.spendBudget()).toBe(true);
      // A refund today gives back today's call, not yesterday's.
      await limits.refundBudget();
      expect(await limits.placedToday()).toBe(0);
      clock = Date.parse('2026-11-30T16:00:00.000Z');
      expect(await limits.placedToday()).toBe(1);
    });

    it('holds across instances: two sets of limits share one day\'s count', async () => {
      const a = limitsWith({ dailyBudget: 2 });
      const b = limitsWith({ dailyBudget: 2 });
      const spent = await Promise.all([a.spendBudget(), b.spendBudget(), a.spendBudget(), b.spendBudget()]);
      expect(spent.filter(Boolean)).toHaveLength(2);
      expect(await b.placedToday()).toBe(2);
    });
  });

  describe('staff pause', () => {
    it('is off until staff pause, and says who changed it and when', async () => {
      const limits = limitsWith();
      expect(await limits.isPaused()).toBe(false);
      expect(await limits.controlState()).toEqual({ _id: 'control', paused: false });
      await limits.setPaused(true, 'dara');
      expect(await limits.isPaused()).toBe(true);
      expect(await limits.controlState()).toMatchObject({ paused: true, changedBy: 'dara', changedAt: new Date(T0) });
      clock += 60_000;
      await limits.setPaused(false, 'sok');
      expect(await limits.isPaused()).toBe(false);
      expect(await limits.controlState()).toMatchObject({ paused: false, changedBy: 'sok', changedAt: new Date(T0 + 60_000) });
      expect((await limits.controlState()).carrierProblem).toBeUndefined();
    });
  });

  describe('a database failure', () => {
    // Each limit's record is created by an insert that may meet another instance's (a duplicate
    // key, ignored); any other failure must stop the call, not be taken for that.
    it('while making the lines, the pace record or the day\'s count surfaces instead of being taken for another instance\'s record', async () => {
      const broken = (collection: string) => new OutboundLimits(failingWrites(store, collection, 'insertOne'), { maxConcurrent: 1, maxPerMinute: 60, dailyBudget: 3 }, () => new Date(clock));
      await expect(broken('outbound_lines').takeLine('a', at(60_000))).rejects.toThrow('database unavailable');
      await expect(broken('outbound_pace').takePaceSlot()).rejects.toThrow('database unavailable');
      await expect(broken('outbound_days').spendBudget()).rejects.toThrow('database unavailable');
    });
  });

  describe('carrier problem', () => {
    const balance: OperatorProblem = { kind: 'balance', httpStatus: 400, code: 'S1005', what: 'the account has no balance left', fix: 'top up the account' };

    it('holds calling until retryAt, keeps when it began across repeats, and a placed call clears it', async () => {
      const limits = limitsWith();
      expect(await limits.clearCarrierProblem()).toBe(false);
      const first = await limits.setCarrierProblem(balance, 600);
      expect(first).toEqual({ ...balance, since: new Date(T0), lastAt: new Date(T0), retryAt: new Date(T0 + 600_000) });
      expect((await limits.controlState()).carrierProblem).toEqual(first);
      clock += 600_000;
      const again = await limits.setCarrierProblem(balance, 1200);
      expect(again).toEqual({ ...balance, since: new Date(T0), lastAt: new Date(T0 + 600_000), retryAt: new Date(T0 + 1_800_000) });
      expect((await limits.controlState()).carrierProblem).toEqual(again);
      // The problem does not pause staff's switch.
      expect(await limits.isPaused()).toBe(false);
      expect(await limits.clearCarrierProblem()).toBe(true);
      expect((await limits.controlState()).carrierProblem).toBeUndefined();
      expect(await limits.clearCarrierProblem()).toBe(false);
      // A new problem later begins anew.
      clock += 3_600_000;
      expect((await limits.setCarrierProblem(balance, 60)).since).toEqual(new Date(T0 + 4_200_000));
    });

    it('a placed call clears the problem and nothing else: staff\'s pause, by whom and when, stays', async () => {
      const limits = limitsWith();
      await limits.setPaused(true, 'dara');
      await limits.setCarrierProblem(balance, 600);
      expect(await limits.clearCarrierProblem()).toBe(true);
      expect(await limits.controlState()).toEqual({ _id: 'control', paused: true, changedBy: 'dara', changedAt: new Date(T0) });
    });

    it('staff resuming retries the carrier at once; pausing does not', async () => {
      const limits = limitsWith();
      await limits.setCarrierProblem(balance, 3600);
      clock += 1000;
      await limits.setPaused(true, 'dara');
      expect((await limits.controlState()).carrierProblem?.retryAt).toEqual(new Date(T0 + 3_600_000));
      clock += 1000;
      await limits.setPaused(false, 'dara');
      expect((await limits.controlState()).carrierProblem?.retryAt).toEqual(new Date(T0 + 2000));
      expect((await limits.controlState()).carrierProblem?.since).toEqual(new Date(T0));
    });

    it('retrying now without a carrier problem makes none', async () => {
      const limits = limitsWith();
      await limits.retryCarrierNow();
      await limits.setPaused(false, 'dara');
      expect((await limits.controlState()).carrierProblem).toBeUndefined();
      await limits.setCarrierProblem(balance, 3600);
      clock += 5000;
      await limits.retryCarrierNow();
      expect((await limits.controlState()).carrierProblem?.retryAt).toEqual(new Date(T0 + 5000));
    });
  });
});
