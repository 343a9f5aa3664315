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
