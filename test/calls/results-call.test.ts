import { JaapRegister } from '../../src/jaap/jaap-register';
import { PublishedResultsLine, spokenService } from '../../src/public/phone-results';
import { itemFlagged, snapshotId } from '../../src/public/public-results';
import { parseScript } from '../../src/simulator/call-simulator';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';
import { publishCommune, serviceFigure } from '../support/published-commune';

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
    const stored = await h.store.collection<{ _id: string; callerKey: string }>('jaap_item_checks').find({ itemId: doneItem });
    expect(stored.every((c) => /^[0-9a-f]{16,}$/i.test(c.callerKey) && !c.callerKey.includes('85512666'))).toBe(true);
  });

  it('what is spoken comes from the newest period that has the commune, and a figure withheld to protect another is never a number', async () => {
    const line = new PublishedResultsLine(h.rt.publicResults, new JaapRegister(h.store));
    // A newer quarter without the commune (no callers there yet): the older one still speaks for it.
    await h.rt.publicResults.savePeriod({ id: '2026-Q2', kind: 'quarter', from: '2026-04-01', to: '2026-07-01', final: false, builtAt: new Date() });
    await h.rt.publicResults.saveAreas('2026-Q2', [{
      _id: snapshotId('2026-Q2', 'commune', '120110'), periodId: '2026-Q2', level: 'commune', code: '120110', name: { km: 'ឃុំ', latin: 'Other' },
      parents: [], services: [serviceFigure('commune', 0.2)], children: [], builtAt: new Date(),
    }]);
    const found = await line.communeResults('120101', 'a'.repeat(64));
    expect(found.services).toEqual([
      { service: 'commune', status: 'shown', tenths: 7, underOne: false, overNine: false },
      { service: 'health', status: 'too-few' },
    ]);
    expect(found.promises?.map((p) => [p.status, p.month, p.askCheck])).toEqual([['done', 3, true], ['ongoing', 3, false]]);
    expect(spokenService({ ...serviceFigure('school', null), status: 'protects-another' })).toEqual({ service: 'school', status: 'too-few' });
  });

  it('a withheld figure offers the whole district\'s of the same period, by phone as on the public page, and only a figure the district published', async () => {
    const periodId = '2026-Q1';
    const communeOf = (code: string) => ({
      _id: snapshotId(periodId, 'commune', code), periodId, level: 'commune' as const, code, name: { km: 'ឃុំ', latin: 'Commune' },
      parents: [{ level: 'province' as const, code: '12' }, { level: 'district' as const, code: '1201' }],
      services: [serviceFigure('commune', 0.7), serviceFigure('health', null), serviceFigure('school', null)], children: [], builtAt: new Date(),
    });
    await h.rt.publicResults.saveAreas(periodId, [communeOf('120111'), {
      _id: snapshotId(periodId, 'district', '1201'), periodId, level: 'district', code: '1201', name: { km: 'ស្រុក', latin: 'District' },
      parents: [{ level: 'province', code: '12' }], services: [serviceFigure('commune', 0.8), serviceFigure('health', 0.6), serviceFigure('school', null)], children: ['120111'], builtAt: new Date(),
    }]);
    const line = new PublishedResultsLine(h.rt.publicResults, new JaapRegister(h.store));
    expect((await line.communeResults('120111', 'b'.repeat(64))).services).toEqual([
      { service: 'commune', status: 'shown', tenths: 7, underOne: false, overNine: false },
      { service: 'health', status: 'too-few', district: { tenths: 6, underOne: false, overNine: false } },
      // The district withheld the school too: nothing numeric, of either.
      { service: 'school', status: 'too-few' },
    ]);
    const t = await h.call(parseScript('1,4,120111,1,hangup'), { from: '+85512666200' });
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    expect(heard.slice(heard.indexOf('results.service.health'), heard.indexOf('jaap.none'))).toEqual([
      'results.service.health', 'results.too.few', 'results.district', 'number.5', 'number.1', 'results.satisfied',
      'results.service.school', 'results.too.few',
    ]);
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
