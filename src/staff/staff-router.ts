/**
 * The staff web app under /staff: sign-in, then pages that need a session.
 *
 * HOW TO ADD PAGES (e.g. src/staff/report-pages.ts):
 *
 *   import { StaffPages } from './staff-router';
 *   import { requireRole } from '../auth/staff-auth';
 *   import { html } from './html';
 *   import { sendPage } from './layout';
 *
 *   export const reportPages: StaffPages = (router, deps) => {
 *     deps.nav.push({ href: '/staff/reports', label: 'Reports', labelKm: 'របាយការណ៍', roles: ['admin', 'reviewer', 'viewer'] });
 *     router.get('/reports', requireRole('admin', 'reviewer', 'viewer'), async (req, res) => {
 *       await deps.audit.record({ username: res.locals.staff.username, action: 'view-report' });
 *       sendPage(res, { title: 'Reports', body: html`<p>${someValue}</p>` });   // html`` escapes values
 *     });
 *   };
 *
 * then add `reportPages` to PAGE_MODULES below (one line). The router you get is already behind
 * the session check (no session: redirect to sign-in, or 401) and the CSRF check (every POST
 * must carry the form field `_csrf`: put `${csrfField(res.locals.staff)}` in each form). Paths are
 * relative to /staff. Security headers and Cache-Control: no-store are set for you. No inline
 * <script> or style="" (the CSP refuses them): put files in public/staff/ (served at
 * /staff/static/) and pass `scripts: ['x.js']` to sendPage; classes go in public/staff/staff.css.
 * Mark Khmer text with km(text) (lang="km" picks the Khmer font stack).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import Ajv from 'ajv';
import express, { Request, Response, Router } from 'express';
import { Runtime } from '../runtime';
import { verifyPassword, decoyHash } from '../auth/passwords';
import { normalizeUsername, StaffAccountsRepository, USERNAME_PATTERN } from '../auth/staff-accounts';
import { SessionsRepository, SESSION_ABSOLUTE_MS, sameSecret } from '../auth/sessions';
import { SignInThrottle } from '../auth/sign-in-throttle';
import { PasswordCheckGate } from '../auth/password-check-gate';
import {
  clearSessionCookie, readCookie, requireCsrf, requireSession, SESSION_COOKIE, sessionCookie, staffLocals, STAFF_PATH,
} from '../auth/staff-auth';
import { AuditLog } from './audit-log';
import { html } from './html';
import { NavItem, sendPage } from './layout';
import { staffSecurityHeaders } from './security-headers';
import { messagePages } from './message-pages';
import { auditPages } from './audit-pages';
import { accountPages } from './account-pages';
import { tryTheLinePages } from './try-the-line';
import { reportPages } from './report-pages';

/** What page modules get. */
export interface StaffDeps {
  rt: Runtime;
  accounts: StaffAccountsRepository;
  sessions: SessionsRepository;
  throttle: SignInThrottle;
  /** Bounds concurrent password checks in this process; the excess is refused with 429. */
  passwordChecks: PasswordCheckGate;
  audit: AuditLog;
  /** Navigation bar entries; a module pushes its own. */
  nav: NavItem[];
  secureCookie: boolean;
}

export type StaffPages = (router: Router, deps: StaffDeps) => void;

/** Page modules, in navigation order. */
const PAGE_MODULES: StaffPages[] = [messagePages, reportPages, tryTheLinePages, auditPages, accountPages];

const SIGN_IN_COOKIE = 'staff_sign_in';
const validateSignIn = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['_csrf', 'username', 'password'],
  additionalProperties: false,
  properties: {
    _csrf: { type: 'string', maxLength: 100 },
    username: { type: 'string', maxLength: 64 },
    password: { type: 'string', maxLength: 1024 },
    next: { type: 'string', maxLength: 300 },
  },
});

/** public/staff at the package root, whether running from src/ (tsx) or dist/src/ (build). */
const STATIC_DIR = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'public', 'staff');
})();

