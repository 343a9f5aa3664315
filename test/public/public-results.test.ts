import { publicChecks, PublicAreaSnapshot, PublicResults, snapshotId, itemFlagged } from '../../src/public/public-results';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

const at = new Date('2026-04-02T00:00:00Z');
const areaOf = (periodId: string, level: PublicAreaSnapshot['level'], code: string, callers: number): PublicAreaSnapshot => ({
  _id: snapshotId(periodId, level, code), periodId, level, code, name: { km: 'ក', latin: code }, parents: [], children: [], builtAt: at,
  services: [{ service: 'health', status: 'shown', callers, satisfiedShare: 0.5, outOfTen: { tenths: 5, underOne: false, overNine: false }, changeOutOfTen: null, widerView: null, indicators: [] }],
});

describe(`PublicResults, the published snapshots and citizens' checks (${ENGINE} store)`, () => {
  let store: Store;
  let results: PublicResults;
  beforeAll(async () => {
    store = await openTestStore();
    results = new PublicResults(store);
  });
  afterAll(() => closeTestStore(store));

  it('replaces a period\'s areas whole: updated areas keep their id, new ones are added, stale ones removed; removing a period removes its areas', async () => {
    await results.savePeriod({ id: '2026-Q1', kind: 'quarter', from: '2026-01-01', to: '2026-04-01', final: false, builtAt: at });
    await results.saveAreas('2026-Q1', [areaOf('2026-Q1', 'commune', '010101', 5), areaOf('2026-Q1', 'commune', '010102', 6)]);
    await results.saveAreas('2026-Q1', [areaOf('2026-Q1', 'commune', '010101', 7), areaOf('2026-Q1', 'commune', '010103', 8)]);
    expect((await results.areasOf('2026-Q1', 'commune')).map((a) => [a.code, a.services[0].callers])).toEqual([['010101', 7], ['010103', 8]]);
    await results.savePeriod({ id: '2026-Q1', kind: 'quarter', from: '2026-01-01', to: '2026-04-01', final: true, builtAt: at });
    expect((await results.periods()).map((p) => [p.id, p.final])).toEqual([['2026-Q1', true]]);
    await results.removePeriod('2026-Q1');
    expect(await results.periods()).toEqual([]);
    expect(await results.area('2026-Q1', 'commune', '010101')).toBeNull();
  });

  it('keeps one check per caller per item (the first answer stands) and shows counts only from 5 callers, in steps of 5', async () => {
    let minute = 0;
    const check = (callerKey: string, answer: 'yes' | 'partly' | 'no') =>
      results.recordCheck({ itemId: 'item-1', communeCode: '010101', callerKey, answer, at: new Date(at.getTime() + 60_000 * minute++), callSid: `CA-${callerKey}` });
    for (const k of ['k1', 'k2', 'k3', 'k4']) await check(k, 'no');
    await check('k1', 'yes');
    expect(await results.hasChecked('item-1', 'k1')).toBe(true);
    expect((await results.checkCounts(['item-1'])).get('item-1')).toEqual({ yes: 0, partly: 0, no: 4 });
    expect((await results.checksOf(['item-1'])).get('item-1')).toMatchObject({ status: 'too-few', callers: null });
    await check('k5', 'partly');
    const five = { status: 'shown', callers: 5, yes: 0, partly: 1, no: 4 };
    expect((await results.checksOf(['item-1'])).get('item-1')).toEqual(five);
    // A sixth caller changes nothing the public sees (the difference would be that caller's answer) until the tenth.
    for (const k of ['k6', 'k7', 'k8', 'k9']) {
      await check(k, 'yes');
      expect((await results.checksOf(['item-1'])).get('item-1')).toEqual(five);
    }
    await check('k10', 'yes');
    expect((await results.checksOf(['item-1'])).get('item-1')).toEqual({ status: 'shown', callers: 10, yes: 5, partly: 1, no: 4 });
    expect((await results.checkCounts(['item-1'])).get('item-1')).toEqual({ yes: 5, partly: 1, no: 4 });
  });
});

describe('publicChecks and the flag', () => {
  it('withhold 1 to 4 callers, say none for 0, and flag an item at 5 "no" answers', () => {
    expect(publicChecks(undefined).status).toBe('none');
    expect(publicChecks({ yes: 2, partly: 1, no: 1 }).status).toBe('too-few');
    expect(publicChecks({ yes: 0, partly: 0, no: 5 })).toEqual({ status: 'shown', callers: 5, yes: 0, partly: 0, no: 5 });
    expect(itemFlagged({ yes: 9, partly: 0, no: 4 })).toBe(false);
    expect(itemFlagged({ yes: 0, partly: 0, no: 5 })).toBe(true);
  });
});
