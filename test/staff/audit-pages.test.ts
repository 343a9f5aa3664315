import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from './staff-support';

/** The audit page names actions in the reader's words and filters by them from a list, not a typed code. */
describe(`the audit log page (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
  });
  afterEach(async () => h.stop());

  it('shows each action in words, in English and Khmer, and filters by an action chosen from a list', async () => {
    const admin = await new StaffClient(h).signedIn('admin1');
    const all = await admin.page('/staff/audit');
    expect(all.text).toMatch(/<td>signed in<\/td>/);
    expect(all.text).toMatch(/<select name="action"><option value="">any action<\/option>[\s\S]*<option value="sign-in">signed in<\/option>/);
    expect(all.text).not.toContain('<code>sign-in</code>');
    const filtered = await admin.page('/staff/audit?action=list-messages');
    expect(filtered.text).toMatch(/<option value="list-messages" selected>looked at the message list<\/option>/);
    expect(filtered.text).not.toMatch(/<td>signed in<\/td>/);
    expect(filtered.text).toMatch(/<td>looked at the message list<\/td>/);
    // A code that is not an action filters nothing out, and is no error.
    expect((await admin.page('/staff/audit?action=%3Cscript%3E')).res.status).toBe(200);
    await admin.post('/staff/language', { lang: 'km', next: '/staff/audit' });
    expect((await admin.page('/staff/audit')).text).toContain('<td>បានចូល</td>');
  });
});
