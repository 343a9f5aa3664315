import { CAMBODIA_UTC_OFFSET_HOURS, cambodianMidnight, parsePeriod, Period } from '../reports/period';

/**
 * The fixed public periods: calendar quarters ('2026-Q1' = 2026-01-01..2026-04-01) and years
 * ('2026'), in Cambodian calendar days, `to` exclusive as in src/reports/period.ts. Citizens see
 * figures only for these: two free-form periods that overlap could be subtracted to single out a
 * few callers, while fixed periods nest exactly (a year is its four quarters) and the snapshot
 * builder protects that one relation (snapshot-builder.ts).
 *
 * Completed scorecard rounds are NOT published as periods of caller figures: a round's phone
 * period is any run of days, so its caller figures minus an overlapping quarter's could expose
 * fewer than 5 callers. A completed round's public period carries only its meeting's and the
 * providers' self-assessment results (public meeting outcomes, no caller data:
 * round-publication.ts); caller figures are published only for quarters and years.
 *
 * The publication setting (PUBLIC_RESULTS): `off` publishes nothing, `all` every period, a date
 * `YYYY-MM-DD` every period that starts on or after it. A year is therefore published only with
 * all four of its quarters, never a year whose first quarters are left out (their difference
 * would be a part nobody checked).
 */

export type FixedPeriodKind = 'quarter' | 'year';

export interface FixedPeriod {
  id: string;
  kind: FixedPeriodKind;
  from: string;
  to: string;
}

export type PublicationSetting = { publish: 'off' } | { publish: 'all' } | { publish: 'from'; from: string };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Reads PUBLIC_RESULTS; throws a sentence an operator can act on. */
export function parsePublicationSetting(value: string): PublicationSetting {
  const v = value.trim();
  if (v === '' || v === 'off') return { publish: 'off' };
  if (v === 'all') return { publish: 'all' };
  const wrong = `PUBLIC_RESULTS=${JSON.stringify(value)} must be off (publish nothing), all (publish every period), or a date like 2026-01-01 (publish the quarters and years starting on or after it)`;
  if (!DAY.test(v)) throw new RangeError(wrong);
  try {
    cambodianMidnight(v);
  } catch {
    throw new RangeError(`${wrong}: ${v} is not a real calendar day`);
  }
  return { publish: 'from', from: v };
}

/** Whether a period is published under the setting. */
export function isPublished(period: FixedPeriod, setting: PublicationSetting): boolean {
  if (setting.publish === 'off') return false;
  if (setting.publish === 'all') return true;
  return period.from >= setting.from;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function quarterPeriod(year: number, quarter: 1 | 2 | 3 | 4): FixedPeriod {
  const startMonth = (quarter - 1) * 3 + 1;
  const to = quarter === 4 ? `${year + 1}-01-01` : `${year}-${pad(startMonth + 3)}-01`;
  return { id: `${year}-Q${quarter}`, kind: 'quarter', from: `${year}-${pad(startMonth)}-01`, to };
}

export function yearPeriod(year: number): FixedPeriod {
  return { id: String(year), kind: 'year', from: `${year}-01-01`, to: `${year + 1}-01-01` };
}

export function quartersOf(year: number): FixedPeriod[] {
  return ([1, 2, 3, 4] as const).map((q) => quarterPeriod(year, q));
}

/** '2026-Q1' or '2026' to its period; null for anything else (e.g. a round's id). */
export function fixedPeriod(id: string): FixedPeriod | null {
  const q = /^(\d{4})-Q([1-4])$/.exec(id);
  if (q) return quarterPeriod(Number(q[1]), Number(q[2]) as 1 | 2 | 3 | 4);
  if (/^\d{4}$/.test(id)) return yearPeriod(Number(id));
  return null;
}

/** The year a fixed period belongs to (a year to itself). */
export const yearOf = (p: FixedPeriod) => Number(p.from.slice(0, 4));

/** The period of the same kind just before: the quarter before (Q4 of the year before for Q1), the year before. */
export function previousOf(p: FixedPeriod): FixedPeriod {
  if (p.kind === 'year') return yearPeriod(yearOf(p) - 1);
  const q = Number(p.id.slice(-1));
  return q === 1 ? quarterPeriod(yearOf(p) - 1, 4) : quarterPeriod(yearOf(p), (q - 1) as 1 | 2 | 3);
}

/** The Cambodian calendar day at an instant. */
export function cambodianDay(at: Date): string {
  return new Date(at.getTime() + CAMBODIA_UTC_OFFSET_HOURS * 3600_000).toISOString().slice(0, 10);
}

/** Ended (its last day is over in Cambodia): its snapshot is then final. */
export const hasEnded = (p: FixedPeriod, now: Date) => cambodianDay(now) >= p.to;
/** Started (its first day has begun in Cambodia). */
export const hasStarted = (p: FixedPeriod, now: Date) => cambodianDay(now) >= p.from;

/** As a reports Period (instants), for counting. */
export const asReportPeriod = (p: FixedPeriod): Period => parsePeriod(p.from, p.to);
