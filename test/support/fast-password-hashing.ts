import type * as Crypto from 'node:crypto';

// The module object itself (an `import * as` copy has read-only getters): passwords.ts reads crypto.scrypt at each call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCrypto: typeof Crypto = require('node:crypto');

/**
 * Tests hash staff passwords with scrypt's cost lowered from N=2^15 to N=2^10: the suite signs in
 * and creates accounts hundreds of times, and at 32 MiB and 0.1 to 0.2 s of a core each the real
 * cost was minutes of CI. Only the work factor changes: hashes still record N=2^15 (both hashing
 * and checking go through this wrapper, so they agree), every hash is still salted and checked
 * timing-safely, and the gate and throttles still count each check. test/auth/passwords.test.ts
 * runs the real cost (useRealPasswordHashing). Child processes (the staff command line, servers
 * started by tests) always hash at the real cost.
 */
export const TEST_SCRYPT_N = 2 ** 10;
const realScrypt = nodeCrypto.scrypt;

function cheapScrypt(password: Crypto.BinaryLike, salt: Crypto.BinaryLike, keylen: number, ...rest: unknown[]): void {
  const callback = rest.pop() as (err: Error | null, key: Buffer) => void;
  const options = (rest[0] ?? {}) as Crypto.ScryptOptions;
  const N = Math.min(options.N ?? options.cost ?? 2 ** 14, TEST_SCRYPT_N);
  realScrypt(password, salt, keylen, { ...options, N, cost: undefined }, callback);
}

(nodeCrypto as { scrypt: typeof nodeCrypto.scrypt }).scrypt = cheapScrypt as typeof nodeCrypto.scrypt;

/** For the tests of hashing itself: the real cost in this file. */
export function useRealPasswordHashing(): void {
  beforeAll(() => {
    (nodeCrypto as { scrypt: typeof nodeCrypto.scrypt }).scrypt = realScrypt;
  });
  afterAll(() => {
    (nodeCrypto as { scrypt: typeof nodeCrypto.scrypt }).scrypt = cheapScrypt as typeof nodeCrypto.scrypt;
  });
}
