/**
 * Counts the JAAP result indicator from the register: what `npm run report -- --jaap`, the
 * national roll-up export and the desk's report process (src/staff/report-worker.ts) all run, so
 * there is one path from the store to the figures.
 */
import { Gazetteer } from '../gazetteer/gazetteer';
import { cambodianMidnight } from '../reports/period';
import { Store } from '../store/store';
import { AreaFilter, JaapRegister } from './jaap-register';
import { JaapReport, jaapResults } from './jaap-results';

/** Midday in Cambodia of a calendar day: the instant outcomes are counted at for that day. */
export function middayOf(day: string): Date {
  return new Date(cambodianMidnight(day, 'the day outcomes are counted on').getTime() + 12 * 3600_000);
}

/** The result indicator for the JAAPs agreed on days in [from, to), unfinished items counted as of `asOfDay`. */
export async function countJaapResults(store: Store, gazetteer: Gazetteer, o: { period: { from: string; to: string }; asOfDay: string; area?: AreaFilter }): Promise<JaapReport> {
  const items = await new JaapRegister(store).itemsAgreedIn(o.period.from, o.period.to, o.area);
  return jaapResults(items, { asOf: middayOf(o.asOfDay), period: o.period, gazetteer });
}
