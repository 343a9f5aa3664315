import { SCRYPT_PARAMS } from '../../src/auth/passwords';

/**
 * Tests hash staff passwords with scrypt's cost lowered from N=2^15 to N=2^10: the suite signs in
 * and creates accounts hundreds of times, and at 32 MiB and 0.1 to 0.2 s of a core each the real
 * cost was minutes of CI. The hash records the N it was made with, as every hash does, so a
 * server or tool in a child process (always at the real cost) checks it correctly, and every hash
 * is still salted and checked timing-safely. test/auth/passwords.test.ts and the stored-hash tests
 * of test/auth/password-rules.test.ts run the real cost (useRealPasswordHashing).
 */
export const TEST_SCRYPT_N = 2 ** 10;
const params = SCRYPT_PARAMS as { N: number };
const REAL_N = params.N;
params.N = TEST_SCRYPT_N;

/** For the tests of hashing itself: the real cost in this file (or describe block). */
export function useRealPasswordHashing(): void {
  beforeAll(() => {
    params.N = REAL_N;
  });
  afterAll(() => {
    params.N = TEST_SCRYPT_N;
  });
}
