import { passwordProblem } from '../../src/auth/passwords';
import { StaffAccountsRepository } from '../../src/auth/staff-accounts';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD, StaffClient } from './staff-support';

describe('accounts page for admins', () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h.stop();
  });

  test('a reviewer cannot see or change accounts (403)', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    expect((await rev.request('/staff/accounts')).status).toBe(403);
    expect((await rev.post('/staff/accounts/rev1/role', { role: 'admin' })).status).toBe(403);
    expect((await new StaffAccountsRepository(h.store).find('rev1'))?.role).toBe('reviewer');
  });

  test('an admin disabling an account ends its sessions at once; enabling lets it sign in again', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    const admin = await new StaffClient(h).signedIn('admin1');
    const list = await admin.page('/staff/accounts');
    expect(list.text).toContain('rev1');
    expect(list.text).toContain('1 session(s)');
    expect((await admin.post('/staff/accounts/rev1/disabled', { disabled: 'true' })).status).toBe(303);
    expect((await rev.request('/staff/messages')).status).toBe(303);
    expect((await new StaffClient(h).signIn('rev1')).status).toBe(401);
    expect((await admin.post('/staff/accounts/rev1/disabled', { disabled: 'false' })).status).toBe(303);
    expect((await new StaffClient(h).signIn('rev1')).status).toBe(303);
    const actions = (await h.store.collection<AuditEntry>('staff_audit').find({ username: 'admin1' })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['view-accounts', 'disable-account', 'enable-account']));
  });

  test('a role change applies at once (the old session ends) and an admin cannot change their own account', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    const admin = await new StaffClient(h).signedIn('admin1');
    await admin.page('/staff/accounts');
    expect((await admin.post('/staff/accounts/rev1/role', { role: 'viewer' })).status).toBe(303);
    expect((await new StaffAccountsRepository(h.store).find('rev1'))?.role).toBe('viewer');
    expect((await rev.request('/staff/messages')).status).toBe(303);
    expect((await admin.post('/staff/accounts/admin1/disabled', { disabled: 'true' })).status).toBe(400);
    expect((await admin.post('/staff/accounts/rev1/role', { role: 'owner' })).status).toBe(400);
  });
});

/** The temporary password on the page an admin sees once (a new account, a reset). */
const temporaryPasswordOn = (page: string) => /<p class="temporary-password"><code translate="no">([^<]+)<\/code><\/p>/.exec(page)?.[1];

