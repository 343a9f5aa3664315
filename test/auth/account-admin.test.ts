import { AccountAdmin } from '../../src/auth/account-admin';
import { verifyPassword } from '../../src/auth/passwords';
import { BadRequestError, DuplicateKeyError, NotFoundError } from '../../src/errors';
import { Store } from '../../src/store/store';
import { ENGINE } from '../support/engine';
import { sharedTestStore } from '../support/shared-store';

/**
 * Account administration as `npm run staff` and the accounts page use it, on a real store: valid
 * names and passwords only, one account per name whatever its case, and a change of password,
 * role or standing signs the person out everywhere at once, audited under the name given. Fast
 * (no hotline), so the auth mutation group (stryker.config.mjs) runs it.
 */
const GOOD = 'river lantern orbit 42';
const OTHER_GOOD = 'quiet mango ladder 7';

describe(`account administration (${ENGINE} store)`, () => {
  let store: Store;
  let admin: AccountAdmin;
  const audit = () => store.collection<{ _id: string; username: string; action: string; detail?: Record<string, unknown> }>('staff_audit').find({}, { sort: { _id: 1 } });
  const sharedStore = sharedTestStore(['staff_accounts', 'staff_sessions', 'staff_sign_in_failures', 'staff_sign_in_places', 'staff_audit']);
  beforeEach(async () => {
    store = sharedStore();
    admin = new AccountAdmin(store, 'session-secret-for-tests', { auditAs: 'command line (root)' });
  });

  it('adds an account under its lower-case name, with a hash that verifies only its password, and audits it', async () => {
    const before = Date.now();
    const a = await admin.add('  Dara.Sok ', 'reviewer', GOOD);
    // When it was made and its password set (the accounts page shows them).
    for (const t of [a.createdAt, a.passwordChangedAt]) {
      expect(t.getTime()).toBeGreaterThanOrEqual(before);
      expect(t.getTime()).toBeLessThanOrEqual(Date.now());
    }
    expect(a).toMatchObject({ _id: 'dara.sok', role: 'reviewer', disabled: false });
    expect(a.passwordHash).not.toContain(GOOD);
    expect(await verifyPassword(GOOD, a.passwordHash)).toBe(true);
    expect(await admin.accounts.find('DARA.SOK')).toMatchObject({ _id: 'dara.sok' });
    expect(await audit()).toEqual([expect.objectContaining({ username: 'command line (root)', action: 'add-account', detail: { account: 'dara.sok', role: 'reviewer' } })]);
  });

  it('refuses a name taken in any case, saying so', async () => {
    await admin.add('dara', 'viewer', GOOD);
    const err = await admin.add('DARA', 'admin', OTHER_GOOD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toBe('the username dara is already taken');
    // The store's own error stays attached for the log.
    expect((err as Error).cause).toBeInstanceOf(DuplicateKeyError);
    expect((await admin.list()).map((a) => [a._id, a.role])).toEqual([['dara', 'viewer']]);
  });

  it('refuses names that are not 2 to 32 letters, digits, dot, dash or underscore starting with a letter or digit', async () => {
    for (const bad of ['a', 'x'.repeat(33), '-dara', '.dara', 'da ra', 'dara!', 'ដារា', '']) {
      expect(() => AccountAdmin.checkUsername(bad)).toThrow(BadRequestError);
      await expect(admin.add(bad, 'viewer', GOOD)).rejects.toThrow(/is not a valid username/);
    }
    for (const good of ['ab', 'x'.repeat(32), '9dara', 'dara.sok_1-2', ' Sok ']) expect(() => AccountAdmin.checkUsername(good)).not.toThrow();
    expect(AccountAdmin.checkUsername(' Sok ')).toBe('sok');
    expect(await admin.list()).toEqual([]);
    expect(await audit()).toEqual([]);
  });

  it('refuses a weak password, or one containing the name, before anything is stored', async () => {
    await expect(admin.add('dara', 'viewer', 'short')).rejects.toThrow(BadRequestError);
    await expect(admin.add('darasok', 'viewer', 'my darasok river key')).rejects.toThrow(/must not contain the username/);
    expect(await admin.list()).toEqual([]);
  });

  it('a new password signs the person out everywhere, and only the new one verifies', async () => {
    await admin.add('dara', 'admin', GOOD);
    await admin.add('sok', 'viewer', GOOD);
    const a = await admin.sessions.create('dara', 'admin');
    await admin.sessions.create('dara', 'admin');
    const s = await admin.sessions.create('sok', 'viewer');
    expect(await admin.changePassword('Dara', OTHER_GOOD)).toBe(2);
    expect(await admin.sessions.resume(a.token)).toBeNull();
    expect(await admin.sessions.resume(s.token)).not.toBeNull();
    const hash = (await admin.accounts.find('dara'))!.passwordHash;
    expect(await verifyPassword(OTHER_GOOD, hash)).toBe(true);
    expect(await verifyPassword(GOOD, hash)).toBe(false);
    await expect(admin.changePassword('dara', 'short')).rejects.toThrow(BadRequestError);
    await expect(admin.changePassword('nobody', OTHER_GOOD)).rejects.toThrow(new NotFoundError('no staff account nobody'));
    const changed = (await admin.accounts.find('dara'))!;
    expect(changed.passwordChangedAt.getTime()).toBeGreaterThanOrEqual(changed.createdAt.getTime());
    expect(changed.passwordChangedAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await audit()).at(-1)).toMatchObject({ action: 'change-password', detail: { account: 'dara', sessionsEnded: 2 } });
  });

  it('disabling signs the person out; enabling again ends nothing', async () => {
    await admin.add('dara', 'admin', GOOD);
    const a = await admin.sessions.create('dara', 'admin');
    expect(await admin.setDisabled('DARA', true)).toBe(1);
    expect(await admin.sessions.resume(a.token)).toBeNull();
    expect((await admin.accounts.find('dara'))!.disabled).toBe(true);
    const b = await admin.sessions.create('dara', 'admin');
    expect(await admin.setDisabled('dara', false)).toBe(0);
    expect(await admin.sessions.resume(b.token)).not.toBeNull();
    expect((await admin.accounts.find('dara'))!.disabled).toBe(false);
    await expect(admin.setDisabled('nobody', true)).rejects.toThrow(new NotFoundError('no staff account nobody'));
    expect((await audit()).slice(-2).map((e) => [e.action, e.detail])).toEqual([
      ['disable-account', { account: 'dara', sessionsEnded: 1 }],
      ['enable-account', { account: 'dara', sessionsEnded: 0 }],
    ]);
  });

  it('a new role applies at once: the person\'s sessions (opened with the old role) end', async () => {
    await admin.add('dara', 'admin', GOOD);
    const a = await admin.sessions.create('dara', 'admin');
    expect(await admin.setRole('dara', 'viewer')).toBe(1);
    expect(await admin.sessions.resume(a.token)).toBeNull();
    expect((await admin.accounts.find('dara'))!.role).toBe('viewer');
    await expect(admin.setRole('nobody', 'viewer')).rejects.toThrow(new NotFoundError('no staff account nobody'));
    expect((await audit()).at(-1)).toMatchObject({ action: 'change-role', detail: { account: 'dara', role: 'viewer', sessionsEnded: 1 } });
  });

  it('unlock lets the account in again from everywhere, audited; an unknown account is named', async () => {
    await admin.add('dara', 'admin', GOOD);
    for (let i = 0; i < 6; i++) await admin.throttle.attempt('dara', '203.0.113.7');
    expect((await admin.throttle.attempt('dara', '203.0.113.7')).locked).toBe(true);
    const cleared = await admin.unlock('DARA');
    expect(cleared).toBeGreaterThanOrEqual(2);
    expect((await admin.throttle.attempt('dara', '203.0.113.7')).locked).toBe(false);
    expect((await audit()).at(-1)).toMatchObject({ action: 'unlock-account', detail: { account: 'dara', countsCleared: cleared } });
    const err = await admin.unlock('nobody').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).messageKey).toBe('accounts.not-found');
    expect((err as Error).message).toBe('there is no account nobody');
  });

  it('lists accounts by name', async () => {
    for (const n of ['sok', 'dara', 'bopha']) await admin.add(n, 'viewer', GOOD);
    expect((await admin.list()).map((a) => a._id)).toEqual(['bopha', 'dara', 'sok']);
  });

  it('without a name to audit under (the web pages audit themselves), nothing is written to the audit log', async () => {
    const web = new AccountAdmin(store, 'session-secret-for-tests');
    await web.add('dara', 'admin', GOOD);
    await web.setRole('dara', 'viewer');
    await web.unlock('dara');
    expect(await audit()).toEqual([]);
  });
});
