import { SessionsRepository } from '../../src/auth/sessions';
import { MessageQueries, StaffVisibleMessage } from '../../src/messages/message-queries';
import { AuditEntry, AuditLog } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, seedMessage, StaffClient } from './staff-support';

const refsIn = (text: string) => [...text.matchAll(/class="ref">No\. (\d+)</g)].map((m) => m[1]);
const DAY = 24 * 3600_000;

describe(`the review desk over HTTP (${ENGINE} store)`, () => {
  let h: TestHotline;
  let rev: StaffClient;
  let admin: StaffClient;
  const seeded: StaffVisibleMessage[] = [];
  const base = Date.parse('2026-05-01T03:00:00Z');

  beforeAll(async () => {
    h = await startHotline();
    await addAccount(h.store, 'rev1', 'reviewer');
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'view1', 'viewer');
    // 400001 oldest ... 400025 newest; 400002 resolved, 400003 in review, 400004 dismissed.
    for (let i = 0; i < 25; i += 1) {
      seeded.push(await seedMessage(h.store, {
        referenceNumber: String(400001 + i),
        audio: null,
        state: ([undefined, 'resolved', 'in-review', 'dismissed'] as const)[i] ?? undefined,
        createdAt: new Date(base + i * DAY),
      }));
    }
    rev = await new StaffClient(h).signedIn('rev1');
    admin = await new StaffClient(h).signedIn('admin1');
  });
  afterAll(async () => h.stop());

  test('with nothing chosen the list is the queue: open messages (new or in review), oldest first, and says how many', async () => {
    const { text } = await rev.page('/staff/messages');
    expect(text).toContain('23 messages.');
    expect(refsIn(text).slice(0, 3)).toEqual(['400001', '400003', '400005']);
    expect(refsIn(text)).toHaveLength(20);
    // The queue is the default list: its links need no "back"; another list's links carry it.
    expect(text).toContain(`href="/staff/messages/${seeded[0]._id}"`);
    expect((await rev.page('/staff/messages?state=all&sort=newest')).text).toContain(`/staff/messages/${seeded[24]._id}?back=state%3Dall%26sort%3Dnewest`);
    const next = await rev.page('/staff/messages?page=2');
    expect(refsIn(next.text)).toEqual(['400023', '400024', '400025']);
    expect(text).toContain('aria-current="page">Queue</a>');
  });

  test('save and next: the state is saved, then the next message of the same list opens, taken for the reviewer; at the end, the list says so', async () => {
    const back = 'service=health';
    const res = await rev.post(`/staff/messages/${seeded[4]._id}/review`, { version: '0', state: 'forwarded', back, then: 'next' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/staff/messages/${seeded[5]._id}?back=${encodeURIComponent(back)}&queue=1&done=${seeded[4]._id}`);
    const m = await h.store.collection<StaffVisibleMessage>('messages').findOne({ _id: seeded[4]._id });
    expect(m?.review?.state).toBe('forwarded');
    expect(m?.review?.history).toEqual([{ from: 'new', to: 'forwarded', by: 'rev1', at: expect.any(Date), version: 1 }]);
    // The next one is now the reviewer's: the page says which message was saved, and the state choice has the focus.
    expect((await h.store.collection<StaffVisibleMessage>('messages').findOne({ _id: seeded[5]._id }))?.review?.owner).toBe('rev1');
    const opened = await rev.page(res.headers.get('location')!);
    expect(opened.text).toContain('No. 400005 saved.');
    expect(opened.text).toMatch(/value="new" checked autofocus>/);
    const last = await rev.post(`/staff/messages/${seeded[24]._id}/review`, { version: '0', state: 'in-review', back, then: 'next' });
    expect(last.headers.get('location')).toBe('/staff/messages?service=health&end=1');
    // Newest first, the next after the newest is the one before it.
    const newestFirst = await rev.post(`/staff/messages/${seeded[24]._id}/review`, { version: '1', back: 'sort=newest', then: 'next' });
    expect(newestFirst.headers.get('location')).toBe(`/staff/messages/${seeded[23]._id}?back=sort%3Dnewest&queue=1`);
  });

  test('bulk: several messages change state at once, each audited with where it came from', async () => {
    const res = await rev.request('/staff/messages/bulk-state', {
      form: { _csrf: rev.csrf, state: 'resolved', back: 'sort=oldest&page=1', id: seeded[10]._id },
      headers: {},
    });
    expect(res.status).toBe(303);
    const body = new URLSearchParams([['_csrf', rev.csrf], ['state', 'dismissed'], ['back', 'sort=oldest'], ['id', seeded[11]._id], ['id', seeded[12]._id], ['id', 'RE-no-such-message']]);
    const many = await fetch(`${h.url}/staff/messages/bulk-state`, { method: 'POST', redirect: 'manual', headers: { cookie: rev.cookieHeader, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: body.toString() });
    expect(many.status).toBe(303);
    expect(many.headers.get('location')).toBe('/staff/messages?sort=oldest&changed=2');
    const states = await h.store.collection<StaffVisibleMessage>('messages').find({ _id: { $in: [seeded[10]._id, seeded[11]._id, seeded[12]._id] } }, { sort: { createdAt: 1 } });
    expect(states.map((m) => m.review?.state)).toEqual(['resolved', 'dismissed', 'dismissed']);
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'change-state', messageId: seeded[11]._id });
    expect(audit.map((e) => e.detail)).toEqual([{ from: 'new', to: 'dismissed', bulk: true }]);
    // Nothing selected: a page that says so, with the menu.
    const none = await rev.post('/staff/messages/bulk-state', { state: 'resolved' });
    expect(none.status).toBe(400);
    const text = await none.text();
    expect(text).toContain('Select at least one message');
    expect(text).toContain('<nav aria-label="Main menu">');
    // A viewer may not.
    const viewer = await new StaffClient(h).signedIn('view1');
    expect((await viewer.post('/staff/messages/bulk-state', { state: 'resolved', id: seeded[13]._id })).status).toBe(403);
  });

  test('the message page shows the history of states and notes in order; the list counts notes', async () => {
    const id = seeded[7]._id;
    await rev.post(`/staff/messages/${id}/review`, { version: '0', state: 'in-review' });
    await rev.post(`/staff/messages/${id}/review`, { version: '1', note: 'Asked the school director.' });
    await rev.post(`/staff/messages/${id}/review`, { version: '2', state: 'resolved' });
    const { text } = await rev.page(`/staff/messages/${id}`);
    const history = text.slice(text.indexOf('<ol class="history">'), text.indexOf('</ol>', text.indexOf('<ol class="history">')));
    const order = ['left the message', 'New</span> → <span class="state state-in-review">', 'Asked the school director.', 'In review</span> → <span class="state state-resolved">'].map((s) => history.indexOf(s));
    expect(order.every((k) => k >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const list = await rev.page('/staff/messages?state=all');
    expect(list.text).toMatch(new RegExp(`No\\. 400008</a> <span class="state state-resolved">Resolved</span>`));
    const item = list.text.slice(list.text.indexOf('No. 400008</a>'), list.text.indexOf('</li>', list.text.indexOf('No. 400008</a>')));
    expect(item).toContain('<span class="notes-count">1 note</span>');
  });

  test('find by reference number: one match opens it, none says so with the menu', async () => {
    const one = await rev.request('/staff/find?ref=No.%20400009');
    expect(one.status).toBe(303);
    expect(one.headers.get('location')).toBe(`/staff/messages/${seeded[8]._id}`);
    const none = await rev.request('/staff/find?ref=123456');
    expect(none.status).toBe(404);
    const text = await none.text();
    expect(text).toContain('No message has the reference number 123456.');
    expect(text).toContain('<nav aria-label="Main menu">');
    expect(text).toContain('id="find-ref"');
  });

  test('bad dates and pages past the end get a clear message, not a list', async () => {
    const feb31 = await rev.page('/staff/messages?from=2026-02-31');
    expect(feb31.res.status).toBe(400);
    expect(feb31.text).toContain('2026-02-31 is not a day in the calendar.');
    expect(refsIn(feb31.text)).toEqual([]);
    const reversed = await rev.page('/staff/messages?from=2026-05-10&to=2026-05-01');
    expect(reversed.res.status).toBe(400);
    expect(reversed.text).toContain('The start date 2026-05-10 is after the end date 2026-05-01.');
    const garbage = await rev.page('/staff/messages?from=yesterday');
    expect(garbage.text).toContain('yesterday is not a date. Write dates like 2026-01-31.');
    const past = await rev.page('/staff/messages?state=all&page=7');
    expect(past.res.status).toBe(404);
    expect(past.text).toContain('There is no page 7: this list has 2 page(s).');
    expect(past.text).toContain('href="/staff/messages?state=all&amp;page=2"');
    const report = await rev.page('/staff/reports?from=2026-02-29&to=2026-04-01');
    expect(report.res.status).toBe(400);
    expect(report.text).toContain('2026-02-29 is not a day in the calendar.');
  });

  test('a note sent after the session ended leads to sign-in and back to the message', async () => {
    const client = await new StaffClient(h).signedIn('rev1');
    await client.page(`/staff/messages/${seeded[9]._id}`);
    const csrf = client.csrf;
    await new SessionsRepository(h.store, h.config.sessionSecret).collection.deleteMany({ username: 'rev1' });
    const res = await client.request(`/staff/messages/${seeded[9]._id}/review`, { form: { _csrf: csrf, version: '0', note: 'typed while away', _return: `/staff/messages/${seeded[9]._id}?back=sort%3Doldest` } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/staff/sign-in?next=${encodeURIComponent(`/staff/messages/${seeded[9]._id}?back=sort%3Doldest`)}`);
    const signIn = await client.page(res.headers.get('location')!);
    expect(signIn.text).toContain('A note you were typing is kept in this browser tab.');
    // Switching language on the sign-in page keeps where it leads.
    expect(signIn.text).toContain(`href="/staff/sign-in?next=${encodeURIComponent(`/staff/messages/${seeded[9]._id}?back=sort%3Doldest`)}&amp;lang=km"`);
    const after = await client.request('/staff/sign-in', { form: { _csrf: client.csrf, username: 'rev1', password: 'a long enough password', next: `/staff/messages/${seeded[9]._id}?back=sort%3Doldest` } });
    expect(after.headers.get('location')).toBe(`/staff/messages/${seeded[9]._id}?back=sort%3Doldest`);
    // Nothing was saved while signed out.
    expect((await h.store.collection<StaffVisibleMessage>('messages').findOne({ _id: seeded[9]._id }))?.review?.notes).toEqual([]);
    rev = await new StaffClient(h).signedIn('rev1');
  });

  test('the audit log shows reference numbers, filters by one and by dates, and pages in the database', async () => {
    await admin.page(`/staff/messages/${seeded[14]._id}`);
    const { text } = await admin.page('/staff/audit?ref=400015');
    expect(text).toContain('>No. 400015</a>');
    expect(text).not.toContain(`>${seeded[14]._id}<`);
    expect(text).toContain('<td><code>view-message</code></td>');
    expect(text).not.toContain('<td><code>list-messages</code></td>');
    const bad = await admin.page('/staff/audit?from=2026-04-31');
    expect(bad.res.status).toBe(400);
    expect(bad.text).toContain('2026-04-31 is not a day in the calendar.');
  });

  test('refusals and errors are pages with the menu, in the reader\'s language', async () => {
    const forbidden = await rev.request('/staff/audit');
    expect(forbidden.status).toBe(403);
    const text = await forbidden.text();
    expect(text).toContain('<h1>Not allowed</h1>');
    expect(text).toContain('Your role does not allow this.');
    expect(text).toContain('<nav aria-label="Main menu">');
    const missing = await rev.request('/staff/messages/RE0000000000000000');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('There is no such message.');
    // Scripts (no text/html) get the same words as plain text.
    const plain = await rev.request('/staff/audit', { headers: { accept: 'application/json' } });
    expect(plain.status).toBe(403);
    expect(plain.headers.get('content-type')).toMatch(/text\/plain/);
    // In Khmer after choosing it.
    const km = await new StaffClient(h).signedIn('view1');
    expect((await km.post('/staff/language', { lang: 'km', next: '/staff/audit' })).status).toBe(303);
    const kmPage = await km.request('/staff/audit');
    const kmText = await kmPage.text();
    expect(kmText).toContain('<html lang="km">');
    expect(kmText).toContain('<h1>មិនអនុញ្ញាត</h1>');
  });
});

