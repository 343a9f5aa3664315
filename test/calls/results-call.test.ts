import { itemFlagged } from '../../src/public/public-results';
import { parseScript } from '../../src/simulator/call-simulator';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';
import { publishCommune } from '../support/published-commune';

/**
 * Results and promises by phone through the real webhooks (signed, as the carrier sends them):
 * only published snapshots are spoken, and citizens' "was it done?" answers land once per caller
 * per item, keyed by the caller's hash, until 5 "no" flag the item for staff.
 */

describe(`results and promises by phone (${ENGINE} store)`, () => {
  let h: TestHotline;
  let doneItem: string;
  beforeAll(async () => {
    h = await startHotline();
    ({ doneItem } = await publishCommune(h.store, '120101'));
  });
  afterAll(async () => {
    await h.stop();
  });

  it('five callers who say the done item was not done flag it; each is kept once, under the caller\'s hash, never the number', async () => {
    for (let i = 0; i < 4; i++) expect((await h.call(parseScript('1,4,120101,1,3,hangup'), { from: `+8551266600${i}` })).errors).toEqual([]);
    let counts = await h.rt.publicResults.checkCounts([doneItem]);
    expect(itemFlagged(counts.get(doneItem))).toBe(false);
    // The fifth caller answers twice in one call (hears it again, is not asked again): still one check.
    const fifth = await h.call(parseScript('1,4,120101,1,3,1,hangup'), { from: '+85512666009' });
    expect(fifth.errors).toEqual([]);
    expect(ids(fifth).filter((id) => id === 'jaap.check.ask')).toHaveLength(1);
    counts = await h.rt.publicResults.checkCounts([doneItem]);
    expect(counts.get(doneItem)).toEqual({ yes: 0, partly: 0, no: 5 });
    expect(itemFlagged(counts.get(doneItem))).toBe(true);
    const stored = await h.store.collection<{ callerKey: string }>('jaap_item_checks').find({ itemId: doneItem });
    expect(stored.every((c) => /^[0-9a-f]{16,}$/i.test(c.callerKey) && !c.callerKey.includes('85512666'))).toBe(true);
  });

  it('a commune with ratings but no published snapshot hears that there are no published results, not a figure from ratings', async () => {
    const rate = await h.call(parseScript('1,2,120109,1,2,1,5,5,hangup'), { from: '+85512666100' });
    expect(rate.errors).toEqual([]);
    // 2 declines going on with the rating that broke off; then key 4 and the commune offered back.
    const t = await h.call(parseScript('2,4,1,hangup'), { from: '+85512666100' });
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    expect(heard.slice(heard.indexOf('results.commune.last') + 7)).toEqual(['results.none', 'jaap.none', 'results.after']);
    expect(heard.some((id) => id.startsWith('number.'))).toBe(false);
  });
});