describe(`accounts made and passwords reset on the web (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h.stop();
  });
  const audit = () => h.store.collection<AuditEntry>('staff_audit').find({});

  test('an admin creates an account: its temporary password is shown once, the person signs in with it and must choose their own before anything else', async () => {
    const admin = await new StaffClient(h).signedIn('admin1');
    await admin.page('/staff/accounts');
    const created = await admin.post('/staff/accounts', { username: ' Dara.Sok ', role: 'viewer' });
    expect(created.status).toBe(200);
    const page = await created.text();
    expect(page).toContain('Account dara.sok created');
    const temporary = temporaryPasswordOn(page)!;
    expect(temporary).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(passwordProblem(temporary, 'dara.sok')).toBeNull();
    const account = await new StaffAccountsRepository(h.store).find('dara.sok');
    expect(account).toMatchObject({ role: 'viewer', disabled: false, mustChangePassword: true });
    // Shown once: the list shows no password, only that one must be chosen.
    const list = await admin.page('/staff/accounts');
    expect(list.text).not.toContain(temporary);
    expect(list.text).toContain('must choose a new password at the next sign-in');

    // Signing in with it leads to the change-password page, then to where the person was going.
    const dara = new StaffClient(h);
    await dara.page('/staff/sign-in');
    const signIn = await dara.request('/staff/sign-in', { form: { _csrf: dara.csrf, username: 'dara.sok', password: temporary, next: '/staff/reports' } });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/staff/password?next=%2Fstaff%2Freports');
    // Nothing else is reachable meanwhile: pages send back to the form, other requests are refused.
    const messages = await dara.request('/staff/messages');
    expect([messages.status, messages.headers.get('location')]).toEqual([303, '/staff/password?next=%2Fstaff%2Fmessages']);
    const form = await dara.page('/staff/password?next=%2Fstaff%2Freports');
    expect(form.text).toContain('An administrator gave you a temporary password');
    expect((await dara.post('/staff/language', { lang: 'km', next: '/staff/password' })).status).toBe(303);
    dara.cookies.delete('staff_lang');
    expect((await dara.request('/staff/messages', { headers: { accept: 'application/json' } })).status).toBe(403);

    // The rules apply; the temporary password must be typed; then on to the reports.
    const weak = await dara.post('/staff/password', { current: temporary, password: 'Password2024!', repeat: 'Password2024!', next: '/staff/reports' });
    expect(weak.status).toBe(400);
    expect(await weak.text()).toContain('one that guessers try first');
    const wrong = await dara.post('/staff/password', { current: 'not the temporary one', password: 'rice fields at dawn', repeat: 'rice fields at dawn', next: '/staff/reports' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('The current password is wrong');
    const changed = await dara.post('/staff/password', { current: temporary, password: 'rice fields at dawn', repeat: 'rice fields at dawn', next: '/staff/reports' });
    expect([changed.status, changed.headers.get('location')]).toEqual([303, '/staff/reports']);
    expect((await dara.request('/staff/messages')).status).toBe(200);
    expect((await new StaffAccountsRepository(h.store).find('dara.sok'))?.mustChangePassword).toBe(false);
    expect((await new StaffClient(h).signIn('dara.sok', temporary)).status).toBe(401);
    expect((await new StaffClient(h).signIn('dara.sok', 'rice fields at dawn')).headers.get('location')).toBe('/staff/messages');

    const entries = await audit();
    expect(entries.find((e) => e.action === 'add-account')).toMatchObject({ username: 'admin1', detail: { account: 'dara.sok', role: 'viewer', temporaryPassword: true } });
    expect(entries.find((e) => e.action === 'change-own-password')).toMatchObject({ username: 'dara.sok', detail: { wasTemporary: true } });
    expect(entries.filter((e) => e.action === 'change-own-password-failed')).toHaveLength(1);
    // No password in the audit log or the server log, in any form.
    const everything = JSON.stringify(entries) + h.logs.join('');
    for (const secret of [temporary, 'rice fields at dawn', 'Password2024!', 'not the temporary one']) expect(everything).not.toContain(secret);
  });

  test('a temporary password not replaced within 72 hours no longer signs in; the accounts page says so; a reset gives a new one', async () => {
    const admin = await new StaffClient(h).signedIn('admin1');
    await admin.page('/staff/accounts');
    const temporary = temporaryPasswordOn(await (await admin.post('/staff/accounts', { username: 'vanna', role: 'reviewer' })).text())!;
    const accounts = new StaffAccountsRepository(h.store);
    const age = (hours: number) => accounts.collection.updateOne({ _id: 'vanna' }, { $set: { passwordChangedAt: new Date(Date.now() - hours * 3_600_000) } });
    await age(71);
    expect((await new StaffClient(h).signIn('vanna', temporary)).status).toBe(303);
    await age(73);
    const late = await new StaffClient(h).signIn('vanna', temporary);
    expect(late.status).toBe(401);
    expect(await late.text()).toContain('This temporary password has expired (they last 72 hours). Ask an administrator for a new one.');
    expect((await admin.page('/staff/accounts')).text).toContain('the temporary password has expired: reset it to give a new one');
    expect((await audit()).filter((e) => e.action === 'sign-in-temporary-expired')).toHaveLength(1);
    // A wrong password still gets the ordinary answer: the expiry tells nothing to a guesser.
    expect(await (await new StaffClient(h).signIn('vanna', 'not the temporary one')).text()).not.toContain('expired');
    const reset = temporaryPasswordOn(await (await admin.post('/staff/accounts/vanna/password')).text())!;
    expect((await new StaffClient(h).signIn('vanna', reset)).headers.get('location')).toMatch(/^\/staff\/password/);
  });

  test('a taken or malformed username is refused on the form, in the reader\'s language, with what was typed kept; nothing is created', async () => {
    const admin = await new StaffClient(h).signedIn('admin1');
    await admin.page('/staff/accounts');
    const taken = await admin.post('/staff/accounts', { username: 'REV1', role: 'admin' });
    expect(taken.status).toBe(400);
    const takenPage = await taken.text();
    expect(takenPage).toContain('The username rev1 is taken already');
    expect(takenPage).toContain('value="REV1"');
    expect((await new StaffAccountsRepository(h.store).find('rev1'))?.role).toBe('reviewer');
    admin.cookies.set('staff_lang', 'km');
    const bad = await admin.post('/staff/accounts', { username: 'ដារា', role: 'viewer' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('មិនអាចប្រើឈ្មោះអ្នកប្រើនោះបានទេ');
    expect((await admin.post('/staff/accounts', { username: 'sokha', role: 'owner' })).status).toBe(400);
    expect((await new StaffAccountsRepository(h.store).list()).map((a) => a._id)).toEqual(['admin1', 'rev1']);
    expect((await audit()).filter((e) => e.action === 'add-account')).toEqual([]);
  });

  test('a reset asks first, signs the person out, and gives a temporary password that must be replaced; an admin cannot reset their own here', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    const admin = await new StaffClient(h).signedIn('admin1');
    const list = await admin.page('/staff/accounts');
    expect(list.text).toContain('href="/staff/accounts/rev1/reset-password"');
    const confirm = await admin.page('/staff/accounts/rev1/reset-password');
    expect(confirm.text).toContain('Yes, reset the password of rev1');
    const reset = await admin.post('/staff/accounts/rev1/password');
    expect(reset.status).toBe(200);
    const page = await reset.text();
    expect(page).toContain('rev1 was signed out everywhere (1 session(s) ended)');
    const temporary = temporaryPasswordOn(page)!;
    expect(temporary).toBeTruthy();
    expect((await rev.request('/staff/messages')).status).toBe(303);
    expect((await new StaffClient(h).signIn('rev1')).status).toBe(401);
    const again = await new StaffClient(h).signIn('rev1', temporary);
    expect(again.headers.get('location')).toBe('/staff/password?next=%2Fstaff%2Fmessages');
    expect(await audit()).toEqual(expect.arrayContaining([expect.objectContaining({ username: 'admin1', action: 'reset-password', detail: { account: 'rev1', sessionsEnded: 1 } })]));

    expect((await admin.post('/staff/accounts/admin1/password')).status).toBe(400);
    expect((await admin.request('/staff/accounts/nobody/reset-password')).status).toBe(404);
    expect((await admin.post('/staff/accounts/nobody/password')).status).toBe(404);
    expect(JSON.stringify(await audit()) + h.logs.join('')).not.toContain(temporary);
  });

  test('a reviewer can neither create accounts nor reset passwords (403)', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    expect((await rev.post('/staff/accounts', { username: 'mallory', role: 'admin' })).status).toBe(403);
    expect((await rev.request('/staff/accounts/admin1/reset-password')).status).toBe(403);
    expect((await rev.post('/staff/accounts/admin1/password')).status).toBe(403);
    expect(await new StaffAccountsRepository(h.store).find('mallory')).toBeNull();
  });

  test('anyone changes their own password: other sessions end, this browser stays signed in', async () => {
    const phone = await new StaffClient(h).signedIn('rev1');
    const desk = await new StaffClient(h).signedIn('rev1');
    await desk.page('/staff/password');
    const changed = await desk.post('/staff/password', { current: PASSWORD, password: 'monsoon rain on tin roofs', repeat: 'monsoon rain on tin roofs' });
    expect([changed.status, changed.headers.get('location')]).toEqual([303, '/staff/password?changed=1']);
    expect((await desk.page('/staff/password?changed=1')).text).toContain('Your password is changed');
    expect((await phone.request('/staff/messages')).status).toBe(303);
    expect((await new StaffClient(h).signIn('rev1', 'monsoon rain on tin roofs')).status).toBe(303);
    const differ = await desk.post('/staff/password', { current: 'monsoon rain on tin roofs', password: 'one long sentence here', repeat: 'one long sentence there' });
    expect(differ.status).toBe(400);
    expect(await differ.text()).toContain('The two new passwords differ');
  });
});
