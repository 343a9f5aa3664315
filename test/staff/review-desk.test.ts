import { SessionsRepository } from '../../src/auth/sessions';
import { StaffAccountsRepository } from '../../src/auth/staff-accounts';
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
    expect(text).toContain('aria-current="true">Queue</a>');
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
    expect(text).toContain('<td>opened a message</td>');
    expect(text).not.toContain('<td>looked at the message list</td>');
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

describe(`working the queue together: conflicts, ownership, nothing saved twice (${ENGINE} store)`, () => {
  let h: TestHotline;
  let a: StaffClient;
  let b: StaffClient;
  const messages = () => h.store.collection<StaffVisibleMessage>('messages');
  const audit = (messageId: string) => h.store.collection<AuditEntry>('staff_audit').find({ messageId, action: { $nin: ['view-message', 'list-messages'] } }, { sort: { at: 1, _id: 1 } });
  const fresh = (ref: string, over: Partial<StaffVisibleMessage> = {}) => seedMessage(h.store, { referenceNumber: ref, audio: null, createdAt: new Date(Date.now() - 3 * DAY), ...over });

  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'sokha', 'reviewer');
    await addAccount(h.store, 'dara', 'reviewer');
    await addAccount(h.store, 'vicheka', 'viewer');
    a = await new StaffClient(h).signedIn('sokha');
    b = await new StaffClient(h).signedIn('dara');
  });
  afterEach(async () => h.stop());

  test('a save that changes nothing writes no history and no audit entry, and says so', async () => {
    const m = await fresh('500001');
    const res = await a.post(`/staff/messages/${m._id}/review`, { version: '0', state: 'new', note: '   ', owner: '', then: 'stay' });
    expect(res.headers.get('location')).toBe(`/staff/messages/${m._id}?saved=nothing`);
    expect((await a.page(res.headers.get('location')!)).text).toContain('Nothing was changed, so nothing was saved.');
    const stored = await messages().findOne({ _id: m._id });
    expect(stored?.review).toEqual({ state: 'new', notes: [] });
    expect(await audit(m._id)).toEqual([]);
    // "Save and next" without a change goes on without writing anything about this one.
    const next = await a.post(`/staff/messages/${m._id}/review`, { version: '0', state: 'new', then: 'next' });
    expect(next.headers.get('location')).toBe('/staff/messages?end=1');
    expect((await messages().findOne({ _id: m._id }))?.review?.version).toBeUndefined();
  });

  test('two reviewers on one message: the second save is refused, shows what the first changed, keeps what was typed, and goes through when sent again', async () => {
    const m = await fresh('500002');
    const pageA = await a.page(`/staff/messages/${m._id}`);
    const pageB = await b.page(`/staff/messages/${m._id}`);
    for (const p of [pageA, pageB]) expect(p.text).toContain('name="version" value="0"');
    expect((await a.post(`/staff/messages/${m._id}/review`, { version: '0', state: 'forwarded', note: 'Sent to the district office.' })).status).toBe(303);
    const late = await b.post(`/staff/messages/${m._id}/review`, { version: '0', state: 'resolved', note: 'The school fixed the roof.' });
    expect(late.status).toBe(409);
    const text = await late.text();
    expect(text).toContain('Someone changed this message while you had it open. Nothing you entered was saved.');
    const alert = text.slice(text.indexOf('class="error conflict"'), text.indexOf('</div>', text.indexOf('class="error conflict"')));
    expect(alert).toContain('sokha');
    expect(alert).toContain('New</span> → <span class="state state-forwarded">');
    expect(alert).toContain('Sent to the district office.');
    // What dara entered is in the form again, now at the version that includes sokha's change.
    expect(text).toContain('>The school fixed the roof.</textarea>');
    expect(text).toMatch(/value="resolved" checked>/);
    expect(text).toContain('name="version" value="1"');
    let stored = await messages().findOne({ _id: m._id });
    expect(stored?.review?.state).toBe('forwarded');
    expect(stored?.review?.notes.map((n) => n.text)).toEqual(['Sent to the district office.']);
    expect((await audit(m._id)).map((e) => `${e.username}:${e.action}`).sort()).toEqual(['sokha:add-note', 'sokha:change-state']);
    // Sent again from the refreshed form: both changes are kept.
    expect((await b.post(`/staff/messages/${m._id}/review`, { version: '1', state: 'resolved', note: 'The school fixed the roof.' })).status).toBe(303);
    stored = await messages().findOne({ _id: m._id });
    expect(stored?.review?.history?.map((x) => `${x.from}>${x.to}:${x.by}`)).toEqual(['new>forwarded:sokha', 'forwarded>resolved:dara']);
    expect(stored?.review?.notes.map((n) => `${n.by}: ${n.text}`)).toEqual(['sokha: Sent to the district office.', 'dara: The school fixed the roof.']);
  });

  test('take, assign and release: each is a history step and an audit entry; "mine" lists what a reviewer works on', async () => {
    const m = await fresh('500003');
    const other = await fresh('500004');
    expect((await a.post(`/staff/messages/${m._id}/review`, { version: '0', take: '1', owner: '' })).status).toBe(303);
    expect((await messages().findOne({ _id: m._id }))?.review?.owner).toBe('sokha');
    let page = await b.page(`/staff/messages/${m._id}`);
    expect(page.text).toContain('sokha works on this message (since');
    const mine = await a.page('/staff/messages?mine=1');
    expect(refsIn(mine.text)).toEqual(['500003']);
    expect(mine.text).toContain('<span class="owner owner-me">you work on it</span>');
    expect(refsIn((await b.page('/staff/messages?mine=1')).text)).toEqual([]);
    expect((await b.page('/staff/messages')).text).toContain('<span class="owner">sokha works on it</span>');
    // Given to dara, then released by dara.
    expect((await a.post(`/staff/messages/${m._id}/review`, { version: '1', owner: 'dara' })).status).toBe(303);
    expect(refsIn((await b.page('/staff/messages?mine=1')).text)).toEqual(['500003']);
    expect((await b.post(`/staff/messages/${m._id}/review`, { version: '2', owner: 'dara', release: '1' })).status).toBe(303);
    const stored = await messages().findOne({ _id: m._id });
    expect(stored?.review?.owner).toBeUndefined();
    expect(stored?.review?.steps?.map((s) => `${s.by} ${s.kind} ${s.owner ?? ''}`)).toEqual(['sokha taken sokha', 'sokha assigned dara', 'dara released dara']);
    expect((await audit(m._id)).map((e) => `${e.username}:${e.action}:${e.detail?.owner}`)).toEqual(['sokha:take-message:sokha', 'sokha:assign-message:dara', 'dara:release-message:dara']);
    page = await a.page(`/staff/messages/${m._id}`);
    const history = page.text.slice(page.text.indexOf('<ol class="history">'));
    for (const words of ['sokha</span> took it', 'sokha</span> gave it to dara', 'dara</span> released it']) expect(history).toContain(words);
    // Only an active reviewer or administrator can be given a message.
    expect((await a.post(`/staff/messages/${other._id}/review`, { version: '0', owner: 'vicheka' })).status).toBe(400);
    expect((await a.post(`/staff/messages/${other._id}/review`, { version: '0', owner: 'nobody-here' })).status).toBe(400);
    // A message given to an account disabled since keeps it; its form still saves.
    expect((await a.post(`/staff/messages/${other._id}/review`, { version: '0', owner: 'dara' })).status).toBe(303);
    await new StaffAccountsRepository(h.store).setDisabled('dara', true);
    expect((await a.page(`/staff/messages/${other._id}`)).text).toContain('<option value="dara" selected>dara</option>');
    expect((await a.post(`/staff/messages/${other._id}/review`, { version: '1', owner: 'dara', note: 'dara is away' })).status).toBe(303);
    expect((await messages().findOne({ _id: other._id }))?.review).toMatchObject({ owner: 'dara', notes: [{ text: 'dara is away' }] });
  });

  test('"take the next message" skips what someone else works on, and two reviewers asking at once get different messages', async () => {
    const first = await fresh('500010', { createdAt: new Date(Date.now() - 9 * DAY) });
    const second = await fresh('500011', { createdAt: new Date(Date.now() - 8 * DAY) });
    const third = await fresh('500012', { createdAt: new Date(Date.now() - 7 * DAY) });
    const fourth = await fresh('500013', { createdAt: new Date(Date.now() - 6 * DAY) });
    // dara took the oldest from its page.
    await b.post(`/staff/messages/${first._id}/review`, { version: '0', take: '1' });
    const [ra, rb] = await Promise.all([a.post('/staff/messages/next'), b.post('/staff/messages/next')]);
    const got = [ra, rb].map((r) => new URL(r.headers.get('location')!, h.url).pathname.split('/').pop());
    // dara's own message is dara's next; sokha gets the next free one.
    expect(got[1]).toBe(first._id);
    expect(got[0]).toBe(second._id);
    // Concurrently, from a list where both would pick the same one: never the same message.
    const [rc, rd] = await Promise.all([a.post(`/staff/messages/${second._id}/review`, { version: '1', state: 'resolved', then: 'next' }), b.post(`/staff/messages/${first._id}/review`, { version: '1', state: 'resolved', then: 'next' })]);
    const nextOnes = [rc, rd].map((r) => new URL(r.headers.get('location')!, h.url).pathname.split('/').pop());
    expect(new Set(nextOnes)).toEqual(new Set([third._id, fourth._id]));
    const owners = await messages().find({ _id: { $in: [third._id, fourth._id] } });
    expect(new Set(owners.map((o) => o.review?.owner))).toEqual(new Set(['sokha', 'dara']));
    for (const o of owners) expect(o.review?.steps).toHaveLength(1);
    expect((await h.store.collection<AuditEntry>('staff_audit').find({ action: 'take-message' })).map((e) => e.detail?.via ?? 'its page')).toEqual(['its page', 'next', 'next', 'next']);
  });

  test('the list shows how long each open message has waited, and a bulk change skips what changed since the list was shown', async () => {
    const old = await fresh('500020', { createdAt: new Date(Date.now() - 4 * DAY - 3600_000) });
    const recent = await fresh('500021', { createdAt: new Date(Date.now() - 2 * 3600_000) });
    const list = await a.page('/staff/messages');
    expect(list.text).toContain('<span class="waiting waiting-long">waiting 4 days</span>');
    expect(list.text).toContain('<span class="waiting">waiting 2 hours</span>');
    expect(list.text).toContain(`value="${old._id}.0"`);
    expect(list.text).toContain('id="pick-all"');
    // dara adds a note to the old one after sokha's list was shown.
    await b.post(`/staff/messages/${old._id}/review`, { version: '0', note: 'Checking with the commune.' });
    const body = new URLSearchParams([['_csrf', a.csrf], ['state', 'resolved'], ['id', `${old._id}.0`], ['id', `${recent._id}.0`]]);
    const res = await fetch(`${h.url}/staff/messages/bulk-state`, { method: 'POST', redirect: 'manual', headers: { cookie: a.cookieHeader, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: body.toString() });
    expect(res.headers.get('location')).toBe('/staff/messages?changed=1&skipped=500020');
    expect((await a.page(res.headers.get('location')!)).text).toContain('Not changed, because someone else changed them after this list was shown: No. 500020.');
    expect((await messages().findOne({ _id: old._id }))?.review?.state).toBe('new');
    expect((await messages().findOne({ _id: recent._id }))?.review?.state).toBe('resolved');
    // A bulk change to the state a message already has writes nothing.
    const again = new URLSearchParams([['_csrf', a.csrf], ['state', 'resolved'], ['id', `${recent._id}.1`]]);
    const same = await fetch(`${h.url}/staff/messages/bulk-state`, { method: 'POST', redirect: 'manual', headers: { cookie: a.cookieHeader, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: again.toString() });
    expect(same.headers.get('location')).toBe('/staff/messages?changed=0');
    expect((await messages().findOne({ _id: recent._id }))?.review?.history).toHaveLength(1);
  });
});
