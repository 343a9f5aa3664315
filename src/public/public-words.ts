/** Published periods and figures in the public pages' words. */
import { Period } from '../reports/period';
import { Translate } from '../staff/i18n/i18n';
import { outOfTenNumber } from '../staff/out-of-ten-part';
import { periodWords } from '../staff/report-words';
import { PublicFigure, PublicPeriod } from './public-results';

/** "quarter 1 of 2026", "the year 2026", "scorecard round, 1 January – 31 March 2026". */
export function periodName(p: PublicPeriod, t: Translate): string {
  if (p.kind === 'quarter') {
    const m = /^([0-9]{4})-Q([1-4])$/.exec(p.id);
    if (m) return t('public.period.quarter', { n: m[2], year: m[1] });
  }
  if (p.kind === 'year') return t('public.period.year', { year: p.from.slice(0, 4) });
  return t('public.period.round', { days: periodWords({ label: { from: p.from, to: p.to } } as Period, t) });
}

/** "7 of 10 callers satisfied", or null when the figure is not shown. */
export function publicSatisfiedWords(f: PublicFigure, t: Translate): string | null {
  if (f.status !== 'shown' || !f.outOfTen) return null;
  return t('report.callers-satisfied', { n: outOfTenNumber(f.outOfTen, t) });
}

/** "up 2 of 10", "down 1 of 10", "no change", or null. */
export function publicChangeWords(f: PublicFigure, t: Translate): string | null {
  const d = f.changeOutOfTen;
  if (d === null || f.status !== 'shown') return null;
  return d > 0 ? t('report.change-up', { n: d }) : d < 0 ? t('report.change-down', { n: -d }) : t('report.change-same');
}

/** Why a figure has no number, in a plain sentence. */
export function withheldWords(f: PublicFigure, t: Translate): string {
  if (f.status === 'no-ratings') return t('public.withheld.no-ratings');
  if (f.status === 'protects-another') return t('public.withheld.protects-another');
  return t('public.withheld.too-few');
}

export const sharePercent = (share: number | null) => (share === null ? '–' : `${Math.round(share * 100)}%`);
