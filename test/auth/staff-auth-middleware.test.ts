import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { StaffRole } from '../../src/auth/roles';
import { SessionsRepository } from '../../src/auth/sessions';
import {
  clearSessionCookie, readCookie, requireCsrf, requireRole, requireSession, SESSION_COOKIE, sessionCookie, staffLocals,
} from '../../src/auth/staff-auth';
import { AppError } from '../../src/errors';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

/**
 * The staff guard as a browser and a script meet it: without a live session a page sends you to
 * sign in (and back afterwards) and anything else answers 401; a role not allowed gets 403; a form
 * without the session's CSRF token gets 403. A bare Express app with the real middleware on a real
 * store, no hotline: fast, so the auth mutation group (stryker.config.mjs) runs it.
 */
describe(`staff session, role and CSRF guards (${ENGINE} store)`, () => {
  let store: Store;
  let sessions: SessionsRepository;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    store = await openTestStore();
    sessions = new SessionsRepository(store, 'session-secret-for-tests');
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    const staff = express.Router();
    staff.use(requireSession(sessions, { secureCookie: true }));
    staff.use(requireCsrf());
    const who = (_req: express.Request, res: express.Response) => {
      const { staff: s, session } = staffLocals(res);
      res.json({ username: s.username, role: s.role, csrf: s.csrfToken === session.csrfToken });
    };
    staff.get('/page', who);
    staff.get('/messages/m1/audio', who);
    staff.post('/form', who);
    staff.get('/admin', requireRole('admin'), who);
    staff.post('/review', requireRole('admin', 'reviewer'), who);
    app.use('/staff', staff);
    // requireRole without requireSession in front (a wiring mistake) still lets nobody in.
    app.get('/unguarded', requireRole('admin'), (_req, res) => res.send('in'));
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const e = err as AppError;
      res.status(e.status ?? 500).json({ code: e.code, key: e.messageKey, message: e.message });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await closeTestStore(store);
  });

  const signIn = async (role: StaffRole, username = `${role}-user`) => sessions.create(username, role);
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  const cookieOf = (token: string) => ({ cookie: `other=1; ${SESSION_COOKIE}=${token}; last=2` });

  describe('without a session', () => {
    it('a browser asking for a page is sent to sign in, and back to the page afterwards', async () => {
      const res = await get('/staff/page?x=1', { accept: 'text/html,application/xhtml+xml' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/staff/sign-in?next=${encodeURIComponent('/staff/page?x=1')}`);
      expect(res.headers.get('set-cookie')).toBeNull(); // no cookie sent: nothing to clear
    });

    it('a script, or a recording\'s audio, gets 401 and nothing else', async () => {
      for (const [path, accept] of [['/staff/page', 'application/json'], ['/staff/page', '*/*'], ['/staff/messages/m1/audio', 'text/html']]) {
        const res = await get(path, { accept });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(await res.text()).toBe('Sign in first.\n');
      }
      // A script posting JSON (no form body) gets the same.
      const json = await fetch(`${base}/staff/form`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{}' });
      expect(json.status).toBe(401);
      expect((await get('/staff/page')).status).toBe(401);
    });

    it('a form sent after the session ended sends the browser to sign in and back to the page it came from', async () => {
      const res = await post('/staff/form', { _return: '/staff/messages?page=2', note: 'x' }, { accept: 'text/html' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/staff/sign-in?next=${encodeURIComponent('/staff/messages?page=2')}`);
      // The page named is cut to 300 characters.
      const long = `/staff/${'a'.repeat(400)}`;
      const cut = await post('/staff/form', { _return: long }, { accept: 'text/html' });
      expect(cut.headers.get('location')).toBe(`/staff/sign-in?next=${encodeURIComponent(long.slice(0, 300))}`);
      // A form without a page to return to, or from a script, gets 401.
      expect((await post('/staff/form', { note: 'x' }, { accept: 'text/html' })).status).toBe(401);
      expect((await post('/staff/form', { _return: '/staff/messages' }, { accept: 'application/json' })).status).toBe(401);
    });

    it('an unknown or ended session\'s cookie is cleared', async () => {
      const { token, session } = await signIn('viewer');
      await sessions.end(session._id);
      const res = await get('/staff/page', { ...cookieOf(token), accept: 'application/json' });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBe(clearSessionCookie(true));
    });

    it('a database failure while reading the session is an error for the error handler, not a page served or a hang', async () => {
      class FailingSessions extends SessionsRepository {
        override async resume(): Promise<null> {
          throw new Error('database unavailable');
        }
      }
      const app = express();
      app.use('/staff', requireSession(new FailingSessions(store, 'x'), { secureCookie: false }), (_req, res) => res.send('served'));
      app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(503).send(err.message));
      const other = app.listen(0, '127.0.0.1');
      await new Promise((r) => other.once('listening', r));
      try {
        const res = await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/staff/page`, { headers: cookieOf('some-token') });
        expect(res.status).toBe(503);
        expect(await res.text()).toBe('database unavailable');
      } finally {
        await new Promise((r) => other.close(r));
      }
    });

    it('a role check with no session in front of it lets nobody in', async () => {
      const res = await get('/unguarded');
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('Sign in first.\n');
    });
  });

  describe('with a session', () => {
    it('the handler sees who is signed in, with the session\'s CSRF token', async () => {
      const { token } = await signIn('viewer', 'dara');
      const res = await get('/staff/page', cookieOf(token));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ username: 'dara', role: 'viewer', csrf: true });
    });

    it('each role reaches only the routes allowed to it', async () => {
      const expected: Record<StaffRole, { admin: number; review: number }> = {
        admin: { admin: 200, review: 200 },
        reviewer: { admin: 403, review: 200 },
        viewer: { admin: 403, review: 403 },
      };
      for (const role of ['admin', 'reviewer', 'viewer'] as const) {
        const { token, session } = await signIn(role);
        const admin = await get('/staff/admin', cookieOf(token));
        expect([role, admin.status]).toEqual([role, expected[role].admin]);
        if (admin.status === 403) expect(await admin.json()).toEqual({ code: 'FORBIDDEN', key: 'error.role', message: 'Forbidden: your role does not allow this.' });
        const review = await post('/staff/review', { _csrf: session.csrfToken }, cookieOf(token));
        expect([role, review.status]).toEqual([role, expected[role].review]);
      }
    });
  });

  describe('CSRF', () => {
    it('a form must carry the session\'s token, in the form or (for the try-the-line script) the X-CSRF-Token header', async () => {
      const { token, session } = await signIn('reviewer');
      const refused = async (res: Response) => {
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual({ code: 'FORBIDDEN', key: 'error.csrf', message: 'Forbidden: the form is out of date or did not come from this site. Reload the page and try again.' });
      };
      await refused(await post('/staff/form', { note: 'x' }, cookieOf(token)));
      await refused(await post('/staff/form', { _csrf: '' }, cookieOf(token)));
      await refused(await post('/staff/form', { _csrf: `${session.csrfToken}x` }, cookieOf(token)));
      const other = await signIn('reviewer');
      await refused(await post('/staff/form', { _csrf: other.session.csrfToken }, cookieOf(token)));
      await refused(await post('/staff/form', {}, { ...cookieOf(token), 'x-csrf-token': 'wrong' }));
      expect((await post('/staff/form', { _csrf: session.csrfToken }, cookieOf(token))).status).toBe(200);
      expect((await post('/staff/form', {}, { ...cookieOf(token), 'x-csrf-token': session.csrfToken })).status).toBe(200);
      // A page read needs no token.
      expect((await get('/staff/page', cookieOf(token))).status).toBe(200);
      expect((await fetch(`${base}/staff/page`, { method: 'HEAD', headers: cookieOf(token) })).status).toBe(200);
    });

    it('a body not read as a form (JSON here) carries no token', async () => {
      const { token, session } = await signIn('reviewer');
      const res = await fetch(`${base}/staff/form`, { method: 'POST', headers: { ...cookieOf(token), 'content-type': 'application/json' }, body: JSON.stringify({ _csrf: session.csrfToken }) });
      expect(res.status).toBe(403);
    });
  });
});

describe('staff cookies', () => {
  const req = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as express.Request;

  it('reads one cookie among several, decoded; a missing, nameless or undecodable one is undefined', () => {
    expect(readCookie(req('a=1; staff_session=abc%20d; b=2'), 'staff_session')).toBe('abc d');
    expect(readCookie(req(' staff_session = xyz '), 'staff_session')).toBe('xyz');
    expect(readCookie(req('staff_session_old=1; x_staff_session=2'), 'staff_session')).toBeUndefined();
    expect(readCookie(req('junk; staff_session=ok'), 'staff_session')).toBe('ok');
    expect(readCookie(req('staff_sessionx; other=1'), 'staff_session')).toBeUndefined();
    expect(readCookie(req('staff_session=a=b'), 'staff_session')).toBe('a=b');
    expect(readCookie(req('staff_session=%E0%A4%A'), 'staff_session')).toBeUndefined();
    expect(readCookie(req(''), 'staff_session')).toBeUndefined();
    expect(readCookie(req(), 'staff_session')).toBeUndefined();
  });

  it('the session cookie is HttpOnly, SameSite=Strict, for /staff only, Secure behind https; clearing it sets Max-Age=0', () => {
    expect(sessionCookie('tok', true, 3600)).toBe('staff_session=tok; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=3600; Secure');
    expect(sessionCookie('tok', false, 3600)).toBe('staff_session=tok; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=3600');
    expect(clearSessionCookie(false)).toBe('staff_session=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0');
  });
});
