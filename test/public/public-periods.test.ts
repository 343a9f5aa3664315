import { loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/errors';
import { cambodianDay, fixedPeriod, hasEnded, isPublished, parsePublicationSetting, previousOf, quarterPeriod, quartersOf, yearPeriod } from '../../src/public/public-periods';
import { tempDir } from '../support/engine';

describe('fixed public periods', () => {
  it('are calendar quarters and years in Cambodian days, the end exclusive', () => {
    expect(quarterPeriod(2026, 1)).toEqual({ id: '2026-Q1', kind: 'quarter', from: '2026-01-01', to: '2026-04-01' });
    expect(quarterPeriod(2026, 4)).toEqual({ id: '2026-Q4', kind: 'quarter', from: '2026-10-01', to: '2027-01-01' });
    expect(yearPeriod(2026)).toEqual({ id: '2026', kind: 'year', from: '2026-01-01', to: '2027-01-01' });
    expect(quartersOf(2026).map((q) => q.id)).toEqual(['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
    expect(fixedPeriod('2026-Q3')).toEqual(quarterPeriod(2026, 3));
    expect(fixedPeriod('2026')).toEqual(yearPeriod(2026));
    expect(fixedPeriod('round-abc')).toBeNull();
    expect(fixedPeriod('2026-Q5')).toBeNull();
  });

  it('compare with the previous period of the same kind: the quarter before (across the new year) and the year before', () => {
    expect(previousOf(quarterPeriod(2026, 1)).id).toBe('2025-Q4');
    expect(previousOf(quarterPeriod(2026, 3)).id).toBe('2026-Q2');
    expect(previousOf(yearPeriod(2026)).id).toBe('2025');
  });

  it('end at midnight in Cambodia (UTC+7), not at midnight UTC', () => {
    // 2026-03-31 17:00 UTC is 2026-04-01 00:00 in Phnom Penh.
    expect(cambodianDay(new Date('2026-03-31T16:59:59Z'))).toBe('2026-03-31');
    expect(hasEnded(quarterPeriod(2026, 1), new Date('2026-03-31T16:59:59Z'))).toBe(false);
    expect(hasEnded(quarterPeriod(2026, 1), new Date('2026-03-31T17:00:00Z'))).toBe(true);
  });
});

describe('the publication setting (PUBLIC_RESULTS)', () => {
  it('publishes nothing when off (the default), everything when all, and from a date the periods starting on or after it', () => {
    expect(parsePublicationSetting('off')).toEqual({ publish: 'off' });
    expect(parsePublicationSetting('')).toEqual({ publish: 'off' });
    expect(isPublished(quarterPeriod(2026, 1), { publish: 'off' })).toBe(false);
    expect(isPublished(yearPeriod(2020), parsePublicationSetting('all'))).toBe(true);
    const from = parsePublicationSetting('2026-04-01');
    expect(isPublished(quarterPeriod(2026, 1), from)).toBe(false);
    expect(isPublished(quarterPeriod(2026, 2), from)).toBe(true);
    // Not the year whose first quarter is left out.
    expect(isPublished(yearPeriod(2026), from)).toBe(false);
    expect(isPublished(yearPeriod(2027), from)).toBe(true);
  });

  it('refuses anything else at start-up with a sentence saying what to write', () => {
    expect(() => parsePublicationSetting('yes')).toThrow(/must be off .*, all .*, or a date like 2026-01-01/);
    expect(() => parsePublicationSetting('2026-02-30')).toThrow(/not a real calendar day/);
    expect(() => loadConfig({ DATA_DIR: tempDir(), PUBLIC_RESULTS: 'from 2026' }, { cwd: process.cwd() })).toThrow(ConfigError);
    expect(loadConfig({ DATA_DIR: tempDir() }, { cwd: process.cwd() }).publicResults).toEqual({ publish: 'off' });
    expect(loadConfig({ DATA_DIR: tempDir(), PUBLIC_RESULTS: '2026-01-01' }, { cwd: process.cwd() }).publicResults).toEqual({ publish: 'from', from: '2026-01-01' });
  });
});
