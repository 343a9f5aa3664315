/**
 * JAAP promises as the public sees them: the fields of the official letter a council publishes
 * (activity, section, service, facility, months, deadline) and the status, never staff notes,
 * names, evidence photos or costs; citizens' checks only as PublicResults.checksOf lets them out
 * (withheld under 5 callers). Wider areas get counts and the result indicator, "% solved within
 * 12 months" (src/jaap/jaap-results.ts), kept a few minutes so a busy page does not read every
 * item of the country at each view.
 */
import { cambodianDay } from '../outbound/cambodia-time';
import { ItemStatus, JaapItem } from '../jaap/jaap';
import { JaapRegister, AreaFilter } from '../jaap/jaap-register';
import { JaapFigures, jaapResults } from '../jaap/jaap-results';
import { ItemChecks, PublicResults } from './public-results';

/** What the public pages and the open data show of an item. */
export interface PublicJaapItem {
  id: string;
  jaapId: string;
  communeCode: string;
  year: number;
  agreedOn: string;
  deadline: string;
  section: string;
  no: number;
  activity: string;
  service: string;
  facilityName: string | null;
  indicatorId: string | null;
  startMonth: string | null;
  endMonth: string | null;
  status: ItemStatus;
  /** The Cambodian day it became done (null unless done). */
  doneOn: string | null;
}

export function publicItem(i: JaapItem): PublicJaapItem {
  return {
    id: i._id, jaapId: i.jaapId, communeCode: i.communeCode, year: i.year, agreedOn: i.agreedOn, deadline: i.deadline,
    section: i.section, no: i.no, activity: i.activity, service: i.service, facilityName: i.facilityName ?? null,
    indicatorId: i.indicatorId ?? null, startMonth: i.startMonth ?? null, endMonth: i.endMonth ?? null,
    status: i.status, doneOn: i.status === 'done' && i.doneAt ? cambodianDay(new Date(i.doneAt)) : null,
  };
}

export interface PublicPlan {
  jaapId: string;
  year: number;
  agreedOn: string;
  items: (PublicJaapItem & { checks: ItemChecks })[];
  figures: JaapFigures;
}

export interface AreaJaapCounts {
  year: number;
  figures: JaapFigures;
  byStatus: Record<ItemStatus, number>;
}

const CACHE_MS = 5 * 60_000;

export class PublicJaap {
  private readonly cache = new Map<string, { at: number; value: AreaJaapCounts[] }>();

  constructor(private readonly register: JaapRegister, private readonly results: PublicResults, private readonly now: () => Date = () => new Date()) {}

  /** A commune's plans, newest first (at most `plans`), with their items, checks and result indicator. */
  async commune(communeCode: string, plans = 2): Promise<PublicPlan[]> {
    const list = (await this.register.plansOf(communeCode)).slice(0, plans);
    const out: PublicPlan[] = [];
    for (const plan of list) {
      const items = await this.register.itemsOf(plan._id);
      const checks = await this.results.checksOf(items.map((i) => i._id));
      const figures = jaapResults(items, { asOf: this.now(), period: { from: plan.agreedOn, to: plan.agreedOn } }).entries[0];
      out.push({
        jaapId: plan._id, year: plan.year, agreedOn: plan.agreedOn, figures,
        items: items.map((i) => ({ ...publicItem(i), checks: checks.get(i._id)! })),
      });
    }
    return out;
  }

  /** For a province, district or the country: per year of agreement (this year and the one before), counts and the indicator. */
  async counts(area: AreaFilter, key: string): Promise<AreaJaapCounts[]> {
    const hit = this.cache.get(key);
    if (hit && this.now().getTime() - hit.at < CACHE_MS) return hit.value;
    const thisYear = Number(cambodianDay(this.now()).slice(0, 4));
    const value: AreaJaapCounts[] = [];
    for (const year of [thisYear, thisYear - 1]) {
      const items = await this.register.itemsAgreedIn(`${year}-01-01`, `${year + 1}-01-01`, area);
      if (!items.length) continue;
      const byStatus: Record<ItemStatus, number> = { 'not-started': 0, ongoing: 0, done: 0, dropped: 0 };
      for (const i of items) byStatus[i.status] += 1;
      value.push({ year, byStatus, figures: jaapResults(items, { asOf: this.now(), period: { from: `${year}-01-01`, to: `${year + 1}-01-01` } }).entries[0] });
    }
    this.cache.set(key, { at: this.now().getTime(), value });
    return value;
  }
}
