/**
 * Results and promises by phone (main-menu key 4): what a results node speaks about a commune,
 * read from published snapshots only (never ratings) and the commune's newest JAAP, and where a
 * caller's "was it done?" goes. Read by src/calls/call-turns.ts before a turn, as the providers'
 * PIN check is: the engine stays pure.
 */
import type { CommuneResults, SpokenPromise, SpokenServiceResult, SpokenShare } from '../flow/types';
import type { JaapItem } from '../jaap/jaap';
import type { JaapRegister } from '../jaap/jaap-register';
import type { ItemCheckAnswer, PublicAreaSnapshot, PublicResults, PublicServiceFigure } from './public-results';

/** What a call's results node needs from the store (src/calls/call-turns.ts). */
export interface ResultsLine {
  /** The commune's newest published figures and its newest JAAP's items; `callerId` (keyed hash) says which items it has checked. */
  communeResults(communeCode: string, callerId: string): Promise<CommuneResults>;
  /** Keeps a citizen's check of a done item (once per caller per item; the same answer again changes nothing). */
  recordCheck(c: { itemId: string; communeCode: string; callerId: string; answer: ItemCheckAnswer; callSid: string; at: Date }): Promise<void>;
}

function shareOf(f: PublicServiceFigure | undefined): SpokenShare | null {
  return f?.status === 'shown' && f.outOfTen ? { tenths: f.outOfTen.tenths, underOne: f.outOfTen.underOne, overNine: f.outOfTen.overNine } : null;
}

/**
 * A published figure as spoken: a number only where disclosure control showed one. Where the
 * commune's is withheld, the same service's published figure for the whole district (`district`,
 * the same period's snapshot) is the wider view offered instead, as on the public page.
 */
export function spokenService(f: PublicServiceFigure, district?: PublicAreaSnapshot | null): SpokenServiceResult {
  const share = shareOf(f);
  if (share) return { service: f.service, status: 'shown', ...share };
  if (f.status === 'no-ratings') return { service: f.service, status: 'no-ratings' };
  // Withheld (too few, or it would reveal another), or shown without a share: nothing numeric is said of the commune.
  const wider = shareOf(district?.services.find((d) => d.service === f.service));
  return { service: f.service, status: 'too-few', ...(wider ? { district: wider } : {}) };
}

/** The month an item is to be done by: its end month where the meeting wrote one, else its 12-month deadline's. */
export function promiseMonth(item: Pick<JaapItem, 'endMonth' | 'deadline'>): number {
  return Number((item.endMonth ?? item.deadline).slice(5, 7));
}

export class PublishedResultsLine implements ResultsLine {
  constructor(private readonly results: PublicResults, private readonly jaaps: JaapRegister) {}

  async communeResults(communeCode: string, callerId: string): Promise<CommuneResults> {
    // The newest published quarter or year that has the commune (periods() is newest first); a
    // round's period carries its meeting's results, not callers' figures.
    const periods = (await this.results.periods()).filter((p) => p.kind !== 'round').map((p) => p.id);
    const area = await this.results.firstAreaIn(periods, 'commune', communeCode);
    // The district's snapshot of the same period, read only when a figure is withheld.
    const districtCode = area?.parents.find((p) => p.level === 'district')?.code;
    const district = area && districtCode && area.services.some((f) => !shareOf(f) && f.status !== 'no-ratings')
      ? await this.results.area(area.periodId, 'district', districtCode)
      : null;
    const services: SpokenServiceResult[] | null = area ? area.services.map((f) => spokenService(f, district)) : null;
    const [newest] = await this.jaaps.plansOf(communeCode);
    let promises: SpokenPromise[] | null = null;
    if (newest) {
      promises = [];
      for (const item of await this.jaaps.itemsOf(newest._id)) {
        const askCheck = item.status === 'done' && !(await this.results.hasChecked(item._id, callerId));
        promises.push({
          itemId: item._id, service: item.service, ...(item.indicatorId ? { indicatorId: item.indicatorId } : {}),
          month: promiseMonth(item), status: item.status, askCheck,
        });
      }
    }
    return { communeCode, services, promises };
  }

  recordCheck(c: { itemId: string; communeCode: string; callerId: string; answer: ItemCheckAnswer; callSid: string; at: Date }): Promise<void> {
    return this.results.recordCheck({ itemId: c.itemId, communeCode: c.communeCode, callerKey: c.callerId, answer: c.answer, at: c.at, callSid: c.callSid });
  }
}
