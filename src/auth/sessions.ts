import * as crypto from 'node:crypto';
import { Store } from '../store/store';
import { StaffRole } from './roles';

/** Signed-in sessions are dropped after this long without a request... */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** ...and after this long in any case, so a stolen cookie is useful for a working day at most. */
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** Writing lastSeenAt on every request would double the load; a minute's precision is enough. */
const TOUCH_EVERY_MS = 60 * 1000;

/**
 * A staff session in the database (any app instance can serve any request). The cookie holds a
 * random token; only its HMAC is stored, so a copy of the database cannot be replayed as cookies.
 */
export interface StaffSession {
  /** HMAC-SHA256(SESSION_SECRET, token), hex. */
  _id: string;
  username: string;
  role: StaffRole;
  /** The synchronizer token every state-changing form must echo. */
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  /** TTL index: the database deletes the session once this passes. */
  expiresAt: Date;
  /** Opened with a temporary password: it serves only the change-password page until a new one is chosen. */
  mustChangePassword?: boolean;
}

export class SessionsRepository {
  constructor(private readonly store: Store, private readonly secret: string, private readonly now: () => Date = () => new Date()) {}
  get collection() {
    return this.store.collection<StaffSession>('staff_sessions');
  }

  idOf(token: string): string {
    return crypto.createHmac('sha256', this.secret).update(token).digest('hex');
  }

  /** A new session with a fresh token (rotation on sign-in: the old token is never reused). */
  async create(username: string, role: StaffRole, opts: { mustChangePassword?: boolean } = {}): Promise<{ token: string; session: StaffSession }> {
    const token = crypto.randomBytes(32).toString('base64url');
    const at = this.now();
    const session: StaffSession = {
      _id: this.idOf(token),
      username,
      role,
      csrfToken: crypto.randomBytes(32).toString('base64url'),
      createdAt: at,
      lastSeenAt: at,
      idleExpiresAt: new Date(at.getTime() + SESSION_IDLE_MS),
      expiresAt: new Date(at.getTime() + SESSION_ABSOLUTE_MS),
      ...(opts.mustChangePassword ? { mustChangePassword: true } : {}),
    };
    await this.collection.insertOne(session);
    return { token, session };
  }

  /** The live session for a cookie token, extending its idle expiry; null when unknown or expired. */
  async resume(token: string): Promise<StaffSession | null> {
    if (!token || token.length > 100) return null;
    const session = await this.collection.findOne({ _id: this.idOf(token) });
    if (!session) return null;
    const at = this.now();
    if (new Date(session.idleExpiresAt) <= at || new Date(session.expiresAt) <= at) {
      await this.collection.deleteOne({ _id: session._id });
      return null;
    }
    if (at.getTime() - new Date(session.lastSeenAt).getTime() > TOUCH_EVERY_MS) {
      const idleExpiresAt = new Date(Math.min(at.getTime() + SESSION_IDLE_MS, new Date(session.expiresAt).getTime()));
      await this.collection.updateOne({ _id: session._id }, { $set: { lastSeenAt: at, idleExpiresAt } });
      session.lastSeenAt = at;
      session.idleExpiresAt = idleExpiresAt;
    }
    return session;
  }

  async end(sessionId: string): Promise<void> {
    await this.collection.deleteOne({ _id: sessionId });
  }

  /** Signs a staff member out everywhere (password changed, account disabled). */
  async endAllFor(username: string): Promise<number> {
    return this.collection.deleteMany({ username });
  }
}

/** Timing-safe comparison of two strings of possibly different length. */
export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y) && a.length === b.length;
}
