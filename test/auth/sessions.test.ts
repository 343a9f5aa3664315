import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, sameSecret, SessionsRepository } from '../../src/auth/sessions';
import { Store } from '../../src/store/store';
import { ENGINE } from '../support/engine';
import { sharedTestStore } from '../support/shared-store';

/**
 * Staff sessions on a store with the test's clock: a cookie token resumes its session until 30
 * minutes without a request or 12 hours in all, whichever comes first; only the token's keyed hash
 * is stored. Fast on purpose: the auth mutation group (stryker.config.mjs) runs it.
 */
// After the machine's date, as the stores expire TTL records by the real clock.
const T0 = Date.parse('2030-11-30T03:00:00.000Z');
const MINUTE = 60_000;

describe(`staff sessions (${ENGINE} store)`, () => {
  let store: Store;
  let clock: number;
  let sessions: SessionsRepository;
  const sharedStore = sharedTestStore(['staff_sessions']);
  beforeEach(async () => {
    store = sharedStore();
    clock = T0;
    sessions = new SessionsRepository(store, 'session-secret-for-tests', () => new Date(clock));
  });

  it('a new session has a fresh token and CSRF token; the database holds only the token\'s keyed hash', async () => {
    const a = await sessions.create('dara', 'reviewer');
    const b = await sessions.create('dara', 'reviewer');
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(40);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    expect(a.session.csrfToken).not.toBe(a.token);
    // Both go into cookies, forms and headers as they are: URL-safe characters, 256 bits.
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await sessions.collection.find({});
    expect(stored).toHaveLength(2);
    expect(JSON.stringify(stored)).not.toContain(a.token);
    expect(a.session).toMatchObject({ username: 'dara', role: 'reviewer', createdAt: new Date(T0), lastSeenAt: new Date(T0), idleExpiresAt: new Date(T0 + SESSION_IDLE_MS), expiresAt: new Date(T0 + SESSION_ABSOLUTE_MS) });
    expect(SESSION_IDLE_MS).toBe(30 * MINUTE);
    expect(SESSION_ABSOLUTE_MS).toBe(12 * 60 * MINUTE);
    // Another secret gives other ids: a copied database is no use without it.
    expect(new SessionsRepository(store, 'other').idOf(a.token)).not.toBe(sessions.idOf(a.token));
    expect(sessions.idOf(a.token)).toBe(a.session._id);
  });

  it('resumes with the token; an unknown, empty or overlong token gets nothing', async () => {
    const { token, session } = await sessions.create('dara', 'admin');
    expect(await sessions.resume(token)).toEqual(session);
    expect(await sessions.resume(`${token}x`)).toBeNull();
    expect(await sessions.resume('')).toBeNull();
    expect(await sessions.resume(session._id)).toBeNull();
    // A token longer than any we make is refused before the database is asked.
    const long = 'a'.repeat(101);
    await sessions.collection.insertOne({ ...session, _id: sessions.idOf(long) });
    expect(await sessions.resume(long)).toBeNull();
    const hundred = 'b'.repeat(100);
    await sessions.collection.insertOne({ ...session, _id: sessions.idOf(hundred) });
    expect(await sessions.resume(hundred)).not.toBeNull();
  });

  it('ends after 30 minutes without a request, and is gone from the database', async () => {
    const { token, session } = await sessions.create('dara', 'viewer');
    clock += SESSION_IDLE_MS - 1;
    expect(await sessions.resume(token)).not.toBeNull();
    const other = await sessions.create('sok', 'viewer');
    clock += SESSION_IDLE_MS; // idle again, now measured from the last request
    expect(await sessions.resume(token)).toBeNull();
    expect(await sessions.collection.findOne({ _id: session._id })).toBeNull();
    // Only that session is gone.
    expect(await sessions.collection.findOne({ _id: other.session._id })).not.toBeNull();
  });

  it('ends exactly at its idle expiry', async () => {
    const { token } = await sessions.create('dara', 'viewer');
    clock += SESSION_IDLE_MS;
    expect(await sessions.resume(token)).toBeNull();
  });

  it('each request (a minute apart or more) moves the idle expiry; requests within a minute write nothing', async () => {
    const { token, session } = await sessions.create('dara', 'viewer');
    clock += MINUTE; // exactly a minute: not yet written
    expect(await sessions.resume(token)).toMatchObject({ lastSeenAt: new Date(T0), idleExpiresAt: new Date(T0 + SESSION_IDLE_MS) });
    clock += 1;
    const touched = await sessions.resume(token);
    expect(touched).toMatchObject({ lastSeenAt: new Date(clock), idleExpiresAt: new Date(clock + SESSION_IDLE_MS) });
    expect(await sessions.collection.findOne({ _id: session._id })).toMatchObject({ lastSeenAt: new Date(clock), idleExpiresAt: new Date(clock + SESSION_IDLE_MS) });
    // Kept busy every 20 minutes, it lives on past the first idle expiry.
    for (let i = 0; i < 5; i++) {
      clock += 20 * MINUTE;
      expect(await sessions.resume(token)).not.toBeNull();
    }
  });

  it('ends 12 hours after sign-in however busy, and its idle expiry never runs past that', async () => {
    const { token } = await sessions.create('dara', 'admin');
    while (clock + 20 * MINUTE < T0 + SESSION_ABSOLUTE_MS) {
      clock += 20 * MINUTE;
      const s = await sessions.resume(token);
      expect(s).not.toBeNull();
      expect(s!.idleExpiresAt.getTime()).toBeLessThanOrEqual(T0 + SESSION_ABSOLUTE_MS);
    }
    expect(clock).toBe(T0 + SESSION_ABSOLUTE_MS - 20 * MINUTE);
    clock += 20 * MINUTE - 1;
    const last = await sessions.resume(token);
    expect(last!.idleExpiresAt).toEqual(new Date(T0 + SESSION_ABSOLUTE_MS));
    clock += 1;
    expect(await sessions.resume(token)).toBeNull();
  });

  it('signing out ends one session; signing a person out everywhere ends all of theirs, not others\'', async () => {
    const a = await sessions.create('dara', 'admin');
    const b = await sessions.create('dara', 'admin');
    const c = await sessions.create('sok', 'viewer');
    await sessions.end(b.session._id);
    expect(await sessions.resume(b.token)).toBeNull();
    expect(await sessions.resume(a.token)).not.toBeNull();
    await sessions.end(a.session._id);
    expect(await sessions.resume(a.token)).toBeNull();
    const b2 = await sessions.create('dara', 'admin');
    const d = await sessions.create('dara', 'admin');
    expect(await sessions.endAllFor('dara')).toBe(2);
    expect(await sessions.resume(b2.token)).toBeNull();
    expect(await sessions.resume(d.token)).toBeNull();
    expect(await sessions.resume(c.token)).not.toBeNull();
    expect(await sessions.endAllFor('dara')).toBe(0);
  });
});

describe('secret comparison', () => {
  it('is true only for the same string', () => {
    expect(sameSecret('token-1', 'token-1')).toBe(true);
    expect(sameSecret('token-1', 'token-2')).toBe(false);
    expect(sameSecret('token-1', 'token-10')).toBe(false);
    expect(sameSecret('', '')).toBe(true);
  });
});
