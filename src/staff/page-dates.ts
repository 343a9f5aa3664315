import { Translate } from './i18n/i18n';

/**
 * Dates and times as staff pages show them: Cambodia time (Asia/Phnom_Penh, UTC+7 all year), in
 * the page's language, with Khmer month names and digits on a Khmer page
 * ("3 November 2026 at 14:05", "៣ វិច្ឆិកា ២០២៦ នៅ​ម៉ោង ១៤:០៥").
 */
const LOCALES = { en: 'en-GB', km: 'km-KH-u-nu-khmr' } as const;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatter(t: Translate, kind: 'date-time' | 'date-time-seconds' | 'date' | 'month'): Intl.DateTimeFormat {
  const key = `${t.lang}:${kind}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALES[t.lang], kind === 'month'
      ? { timeZone: 'UTC', month: 'long', year: 'numeric' }
      : kind !== 'date'
      ? { timeZone: 'Asia/Phnom_Penh', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(kind === 'date-time-seconds' ? { second: '2-digit' } as const : {}) }
      // A calendar day (YYYY-MM-DD) is no instant: shown as written, whatever the zone.
      : { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
    formats.set(key, f);
  }
  return f;
}

/** An instant in Cambodia time, in the page's language (with seconds where order matters: the audit log). */
export function cambodiaDateTime(at: Date, t: Translate, opts: { seconds?: boolean } = {}): string {
  return formatter(t, opts.seconds ? 'date-time-seconds' : 'date-time').format(new Date(at));
}

/** A calendar day written YYYY-MM-DD (the catalog's wordsChanged), in the page's language. */
export function calendarDay(day: string, t: Translate): string {
  const at = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(at.getTime()) ? day : formatter(t, 'date').format(at);
}

/** A calendar month written YYYY-MM, in the page's language ("April 2025", "មេសា ២០២៥"). */
export function calendarMonth(month: string, t: Translate): string {
  const at = new Date(`${month}-01T00:00:00Z`);
  return /^[0-9]{4}-[0-9]{2}$/.test(month) && !Number.isNaN(at.getTime()) ? formatter(t, 'month').format(at) : month;
}

/** A whole number in the page's language: grouped, in Khmer digits on a Khmer page ("2,000,000", "២.០០០.០០០"). */
export function pageNumber(n: number, t: Translate): string {
  return new Intl.NumberFormat(LOCALES[t.lang]).format(n);
}

/** The machine-readable form for a <time datetime> attribute: the instant in UTC. */
export function isoInstant(at: Date): string {
  return new Date(at).toISOString();
}