export function staffDeps(rt: Runtime): StaffDeps {
  return {
    rt,
    accounts: new StaffAccountsRepository(rt.store),
    sessions: new SessionsRepository(rt.store, rt.config.sessionSecret),
    throttle: new SignInThrottle(rt.store),
    passwordChecks: new PasswordCheckGate(),
    audit: new AuditLog(rt.store),
    nav: [],
    secureCookie: rt.config.publicBaseUrl.startsWith('https:'),
  };
}

/** Log the 1st, 10th, 100th... merged refusal: enough to see a flood, never a line per request. */
function isFirstOrRound(count: number): boolean {
  return count === 1 || /^10+$/.test(String(count));
}

/** Only same-app paths: never an open redirect to another site. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/staff\/[A-Za-z0-9/_?=&%.-]*$/.test(value) && !value.includes('//') ? value : `${STAFF_PATH}/messages`;
}

/**
 * The client's address: the connection's peer, or, behind a proxy named by TRUST_PROXY, the
 * address that proxy saw (Express reads X-Forwarded-For only as far as TRUST_PROXY trusts it).
 */
export function addressOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

const BUSY_MESSAGE = 'The server is checking other sign-ins right now. Wait a few seconds and try again.';
const LOCKED_MESSAGE = 'Too many failed sign-ins. Wait 15 to 30 minutes, or ask an administrator.';

