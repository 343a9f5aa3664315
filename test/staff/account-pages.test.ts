import { StaffAccountsRepository } from '../../src/auth/staff-accounts';
import { AuditEntry } from '../../src/staff/audit-log';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from './staff-support';

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
