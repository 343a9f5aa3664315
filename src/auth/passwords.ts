import * as crypto from 'node:crypto';
import { COMMON_PASSWORDS } from './common-passwords';

/** crypto.scrypt looked up at each call (tests count the hashes a sign-in costs). */
function scrypt(password: crypto.BinaryLike, salt: crypto.BinaryLike, keylen: number, options: crypto.ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => crypto.scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/**
 * scrypt is memory-hard: N=2^15, r=8 needs 32 MiB per guess, which makes GPU guessing of a
 * stolen hash expensive while one sign-in stays a fraction of a second. The parameters are stored
 * in the hash so they can be raised later without breaking existing passwords.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, keylen: 32 } as const;
const MAXMEM = 64 * 1024 * 1024;
const SALT_BYTES = 16;

/** Passwords shorter than this are refused when an account is created or changed. */
export const MIN_PASSWORD_LENGTH = 12;
/** ...and so are passwords of fewer different characters than this ("111111111111", "abababababab"). */
const MIN_DISTINCT_CHARACTERS = 5;

/** Returns "scrypt$N$r$p$salt$hash" (salt and hash base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const { N, r, p, keylen } = SCRYPT_PARAMS;
  const hash = await scrypt(password.normalize('NFC'), salt, keylen, { N, r, p, maxmem: MAXMEM });
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Timing-safe check; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 2 ** 20) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (expected.length < 16) return false;
  const actual = await scrypt(password.normalize('NFC'), salt, expected.length, { N, r, p, maxmem: Math.max(MAXMEM, 256 * N * r) });
  return crypto.timingSafeEqual(actual, expected);
}

/**
 * A hash of a random password: verified against when the username does not exist, so a
 * sign-in for an unknown user takes as long as one for a known user.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(crypto.randomBytes(16).toString('hex'));
  return decoy;
}

/** The decoy hash if it has been started, without starting it (a test waits for the one the server began). */
export function decoyHashStarted(): Promise<string> | undefined {
  return decoy;
}


/**
 * The stem a guesser starts from: lower case, no spaces, without the digits and symbols people
 * put before or after a word ("Password2024!" is "password").
 */
function stemOf(password: string): string {
  return password.normalize('NFC').toLowerCase().replace(/\s+/g, '').replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
}

const COMMON = new Set(COMMON_PASSWORDS.flatMap((p) => [p.replace(/\s+/g, ''), stemOf(p)]));

/**
 * Why a new password is refused, or null when it is acceptable: at least MIN_PASSWORD_LENGTH
 * characters, not one of the common passwords (src/auth/common-passwords.ts) with digits or
 * symbols around it, not only digits, not the username, not a few characters repeated.
 */
export function passwordProblem(password: string, username?: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'the password is longer than 1024 characters';
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS) return `the password must use at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  const stem = stemOf(password);
  if (!stem) return 'the password must not be only digits and symbols: use words';
  if (COMMON.has(stem)) return 'the password is one that guessers try first (a common password with digits or symbols added): choose another';
  const name = (username ?? '').toLowerCase().replace(/[^\p{L}]/gu, '');
  if (name.length >= 4 && stem.includes(name)) return 'the password must not contain the username';
  return null;
}
