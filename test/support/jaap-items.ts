import { itemId, JaapItem, jaapId, twelveMonthsAfter } from '../../src/jaap/jaap';

/** A JAAP item as the register keeps it, with the fields a test does not care about filled in. */
export function planItem(communeCode: string, year: number, agreedOn: string, section: 'A' | 'B', no: number, o: Partial<JaapItem> = {}): JaapItem {
  const plan = jaapId(communeCode, year);
  return {
    _id: itemId(plan, section, no), jaapId: plan, communeCode, districtCode: communeCode.slice(0, 4), provinceCode: communeCode.slice(0, 2),
    year, agreedOn, deadline: twelveMonthsAfter(agreedOn), section, no, activity: `activity ${section}${no}`, service: 'health',
    status: 'not-started', doneAt: null, history: [], ...o,
  };
}
