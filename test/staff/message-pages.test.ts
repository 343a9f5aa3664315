import { StaffVisibleMessage } from '../../src/messages/message-queries';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, seedMessage, StaffClient } from './staff-support';

const refsIn = (text: string) => [...text.matchAll(/class="ref">No\. (\d+)</g)].map((m) => m[1]);

describe(`staff messages list and detail (${ENGINE} store)`, () => {
  let h: TestHotline;
  let rev: StaffClient;
  beforeAll(async () => {
    h = await startHotline();
    await addAccount(h.store, 'rev1', 'reviewer');
    await addAccount(h.store, 'view1', 'viewer');
    rev = await new StaffClient(h).signedIn('rev1');
    const day = (d: string) => new Date(`${d}T03:00:00Z`); // 10:00 in Cambodia
    await seedMessage(h.store, { referenceNumber: '200001', communeCode: '120101', service: 'health', createdAt: day('2026-10-01') });
    await seedMessage(h.store, { referenceNumber: '200002', communeCode: '010201', service: 'school', createdAt: day('2026-10-05'), state: 'forwarded' });
    await seedMessage(h.store, { referenceNumber: '200003', communeCode: '010202', service: 'health', createdAt: day('2026-10-09'), audio: null });
    await seedMessage(h.store, { referenceNumber: '200004', communeCode: '120101', service: 'commune', createdAt: day('2026-10-12'), language: 'cmo' });
    // 01:30 on 10 October in Cambodia, still 9 October in UTC.
    await seedMessage(h.store, { referenceNumber: '200005', communeCode: '120101', service: 'school', createdAt: new Date('2026-10-09T18:30:00Z') });
    await seedMessage(h.store, { referenceNumber: '299999', communeCode: '120101', service: 'health', createdAt: day('2026-10-13'), callerChoice: 'discarded' });
  });
  afterAll(async () => {
    await h.stop();
  });

  test('the list shows every kept message newest first, with commune and service in Khmer and Latin script', async () => {
    const { res, text } = await rev.page('/staff/messages?state=all&sort=newest');
    expect(res.status).toBe(200);
    expect(refsIn(text)).toEqual(['200004', '200005', '200003', '200002', '200001']);
    expect(text).toContain('<span lang="km" class="km">ទន្លេបាសាក់</span> <span class="latin">Tonle Basak</span>');
    expect(text).toContain('<span lang="km" class="km">មណ្ឌលសុខភាព</span> <span class="latin">Health centre</span>');
    expect(text).toContain('Bunong');
    expect(text).not.toContain('299999');
    // Audio player only where the audio is stored.
    expect(text.match(/<audio /g)).toHaveLength(4);
    expect(text).toContain('audio queued');
  });

  test('filters by province, district, commune, service, state and Cambodian date range', async () => {
    const all = 'state=all&sort=newest';
    expect(refsIn((await rev.page(`/staff/messages?${all}&province=01`)).text)).toEqual(['200003', '200002']);
    expect(refsIn((await rev.page(`/staff/messages?${all}&province=01&district=0102&commune=010202`)).text)).toEqual(['200003']);
    expect(refsIn((await rev.page(`/staff/messages?${all}&province=12&district=1201`)).text)).toEqual(['200004', '200005', '200001']);
    expect(refsIn((await rev.page(`/staff/messages?${all}&service=health`)).text)).toEqual(['200003', '200001']);
    expect(refsIn((await rev.page('/staff/messages?state=forwarded&sort=newest')).text)).toEqual(['200002']);
    expect(refsIn((await rev.page('/staff/messages?state=new&sort=newest')).text)).toEqual(['200004', '200005', '200003', '200001']);
    expect(refsIn((await rev.page(`/staff/messages?${all}&from=2026-10-05&to=2026-10-09`)).text)).toEqual(['200003', '200002']);
    expect(refsIn((await rev.page(`/staff/messages?${all}&from=2026-10-10&to=2026-10-10`)).text)).toEqual(['200005']);
    // With nothing chosen: the queue, open messages oldest first (the forwarded one is not open).
    expect(refsIn((await rev.page('/staff/messages')).text)).toEqual(['200001', '200003', '200005', '200004']);
    const districts = (await rev.page('/staff/messages?province=12')).text;
    expect(districts).toContain('Chamkar Mon · ចំការមន');
    expect((await rev.request('/staff/messages?province=1x')).status).toBe(400);
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'list-messages', 'detail.service': 'health' });
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  test('paging: 20 per page, the next page holds the rest', async () => {
    const local = await startHotline();
    try {
      await addAccount(local.store, 'viewer2', 'viewer');
      for (let i = 0; i < 23; i += 1) {
        await seedMessage(local.store, { referenceNumber: String(300000 + i), createdAt: new Date(Date.UTC(2026, 9, 1, 0, i)), audio: null });
      }
      const c = await new StaffClient(local).signedIn('viewer2');
      const first = await c.page('/staff/messages?sort=newest');
      expect(refsIn(first.text)).toHaveLength(20);
      expect(refsIn(first.text)[0]).toBe('300022');
      expect(first.text).toContain('Page 1 of 2');
      const second = await c.page('/staff/messages?sort=newest&page=2');
      expect(refsIn(second.text)).toEqual(['300002', '300001', '300000']);
    } finally {
      await local.stop();
    }
  });

  test('one submit saves the state and the note together; each is audited; the note is escaped', async () => {
    const m = await seedMessage(h.store, { referenceNumber: '200010' });
    const detail = await rev.page(`/staff/messages/${m._id}`);
    // One form: the states, the note box and both buttons, carrying the version it was opened at.
    const form = detail.text.slice(detail.text.indexOf('<form method="post" action="/staff/messages/'), detail.text.indexOf('</form>', detail.text.indexOf('class="review"')));
    for (const part of ['name="state" value="in-review"', '<textarea id="note-text" name="note"', 'name="version" value="0"', 'value="next"', 'value="stay"']) expect(form).toContain(part);
    const res = await rev.post(`/staff/messages/${m._id}/review`, { version: '0', state: 'in-review', note: 'Called the <b>commune</b> chief.', then: 'stay' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/staff/messages/${m._id}?saved=1`);
    expect((await rev.post(`/staff/messages/${m._id}/review`, { version: '1', state: 'bogus' })).status).toBe(400);
    const after = await rev.page(`/staff/messages/${m._id}`);
    expect(after.text).toContain('Called the &lt;b&gt;commune&lt;/b&gt; chief.');
    expect(after.text).toMatch(/state-in-review/);
    const entries = await h.store.collection<AuditEntry>('staff_audit').find({ messageId: m._id }, { sort: { at: 1, _id: 1 } });
    // The change and the note are one submit (their order within it is not kept).
    expect(entries.map((e) => `${e.username}:${e.action}`)).toEqual(['rev1:view-message', expect.any(String), expect.any(String), 'rev1:view-message']);
    expect(entries.slice(1, 3).map((e) => `${e.username}:${e.action}`).sort()).toEqual(['rev1:add-note', 'rev1:change-state']);
    expect(entries.find((e) => e.action === 'change-state')?.detail).toEqual({ from: 'new', to: 'in-review' });
    // Both in one change: one version.
    const stored = await h.store.collection<StaffVisibleMessage>('messages').findOne({ _id: m._id });
    expect(stored?.review).toMatchObject({ version: 1, history: [{ from: 'new', to: 'in-review', by: 'rev1', version: 1 }], notes: [{ by: 'rev1', text: 'Called the <b>commune</b> chief.', version: 1 }] });
  });

  test('a viewer sees the message and its player but no review forms', async () => {
    const m = await seedMessage(h.store, { referenceNumber: '200011' });
    const view = await new StaffClient(h).signedIn('view1');
    const { text } = await view.page(`/staff/messages/${m._id}`);
    expect(text).toContain(`/staff/messages/${m._id}/audio`);
    expect(text).not.toContain('Save and next');
    expect(text).not.toContain('name="note"');
    expect((await view.post(`/staff/messages/${m._id}/review`, { version: '0', note: 'x' })).status).toBe(403);
  });

  test('a discarded or unknown message id is not found', async () => {
    const discarded = await seedMessage(h.store, { callerChoice: 'discarded' });
    expect((await rev.request(`/staff/messages/${discarded._id}`)).status).toBe(404);
    expect((await rev.request(`/staff/messages/${discarded._id}/audio`)).status).toBe(404);
    expect((await rev.request('/staff/messages/RE0000000000nothing')).status).toBe(404);
  });

  test('a stored message says whether the carrier deleted its copy, or kept it and why', async () => {
    const kept = await seedMessage(h.store, { referenceNumber: '200101', communeCode: '120101' });
    await h.store.collection('messages').updateOne({ _id: kept._id }, { $set: { 'download.deletedAtCarrier': false, 'download.keptAtCarrier': 'the carrier answered HTTP 404 to the DELETE' } });
    const gone = await seedMessage(h.store, { referenceNumber: '200102', communeCode: '120101' });
    await h.store.collection('messages').updateOne({ _id: gone._id }, { $set: { 'download.deletedAtCarrier': true } });
    const keptText = (await rev.page(`/staff/messages/${kept._id}`)).text;
    // What it means in the page's words; the carrier's own English folded under "Technical detail".
    expect(keptText).toContain('kept at the carrier (it did not delete its copy)');
    expect(keptText).toContain('<code lang="en">the carrier answered HTTP 404 to the DELETE</code>');
    const goneText = (await rev.page(`/staff/messages/${gone._id}`)).text;
    expect(goneText).toContain('deleted at the carrier');
    expect(goneText).not.toContain('kept at the carrier');
  });
});

