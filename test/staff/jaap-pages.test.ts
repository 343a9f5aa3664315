import * as fs from 'node:fs';
import * as path from 'node:path';
import { JaapItem } from '../../src/jaap/jaap';
import { RoundRegister } from '../../src/rounds/round-register';
import { resultId, roundId } from '../../src/rounds/scorecard-round';
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

  it('a status change carries a photo as evidence: checked to be a picture, shown to staff only, none kept when the change is refused', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    await rev.page('/staff/jaap?commune=120101');
    await rev.post('/staff/jaap', { commune: '120101', year: '2025', agreedOn: '2025-03-10' });
    await rev.post('/staff/jaap/120101-2025/items', { section: 'A', activity: 'A ramp at the health centre', service: 'health' });
    const item = '120101-2025-A1';
    expect((await rev.page('/staff/jaap/120101-2025')).text).toContain('enctype="multipart/form-data"');
    // A real PNG's first bytes (the 8-byte signature), then anything.
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('the ramp, built')]);
    const send = (fields: Record<string, string>, photo?: Buffer, name = 'ramp.png') => {
      const form = new FormData();
      form.append('_csrf', rev.csrf);
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('photo', photo ? new Blob([photo]) : new Blob([]), photo ? name : '');
      return fetch(`${h.url}/staff/jaap/120101-2025/items/${item}/status`, { method: 'POST', headers: { accept: 'text/html', cookie: rev.cookieHeader }, body: form, redirect: 'manual' });
    };
    // Every evidence photo the store holds, referenced or not (GridFS's bucket, or the files folder).
    const evidenceFilesStored = async () => ENGINE === 'mongodb'
      ? (await h.store.collection<{ _id: string; filename: string }>('recordings.files').find({})).filter((f) => f.filename.startsWith('jaap-evidence')).length
      : fs.readdirSync(path.join(h.config.dataDir, 'recordings')).filter((f) => f.startsWith('jaap-evidence') && !f.includes('.meta')).length;
    const files = () => h.store.collection('jaap_items').findOne({ _id: item }).then((i) => (i as JaapItem).history.map((c) => c.photo?.fileId).filter(Boolean));

    // Not a picture (whatever its name says): refused, nothing changed, nothing stored.
    const fake = await send({ from: 'not-started', status: 'ongoing' }, Buffer.from('<script>alert(1)</script>'), 'ramp.png');
    expect(fake.status).toBe(400);
    expect(await fake.text()).toContain('The photo must be a JPEG or PNG picture. Nothing was changed.');
    expect((await items())[0].status).toBe('not-started');
    // No photo chosen (the browser sends an empty part): an ordinary change.
    expect((await send({ from: 'not-started', status: 'ongoing' })).status).toBe(303);
    const done = await send({ from: 'ongoing', status: 'done', note: 'ramp finished' }, png);
    expect(done.status).toBe(303);
    const [changed] = (await items());
    expect(changed.history[1]).toMatchObject({ status: 'done', note: 'ramp finished', photo: { contentType: 'image/png', bytes: png.length } });
    const page = await rev.page('/staff/jaap/120101-2025');
    expect(page.text).toContain(`href="/staff/jaap/120101-2025/items/${item}/photos/1"`);
    const viewer = await new StaffClient(h).signedIn('view1');
    const shown = await viewer.request(`/staff/jaap/120101-2025/items/${item}/photos/1`);
    expect([shown.status, shown.headers.get('content-type'), shown.headers.get('x-content-type-options')]).toEqual([200, 'image/png', 'nosniff']);
    expect(Buffer.from(await shown.arrayBuffer())).toEqual(png);
    expect((await viewer.request(`/staff/jaap/120101-2025/items/${item}/photos/0`)).status).toBe(404);
    expect((await fetch(`${h.url}/staff/jaap/120101-2025/items/${item}/photos/1`, { redirect: 'manual' })).status).not.toBe(200);
    // A change from a stale page with a photo: refused, and its photo not kept.
    const stale = await send({ from: 'ongoing', status: 'dropped' }, png);
    expect(stale.status).toBe(409);
    expect(await files()).toHaveLength(1);
    expect(await evidenceFilesStored()).toBe(1);
  });

  it('an item names the interface meeting\'s priority action it carries out, chosen from the commune\'s rounds of that year', async () => {
    const rounds = new RoundRegister(h.store);
    const round = roundId('120101', 'health', 2025);
    await rounds.addRound({ _id: round, communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', year: 2025, phoneFrom: '2024-03-10', phoneTo: '2025-03-10', state: 'completed', history: [], createdAt: new Date(), createdBy: 'admin1' });
    const ramp = 'Build a ramp at the health centre entrance';
    await rounds.saveResult({
      _id: resultId(round, 'meeting', 'staff-attitude'), roundId: round, channel: 'meeting', indicatorKey: 'staff-attitude', counts: [1, 2, 3, 2, 1],
      strengths: [], weaknesses: [], suggestedActions: [ramp, 'Post the duty roster'], priorityActions: [ramp], source: 'desk', enteredBy: 'admin1', enteredAt: new Date(),
    });
    const rev = await new StaffClient(h).signedIn('rev1');
    await rev.page('/staff/jaap?commune=120101');
    await rev.post('/staff/jaap', { commune: '120101', year: '2025', agreedOn: '2025-03-10' });
    const form = await rev.page('/staff/jaap/120101-2025');
    expect(form.text).toContain(`<option value="${ramp}">${ramp}</option>`);
    expect(form.text).not.toContain('<option value="Post the duty roster">'); // suggested, not made a priority
    const unknown = await rev.post('/staff/jaap/120101-2025/items', { section: 'A', activity: 'A ramp', service: 'health', priorityAction: 'Something nobody agreed' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('The priority action must be one the commune&#39;s interface meeting agreed this year.');
    expect((await rev.post('/staff/jaap/120101-2025/items', { section: 'A', activity: 'A ramp', service: 'health', priorityAction: ramp })).status).toBe(303);
    expect((await items())[0]).toMatchObject({ activity: 'A ramp', priorityAction: ramp });
    expect((await rev.page('/staff/jaap/120101-2025')).text).toContain(`carries out the priority action: ${ramp}`);
  });

  it('callers\' checks from the hotline show on each item; 5 "no" flag it, on the plan and in the register\'s list, 4 do not', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    await rev.page('/staff/jaap?commune=120101');
    await rev.post('/staff/jaap', { commune: '120101', year: '2025', agreedOn: '2025-03-10' });
    await rev.post('/staff/jaap/120101-2025/items', { section: 'A', activity: 'A ramp at the health centre', service: 'health' });
    await rev.post('/staff/jaap/120101-2025/items', { section: 'B', activity: 'Post the official fees', service: 'health' });
    const check = (itemId: string, n: number, answer: 'yes' | 'partly' | 'no') =>
      h.rt.publicResults.recordCheck({ itemId, communeCode: '120101', callerKey: `${n}`.padStart(64, 'a'), answer, at: new Date(), callSid: `CA${n}` });
    for (let n = 0; n < 5; n++) await check('120101-2025-A1', n, 'no');
    await check('120101-2025-A1', 9, 'partly');
    for (let n = 0; n < 4; n++) await check('120101-2025-B1', n, 'no');
    const plan = await rev.page('/staff/jaap/120101-2025');
    expect(plan.text).toContain('Callers&#39; checks on the hotline: 0 yes, 1 partly, 5 no');
    expect(plan.text).toContain('Callers&#39; checks on the hotline: 0 yes, 0 partly, 4 no');
    expect(plan.text.match(/Flagged: 5 callers say it was not done/g)).toHaveLength(1);
    const register = await rev.page('/staff/jaap');
    const flaggedList = register.text.slice(register.text.indexOf('id="flagged"'));
    expect(flaggedList).toContain('A1. A ramp at the health centre');
    expect(flaggedList).not.toContain('Post the official fees');
    await rev.post('/staff/language', { lang: 'km', next: '/staff/jaap' });
    const km = await rev.page('/staff/jaap/120101-2025');
    expect(km.text).toMatch(/បានសម្គាល់៖ អ្នកហៅ (5|៥) នាក់ថា មិនទាន់បានធ្វើ។/);
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
