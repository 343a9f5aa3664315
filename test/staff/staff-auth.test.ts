import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { createApp } from '../../src/app';
import { SessionsRepository, StaffSession } from '../../src/auth/sessions';
import { MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS } from '../../src/auth/sign-in-throttle';
import { StaffAccountsRepository } from '../../src/auth/staff-accounts';
import { AuditEntry } from '../../src/staff/audit-log';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD, seedMessage, StaffClient, toneWav } from './staff-support';

describe('staff sign-in, sessions, roles and CSRF', () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'rev1', 'reviewer');
    await addAccount(h.store, 'view1', 'viewer');
  });
  afterEach(async () => {
    await h.stop();
  });

  const sessions = () => h.store.collection<StaffSession>('staff_sessions');
  const audit = () => h.store.collection<AuditEntry>('staff_audit');

  test('a wrong password is refused with 401, no session, and the failure is logged and audited', async () => {
    const c = new StaffClient(h);
    const res = await c.signIn('rev1', 'not the password');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Wrong username or password');
    expect(c.cookies.has('staff_session')).toBe(false);
    expect(await sessions().countDocuments({})).toBe(0);
    expect(await audit().countDocuments({ action: 'sign-in-failed', username: 'rev1' })).toBe(1);
    expect(h.logs.join('')).toContain('staff sign-in failed');
    expect(h.logs.join('')).not.toContain('not the password');
  });

  test('the right password gives an HttpOnly, SameSite=Strict cookie on /staff whose token is not what the database holds', async () => {
    const c = new StaffClient(h);
    await c.page('/staff/sign-in');
    const res = await c.request('/staff/sign-in', { form: { _csrf: c.csrf, username: 'REV1', password: PASSWORD, next: '/staff/messages' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/staff/messages');
    const cookie = res.headers.getSetCookie().find((x) => x.startsWith('staff_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/staff(;|$)/);
    expect(cookie).not.toMatch(/Secure/); // PUBLIC_BASE_URL is http here
    const token = c.cookies.get('staff_session')!;
    const [stored] = await sessions().find({});
    expect(stored.username).toBe('rev1');
    expect(stored._id).not.toBe(token);
    expect(stored._id).toBe(new SessionsRepository(h.store, 'test-session-secret').idOf(token));
    expect((await c.page('/staff/messages')).res.status).toBe(200);
  });

  test('the sign-in form without its CSRF token is refused', async () => {
    const c = new StaffClient(h);
    await c.page('/staff/sign-in');
    const res = await c.request('/staff/sign-in', { form: { username: 'rev1', password: PASSWORD } });
    expect(res.status).toBe(403);
    expect(c.cookies.has('staff_session')).toBe(false);
  });

  test('a session idle past its expiry, or past its absolute expiry, no longer opens pages or recordings', async () => {
    const m = await seedMessage(h.store);
    const c = await new StaffClient(h).signedIn('view1');
    expect((await c.request(`/staff/messages/${m._id}/audio`)).status).toBe(200);
    await sessions().updateMany({}, { $set: { idleExpiresAt: new Date(Date.now() - 1000) } });
    const page = await c.request('/staff/messages');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/staff\/sign-in\?next=/);
    expect((await c.request(`/staff/messages/${m._id}/audio`, { headers: { accept: '*/*' } })).status).toBe(401);
    expect(await sessions().countDocuments({})).toBe(0);

    const d = await new StaffClient(h).signedIn('view1');
    await sessions().updateMany({}, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await d.request('/staff/messages')).status).toBe(303);
  });

  test('signing in again rotates the session and signing out ends it', async () => {
    const c = await new StaffClient(h).signedIn('rev1');
    const first = c.cookies.get('staff_session')!;
    await c.signIn('rev1');
    const second = c.cookies.get('staff_session')!;
    expect(second).not.toBe(first);
    const stale = new StaffClient(h);
    stale.cookies.set('staff_session', first);
    expect((await stale.request('/staff/messages')).status).toBe(303);
    await c.page('/staff/messages');
    const out = await c.post('/staff/sign-out');
    expect(out.status).toBe(303);
    expect(c.cookies.has('staff_session')).toBe(false);
    const replay = new StaffClient(h);
    replay.cookies.set('staff_session', second);
    expect((await replay.request('/staff/messages')).status).toBe(303);
    expect(await audit().countDocuments({ action: 'sign-out', username: 'rev1' })).toBe(1);
  });

  test('a reviewer opening the admin audit log gets 403; a viewer changing a state gets 403 and nothing changes', async () => {
    const m = await seedMessage(h.store);
    const rev = await new StaffClient(h).signedIn('rev1');
    expect((await rev.request('/staff/audit')).status).toBe(403);
    const view = await new StaffClient(h).signedIn('view1');
    const res = await view.post(`/staff/messages/${m._id}/review`, { version: '0', state: 'resolved' });
    expect(res.status).toBe(403);
    expect((await h.store.collection('messages').findOne({ _id: m._id }) as any).review.state).toBe('new');
    const admin = await new StaffClient(h).signedIn('admin1');
    expect((await admin.request('/staff/audit')).status).toBe(200);
  });

  test('a state change without the CSRF token, or with another session\'s token, is refused with 403', async () => {
    const m = await seedMessage(h.store);
    const rev = await new StaffClient(h).signedIn('rev1');
    const other = await new StaffClient(h).signedIn('admin1');
    const missing = await rev.request(`/staff/messages/${m._id}/review`, { form: { version: '0', state: 'resolved' } });
    expect(missing.status).toBe(403);
    const foreign = await rev.request(`/staff/messages/${m._id}/review`, { form: { version: '0', state: 'resolved', _csrf: other.csrf } });
    expect(foreign.status).toBe(403);
    expect((await h.store.collection('messages').findOne({ _id: m._id }) as any).review.state).toBe('new');
    const ok = await rev.post(`/staff/messages/${m._id}/review`, { version: '0', state: 'resolved' });
    expect(ok.status).toBe(303);
    expect((await h.store.collection('messages').findOne({ _id: m._id }) as any).review.state).toBe('resolved');
  });

  test(`after ${MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS} wrong passwords the username is locked, even for the right password`, async () => {
    const c = new StaffClient(h);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i += 1) expect((await c.signIn('rev1', `wrong ${i}`)).status).toBe(401);
    const locked = await c.signIn('rev1', PASSWORD);
    expect(locked.status).toBe(429);
    expect(c.cookies.has('staff_session')).toBe(false);
    expect(await audit().countDocuments({ action: 'sign-in-locked', username: 'rev1' })).toBe(1);
    expect(h.logs.join('')).toContain('too many failures');
    // Another account is not locked by rev1's failures.
    expect((await new StaffClient(h).signIn('view1')).status).toBe(303);
  });

  test(`after ${MAX_FAILURES_PER_ADDRESS} failures from one address, every username is locked from there`, async () => {
    const c = new StaffClient(h);
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i += 1) expect((await c.signIn(`guess${i % 4}`, `wrong ${i}`)).status).toBe(401);
    expect((await c.signIn('admin1', PASSWORD)).status).toBe(429);
    expect(await audit().countDocuments({ action: 'sign-in-locked', username: 'admin1' })).toBe(1);
  }, 180_000); // 20 real password checks (scrypt) one after another: minutes on a busy two-core machine

  test('the counters live in the database, so a second app instance on the same store sees the lockout', async () => {
    const c = new StaffClient(h);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i += 1) await c.signIn('rev1', `wrong ${i}`);
    // A second app (fresh routers, nothing shared in memory) on the same database.
    const server = http.createServer(createApp(h.rt));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await new StaffClient({ ...h, url }).signIn('rev1')).status).toBe(429);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
    }
  });

  test('a disabled account cannot sign in', async () => {
    await new StaffAccountsRepository(h.store).setDisabled('rev1', true);
    expect((await new StaffClient(h).signIn('rev1')).status).toBe(401);
  });

  test('no page and no recording is served without a session', async () => {
    const m = await seedMessage(h.store);
    const anon = new StaffClient(h);
    const audio = await anon.request(`/staff/messages/${m._id}/audio`, { headers: { accept: '*/*', range: 'bytes=0-' } });
    expect(audio.status).toBe(401);
    expect(audio.headers.get('content-type')).toMatch(/text\/plain/);
    for (const path of ['/staff/messages', `/staff/messages/${m._id}`, '/staff/audit', '/staff/try-the-line']) {
      const res = await anon.request(path);
      expect([303, 401]).toContain(res.status);
      expect(await res.text()).not.toContain(m.referenceNumber);
    }
    expect((await anon.request('/staff/try-the-line/calls', { json: { action: 'start' } })).status).toBe(401);
  });

  test('a Range request for a recording answers 206 with Content-Range and exactly those bytes; the play is audited once', async () => {
    const wav = toneWav(2);
    const m = await seedMessage(h.store, { audio: wav });
    const c = await new StaffClient(h).signedIn('view1');
    const first = await c.request(`/staff/messages/${m._id}/audio`, { headers: { range: 'bytes=0-99' } });
    expect(first.status).toBe(206);
    expect(first.headers.get('accept-ranges')).toBe('bytes');
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${wav.length}`);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await first.arrayBuffer())).toEqual(wav.subarray(0, 100));
    const later = await c.request(`/staff/messages/${m._id}/audio`, { headers: { range: `bytes=1000-` } });
    expect(later.status).toBe(206);
    expect(later.headers.get('content-range')).toBe(`bytes 1000-${wav.length - 1}/${wav.length}`);
    expect(Buffer.from(await later.arrayBuffer())).toEqual(wav.subarray(1000));
    const whole = await c.request(`/staff/messages/${m._id}/audio`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(wav);
    const beyond = await c.request(`/staff/messages/${m._id}/audio`, { headers: { range: `bytes=${wav.length + 5}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${wav.length}`);
    const plays = await audit().find({ action: 'play-message', messageId: m._id });
    expect(plays.map((p) => p.username)).toEqual(['view1']); // one play per session and message, whatever the ranges
  });

  test('staff pages carry the security headers', async () => {
    const c = await new StaffClient(h).signedIn('rev1');
    const res = await c.request('/staff/messages');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).not.toMatch(/<script>|<script(?![^>]*src=)[^>]*>/);
  });
});

describe('staff cookie behind https', () => {
  test('the session cookie is Secure when PUBLIC_BASE_URL is https', async () => {
    const h = await startHotline({ PUBLIC_BASE_URL: 'https://hotline.example.org' });
    try {
      await addAccount(h.store, 'rev1', 'reviewer');
      const res = await new StaffClient(h).signIn('rev1');
      expect(res.status).toBe(303);
      expect(res.headers.getSetCookie().find((x) => x.startsWith('staff_session='))).toMatch(/; Secure/);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    } finally {
      await h.stop();
    }
  });
});
