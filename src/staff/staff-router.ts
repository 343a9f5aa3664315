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
 *     deps.nav.push({ href: '/staff/reports', key: 'nav.reports', roles: ['admin', 'reviewer', 'viewer'] });
 *     router.get('/reports', requireRole('admin', 'reviewer', 'viewer'), async (req, res) => {
 *       const t = tr(res);                       // the reader's language (src/staff/i18n/i18n.ts)
 *       await deps.audit.record({ username: res.locals.staff.username, action: 'view-report' });
 *       sendPage(res, { title: t('report.title'), body: html`<p>${t('report.period', { from, to })}</p>` });   // html`` escapes values
 *     });
 *   };
 *
 * then add `reportPages` to PAGE_MODULES below (one line). The router you get is already behind
 * the session check (no session: redirect to sign-in, or 401) and the CSRF check (every POST
 * must carry the form field `_csrf`: put `${csrfField(res.locals.staff)}` in each form). Paths are
 * relative to /staff. Security headers and Cache-Control: no-store are set for you. No inline
 * <script> or style="" (the CSP refuses them): put files in public/staff/ (served at
 * /staff/static/) and pass `scripts: ['x.js']` to sendPage; classes go in public/staff/staff.css.
 * Every word on a page comes from src/staff/i18n/messages.json (English and Khmer, Khmer marked
 * for native-speaker review): add the key there, then call t() with it. Mark Khmer data (place
 * names) with km(text) (lang="km" picks the Khmer font stack). Errors: throw an AppError with
 * { key } and the staff error page shows it, with the menu, in the reader's language.
 */
import { errorFields } from '../logging/error-cause';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { lazyAjv } from '../schema-validation';
import express, { NextFunction, Request, Response, Router } from 'express';
import { Runtime } from '../runtime';
import { verifyPassword, decoyHash } from '../auth/passwords';
import { normalizeUsername, StaffAccountsRepository, TEMPORARY_PASSWORD_HOURS, temporaryPasswordExpired, USERNAME_PATTERN } from '../auth/staff-accounts';
import { SessionsRepository, SESSION_ABSOLUTE_MS, sameSecret } from '../auth/sessions';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, SignInThrottle } from '../auth/sign-in-throttle';
import { PasswordCheckGate } from '../auth/password-check-gate';
import { DecodeSlots } from '../audio/decode-slots';
import {
  clearSessionCookie, readCookie, addressOf, requireCsrf, requireOwnPassword, requireSession, safeNext, SESSION_COOKIE, sessionCookie, staffLocals, STAFF_PATH,
} from '../auth/staff-auth';
import { AppError, BadRequestError, NotFoundError, StoreError } from '../errors';
import { AuditLog } from './audit-log';
import { html } from './html';
import { isStaffLanguage, languageCookie, LANGUAGE_COOKIE, requestLanguage, translator, tr } from './i18n/i18n';
import { NavItem, sendPage } from './layout';
import { StaffPreferences } from './preferences';
import { findPages } from './find-pages';
import { placePages } from './place-pages';
import { JAAP_STATUS_PATH, jaapPages, jaapStatusUpload } from './jaap-pages';
import { providerPinPages } from './provider-pin-pages';
import { ReportRunner } from './report-runner';
import { roundPages } from './round-pages';
import { staffSecurityHeaders } from './security-headers';
import { messagePages } from './message-pages';
import { auditPages } from './audit-pages';
import { accountPages } from './account-pages';
import { tryTheLinePages } from './try-the-line';
import { reportPages } from './report-pages';
import { outboundPages } from './outbound-pages';
import { studioPages } from './studio-pages';
import { passwordPages } from './password-pages';
import { ROUND_IMPORT_PATH, roundImportPages, roundImportUpload } from './round-import-pages';

