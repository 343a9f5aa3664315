/**
 * The outbound-call settings (declared in src/config/settings.ts), checked and typed once at
 * start-up. Kept here so the config module stays a table and this feature stays in one place.
 */
export interface CallingHours {
  /** Minutes after midnight, Cambodia time; the window is [start, end). */
  startMinute: number;
  endMinute: number;
}

export interface OutboundSettings {
  /** 32-byte AES-256-GCM key for callback numbers. */
  numberKey: Buffer;
  fromNumber: string;
  allowedPrefixes: string[];
  maxConcurrent: number;
  maxPerMinute: number;
  callingHours: CallingHours;
  dailyBudget: number;
  maxAttempts: number;
  retryBaseSeconds: number;
  dailyLimitPerNumber: number;
  /** Calls (attempts) one number may get from missed-call callbacks in any 7 days. */
  weeklyCallsPerNumber: number;
  /** Missed-call callbacks queued per clock hour, all numbers together. */
  queueMaxPerHour: number;
  /** Missed-call callbacks waiting (queued or retry) at once. */
  queueMaxWaiting: number;
  /** Calling hours a callback may wait to be placed before it is dropped. */
  maxWaitHours: number;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

function parseHours(value: string): CallingHours | null {
  const m = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$/.exec(value);
  if (!m) return null;
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  if (endMinute > 24 * 60 || endMinute <= startMinute) return null;
  return { startMinute, endMinute };
}

/** Returns the typed settings, or the problems (each names the setting and what to do). */
export function parseOutboundSettings(values: Record<string, string | undefined>): { settings?: OutboundSettings; problems: string[] } {
  const problems: string[] = [];
  const key = values.CALLBACK_NUMBER_KEY ?? '';
  if (!/^[0-9a-fA-F]{64}$/.test(key)) {
    problems.push('CALLBACK_NUMBER_KEY must be 64 hex characters (32 random bytes), for example the output of `openssl rand -hex 32`');
  }
  const fromNumber = values.OUTBOUND_FROM_NUMBER ?? '';
  if (fromNumber && !E164.test(fromNumber)) problems.push(`OUTBOUND_FROM_NUMBER=${JSON.stringify(fromNumber)} is not an E.164 number like +85523123456`);
  const allowedPrefixes = (values.OUTBOUND_ALLOWED_PREFIXES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (allowedPrefixes.length === 0 || allowedPrefixes.some((p) => !/^\+[0-9]{1,6}$/.test(p))) {
    problems.push(`OUTBOUND_ALLOWED_PREFIXES=${JSON.stringify(values.OUTBOUND_ALLOWED_PREFIXES ?? '')} must be comma-separated prefixes like +855`);
  }
  const hours = parseHours(values.OUTBOUND_CALLING_HOURS ?? '');
  if (!hours) problems.push(`OUTBOUND_CALLING_HOURS=${JSON.stringify(values.OUTBOUND_CALLING_HOURS ?? '')} must be HH:MM-HH:MM with the end after the start, for example 08:00-19:00`);
  const int = (name: string, min: number, max: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${name}=${values[name]} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const maxConcurrent = int('OUTBOUND_MAX_CONCURRENT', 1, 500);
  const maxPerMinute = int('OUTBOUND_MAX_PER_MINUTE', 1, 6000);
  const dailyBudget = int('OUTBOUND_DAILY_BUDGET', 0, 99999);
  const maxAttempts = int('OUTBOUND_MAX_ATTEMPTS', 1, 10);
  const retryBaseSeconds = int('OUTBOUND_RETRY_BASE_SECONDS', 1, 86400);
  const dailyLimitPerNumber = int('CALLBACK_DAILY_LIMIT_PER_NUMBER', 1, 50);
  const weeklyCallsPerNumber = int('CALLBACK_WEEKLY_CALLS_PER_NUMBER', 1, 500);
  const queueMaxPerHour = int('CALLBACK_QUEUE_MAX_PER_HOUR', 1, 99999);
  const queueMaxWaiting = int('CALLBACK_QUEUE_MAX_WAITING', 1, 99999);
  const maxWaitHours = int('OUTBOUND_MAX_WAIT_HOURS', 1, 72);
  if (problems.length) return { problems };
  return {
    problems,
    settings: {
      numberKey: Buffer.from(key, 'hex'), fromNumber, allowedPrefixes, maxConcurrent, maxPerMinute, callingHours: hours!,
      dailyBudget, maxAttempts, retryBaseSeconds, dailyLimitPerNumber, weeklyCallsPerNumber, queueMaxPerHour, queueMaxWaiting, maxWaitHours,
    },
  };
}
