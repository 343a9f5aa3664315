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

/** Why a new password is refused, as a code a page turns into the reader's words (src/staff/i18n: password.problem.<code>). */
export type PasswordProblem =
  | { code: 'too-short'; min: number }
  | { code: 'too-long'; max: number }
  | { code: 'few-characters'; min: number }
  | { code: 'no-letters' }
  | { code: 'common' }
  | { code: 'contains-username' };

export const MAX_PASSWORD_LENGTH = 1024;
/** Every PasswordProblem code (the staff catalog has password.problem.<code> for each). */
export const PASSWORD_PROBLEM_CODES = ['too-short', 'too-long', 'few-characters', 'no-letters', 'common', 'contains-username'] as const satisfies readonly PasswordProblem['code'][];

/**
 * Why a new password is refused, or null when it is acceptable: at least MIN_PASSWORD_LENGTH
 * characters, not one of the common passwords (src/auth/common-passwords.ts) with digits or
 * symbols around it, not only digits, not the username, not a few characters repeated.
 */
export function passwordProblemOf(password: string, username?: string): PasswordProblem | null {
  if (password.length < MIN_PASSWORD_LENGTH) return { code: 'too-short', min: MIN_PASSWORD_LENGTH };
  if (password.length > MAX_PASSWORD_LENGTH) return { code: 'too-long', max: MAX_PASSWORD_LENGTH };
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS) return { code: 'few-characters', min: MIN_DISTINCT_CHARACTERS };
  const stem = stemOf(password);
  if (!stem) return { code: 'no-letters' };
  if (COMMON.has(stem)) return { code: 'common' };
  const name = (username ?? '').toLowerCase().replace(/[^\p{L}]/gu, '');
  if (name.length >= 4 && stem.includes(name)) return { code: 'contains-username' };
  return null;
}

/** The same rule in the command line's words (English). */
export function passwordProblem(password: string, username?: string): string | null {
  const problem = passwordProblemOf(password, username);
  if (!problem) return null;
  switch (problem.code) {
    case 'too-short': return `the password must have at least ${problem.min} characters`;
    case 'too-long': return `the password is longer than ${problem.max} characters`;
    case 'few-characters': return `the password must use at least ${problem.min} different characters`;
    case 'no-letters': return 'the password must not be only digits and symbols: use words';
    case 'common': return 'the password is one that guessers try first (a common password with digits or symbols added): choose another';
    case 'contains-username': return 'the password must not contain the username';
  }
}

/** Letters and digits nobody misreads on a screen or over the phone (no 0/o, 1/l/i). */
const TEMPORARY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * A temporary password an admin gives a person (a new account, a reset): four groups of four
 * (about 79 bits), easy to read out and type. It meets the password rules; the person must
 * choose their own at the next sign-in.
 */
export function temporaryPassword(username?: string): string {
  for (;;) {
    const groups = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => TEMPORARY_ALPHABET[crypto.randomInt(TEMPORARY_ALPHABET.length)]).join(''));
    const password = groups.join('-');
    // All-digit groups or a repeated few characters are possible, if rare: draw again.
    if (!passwordProblemOf(password, username)) return password;
  }
}