/** What page modules get. */
export interface StaffDeps {
  rt: Runtime;
  accounts: StaffAccountsRepository;
  sessions: SessionsRepository;
  throttle: SignInThrottle;
  /** Bounds concurrent password checks in this process; the excess is refused with 429. */
  passwordChecks: PasswordCheckGate;
  /** Bounds concurrent conversions of uploaded recordings in this process (AUDIO_DECODES_AT_ONCE). */
  decodes: DecodeSlots;
  audit: AuditLog;
  preferences: StaffPreferences;
  /** Navigation bar entries; a module pushes its own. */
  nav: NavItem[];
  /** Scorecard figures, counted off the webhooks' event loop: one runner for every page, so reports still run one at a time. */
  reports: ReportRunner;
  secureCookie: boolean;
}

export type StaffPages = (router: Router, deps: StaffDeps) => void;

/** Page modules, in navigation order. */
// The round import's fixed path comes before /rounds/:id.
const PAGE_MODULES: StaffPages[] = [messagePages, reportPages, roundImportPages, roundPages, jaapPages, providerPinPages, outboundPages, tryTheLinePages, studioPages, auditPages, accountPages, findPages, placePages, passwordPages];

const SIGN_IN_COOKIE = 'staff_sign_in';
const validateSignIn = lazyAjv({ allErrors: true }).compile<{ _csrf: string; username: string; password: string; next?: string }>({
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
const validateLanguage = lazyAjv().compile({
  type: 'object',
  required: ['lang'],
  additionalProperties: false,
  properties: { lang: { enum: ['en', 'km'] }, next: { type: 'string', maxLength: 300 }, _csrf: { type: 'string' } },
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
    throttle: new SignInThrottle(rt.store, rt.config.sessionSecret),
    passwordChecks: new PasswordCheckGate(),
    decodes: new DecodeSlots(rt.config.audioDecodesAtOnce),
    audit: new AuditLog(rt.store),
    preferences: new StaffPreferences(rt.store),
    nav: [],
    reports: ReportRunner.of(rt),
    secureCookie: rt.config.publicBaseUrl.startsWith('https:'),
  };
}

/** Log the 1st, 10th, 100th... merged refusal: enough to see a flood, never a line per request. */
function isFirstOrRound(count: number): boolean {
  return count === 1 || /^10+$/.test(String(count));
}




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
  // Every page speaks the reader's language: the remembered cookie, else the browser's first choice.
  router.use((req, res, next) => {
    res.locals.t = translator(requestLanguage(req, readCookie(req, LANGUAGE_COOKIE)));
    res.locals.currentUrl = req.originalUrl.slice(0, 300);
    next();
  });

  const signInPage = (res: Response, opts: { token: string; next: string; username?: string; error?: string }, status = 200) => {
    const t = tr(res);
    sendPage(res, {
      title: t('sign-in.title'),
      body: html`
${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
${opts.next !== `${STAFF_PATH}/messages` && !opts.error ? html`<p class="notice">${t('sign-in.to-continue')}</p>` : ''}
<form method="post" action="${STAFF_PATH}/sign-in" class="sign-in">
  <input type="hidden" name="_csrf" value="${opts.token}">
  <input type="hidden" name="next" value="${opts.next}">
  <label>${t('sign-in.username')} <input name="username" autocomplete="username" required maxlength="32" value="${opts.username ?? ''}" autocapitalize="none"></label>
  <label>${t('sign-in.password')} <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
  <button type="submit">${t('sign-in.button')}</button>
</form>`,
    }, status);
  };

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
    // Choosing a language before signing in: remembered in a cookie, then the same form again.
    if (isStaffLanguage(req.query.lang)) {
      res.append('Set-Cookie', languageCookie(req.query.lang, deps.secureCookie));
      res.locals.t = translator(req.query.lang);
    }
    signInPage(res, { token: signInToken(req, res), next: safeNext(req.query.next) });
  });

  router.post('/sign-in', async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const cookieToken = readCookie(req, SIGN_IN_COOKIE) ?? '';
      const sent = typeof body._csrf === 'string' ? body._csrf : '';
      if (!cookieToken || !sent || !sameSecret(sent, cookieToken)) {
        signInPage(res, { token: signInToken(req, res), next: safeNext(body.next), error: tr(res)('sign-in.stale') }, 403);
        return;
      }
      if (!validateSignIn(body)) {
        signInPage(res, { token: cookieToken, next: safeNext(body.next), error: tr(res)('sign-in.incomplete') }, 400);
        return;
      }
      const nextUrl = safeNext(body.next);
      const username = normalizeUsername(typeof body.username === 'string' ? body.username : '');
      const password = typeof body.password === 'string' ? body.password : '';
      const address = addressOf(req);
      const again = { token: cookieToken, next: nextUrl, username: username.slice(0, 32) };
      if (!USERNAME_PATTERN.test(username) || !password || password.length > 1024) {
        signInPage(res, { ...again, error: tr(res)('sign-in.wrong') }, 401);
        return;
      }
      // Count this attempt and check the limits in one atomic step, before the slow password check.
      // A device cookie from an earlier sign-in to this account is judged by its own count only.
      const verdict = await deps.throttle.attempt(username, address, readCookie(req, DEVICE_COOKIE));
      if (verdict.locked) {
        // Merged: a flood of these is a few audit entries and log lines, not one per request.
        // Known and unknown usernames take this same path, with no password check for either.
        const count = await deps.audit.recordRepeated({ username, action: 'sign-in-locked', address, detail: { reason: verdict.reason ?? '' } });
        if (isFirstOrRound(count)) rt.logger.warn({ username, address, reason: verdict.reason, refusedSoFar: count }, 'staff sign-in refused: too many failures');
        // An address that keeps posting is answered a second later: a timer, not work.
        const delay = SignInThrottle.refusalDelayMs(verdict);
        if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
        signInPage(res, { ...again, error: tr(res)('sign-in.locked') }, 429);
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
        signInPage(res, { ...again, error: tr(res)('sign-in.busy') }, 429);
        return;
      }
      const { account, ok } = checked;
      if (!account || !ok || account.disabled) {
        rt.logger.warn({ username, address, known: Boolean(account) }, 'staff sign-in failed');
        await deps.audit.record({ username, action: 'sign-in-failed', address });
        signInPage(res, { ...again, error: tr(res)('sign-in.wrong') }, 401);
        return;
      }
      if (temporaryPasswordExpired(account)) {
        // The password was right, so saying why does not help a guesser; the person needs a new one.
        rt.logger.warn({ username, address }, 'staff sign-in refused: the temporary password has expired');
        await deps.audit.record({ username, action: 'sign-in-temporary-expired', address });
        signInPage(res, { ...again, error: tr(res)('sign-in.temporary-expired', { hours: TEMPORARY_PASSWORD_HOURS }) }, 401);
        return;
      }
      // Rotation: whatever session this browser had is ended; the new one gets a fresh token.
      const old = readCookie(req, SESSION_COOKIE);
      if (old) await deps.sessions.end(deps.sessions.idOf(old));
      const mustChangePassword = Boolean(account.mustChangePassword);
      const { token } = await deps.sessions.create(account._id, account.role, { mustChangePassword });
      const device = await deps.throttle.recordSuccess(username, address, verdict);
      res.append('Set-Cookie', `${DEVICE_COOKIE}=${device}; Path=${STAFF_PATH}/sign-in; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_COOKIE_MAX_AGE_S}${deps.secureCookie ? '; Secure' : ''}`);
      await deps.audit.record({ username, action: 'sign-in', address });
      rt.logger.info({ username, role: account.role }, 'staff signed in');
      res.append('Set-Cookie', sessionCookie(token, deps.secureCookie, Math.floor(SESSION_ABSOLUTE_MS / 1000)));
      // The language this staff member chose last time, on whatever computer they sign in from.
      const chosen = await deps.preferences.language(account._id);
      if (chosen) res.append('Set-Cookie', languageCookie(chosen, deps.secureCookie));
      // A temporary password (from an admin) is replaced first; then on to where the person was going.
      res.redirect(303, mustChangePassword ? `${STAFF_PATH}/password?next=${encodeURIComponent(nextUrl)}` : nextUrl);
    } catch (err) {
      next(err);
    }
  });

  // Everything below needs a session, and every POST a CSRF token.
  const pages = Router();
  pages.use(requireSession(deps.sessions, { secureCookie: deps.secureCookie }));
  // The round import's file upload (multipart) is read before the CSRF check, which needs its _csrf field.
  pages.use(ROUND_IMPORT_PATH, roundImportUpload());
  pages.use(JAAP_STATUS_PATH, jaapStatusUpload());
  pages.use(requireCsrf());
  pages.use(requireOwnPassword());
  pages.use((req, res, next) => {
    res.locals.nav = deps.nav;
    // _return (where a form was sent from) only matters when the session has ended; see requireSession.
    if (req.body && typeof req.body === 'object') delete (req.body as Record<string, unknown>)._return;
    next();
  });

  pages.post('/language', async (req, res, next) => {
    try {
      if (!validateLanguage(req.body)) throw new BadRequestError('Choose en or km.', { key: 'error.language' });
      const { lang, next: back } = req.body as { lang: 'en' | 'km'; next?: string };
      const { session } = staffLocals(res);
      await deps.preferences.setLanguage(session.username, lang);
      res.append('Set-Cookie', languageCookie(lang, deps.secureCookie));
      res.redirect(303, safeNext(back));
    } catch (err) {
      next(err);
    }
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
  pages.use((_req, _res, next) => next(new NotFoundError('Not found.', { key: 'error.not-found' })));
  router.use(pages);
  router.use(staffErrorPage(rt));
  return router;
}

/**
 * Refusals and failures under /staff as pages with the menu, in the reader's language, saying
 * what to do next. Scripts (JSON requests, audio) get the same words as plain text. Never a stack trace.
 */
function staffErrorPage(rt: Runtime) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const t = tr(res);
    const e = err as { status?: number; statusCode?: number; type?: string };
    let status = err instanceof AppError ? err.status : e.status ?? e.statusCode ?? 500;
    if (status < 400 || status > 599) status = 500;
    let message: string;
    if (err instanceof AppError && err.messageKey) message = t(err.messageKey, err.messageVars);
    else if (err instanceof StoreError) message = t('error.store');
    else if (err instanceof AppError && status < 500) message = err.message;
    else if (e.type === 'entity.too.large') message = t('error.too-large');
    else if (e.type === 'entity.parse.failed') message = t('error.unreadable');
    else message = t('error.internal');
    if (status >= 500) rt.logger.error({ path: req.path, ...errorFields(err) }, 'request failed');
    else rt.logger.warn({ path: req.path, status }, err instanceof Error ? err.message : message);
    const wantsPage = /\btext\/html\b/.test(req.header('accept') ?? '') && !req.path.endsWith('/audio');
    if (!wantsPage) {
      res.status(status).type('text/plain').send(`${message}\n`);
      return;
    }
    const title = status === 403 ? t('error.title-forbidden') : status === 404 ? t('error.title-not-found') : status < 500 ? t('error.title-bad-request') : t('error.title-failed');
    sendPage(res, {
      title,
      body: html`<p class="error" role="alert">${message}</p>
<p>${t('error.what-next')}</p>
<ul><li><a href="/staff/messages">${t('error.to-messages')}</a></li>${res.locals.staff ? '' : html`<li><a href="/staff/sign-in">${t('sign-in.title')}</a></li>`}</ul>`,
    }, status);
  };
}
