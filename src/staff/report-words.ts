/**
 * Report figures in words a council member reads without a statistics course: days and periods
 * in the page's language, the share satisfied out of 10, its change since the previous period,
 * and why a figure is not shown. Numbers come only from src/reports/out-of-ten.ts, which reads
 * shown figures only.
 */
import { FigureStatus } from '../reports/figures';
import { changeOutOfTen, satisfiedOutOfTen, SharedFigure } from '../reports/out-of-ten';
import { lastDay, Period } from '../reports/period';
import { Translate } from './i18n/i18n';

const LOCALE = { en: 'en-GB', km: 'km' } as const;
const DAY_FORMAT = { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' } as const;
const asDate = (day: string) => new Date(`${day}T00:00:00Z`);

/** A calendar day as the page's language writes it: "31 March 2026", "31 មីនា 2026". */
export function dayWords(day: string, t: Translate): string {
  return new Intl.DateTimeFormat(LOCALE[t.lang], DAY_FORMAT).format(asDate(day));
}

/**
 * A period by its first and last day, both included: "1 January – 31 March 2026". (Its URL keeps
 * `to`, the day after the last, as every report and CSV does.)
 */
export function periodWords(period: Pick<Period, 'label'>, t: Translate): string {
  const last = lastDay(period as Period);
  if (last === period.label.from) return dayWords(last, t);
  // ICU puts thin spaces around the dash: plain ones read (and search) the same everywhere.
  return new Intl.DateTimeFormat(LOCALE[t.lang], DAY_FORMAT).formatRange(asDate(period.label.from), asDate(last)).replace(/\s/g, ' ');
}

/** "7 of 10", "fewer than 1 of 10", or null when the figure is not shown. */
export function ofTenWords(f: SharedFigure, t: Translate): string | null {
  const o = satisfiedOutOfTen(f);
  if (!o) return null;
  return t('report.of-ten', { n: o.underOne ? t('report.fewer-than-one') : o.overNine ? t('report.more-than-nine') : o.tenths });
}

/**
 * "7 of 10 callers satisfied": callers where each caller gave one rating (one question), ratings
 * where they gave several (all questions together); null when the figure is not shown.
 */
export function satisfiedWords(f: SharedFigure & { callers: number | null; answers: number | null }, t: Translate): string | null {
  const o = satisfiedOutOfTen(f);
  if (!o) return null;
  const n = o.underOne ? t('report.fewer-than-one') : o.overNine ? t('report.more-than-nine') : o.tenths;
  return f.answers !== null && f.answers === f.callers ? t('report.callers-satisfied', { n }) : t('report.ratings-satisfied', { n });
}

/** "up 2 of 10", "down 1 of 10", "no change"; null unless both figures are shown. */
export function changeWords(later: SharedFigure, baseline: SharedFigure, t: Translate): string | null {
  const d = changeOutOfTen(later, baseline);
  if (d === null) return null;
  return d > 0 ? t('report.change-up', { n: d }) : d < 0 ? t('report.change-down', { n: -d }) : t('report.change-same');
}

/** Why a figure has no number, in a few words ("Not shown: fewer than 5 callers"). */
export function notShownWords(status: FigureStatus, minCallers: number, t: Translate): string {
  if (status === 'no-ratings') return t('report.no-ratings-cell');
  if (status === 'protects-another') return t('report.protects-another');
  return t('report.too-few', { min: minCallers });
}
