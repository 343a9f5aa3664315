import { AccountAdmin } from '../../src/auth/account-admin';
import {
  DEVICE_COOKIE, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES, MAX_FAILURES_PER_ADDRESS,
  REFUSALS_AT_ONCE_PER_ADDRESS, SignInThrottle, SLOW_REFUSAL_MS,
} from '../../src/auth/sign-in-throttle';
import { NotFoundError } from '../../src/errors';
import { AuditEntry, MERGED_USERNAME_SAMPLES } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD, StaffClient } from '../staff/staff-support';

/** A browser at a given client address, as the one trusted reverse proxy (TRUST_PROXY=1) reports it. */
class BrowserAt extends StaffClient {
  constructor(h: TestHotline, public at: string) {
    super(h);
  }
  override request(path: string, init: Parameters<StaffClient['request']>[1] = {}): Promise<Response> {
    return super.request(path, { ...init, headers: { 'x-forwarded-for': this.at, ...(init.headers ?? {}) } });
  }
}

/**
 * Issue 21, section 4: nobody can lock a member of staff out from elsewhere (the failures are
 * counted per account and address, per address, and per account from new places; a device cookie
 * or an address that signed in before is judged by its own count only), an admin can unlock an
 * account (web and command line, audited), and a flood of sign-ins with new usernames is one
 * audit entry per address and window.
 */
// Each test runs dozens of real password checks (scrypt), slow on a busy two-core machine.
jest.setTimeout(180_000);

