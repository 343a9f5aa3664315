import { BadRequestError } from '../errors';

/**
 * A reporting period [from, to): `from` inclusive, `to` exclusive. Dates on the command line
 * and the staff pages are calendar days in Cambodia (UTC+07:00, no daylight saving), so
 * `--from 2026-01-01 --to 2026-04-01` is the first quarter as a Cambodian reads it: from
 * 2026-01-01 00:00 to 2026-03-31 24:00 Phnom Penh time.
 */
export interface Period {
  from: Date;
  to: Date;
  /** The days as given, e.g. { from: '2026-01-01', to: '2026-04-01' }. */
  label: { from: string; to: string };
}

export const CAMBODIA_UTC_OFFSET_HOURS = 7;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight at the start of a Cambodian calendar day, as an instant. */
export function cambodianMidnight(day: string, what = 'date'): Date {
  const m = DAY.exec(day);
  if (!m) throw new BadRequestError(`${what} ${JSON.stringify(day)} is not a date like 2026-01-31`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = new Date(Date.UTC(y, mo - 1, d));
  if (utc.getUTCFullYear() !== y || utc.getUTCMonth() !== mo - 1 || utc.getUTCDate() !== d) {
    throw new BadRequestError(`${what} ${JSON.stringify(day)} is not a real calendar day`);
  }
  return new Date(utc.getTime() - CAMBODIA_UTC_OFFSET_HOURS * 3600_000);
}

export function parsePeriod(from: string, to: string): Period {
  const start = cambodianMidnight(from, 'from');
  const end = cambodianMidnight(to, 'to');
  if (end <= start) throw new BadRequestError(`the period ends (${to}) before or when it starts (${from}); "to" is exclusive`);
  return { from: start, to: end, label: { from, to } };
}

/** "2025-01-01..2025-04-01" as used by --compare. */
export function parsePeriodRange(range: string): Period {
  const parts = range.split('..');
  if (parts.length !== 2) throw new BadRequestError(`period ${JSON.stringify(range)} must look like 2025-01-01..2025-04-01`);
  return parsePeriod(parts[0], parts[1]);
}

const DAY_MS = 24 * 3600_000;
const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const isFirstOfMonth = (day: string) => day.endsWith('-01');
const monthsBetween = (from: string, to: string) => (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7));
const monthsBefore = (day: string, months: number) => {
  const d = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1 - months, 1));
  return d.toISOString().slice(0, 10);
};

/** The calendar day after `day` (2026-03-31 -> 2026-04-01): a period's exclusive end from its last day. */
export function dayAfter(day: string): string {
  return dayOf(dayNumber(day) + 1);
}

/** The last day a period includes (the day before its exclusive end), e.g. 2026-03-31 for Q1. */
export function lastDay(period: Period): string {
  return dayOf(dayNumber(period.label.to) - 1);
}

/** Whole calendar months when the period runs from the 1st of a month to the 1st of another, else null. */
export function wholeMonths(period: Period): number | null {
  const { from, to } = period.label;
  return isFirstOfMonth(from) && isFirstOfMonth(to) ? monthsBetween(from, to) : null;
}

/** Days in the period (Cambodian calendar days, the end not included). */
export function periodDays(period: Period): number {
  return dayNumber(period.label.to) - dayNumber(period.label.from);
}

/**
 * The period of the same length just before this one, to say what changed: whole months back
 * for whole months (the quarter before a quarter, October to December before January to March),
 * otherwise as many days back. It ends where this one starts, so the two never overlap (two
 * overlapping periods' difference could single out a caller, scorecard-report.ts).
 */
export function previousPeriod(period: Period): Period {
  const months = wholeMonths(period);
  const from = months ? monthsBefore(period.label.from, months) : dayOf(dayNumber(period.label.from) - periodDays(period));
  return parsePeriod(from, period.label.from);
}

/**
 * A longer period ending where this one ends, where a figure withheld for too few callers is
 * likely to have enough: the 12 months up to its end. Null when the period is a year or longer.
 */
export function longerPeriod(period: Period, months = 12): Period | null {
  const from = isFirstOfMonth(period.label.to) ? monthsBefore(period.label.to, months) : dayOf(dayNumber(period.label.to) - Math.round(months * 30.44));
  return from < period.label.from ? parsePeriod(from, period.label.to) : null;
}
