import { JaapRegister } from '../../src/jaap/jaap-register';
import { PublicResults, PublicServiceFigure, snapshotId } from '../../src/public/public-results';
import { Store } from '../../src/store/store';
import { planItem } from './jaap-items';

/** A service's published figure: shown with a share satisfied, or withheld as too few. */
export function serviceFigure(service: string, share: number | null): PublicServiceFigure {
  const shown = share !== null;
  const tenths = shown ? Math.round(share * 10) : 0;
  return {
    service, status: shown ? 'shown' : 'too-few', callers: shown ? 12 : null, satisfiedShare: share,
    outOfTen: shown ? { tenths, underOne: tenths === 0 && share > 0, overNine: tenths === 10 && share < 1 } : null,
    changeOutOfTen: null, widerView: null, indicators: [],
  };
}

/**
 * A commune as the public results show it: a published quarter with the commune office at 7 of 10
 * satisfied and the health centre withheld, and its JAAP of `year` with a done item (a health
 * centre item answering the waiting time, to be done by March) and an ongoing school item.
 */
export async function publishCommune(store: Store, communeCode: string, year = 2026): Promise<{ doneItem: string; ongoingItem: string }> {
  const results = new PublicResults(store);
  const periodId = `${year}-Q1`;
  await results.savePeriod({ id: periodId, kind: 'quarter', from: `${year}-01-01`, to: `${year}-04-01`, final: true, builtAt: new Date() });
  await results.saveAreas(periodId, [{
    _id: snapshotId(periodId, 'commune', communeCode), periodId, level: 'commune', code: communeCode, name: { km: 'ឃុំ', latin: 'Commune' },
    parents: [], services: [serviceFigure('commune', 0.7), serviceFigure('health', null)], children: [], builtAt: new Date(),
  }]);
  const jaaps = new JaapRegister(store);
  const agreedOn = `${year}-03-10`;
  await jaaps.addPlan({ _id: `${communeCode}-${year}`, communeCode, year, agreedOn, createdAt: new Date(), createdBy: 'admin' });
  const done = planItem(communeCode, year, agreedOn, 'A', 1, { service: 'health', indicatorId: 'waiting-time', endMonth: `${year}-03`, status: 'done', doneAt: new Date() });
  const ongoing = planItem(communeCode, year, agreedOn, 'B', 1, { service: 'school', status: 'ongoing' });
  await jaaps.addItems([done, ongoing]);
  return { doneItem: done._id, ongoingItem: ongoing._id };
}
