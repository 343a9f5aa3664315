import { PasswordCheckGate } from '../../src/auth/password-check-gate';
import { decoyHash, decoyHashStarted, hashPassword, MIN_PASSWORD_LENGTH, passwordProblem, passwordProblemOf, temporaryPassword, verifyPassword } from '../../src/auth/passwords';
import { isStaffRole, STAFF_ROLES } from '../../src/auth/roles';
import { useRealPasswordHashing } from '../support/fast-password-hashing';

/**
 * The rules a new staff password must meet, what a stored hash must look like to verify, the bound
 * on password checks at once, and the roles. No store, no hotline: the auth mutation group
 * (stryker.config.mjs) runs it.
 */
describe('new staff passwords', () => {
  it('need at least 12 characters and at most 1024', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(passwordProblem('river lante')).toBe('the password must have at least 12 characters');
    expect(passwordProblem('river lanter')).toBeNull();
    const long = 'river lantern orbit '.repeat(60);
    expect(passwordProblem(long.slice(0, 1024))).toBeNull();
    expect(passwordProblem(long.slice(0, 1025))).toBe('the password is longer than 1024 characters');
  });

  it('need at least 5 different characters', () => {
    expect(passwordProblem('abababababab')).toBe('the password must use at least 5 different characters');
    expect(passwordProblem('abcdabcdabcd')).toMatch(/at least 5 different/);
    expect(passwordProblem('abcdeabcdeab')).toBeNull();
  });

  it('must have words, not only digits and symbols', () => {
    expect(passwordProblem('1234567890!@#')).toBe('the password must not be only digits and symbols: use words');
    expect(passwordProblem('  12 34 56 78 90 ')).toMatch(/only digits and symbols/);
  });

  it('must not be a common password with digits, symbols, spaces or capitals around it', () => {
    const common = /guessers try first/;
    for (const p of ['Password2024!', '!!Qwerty123456', '2024 Phnom Penh!!', 'CorrectHorseBatteryStaple', 'correct horse battery staple', '1234Cambodia5678', 'Hotline Admin 99', '1q2w3e4r2024!']) {
      expect([p, passwordProblem(p)]).toEqual([p, expect.stringMatching(common)]);
    }
    // Digits inside the word make another word; a common word inside a longer phrase is fine.
    expect(passwordProblem('pass1word2024')).toBeNull();
    expect(passwordProblem('my password is long')).toBeNull();
  });

  it('must not contain the username (its letters, 4 or more)', () => {
    expect(passwordProblem('the darasok river', 'dara.sok1')).toBe('the password must not contain the username');
    expect(passwordProblem('The DaraSok River', 'darasok')).toMatch(/username/);
    expect(passwordProblem('the darasok river', 'sokha')).toBeNull();
    expect(passwordProblem('the sokh river lantern', 'sokh')).toMatch(/username/);
    // A name of fewer than 4 letters is too short to judge by.
    expect(passwordProblem('bob builds rivers', 'bob')).toBeNull();
    expect(passwordProblem('the darasok river')).toBeNull();
  });
});

describe('the rules as codes (for pages in the reader\'s language)', () => {
  it('name the same problem the command line words, with its numbers', () => {
    expect(passwordProblemOf('river lante')).toEqual({ code: 'too-short', min: 12 });
    expect(passwordProblemOf('abababababab')).toEqual({ code: 'few-characters', min: 5 });
    expect(passwordProblemOf('1234567890!@#')).toEqual({ code: 'no-letters' });
    expect(passwordProblemOf('Password2024!')).toEqual({ code: 'common' });
    expect(passwordProblemOf('the darasok river', 'darasok')).toEqual({ code: 'contains-username' });
    expect(passwordProblemOf('river lantern orbit '.repeat(60).slice(0, 1025))).toEqual({ code: 'too-long', max: 1024 });
    expect(passwordProblemOf('river lanter')).toBeNull();
  });
});

describe('temporary passwords (an admin\'s new account or reset)', () => {
  it('meet the rules, use no look-alike characters (0 o 1 l i), and differ every time', () => {
    const drawn = Array.from({ length: 200 }, () => temporaryPassword('dara'));
    for (const p of drawn) {
      expect(p).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
      expect(passwordProblem(p, 'dara')).toBeNull();
    }
    expect(new Set(drawn).size).toBe(drawn.length);
  });
});

