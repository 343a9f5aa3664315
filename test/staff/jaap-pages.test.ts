import { JaapItem } from '../../src/jaap/jaap';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from './staff-support';

/**
 * The JAAP register at the desk, through the real app: a reviewer adds a commune's plan and its
 * items (Khmer digits accepted), changes an item's status with a note, sees it in the results;
 * a change made from a stale page is refused, not applied; viewers read only; all audited.
 */
describe(`the JAAP register pages (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'rev1', 'reviewer');
    await addAccount(h.store, 'view1', 'viewer');
  });
  afterEach(async () => h.stop());

  const items = () => h.store.collection<JaapItem>('jaap_items').find({}, { sort: { _id: 1 } });

  it('a reviewer records a plan and its items, marks one done with a note, and the results count it', async () => {
    // Agreed 10 days ago, so an item marked done today is solved within its 12 months.
    const agreedOn = new Date(Date.now() + 7 * 3600_000 - 10 * 86_400_000).toISOString().slice(0, 10);
    const year = agreedOn.slice(0, 4);
    const deadline = `${Number(year) + 1}${agreedOn.slice(4)}`.replace(/-02-29$/, '-02-28');
    const plan = `120101-${year}`;
    const rev = await new StaffClient(h).signedIn('rev1');
    await rev.page('/staff/jaap?commune=120101');
    const made = await rev.post('/staff/jaap', { commune: '១២០១០១', year, agreedOn });
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toBe(`/staff/jaap/${plan}`);
    const page = await rev.page(`/staff/jaap/${plan}`);
    expect(page.text).toContain(deadline);
    const add = await rev.post(`/staff/jaap/${plan}/items`, { section: 'B', activity: 'Post the official fees at the health centre', service: 'health', indicatorId: 'fee-transparency', costRiel: '៥០០០០', beneficiariesTotal: '1200', beneficiariesFemale: '640', startMonth: '2025-04', endMonth: '2025-06' });
    expect(add.status).toBe(303);
    await rev.post(`/staff/jaap/${plan}/items`, { section: 'B', activity: 'Weekly cleaning of the latrines', service: 'school' });
    await rev.post(`/staff/jaap/${plan}/items`, { section: 'A', activity: 'A ramp at the health centre', service: 'health' });
    expect((await items()).map((i) => `${i._id} ${i.status}`)).toEqual([`${plan}-A1 not-started`, `${plan}-B1 not-started`, `${plan}-B2 not-started`]);
    expect((await items())[1]).toMatchObject({ costRiel: 50000, beneficiariesFemale: 640, indicatorId: 'fee-transparency', deadline });

    await rev.page(`/staff/jaap/${plan}`);
    const done = await rev.post(`/staff/jaap/${plan}/items/${plan}-B1/status`, { from: 'not-started', status: 'done', note: 'board photographed' });
    expect(done.status).toBe(303);
    expect((await items())[1]).toMatchObject({ status: 'done', history: [expect.objectContaining({ status: 'done', by: 'rev1', note: 'board photographed' })] });
    // The same form sent again (a stale page) is refused, and nothing changes.
    const stale = await rev.post(`/staff/jaap/${plan}/items/${plan}-B1/status`, { from: 'not-started', status: 'dropped' });
    expect(stale.status).toBe(409);
    expect((await items())[1].status).toBe('done');

    const results = await rev.page(`/staff/jaap/results?year=${year}`);
    expect(results.res.status).toBe(200);
    expect(results.text).toContain('1 of 3 items solved within 12 months (33%): 1 of 2 internal, 0 of 1 external.');
    const csv = await rev.request(`/staff/jaap/${plan}/export.csv?headers=km`);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toContain('សកម្មភាពដែលបានព្រមព្រៀង');
    expect(text).toContain('Post the official fees at the health centre');
    const xlsx = await rev.request(`/staff/jaap/${plan}/export.xlsx`);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    expect(Buffer.from(await xlsx.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
    expect((await rev.request(`/staff/jaap/${plan}/export.pdf`)).status).toBe(404);
    const letter = await rev.page(`/staff/jaap/${plan}/letter`);
    expect(letter.text).toMatch(/Section A[\s\S]*A ramp at the health centre[\s\S]*Section B[\s\S]*Post the official fees at the health centre[\s\S]*50,000[\s\S]*Signature and name/);

    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ username: 'rev1' });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['add-jaap', 'add-jaap-item', 'jaap-item-status', 'export-jaap']));
    expect(audit.find((e) => e.action === 'export-jaap' && (e.detail as { format?: string })?.format === 'letter')).toBeTruthy();
  });

  it('lists overdue items first, and refuses a second plan for the same commune and year', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    await rev.page('/staff/jaap?commune=120101');
    await rev.post('/staff/jaap', { commune: '120101', year: '2023', agreedOn: '2023-02-01' });
    await rev.post('/staff/jaap/120101-2023/items', { section: 'A', activity: 'Repair the school roof', service: 'school' });
    const list = await rev.page('/staff/jaap');
    expect(list.text).toMatch(/Overdue items[\s\S]*Repair the school roof[\s\S]*2024-02-01/);
    const again = await rev.post('/staff/jaap', { commune: '120101', year: '2023', agreedOn: '2023-03-01' });
    expect(again.status).toBe(409);
    expect((await rev.post('/staff/jaap', { commune: '999999', year: '2023', agreedOn: '2023-03-01' })).status).toBe(400);
    expect((await rev.post('/staff/jaap', { commune: '120101', year: '2024', agreedOn: '2024-02-30' })).status).toBe(400);
  });

  it('lets a viewer read the register and results but change nothing', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    await rev.page('/staff/jaap?commune=120101');
    await rev.post('/staff/jaap', { commune: '120101', year: '2025', agreedOn: '2025-03-10' });
    const viewer = await new StaffClient(h).signedIn('view1');
    const page = await viewer.page('/staff/jaap/120101-2025');
    expect(page.res.status).toBe(200);
    expect(page.text).not.toContain('/items"');
    expect((await viewer.post('/staff/jaap/120101-2025/items', { section: 'A', activity: 'x', service: 'health' })).status).toBe(403);
    expect(await items()).toEqual([]);
  });
});
