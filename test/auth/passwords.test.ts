import { hashPassword, passwordProblem, verifyPassword } from '../../src/auth/passwords';
import { sameSecret } from '../../src/auth/sessions';
import { useRealPasswordHashing } from '../support/fast-password-hashing';

// The real scrypt cost here: the rest of the suite hashes cheaply (test/support/fast-password-hashing.ts).
useRealPasswordHashing();

describe('staff password hashing', () => {
  test('scrypt with N=2^15, r=8, p=1 and a fresh salt per password; only the same password verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  test('a malformed or weakened stored hash never verifies', async () => {
    const good = await hashPassword('correct horse battery');
    const parts = good.split('$');
    expect(await verifyPassword('correct horse battery', 'plain:correct horse battery')).toBe(false);
    expect(await verifyPassword('correct horse battery', [...parts.slice(0, 5), 'AAAA'].join('$'))).toBe(false);
    expect(await verifyPassword('correct horse battery', ['scrypt', 2 ** 21, 8, 1, parts[4], parts[5]].join('$'))).toBe(false);
  });

  test('short passwords are refused', () => {
    expect(passwordProblem('short')).toMatch(/at least 12/);
    expect(passwordProblem('long enough now')).toBeNull();
  });

  test('secret comparison is exact', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'a')).toBe(false);
  });
});