describe(`account lockout (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline({ TRUST_PROXY: '1' });
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'admin2', 'admin');
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h.stop();
  });
  const audit = () => h.store.collection<AuditEntry>('staff_audit');

  /** Wrong guesses at `username` from `count` attempts spread over `addresses`. */
  async function guess(username: string, count: number, addresses: string[]) {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const attacker = new BrowserAt(h, addresses[i % addresses.length]);
      statuses.push((await attacker.signIn(username, `wrong guess ${i} Zq`)).status);
    }
    return statuses;
  }

  it('failures from another address do not lock the owner out: not where they signed in before, not in their browser, not from another new place', async () => {
    const owner = new BrowserAt(h, '203.0.113.8');
    expect((await owner.signIn('admin1')).status).toBe(303);
    expect(owner.cookies.get(DEVICE_COOKIE)).toBeTruthy();
    // Today's code locked the account for everyone after 5 failures from anywhere.
    const statuses = await guess('admin1', 3 * MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, ['198.51.100.1']);
    expect(statuses.slice(0, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS).every((s) => s === 429)).toBe(true);
    // The attacker's address is locked for admin1, even with the right password...
    expect((await new BrowserAt(h, '198.51.100.1').signIn('admin1')).status).toBe(429);
    // ...but the owner's usual address (a new browser there), the owner's own browser (from a
    // new address) and a new place altogether are not.
    expect((await new BrowserAt(h, '203.0.113.8').signIn('admin1')).status).toBe(303);
    owner.at = '192.0.2.50';
    expect((await owner.signIn('admin1')).status).toBe(303);
    expect((await new BrowserAt(h, '192.0.2.99').signIn('admin1')).status).toBe(303);
  });

  it('a distributed guess (many addresses) locks the account only for places it never signed in from; its known address and browser still get in', async () => {
    const owner = new BrowserAt(h, '203.0.113.8');
    expect((await owner.signIn('admin1')).status).toBe(303);
    const attackers = Array.from({ length: 8 }, (_, i) => `198.51.100.${10 + i}`);
    const statuses = await guess('admin1', MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES + 4, attackers);
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES);
    // A new place, even with the right password, is refused now.
    expect((await new BrowserAt(h, '192.0.2.77').signIn('admin1')).status).toBe(429);
    // A forged device cookie (the owner's name, a made-up id and signature) does not help.
    const forger = new BrowserAt(h, '192.0.2.78');
    forger.cookies.set(DEVICE_COOKIE, `${Buffer.from('admin1').toString('base64url')}.madeup.${'A'.repeat(43)}`);
    expect((await forger.signIn('admin1')).status).toBe(429);
    // Another account's device cookie does not help either.
    const other = new BrowserAt(h, '192.0.2.79');
    expect((await other.signIn('rev1')).status).toBe(303);
    expect((await other.signIn('admin1')).status).toBe(429);
    // The owner: their browser anywhere, and any browser at their usual address.
    owner.at = '192.0.2.80';
    expect((await owner.signIn('admin1')).status).toBe(303);
    expect((await new BrowserAt(h, '203.0.113.8').signIn('admin1')).status).toBe(303);
  });

  it('per-address limits still stop a guessing address: one account from there, and every account it never signed in to', async () => {
    // One account guessed from one address: locked from there after the limit, right password or not.
    await guess('rev1', MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, ['198.51.100.1']);
    expect((await new BrowserAt(h, '198.51.100.1').signIn('rev1')).status).toBe(429);
    // Many usernames from one address: the address is locked for every account it never signed in to.
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) expect((await new BrowserAt(h, '198.51.100.2').signIn(`nobody${i}`, 'Wrong password 1')).status).toBe(401);
    expect((await new BrowserAt(h, '198.51.100.2').signIn('admin2')).status).toBe(429);
    const locked = await audit().find({ action: 'sign-in-locked', address: '198.51.100.2' });
    expect(locked).toHaveLength(1);
    expect(locked[0].detail).toMatchObject({ reason: 'address', count: 1 });
    // Other addresses are not affected.
    expect((await new BrowserAt(h, '198.51.100.3').signIn('admin2')).status).toBe(303);
  });

  it('an admin unlocks a locked account on the accounts page, audited with their name; a reviewer cannot', async () => {
    await guess('rev1', MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES + 1, ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6', '198.51.100.7']);
    expect((await new BrowserAt(h, '192.0.2.10').signIn('rev1')).status).toBe(429);

    const admin = await new BrowserAt(h, '203.0.113.8').signedIn('admin1');
    const page = await admin.page('/staff/accounts');
    expect(page.text).toContain('Sign-in locked from new places');
    expect(page.text).toContain('action="/staff/accounts/rev1/unlock"');
    expect(page.text).not.toContain('action="/staff/accounts/admin2/unlock"');

    await addAccount(h.store, 'rev2', 'reviewer');
    const reviewer = await new BrowserAt(h, '203.0.113.10').signedIn('rev2');
    expect((await reviewer.post('/staff/accounts/rev1/unlock')).status).toBe(403);
    expect((await new BrowserAt(h, '192.0.2.10').signIn('rev1')).status).toBe(429);

    expect((await admin.post('/staff/accounts/rev1/unlock')).status).toBe(303);
    const entries = await audit().find({ action: 'unlock-account' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ username: 'admin1', detail: { account: 'rev1' } });
    expect(Number(entries[0].detail?.countsCleared)).toBeGreaterThan(0);
    expect((await admin.page('/staff/accounts')).text).not.toContain('action="/staff/accounts/rev1/unlock"');
    expect((await new BrowserAt(h, '192.0.2.10').signIn('rev1')).status).toBe(303);
    // An unknown account: a clear refusal, nothing audited.
    expect((await admin.post('/staff/accounts/nobody/unlock')).status).toBe(404);
    expect(await audit().countDocuments({ action: 'unlock-account' })).toBe(1);
  });

  it('the command line unlocks an account (npm run staff -- unlock), audited as the command line, and refuses an unknown account', async () => {
    await guess('rev1', MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, ['198.51.100.1']);
    expect((await new BrowserAt(h, '198.51.100.1').signIn('rev1')).status).toBe(429);
    const cli = new AccountAdmin(h.store, h.rt.config.sessionSecret, { auditAs: 'command line (ops)' });
    expect(await cli.unlock('rev1')).toBeGreaterThan(0);
    expect(await audit().findOne({ action: 'unlock-account' })).toMatchObject({ username: 'command line (ops)', detail: { account: 'rev1' } });
    expect((await new BrowserAt(h, '198.51.100.1').signIn('rev1')).status).toBe(303);
    await expect(cli.unlock('nobody')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a flood of sign-ins with a new username each is one merged audit entry per address and window, with a count and a few sample names', async () => {
    const flood = MAX_FAILURES_PER_ADDRESS + REFUSALS_AT_ONCE_PER_ADDRESS + 30;
    const results: number[] = [];
    // The first ones one at a time (at most 2 password checks run at once; more would be refused as busy).
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) results.push((await new BrowserAt(h, '198.51.100.9').signIn(`fresh-name-${i}`, 'Wrong password 1')).status);
    for (let i = MAX_FAILURES_PER_ADDRESS; i < flood; i += 10) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => new BrowserAt(h, '198.51.100.9').signIn(`fresh-name-${i + j}`, 'Wrong password 1')))).map((r) => r.status));
    }
    expect(results.filter((s) => s === 401)).toHaveLength(MAX_FAILURES_PER_ADDRESS);
    expect(results.filter((s) => s === 429)).toHaveLength(flood - MAX_FAILURES_PER_ADDRESS);
    // Today's code kept one entry per username: 80 of them.
    const locked = await audit().find({ action: 'sign-in-locked' });
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ address: '198.51.100.9', detail: { reason: 'address', count: flood - MAX_FAILURES_PER_ADDRESS } });
    const samples = locked[0].detail?.usernames as string[];
    expect(samples).toHaveLength(MERGED_USERNAME_SAMPLES);
    expect(new Set(samples).size).toBe(MERGED_USERNAME_SAMPLES);
    expect(samples).toContain(locked[0].username);
    expect(await audit().countDocuments({})).toBe(MAX_FAILURES_PER_ADDRESS + 1);
    // No counter per username either: the locked address is refused after its own count.
    expect(await h.store.collection('staff_sign_in_failures').countDocuments({})).toBeLessThanOrEqual(2 * MAX_FAILURES_PER_ADDRESS + 2);
    // Past the refusals answered at once, the address waits before each answer (paced, at no cost to the server).
    const started = Date.now();
    expect((await new BrowserAt(h, '198.51.100.9').signIn('fresh-name-last', 'Wrong password 1')).status).toBe(429);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_REFUSAL_MS - 5);
  });

  it('a refusal waits only once its address has passed its limit and the refusals answered at once', () => {
    const locked = (addressAttempts: number) => ({ locked: true, trust: 'new' as const, counted: [], addressAttempts });
    expect(SignInThrottle.refusalDelayMs(locked(MAX_FAILURES_PER_ADDRESS + REFUSALS_AT_ONCE_PER_ADDRESS))).toBe(0);
    expect(SignInThrottle.refusalDelayMs(locked(MAX_FAILURES_PER_ADDRESS + REFUSALS_AT_ONCE_PER_ADDRESS + 1))).toBe(SLOW_REFUSAL_MS);
    expect(SignInThrottle.refusalDelayMs({ ...locked(1000), locked: false })).toBe(0);
    // A device's own refusals are not paced by the address (it was not counted there).
    expect(SignInThrottle.refusalDelayMs({ locked: true, reason: 'device', trust: 'device', counted: [] })).toBe(0);
  });
});
