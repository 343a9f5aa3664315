import { reportingYear } from '../../src/calls/call-turns';
import { roundId } from '../../src/rounds/scorecard-round';
import { parseScript } from '../../src/simulator/call-simulator';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from './staff-support';

/**
 * Providers' PINs at the desk, through the real app: an admin sets a PIN for a commune's service
 * (Khmer digits accepted) and sees it once; the list never shows it; a reset stops the old PIN on
 * the phone; a bad commune is refused with words; all audited.
 */
describe(`the provider PIN page (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
  });
  afterEach(async () => h.stop());

  it('an admin sets a PIN, sees it once, and a reset makes the old PIN fail on the phone while the new one works', async () => {
    const year = reportingYear(new Date());
    await h.rt.rounds.addRound({
      _id: roundId('120101', 'health', year), communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', year,
      phoneFrom: `${year}-01-01`, phoneTo: `${year + 1}-01-01`, state: 'open', history: [], createdAt: new Date(), createdBy: 'admin1',
    });
    const admin = await new StaffClient(h).signedIn('admin1');
    const list = await admin.page('/staff/provider-pins');
    expect(list.res.status).toBe(200);
    const set = await admin.post('/staff/provider-pins', { commune: '១២០១០១', service: 'health' });
    expect(set.status).toBe(200);
    const shown = await set.text();
    const [, number] = /<dt>Provider number<\/dt><dd><strong>(\d{5})<\/strong>/.exec(shown)!;
    const [, oldPin] = /<dt>PIN<\/dt><dd><strong>(\d{6})<\/strong>/.exec(shown)!;
    const listed = await admin.page('/staff/provider-pins');
    expect(listed.text).toContain(number);
    expect(listed.text).not.toContain(oldPin);

    await admin.page('/staff/provider-pins');
    const reset = await admin.post('/staff/provider-pins', { target: '120101:health' });
    const [, newPin] = /<dt>PIN<\/dt><dd><strong>(\d{6})<\/strong>/.exec(await reset.text())!;
    expect(reset.status).toBe(200);
    const refused = await h.call(parseScript(`1,#,${number},${oldPin},hangup`), { from: '+85512777001' });
    expect(oldPin === newPin || ids(refused).includes('provider.pin.wrong')).toBe(true);
    const accepted = await h.call(parseScript(`1,#,${number},${newPin},5,hangup`), { from: '+85512777002' });
    expect(ids(accepted)).toContain('provider.pin.accepted');

    await admin.page('/staff/provider-pins');
    const bad = await admin.post('/staff/provider-pins', { commune: '999999', service: 'health' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('not a commune code of the gazetteer');
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ username: 'admin1' });
    expect(audit.filter((a) => a.action === 'set-provider-pin').map((a) => a.detail?.providerNumber)).toEqual([number, number]);
    expect(JSON.stringify(audit)).not.toContain(newPin);
  });
});
