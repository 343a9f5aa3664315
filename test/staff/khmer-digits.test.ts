import { normalizeReference } from '../../src/staff/find-pages';
import { translator } from '../../src/staff/i18n/i18n';
import { khmerDigits, westernDigits } from '../../src/staff/khmer-digits';
import { calendarMonth, pageNumber } from '../../src/staff/page-dates';

describe('numbers typed with Khmer digits', () => {
  it('read as the digits they are, in the reference box too', () => {
    expect(westernDigits('០១២៣៤៥៦៧៨៩')).toBe('0123456789');
    expect(westernDigits('លេខ ១២០១០១')).toBe('លេខ 120101');
    expect(normalizeReference('១០០០៤៥')).toBe('100045');
    expect(normalizeReference(' No. 100 045 ')).toBe('100045');
  });
});

describe('figures and months on a Khmer page', () => {
  it('are written in Khmer digits and month names, and in English on an English page', () => {
    expect(khmerDigits('2025-04, No. 12')).toBe('២០២៥-០៤, No. ១២');
    expect(westernDigits(khmerDigits('0123456789'))).toBe('0123456789');
    expect(calendarMonth('2025-04', translator('km'))).toBe('មេសា ២០២៥');
    expect(calendarMonth('2025-12', translator('en'))).toBe('December 2025');
    expect(calendarMonth('2025-13', translator('en'))).toBe('2025-13');
    expect(pageNumber(2_500_000, translator('km'))).toBe('២.៥០០.០០០');
    expect(pageNumber(2_500_000, translator('en'))).toBe('2,500,000');
  });
});
