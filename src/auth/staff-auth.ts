import { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError } from '../errors';
import { StaffViewer } from '../staff/layout';
import { StaffRole } from './roles';
import { sameSecret, SessionsRepository, StaffSession } from './sessions';

export const SESSION_COOKIE = 'staff_session';
export const STAFF_PATH = '/staff';

/** What the session middleware puts on res.locals for handlers and the layout. */
export interface StaffLocals {
  staff: StaffViewer;
  session: StaffSession;
}

/** Only same-app paths: never an open redirect to another site. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/staff\/[A-Za-z0-9/_?=&%.-]*$/.test(value) && !value.includes('//') ? value : `${STAFF_PATH}/messages`;
}

/**
 * The client's address: the connection's peer, or, behind a proxy named by TRUST_PROXY, the
 * address that proxy saw (Express reads X-Forwarded-For only as far as TRUST_PROXY trusts it).
 */
export function addressOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function staffLocals(res: Response): StaffLocals {
  return res.locals as StaffLocals;
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** HttpOnly so scripts never see it, SameSite=Strict so other sites cannot send it, Secure behind https. */
export function sessionCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  const parts = [`${SESSION_COOKIE}=${token}`, `Path=${STAFF_PATH}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

export function clearSessionCookie(secure: boolean): string {
  return sessionCookie('', secure, 0);
}

/**
 * Loads the session named by the cookie. Without one, pages redirect to the sign-in page and
 * everything else (recordings, form posts, JSON) answers 401: nothing is served without a session.
 */
export function requireSession(sessions: SessionsRepository, opts: { secureCookie: boolean }): RequestHandler {
  return async (req, res, next) => {
    try {
      const token = readCookie(req, SESSION_COOKIE);
      const session = token ? await sessions.resume(token) : null;
      if (!session) {
        if (token) res.append('Set-Cookie', clearSessionCookie(opts.secureCookie));
        // A browser opening a page (it asks for text/html) is sent to sign in; anything else gets 401.
        // A form sent after the session ended names the page it came from (_return): sign in, then back there.
        const formReturn = req.method === 'POST' && typeof req.body?._return === 'string' ? String(req.body._return) : '';
        if ((req.method === 'GET' || formReturn) && /\btext\/html\b/.test(req.header('accept') ?? '') && !req.path.endsWith('/audio')) {
          const back = encodeURIComponent((formReturn || req.originalUrl).slice(0, 300));
          res.redirect(303, `${STAFF_PATH}/sign-in?next=${back}`);
          return;
        }
        res.status(401).type('text/plain').send('Sign in first.\n');
        return;
      }
      const locals = res.locals as StaffLocals;
      locals.session = session;
      locals.staff = { username: session.username, role: session.role, csrfToken: session.csrfToken };
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Lets the request through only for the given roles; others get 403. Use after requireSession. */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const staff = (res.locals as Partial<StaffLocals>).staff;
    if (!staff) {
      res.status(401).type('text/plain').send('Sign in first.\n');
      return;
    }
    if (!roles.includes(staff.role)) {
      next(new ForbiddenError('Forbidden: your role does not allow this.', { key: 'error.role' }));
      return;
    }
    next();
  };
}

/**
 * Synchronizer-token CSRF check for every POST under /staff: the form field `_csrf` (or the
 * X-CSRF-Token header for the try-the-line script) must equal the session's token.
 */
export function requireCsrf(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const session = (res.locals as Partial<StaffLocals>).session;
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const sent = typeof body._csrf === 'string' ? body._csrf : req.header('x-csrf-token') ?? '';
    if (!session || !sent || !sameSecret(sent, session.csrfToken)) {
      next(new ForbiddenError('Forbidden: the form is out of date or did not come from this site. Reload the page and try again.', { key: 'error.csrf' }));
      return;
    }
    next();
  };
}

/** What a session opened with a temporary password may reach (paths under /staff): choosing a new one, the language, signing out. */
export const TEMPORARY_PASSWORD_PATHS: readonly string[] = ['/password', '/language', '/sign-out'];

/**
 * A person signed in with a temporary password (an admin made the account or reset it) chooses
 * their own before anything else: pages send them to /staff/password, and then back where they
 * were going; anything else is refused (403). Use after requireSession.
 */
export function requireOwnPassword(): RequestHandler {
  return (req, res, next) => {
    const session = (res.locals as Partial<StaffLocals>).session;
    if (!session?.mustChangePassword || TEMPORARY_PASSWORD_PATHS.includes(req.path)) return next();
    if (req.method === 'GET' && /\btext\/html\b/.test(req.header('accept') ?? '')) {
      res.redirect(303, `${STAFF_PATH}/password?next=${encodeURIComponent(req.originalUrl.slice(0, 300))}`);
      return;
    }
    next(new ForbiddenError('Choose your own password first: your account has a temporary one.', { key: 'password.change-first' }));
  };
}
