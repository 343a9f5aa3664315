import { CallingHours } from './outbound-settings';

/** Cambodia (Asia/Phnom_Penh) is UTC+7 all year: no daylight saving, so a fixed offset is exact. */
const OFFSET_MS = 7 * 3600 * 1000;

/** The Cambodian calendar day of an instant, YYYY-MM-DD: budgets and per-number limits count by it. */
export function cambodianDay(at: Date): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant the Cambodian day of `at` began. */
export function startOfCambodianDay(at: Date): Date {
  const local = at.getTime() + OFFSET_MS;
  return new Date(local - (local % 86_400_000) - OFFSET_MS);
}

function minuteOfDay(at: Date): number {
  return Math.floor(((at.getTime() + OFFSET_MS) % 86_400_000) / 60_000);
}

export function withinCallingHours(at: Date, hours: CallingHours): boolean {
  const m = minuteOfDay(at);
  return m >= hours.startMinute && m < hours.endMinute;
}

/** `at` itself inside calling hours, otherwise the next time they open. */
export function nextCallingTime(at: Date, hours: CallingHours): Date {
  if (withinCallingHours(at, hours)) return at;
  const dayStart = startOfCambodianDay(at).getTime();
  const todayOpen = dayStart + hours.startMinute * 60_000;
  return new Date(at.getTime() < todayOpen ? todayOpen : todayOpen + 86_400_000);
}

/**
 * The instant `ms` of calling time after `at`: time outside calling hours does not count, so a
 * ring in the evening still has its whole wait the next morning.
 */
export function afterCallingTime(at: Date, ms: number, hours: CallingHours): Date {
  let t = nextCallingTime(at, hours).getTime();
  let left = ms;
  for (;;) {
    const close = startOfCambodianDay(new Date(t)).getTime() + hours.endMinute * 60_000;
    if (t + left <= close) return new Date(t + left);
    left -= close - t;
    t = nextCallingTime(new Date(close), hours).getTime();
  }
}
