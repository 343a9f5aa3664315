import { MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS } from '../../src/auth/sign-in-throttle';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD, StaffClient } from '../staff/staff-support';

/**
 * The staff app seen by someone who should not get in: guessing passwords, reusing or planting
 * session cookies, framing or sniffing pages.
 */
describe(`staff sign-in under attack (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h.stop();
  });

  const log = () => h.logs.join('');

  it('guessing one account\'s password is locked out after the limit, even the right password is then refused, and each step is logged without the passwords', async () => {
    const attacker = new StaffClient(h);
    const guesses = Array.from({ length: MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS }, (_, i) => `guess-number-${i}-Zq`);
    for (const g of guesses) expect((await attacker.signIn('rev1', g)).status).toBe(401);
    const locked = await attacker.signIn('rev1', 'guess-after-limit-Zq');
    expect(locked.status).toBe(429);
    expect((await attacker.signIn('rev1', PASSWORD)).status).toBe(429);
    expect(attacker.cookies.has('staff_session')).toBe(false);

    expect(log().match(/staff sign-in failed/g)?.length).toBe(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS);
    expect(log()).toContain('staff sign-in refused: too many failures');
    for (const g of [...guesses, 'guess-after-limit-Zq', PASSWORD]) expect(log()).not.toContain(g);
    // Repeated refusals are one merged entry with a count (issue 12, finding 4).
    const merged = await h.store.collection<{ _id: string; detail?: { count?: number } }>('staff_audit').find({ action: 'sign-in-locked', username: 'rev1' });
    expect(merged).toHaveLength(1);
    expect(merged[0].detail?.count).toBe(2);
  });

  it('locking one account by guessing does not lock out another member of staff', async () => {
    const attacker = new StaffClient(h);
    for (let i = 0; i <= MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++) await attacker.signIn('rev1', `wrong-${i}`);
    expect((await new StaffClient(h).signIn('admin1', PASSWORD)).status).toBe(303);
  });

  it('spraying guesses across many usernames from one address locks that address, and a forged X-Forwarded-For does not escape it', async () => {
    const attacker = new StaffClient(h);
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) await attacker.signIn(`user${i}`, 'Password1');
    expect((await attacker.signIn('admin1', 'Password1')).status).toBe(429);

    await attacker.page('/staff/sign-in');
    const forged = await attacker.request('/staff/sign-in', {
      form: { _csrf: attacker.csrf, username: 'admin1', password: 'Password2', next: '/staff/messages' },
      headers: { 'x-forwarded-for': '203.0.113.77', 'x-real-ip': '203.0.113.77' },
    });
    expect(forged.status).toBe(429);
    expect(log()).toMatch(/"reason":"address"[^\n]*too many failures/);
  }, 180_000); // 20 real password checks (scrypt) one after another: minutes on a busy two-core machine

  it('signing in gives a new session token each time; the previous one stops working', async () => {
    const c = new StaffClient(h);
    await c.signedIn('rev1');
    const first = c.cookies.get('staff_session')!;
    await c.signedIn('rev1');
    const second = c.cookies.get('staff_session')!;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);

    const replay = await fetch(`${h.url}/staff/messages`, { headers: { cookie: `staff_session=${first}` }, redirect: 'manual' });
    expect([302, 303, 401]).toContain(replay.status);
    const current = await fetch(`${h.url}/staff/messages`, { headers: { cookie: `staff_session=${second}` }, redirect: 'manual' });
    expect(current.status).toBe(200);
  });

  it('a session cookie planted before sign-in (fixation) is not adopted: sign-in issues another, and the planted one opens nothing', async () => {
    const c = new StaffClient(h);
    const planted = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    c.cookies.set('staff_session', planted);
    expect((await c.signIn('rev1')).status).toBe(303);
    expect(c.cookies.get('staff_session')).not.toBe(planted);
    const withPlanted = await fetch(`${h.url}/staff/messages`, { headers: { cookie: `staff_session=${planted}` }, redirect: 'manual' });
    expect(withPlanted.status).not.toBe(200);
  });

  it('after sign-out the old session cookie is dead on the server, not just cleared in the browser', async () => {
    const c = new StaffClient(h);
    await c.signedIn('rev1');
    const token = c.cookies.get('staff_session')!;
    expect([302, 303]).toContain((await c.post('/staff/sign-out')).status);
    const replay = await fetch(`${h.url}/staff/messages`, { headers: { cookie: `staff_session=${token}` }, redirect: 'manual' });
    expect(replay.status).not.toBe(200);
  });

  it('a cross-site form post without the CSRF token is refused, signed in or not', async () => {
    const c = new StaffClient(h);
    await c.signedIn('rev1');
    const noToken = await c.request('/staff/sign-out', { method: 'POST', form: { note: 'x' } });
    expect(noToken.status).toBe(403);
    const signInNoToken = await fetch(`${h.url}/staff/sign-in`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=rev1&password=x', redirect: 'manual',
    });
    expect(signInNoToken.status).toBe(403);
  });

  it('every staff page, error and refusal carries the security headers; cookies are HttpOnly and SameSite', async () => {
    const c = new StaffClient(h);
    const responses: [string, Response][] = [];
    const signInPage = await c.request('/staff/sign-in');
    responses.push(['sign-in page', signInPage]);
    responses.push(['wrong password', await c.signIn('rev1', 'wrong')]);
    responses.push(['not signed in', await new StaffClient(h).request('/staff/messages')]);
    const signedIn = await c.signIn('rev1');
    responses.push(['signed in', signedIn]);
    responses.push(['messages', await c.request('/staff/messages')]);
    responses.push(['unknown staff page', await c.request('/staff/no-such-page')]);

    for (const [what, res] of responses) {
      const hdr = (n: string) => res.headers.get(n) ?? `(missing on ${what})`;
      expect(hdr('content-security-policy')).toMatch(/default-src 'self'|default-src 'none'/);
      expect(hdr('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(hdr('x-frame-options')).toBe('DENY');
      expect(hdr('x-content-type-options')).toBe('nosniff');
      expect(hdr('referrer-policy')).toBe('no-referrer');
      expect(hdr('cache-control')).toBe('no-store');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    const cookies = [...signInPage.headers.getSetCookie(), ...signedIn.headers.getSetCookie()];
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=(Strict|Lax)/i);
      expect(cookie).toMatch(/;\s*Path=\/staff/);
    }
  });
});