describe('stored password hashes', () => {
  // Hashes made here by scryptSync at their own cost: checked at the real cost too.
  useRealPasswordHashing();

  let good: string;
  beforeAll(async () => {
    good = await hashPassword('river lantern orbit 42');
  });

  it('verify the same text in either Unicode form', async () => {
    const composed = await hashPassword('caf\u00e9 lantern orbit');
    expect(await verifyPassword('cafe\u0301 lantern orbit', composed)).toBe(true);
  });

  it('never verify when malformed or weakened', async () => {
    const [, N, r, p, salt, hash] = good.split('$');
    const variants = [
      ['bcrypt', N, r, p, salt, hash], ['scrypt', N, r, p, salt], ['scrypt', N, r, p, salt, hash, 'x'],
      ['scrypt', '0', r, p, salt, hash], ['scrypt', '-1', r, p, salt, hash], ['scrypt', '1.5', r, p, salt, hash], ['scrypt', 'x', r, p, salt, hash],
      ['scrypt', N, '0', p, salt, hash], ['scrypt', N, r, '0', salt, hash],
      ['scrypt', String(2 ** 21), r, p, salt, hash], ['scrypt', N, r, p, salt, hash.slice(0, 20)],
    ];
    for (const v of variants) expect([v.join('$'), await verifyPassword('river lantern orbit 42', v.join('$'))]).toEqual([v.join('$'), false]);
    expect(await verifyPassword('river lantern orbit 42', good)).toBe(true);
  });

  it('verify a hash made with other (cheaper) parameters, as stored', async () => {
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const hash = scryptSync('river lantern orbit 42', salt, 16, { N: 1024, r: 8, p: 1 });
    const stored = ['scrypt', 1024, 8, 1, salt.toString('base64'), hash.toString('base64')].join('$');
    expect(await verifyPassword('river lantern orbit 42', stored)).toBe(true);
    expect(await verifyPassword('river lantern orbit 43', stored)).toBe(false);
  });

  it('verify a hash made with stronger parameters (raised later), which needs more memory than today\'s', async () => {
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const N = 2 ** 16;
    const hash = scryptSync('river lantern orbit 42', salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
    const stored = ['scrypt', N, 8, 1, salt.toString('base64'), hash.toString('base64')].join('$');
    expect(await verifyPassword('river lantern orbit 42', stored)).toBe(true);
  });

  it('the decoy hash for unknown usernames is made once and verifies no guess', async () => {
    const d = decoyHash();
    expect(decoyHashStarted()).toBe(d);
    expect(decoyHash()).toBe(d);
    expect(await d).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('river lantern orbit 42', await d)).toBe(false);
  });
});

describe('the password check gate', () => {
  it('runs at most 2 checks at once and refuses the next at once; a finished or failed check frees its slot', async () => {
    const gate = new PasswordCheckGate();
    expect(gate.max).toBe(2);
    const release: Array<() => void> = [];
    const slow = () => new Promise<string>((r) => release.push(() => r('done')));
    const a = gate.run(slow);
    const b = gate.run(slow);
    expect(await gate.run(async () => 'ran')).toBe('busy');
    release[0]();
    expect(await a).toBe('done');
    expect(await gate.run(async () => 'ran')).toBe('ran');
    await expect(gate.run(async () => { throw new Error('scrypt failed'); })).rejects.toThrow('scrypt failed');
    expect(await gate.run(async () => 'ran')).toBe('ran');
    release[1]();
    expect(await b).toBe('done');
    const one = new PasswordCheckGate(1);
    const c = one.run(slow);
    expect(await one.run(async () => 'ran')).toBe('busy');
    release[2]();
    await c;
  });
});

describe('staff roles', () => {
  it('are admin, reviewer and viewer, and nothing else', () => {
    expect(STAFF_ROLES).toEqual(['admin', 'reviewer', 'viewer']);
    for (const r of STAFF_ROLES) expect(isStaffRole(r)).toBe(true);
    for (const x of ['Admin', 'root', '', undefined, null, 1, ['admin']]) expect(isStaffRole(x)).toBe(false);
  });
});