describe(`the audit log's pages come from the database (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline();
  });
  afterAll(async () => h.stop());

  test('a page is one query with skip and limit; dates are a range on the indexed time', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const log = new AuditLog(h.store, () => new Date(now));
    // 130 entries, one an hour, from 1 June 00:00 UTC (07:00 in Cambodia).
    for (let i = 0; i < 130; i += 1) {
      await log.record({ username: i % 2 ? 'a' : 'b', action: 'view-message', messageId: `RE${i}` });
      now += 3600_000;
    }
    const first = await log.page({}, 1, 50);
    expect(first.total).toBe(130);
    expect(first.entries).toHaveLength(50);
    expect(first.entries[0].messageId).toBe('RE129');
    const third = await log.page({}, 3, 50);
    expect(third.entries.map((e) => e.messageId)).toEqual(Array.from({ length: 30 }, (_, k) => `RE${29 - k}`));
    // 2 June in Cambodia is 1 June 17:00 UTC to 2 June 17:00 UTC: entries 17 to 40.
    const day = await log.page({ from: new Date('2026-06-01T17:00:00Z'), to: new Date('2026-06-02T16:59:59.999Z') }, 1, 10);
    expect(day.total).toBe(24);
    expect(day.entries.map((e) => e.messageId)).toEqual(Array.from({ length: 10 }, (_, k) => `RE${40 - k}`));
    const byUserAndMessages = await log.page({ username: 'a', messageIds: ['RE1', 'RE2', 'RE3'] }, 1, 10);
    expect(byUserAndMessages.entries.map((e) => e.messageId)).toEqual(['RE3', 'RE1']);
  });

  test('message queries find by reference and name reference numbers for ids', async () => {
    const m = await seedMessage(h.store, { referenceNumber: '555001', audio: null });
    const queries = new MessageQueries(h.store.collection<StaffVisibleMessage>('messages'));
    expect((await queries.findByReference('555001')).map((x) => x._id)).toEqual([m._id]);
    expect(await queries.findByReference('555002')).toEqual([]);
    expect([...(await queries.referenceNumbers([m._id, 'RE-gone']))]).toEqual([[m._id, '555001']]);
  });
});
