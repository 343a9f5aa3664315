import { RoundResult, ScorecardRound } from '../../src/rounds/scorecard-round';
import { AuditEntry } from '../../src/staff/audit-log';
import { dcsReport, ReportRow } from '../support/dcs-report';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from './staff-support';

/**
 * The DCS report import at the desk, through the real app: a reviewer uploads the app's Excel
 * report from a plain form (multipart) and the rounds appear; a bad file is refused with every
 * problem in the page's language and nothing written; a viewer may not import; all audited.
 */
describe(`the round import page (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'rev1', 'reviewer');
    await addAccount(h.store, 'view1', 'viewer');
  });
  afterEach(async () => h.stop());

  const ROW: ReportRow = {
    id: '482913', status: 'Completed', province: 'Kandal', district: 'Kandal Stueng', commune: 'Ampov Prey', type: '1=Community Scorecard', facility: 'Health Center', provider: 'Ampov Prey',
    indicator: 'Medicines are available', counts: [null, 2, 5, 3, null], average: '3=Acceptable', date: '05 Mar 2024, 09:30 am',
  };
  const upload = (client: StaffClient, file: Buffer, csrf = client.csrf) => {
    const form = new FormData();
    form.append('_csrf', csrf);
    form.append('report', new Blob([file]), 'scorecards.xlsx');
    return fetch(`${h.url}/staff/rounds/import`, { method: 'POST', headers: { accept: 'text/html', cookie: client.cookieHeader }, body: form, redirect: 'manual' });
  };

  it('a reviewer imports a report from the form; a bad one is refused in Khmer with every problem and nothing written; a viewer may not', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    const form = await rev.page('/staff/rounds/import');
    expect(form.res.status).toBe(200);
    expect(form.text).toContain('enctype="multipart/form-data"');

    // A stale form (wrong CSRF token) is refused before anything is read.
    expect((await upload(rev, await dcsReport('en', [ROW]), 'stale')).status).toBe(403);

    await rev.post('/staff/language', { lang: 'km', next: '/staff/rounds/import' });
    await rev.page('/staff/rounds/import');
    const refused = await upload(rev, await dcsReport('en', [{ ...ROW, commune: 'Nowhere' }, { ...ROW, counts: ['many', null, null, null, null] }]));
    expect(refused.status).toBe(422);
    const text = await refused.text();
    expect(text).toContain('ឯកសារត្រូវបានបដិសេធ ហើយគ្មានអ្វីត្រូវបានផ្លាស់ប្តូរទេ។ សូមកែបញ្ហាទាំង 2 នេះ');
    expect(text).toContain('គ្មានឃុំ «Nowhere» ក្នុងស្រុក «Kandal Stueng» ខេត្ត «Kandal»');
    expect(text).toContain('<td>ឃុំ</td>'); // the column in the report's Khmer header
    expect(await h.store.collection<ScorecardRound>('scorecard_rounds').find({})).toEqual([]);

    await rev.post('/staff/language', { lang: 'en', next: '/staff/rounds/import' });
    await rev.page('/staff/rounds/import');
    const done = await upload(rev, await dcsReport('en', [ROW]));
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Imported: 1 new rounds and 0 rounds already in the register; 1 results written, 0 unchanged, 0 removed.');
    // The shipped programme areas are a sample, offered to nobody: the round is the commune's health service.
    expect((await h.store.collection<ScorecardRound>('scorecard_rounds').find({})).map((r) => `${r._id} ${r.state} ${r.dcsScorecardIds}`)).toEqual(['080101-health-2024 completed 482913']);
    expect((await h.store.collection<RoundResult>('round_results').find({})).map((r) => `${r.indicatorKey} ${r.counts} ${r.enteredBy}`)).toEqual(['medicines 0,2,5,3,0 rev1']);

    const viewer = await new StaffClient(h).signedIn('view1');
    expect((await viewer.page('/staff/rounds/import')).res.status).toBe(403);
    expect((await upload(viewer, await dcsReport('en', [ROW]))).status).toBe(403);

    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'import-dcs-report' }, { sort: { at: 1 } });
    expect(audit.map((a) => a.detail)).toEqual([
      { file: 'scorecards.xlsx', refused: true, problems: 2 },
      { file: 'scorecards.xlsx', roundsAdded: 1, roundsUpdated: 0, resultsWritten: 1, resultsUnchanged: 0, resultsRemoved: 0 },
    ]);
  });
});
