import { normalizeReference } from '../../src/staff/find-pages';
import { westernDigits } from '../../src/staff/khmer-digits';

describe('numbers typed with Khmer digits', () => {
  it('read as the digits they are, in the reference box too', () => {
    expect(westernDigits('០១២៣៤៥៦៧៨៩')).toBe('0123456789');
    expect(westernDigits('លេខ ១២០១០១')).toBe('លេខ 120101');
    expect(normalizeReference('១០០០៤៥')).toBe('100045');
    expect(normalizeReference(' No. 100 045 ')).toBe('100045');
  });
});