export function staffRouter(rt: Runtime, deps: StaffDeps = staffDeps(rt)): Router {
  const router = Router();
  // The decoy hash is made now, not on the first sign-in for an unknown username: otherwise that
  // one takes twice as long as for a known username, which tells a guesser the name is unknown.
  void decoyHash();
  router.use(staffSecurityHeaders({ https: deps.secureCookie }));
  router.use('/static', express.static(STATIC_DIR, {
    index: false, dotfiles: 'ignore', fallthrough: false, etag: true, maxAge: 0,
  }));
  router.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
  router.use(express.json({ limit: '4kb' }));

  const signInPage = (res: Response, opts: { token: string; next: string; username?: string; error?: string }, status = 200) =>
    sendPage(res, {
      title: 'Sign in',
      body: html`
${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
<form method="post" action="${STAFF_PATH}/sign-in" class="sign-in">
  <input type="hidden" name="_csrf" value="${opts.token}">
  <input type="hidden" name="next" value="${opts.next}">
  <label>Username <input name="username" autocomplete="username" required maxlength="32" value="${opts.username ?? ''}" autocapitalize="none"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
  <button type="submit">Sign in</button>
</form>`,
    }, status);

  // Sign-in has no session yet: its CSRF token is a random value in a SameSite=Strict cookie that
  // the form must echo (double submit), so another site cannot sign a browser in as someone else.
  const signInToken = (req: Request, res: Response) => {
    let token = readCookie(req, SIGN_IN_COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      token = crypto.randomBytes(32).toString('base64url');
      res.append('Set-Cookie', `${SIGN_IN_COOKIE}=${token}; Path=${STAFF_PATH}/sign-in; HttpOnly; SameSite=Strict${deps.secureCookie ? '; Secure' : ''}`);
    }
    return token;
  };

  router.get('/', (_req, res) => res.redirect(303, `${STAFF_PATH}/messages`));

  router.get('/sign-in', (req, res) => {
    signInPage(res, { token: signInToken(req, res), next: safeNext(req.query.next) });
  });

  router.post('/sign-in', async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const cookieToken = readCookie(req, SIGN_IN_COOKIE) ?? '';
      const sent = typeof body._csrf === 'string' ? body._csrf : '';
      if (!cookieToken || !sent || !sameSecret(sent, cookieToken)) {
        res.status(403).type('text/plain').send('Forbidden: the sign-in form is out of date. Reload the page and try again.\n');
        return;
      }
      if (!validateSignIn(body)) {
        res.status(400).type('text/plain').send('Bad request: the sign-in form needs a username and a password.\n');
        return;
      }
      const nextUrl = safeNext(body.next);
      const username = normalizeUsername(typeof body.username === 'string' ? body.username : '');
      const password = typeof body.password === 'string' ? body.password : '';
      const address = addressOf(req);
      const again = { token: cookieToken, next: nextUrl, username: username.slice(0, 32) };
      if (!USERNAME_PATTERN.test(username) || !password || password.length > 1024) {
        signInPage(res, { ...again, error: 'Wrong username or password.' }, 401);
        return;
      }
      // Count this attempt and check the limits in one atomic step, before the slow password check.
      const verdict = await deps.throttle.attempt(username, address);
      if (verdict.locked) {
        // Merged: a flood of these is a few audit entries and log lines, not one per request.
        // Known and unknown usernames take this same path, with no password check for either.
        const count = await deps.audit.recordRepeated({ username, action: 'sign-in-locked', address, detail: { reason: verdict.reason ?? '' } });
        if (isFirstOrRound(count)) rt.logger.warn({ username, address, reason: verdict.reason, refusedSoFar: count }, 'staff sign-in refused: too many failures');
        signInPage(res, { ...again, error: LOCKED_MESSAGE }, 429);
        return;
      }
      const checked = await deps.passwordChecks.run(async () => {
        const account = await deps.accounts.find(username);
        const ok = await verifyPassword(password, account?.passwordHash ?? (await decoyHash()));
        return { account, ok };
      });
      if (checked === 'busy') {
        // Never checked, so it does not count towards a lockout.
        await deps.throttle.takeBack(verdict);
        const count = await deps.audit.recordRepeated({ username, action: 'sign-in-busy', address });
        if (isFirstOrRound(count)) rt.logger.warn({ username, address, refusedSoFar: count }, 'staff sign-in refused: too many password checks at once');
        res.setHeader('Retry-After', '5');
        signInPage(res, { ...again, error: BUSY_MESSAGE }, 429);
        return;
      }
      const { account, ok } = checked;
      if (!account || !ok || account.disabled) {
        rt.logger.warn({ username, address, known: Boolean(account) }, 'staff sign-in failed');
        await deps.audit.record({ username, action: 'sign-in-failed', address });
        signInPage(res, { ...again, error: 'Wrong username or password.' }, 401);
        return;
      }
      // Rotation: whatever session this browser had is ended; the new one gets a fresh token.
      const old = readCookie(req, SESSION_COOKIE);
      if (old) await deps.sessions.end(deps.sessions.idOf(old));
      const { token } = await deps.sessions.create(account._id, account.role);
      await deps.throttle.recordSuccess(username, verdict);
      await deps.audit.record({ username, action: 'sign-in', address });
      rt.logger.info({ username, role: account.role }, 'staff signed in');
      res.append('Set-Cookie', sessionCookie(token, deps.secureCookie, Math.floor(SESSION_ABSOLUTE_MS / 1000)));
      res.redirect(303, nextUrl);
    } catch (err) {
      next(err);
    }
  });

  // Everything below needs a session, and every POST a CSRF token.
  const pages = Router();
  pages.use(requireSession(deps.sessions, { secureCookie: deps.secureCookie }));
  pages.use(requireCsrf());
  pages.use((_req, res, next) => {
    res.locals.nav = deps.nav;
    next();
  });

  pages.post('/sign-out', async (req, res, next) => {
    try {
      const { session } = staffLocals(res);
      await deps.sessions.end(session._id);
      await deps.audit.record({ username: session.username, action: 'sign-out', address: addressOf(req) });
      res.append('Set-Cookie', clearSessionCookie(deps.secureCookie));
      res.redirect(303, `${STAFF_PATH}/sign-in`);
    } catch (err) {
      next(err);
    }
  });

  for (const addPages of PAGE_MODULES) addPages(pages, deps);
  router.use(pages);
  return router;
}
