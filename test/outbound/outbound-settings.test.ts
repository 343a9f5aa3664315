import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { cambodianDay, startOfCambodianDay, withinCallingHours } from '../../src/outbound/cambodia-time';
import { NumberCipher } from '../../src/outbound/number-cipher';
import { tempDir } from '../support/engine';

const base = { NODE_ENV: 'test', TWILIO_AUTH_TOKEN: 't', CALLER_HASH_SECRET: 'c', SESSION_SECRET: 's' };

describe('outbound settings, checked at start-up', () => {
  it('have working defaults, and a development CALLBACK_NUMBER_KEY is generated and kept in DATA_DIR', () => {
    const dataDir = tempDir();
    const c = loadConfig({ ...base, DATA_DIR: dataDir });
    expect(c.outbound).toMatchObject({
      maxConcurrent: 4, maxPerMinute: 30, dailyBudget: 300, maxAttempts: 3, retryBaseSeconds: 600, dailyLimitPerNumber: 2,
      weeklyCallsPerNumber: 8, queueMaxPerHour: 60, queueMaxWaiting: 200, maxWaitHours: 4,
      callingHours: { startMinute: 8 * 60, endMinute: 19 * 60 }, allowedPrefixes: ['+855'], fromNumber: '',
    });
    expect(c.outbound.numberKey).toHaveLength(32);
    expect(c.generatedSecrets).toContain('CALLBACK_NUMBER_KEY');
    const kept = JSON.parse(fs.readFileSync(path.join(dataDir, 'development-secrets.json'), 'utf8'));
    expect(kept.CALLBACK_NUMBER_KEY).toBe(c.outbound.numberKey.toString('hex'));
    expect(loadConfig({ ...base, DATA_DIR: dataDir }).outbound.numberKey.equals(c.outbound.numberKey)).toBe(true);
  });

  it('is required in production', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', TWILIO_ACCOUNT_SID: 'AC1', PUBLIC_BASE_URL: 'https://h.example.org', DATA_DIR: tempDir() }))
      .toThrow(/CALLBACK_NUMBER_KEY is required in production/);
  });

  it.each([
    ['CALLBACK_NUMBER_KEY', 'short', /CALLBACK_NUMBER_KEY must be 64 hex characters/],
    ['OUTBOUND_CALLING_HOURS', '19:00-08:00', /OUTBOUND_CALLING_HOURS=.* must be HH:MM-HH:MM/],
    ['OUTBOUND_CALLING_HOURS', '8-19', /OUTBOUND_CALLING_HOURS/],
    ['OUTBOUND_MAX_CONCURRENT', '0', /OUTBOUND_MAX_CONCURRENT=0 must be a whole number from 1/],
    ['OUTBOUND_MAX_PER_MINUTE', 'ten', /OUTBOUND_MAX_PER_MINUTE="ten" is not a whole number/],
    ['OUTBOUND_FROM_NUMBER', '023900900', /OUTBOUND_FROM_NUMBER="023900900" is not an E.164 number/],
    ['OUTBOUND_ALLOWED_PREFIXES', '855', /OUTBOUND_ALLOWED_PREFIXES/],
    ['OUTBOUND_MAX_ATTEMPTS', '0', /OUTBOUND_MAX_ATTEMPTS=0/],
    ['OUTBOUND_MAX_WAIT_HOURS', '0', /OUTBOUND_MAX_WAIT_HOURS=0 must be a whole number from 1 to 72/],
    ['CALLBACK_QUEUE_MAX_PER_HOUR', '0', /CALLBACK_QUEUE_MAX_PER_HOUR=0 must be a whole number from 1/],
    ['CALLBACK_QUEUE_MAX_WAITING', '0', /CALLBACK_QUEUE_MAX_WAITING=0 must be a whole number from 1/],
    ['CALLBACK_WEEKLY_CALLS_PER_NUMBER', '0', /CALLBACK_WEEKLY_CALLS_PER_NUMBER=0 must be a whole number from 1/],
  ])('%s=%s is refused with what to do', (name, value, message) => {
    expect(() => loadConfig({ ...base, DATA_DIR: tempDir(), [name]: value })).toThrow(message);
  });
});

describe('callback number encryption', () => {
  const key = Buffer.alloc(32, 7);
  it('round-trips, differs every time, and opens only for its own entry and key', () => {
    const c = new NumberCipher(key);
    const a = c.encrypt('+85512345678', 'entry-1');
    expect(a).not.toContain('12345678');
    expect(c.encrypt('+85512345678', 'entry-1')).not.toBe(a);
    expect(c.decrypt(a, 'entry-1')).toBe('+85512345678');
    expect(() => c.decrypt(a, 'entry-2')).toThrow();
    expect(() => new NumberCipher(Buffer.alloc(32, 8)).decrypt(a, 'entry-1')).toThrow();
    const parts = a.split('.');
    parts[3] = Buffer.from('+85599999999').toString('base64url');
    expect(() => c.decrypt(parts.join('.'), 'entry-1')).toThrow();
  });
});

describe('Cambodia time (UTC+7, no daylight saving)', () => {
  it('days and calling hours follow Phnom Penh clocks', () => {
    expect(cambodianDay(new Date('2026-11-30T16:59:59Z'))).toBe('2026-11-30');
    expect(cambodianDay(new Date('2026-11-30T17:00:00Z'))).toBe('2026-12-01');
    expect(startOfCambodianDay(new Date('2026-11-30T18:00:00Z')).toISOString()).toBe('2026-11-30T17:00:00.000Z');
    const hours = { startMinute: 8 * 60, endMinute: 19 * 60 };
    expect(withinCallingHours(new Date('2026-06-30T01:00:00Z'), hours)).toBe(true);
    expect(withinCallingHours(new Date('2026-06-30T11:59:00Z'), hours)).toBe(true);
    expect(withinCallingHours(new Date('2026-06-30T12:00:00Z'), hours)).toBe(false);
  });
});
