import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, SignInThrottle, ThrottleVerdict } from '../../src/auth/sign-in-throttle';
import { Store } from '../../src/store/store';
import { ENGINE } from '../support/engine';
import { sharedTestStore } from '../support/shared-store';

/**
 * The sign-in lockout as the sign-in route uses it, straight on a store with the test's clock: who
 * is locked after how many failures, for how long, and that nobody can lock an account's owner out
 * from elsewhere (known places and device cookies). Each failed attempt here is an `attempt()`
 * whose password turned out wrong (nothing taken back). Fast on purpose: the auth mutation group
 * (stryker.config.mjs) runs these, not the hotline tests.
 */
// The limits as the README's "Sign-in limits" promises them, written out: the module's own
// constants would move with a change to them.
const WINDOW = 15 * 60 * 1000;
const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
const MAX_FAILURES_PER_ADDRESS = 20;
const MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES = 30;
const MAX_FAILURES_PER_DEVICE = 5;
const REFUSALS_AT_ONCE_PER_ADDRESS = 50;
const SLOW_REFUSAL_MS = 1000;
const KNOWN_PLACE_MS = 90 * 24 * 3600 * 1000;
// At a window's start; after the machine's date, as the stores expire TTL records by the real clock.
const T0 = Math.ceil(Date.parse('2030-11-30T03:00:00.000Z') / WINDOW) * WINDOW;

describe(`sign-in throttle (${ENGINE} store)`, () => {
  let store: Store;
  let clock: number;
  let throttle: SignInThrottle;
  const fail = async (n: number, username: string, address: string, cookie?: string): Promise<ThrottleVerdict[]> => {
    const out: ThrottleVerdict[] = [];
    for (let i = 0; i < n; i++) out.push(await throttle.attempt(username, address, cookie));
    return out;
  };
  /** A successful sign-in (the password was right): returns the device cookie the browser gets. */
  const succeed = async (username: string, address: string, cookie?: string) => {
    const v = await throttle.attempt(username, address, cookie);
    expect(v.locked).toBe(false);
    return throttle.recordSuccess(username, address, v);
  };
  const sharedStore = sharedTestStore(['staff_sign_in_failures', 'staff_sign_in_places']);
  beforeEach(async () => {
    store = sharedStore();
    clock = T0;
    throttle = new SignInThrottle(store, 'session-secret-for-tests', () => new Date(clock));
  });

  describe('one account from one new address', () => {
    it('allows 5 failures, refuses the 6th, and leaves other addresses and accounts alone', async () => {
      const first = await fail(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, 'dara', '203.0.113.7');
      expect(first.map((v) => v.locked)).toEqual([false, false, false, false, false]);
      expect(first[0]).toMatchObject({ trust: 'new', addressAttempts: 1 });
      expect(first[0].reason).toBeUndefined();
      expect(first[0].counted).toHaveLength(3);
      expect(first[4].addressAttempts).toBe(5);
      const sixth = await throttle.attempt('dara', '203.0.113.7');
      expect(sixth).toMatchObject({ locked: true, reason: 'account-and-address', trust: 'new', addressAttempts: 6 });
      expect((await throttle.attempt('dara', '203.0.113.8')).locked).toBe(false);
      expect((await throttle.attempt('sok', '203.0.113.7')).locked).toBe(false);
    });

    it('a lock lasts between one and two windows; trying meanwhile keeps it', async () => {
      await fail(5, 'dara', '203.0.113.7');
      clock += WINDOW - 1; // still the same window
      expect((await throttle.attempt('dara', '203.0.113.7')).locked).toBe(true);
      clock += 1; // the next window: the previous one still counts
      expect((await throttle.attempt('dara', '203.0.113.7')).locked).toBe(true);
      clock += WINDOW; // two windows on: only the last window's single try counts
      expect((await throttle.attempt('dara', '203.0.113.7')).locked).toBe(false);
    });

    it('failures spread over two windows add up', async () => {
      clock = T0 + WINDOW - 1000;
      await fail(3, 'dara', '203.0.113.7');
      clock = T0 + WINDOW + 1000;
      const later = await fail(3, 'dara', '203.0.113.7');
      expect(later.map((v) => v.locked)).toEqual([false, false, true]);
    });

    it('an attempt never checked (server busy) is taken back and does not count', async () => {
      for (let i = 0; i < 10; i++) await throttle.takeBack(await throttle.attempt('dara', '203.0.113.7'));
      const v = await throttle.attempt('dara', '203.0.113.7');
      expect(v).toMatchObject({ locked: false, addressAttempts: 1 });
    });
  });

  describe('one address guessing many accounts', () => {
    it('allows 20 attempts, then refuses every account from it, without a counter per name', async () => {
      for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) expect((await throttle.attempt(`name${i}`, '198.51.100.1')).locked).toBe(false);
      const countersBefore = await throttle.collection.countDocuments({});
      const v = await throttle.attempt('another', '198.51.100.1');
      expect(v).toMatchObject({ locked: true, reason: 'address', trust: 'new', addressAttempts: MAX_FAILURES_PER_ADDRESS + 1 });
      expect(v.counted).toHaveLength(1);
      for (let i = 0; i < 5; i++) await throttle.attempt(`more${i}`, '198.51.100.1');
      expect(await throttle.collection.countDocuments({})).toBe(countersBefore);
      // Another address is not touched.
      expect((await throttle.attempt('another', '198.51.100.2')).locked).toBe(false);
    });

    it('an account that signed in from that address before is still let in from it', async () => {
      await succeed('dara', '198.51.100.1');
      for (let i = 0; i < MAX_FAILURES_PER_ADDRESS + 5; i++) await throttle.attempt(`name${i}`, '198.51.100.1');
      expect((await throttle.attempt('nobody', '198.51.100.1')).locked).toBe(true);
      const v = await throttle.attempt('dara', '198.51.100.1');
      expect(v).toMatchObject({ locked: false, trust: 'place' });
    });

    it('answers refusals at once up to 50 past the limit, then slowly', async () => {
      const verdicts = await fail(MAX_FAILURES_PER_ADDRESS + REFUSALS_AT_ONCE_PER_ADDRESS + 1, 'dara', '198.51.100.9');
      const delays = verdicts.map((v) => SignInThrottle.refusalDelayMs(v));
      expect(delays.slice(0, -1).every((d) => d === 0)).toBe(true);
      expect(delays.at(-1)).toBe(SLOW_REFUSAL_MS);
      expect(SignInThrottle.refusalDelayMs({ locked: false, trust: 'new', counted: [], addressAttempts: 500 })).toBe(0);
      expect(SignInThrottle.refusalDelayMs({ locked: true, reason: 'device', trust: 'device', counted: [] })).toBe(0);
    });
  });

  describe('many addresses guessing one account', () => {
    it('after 30 failures from new places every new place is refused, but not the owner\'s known address or device', async () => {
      const cookie = await succeed('dara', '192.0.2.1');
      for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES; i++) {
        expect((await throttle.attempt('dara', `10.0.${Math.floor(i / 200)}.${i % 200}`)).locked).toBe(false);
      }
      expect(await throttle.attempt('dara', '10.9.9.9')).toMatchObject({ locked: true, reason: 'account-from-new-places', trust: 'new' });
      expect(await throttle.attempt('dara', '192.0.2.1')).toMatchObject({ locked: false, trust: 'place' });
      expect(await throttle.attempt('dara', '10.9.9.10', cookie)).toMatchObject({ locked: false, trust: 'device' });
      expect((await throttle.attempt('sok', '10.9.9.9')).locked).toBe(false);
    });
  });

  describe('known places and devices', () => {
    it('a success forgets this place\'s failures for the account, keeps the address\'s and new places\' others, and remembers the place', async () => {
      await fail(4, 'dara', '203.0.113.7');
      await fail(3, 'sok', '203.0.113.7');
      await succeed('dara', '203.0.113.7');
      // From a known place only the pair's count applies, which the success cleared.
      const after = await fail(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, 'dara', '203.0.113.7');
      expect(after.every((v) => !v.locked && v.trust === 'place')).toBe(true);
      expect(after[0].counted).toHaveLength(2);
      expect(await throttle.attempt('dara', '203.0.113.7')).toMatchObject({ locked: true, reason: 'account-and-address', trust: 'place' });
      // The address's count kept the other account's failures and the earlier ones (4 + 3 + 6), not the success.
      expect((await throttle.attempt('sok', '203.0.113.7')).addressAttempts).toBe(4 + 3 + 6 + 1);
    });

    it('a success counts nothing against the account from new places', async () => {
      for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES - 1; i++) await throttle.attempt('dara', `10.1.0.${i}`);
      await succeed('dara', '10.2.0.1');
      await succeed('dara', '10.2.0.2');
      expect((await throttle.attempt('dara', '10.2.0.3')).locked).toBe(false);
      expect((await throttle.attempt('dara', '10.2.0.4')).locked).toBe(true);
    });

    it('an address stays known for 90 days after the last success', async () => {
      await succeed('dara', '203.0.113.7');
      clock += KNOWN_PLACE_MS - 1;
      expect((await throttle.attempt('dara', '203.0.113.7')).trust).toBe('place');
      clock += 1;
      expect((await throttle.attempt('dara', '203.0.113.7')).trust).toBe('new');
      // Known for that account only.
      expect((await throttle.attempt('sok', '203.0.113.7')).trust).toBe('new');
    });

    it('a device cookie counts only the device: 5 failures, then that device is refused, and its success clears it', async () => {
      const cookie = await succeed('dara', '203.0.113.7');
      const v = await fail(MAX_FAILURES_PER_DEVICE, 'dara', '198.51.100.3', cookie);
      expect(v.every((x) => !x.locked && x.trust === 'device' && x.counted.length === 1 && x.addressAttempts === undefined)).toBe(true);
      expect(await throttle.attempt('dara', '198.51.100.4', cookie)).toMatchObject({ locked: true, reason: 'device', trust: 'device' });
      // Another device of the same account is not locked.
      const other = await succeed('dara', '203.0.113.7');
      expect((await throttle.attempt('dara', '198.51.100.3', other)).locked).toBe(false);
      await throttle.unlock('dara');
      await fail(4, 'dara', '198.51.100.3', cookie);
      await succeed('dara', '198.51.100.3', cookie);
      expect((await fail(MAX_FAILURES_PER_DEVICE, 'dara', '198.51.100.3', cookie)).every((x) => !x.locked)).toBe(true);
    });

    it('a device cookie is honoured only for its own account and only as issued', () => {
      const cookie = throttle.deviceCookieValue('dara');
      expect(throttle.deviceOf(cookie, 'dara')).toEqual(expect.any(String));
      expect(throttle.deviceOf(throttle.deviceCookieValue('dara'), 'dara')).not.toBe(throttle.deviceOf(cookie, 'dara'));
      expect(throttle.deviceOf(cookie, 'sok')).toBeNull();
      const [name, id, sig] = cookie.split('.');
      expect(throttle.deviceOf(`${name}.${id}.${sig.slice(0, -2)}AA`, 'dara')).toBeNull();
      expect(throttle.deviceOf(`${name}.${id}x.${sig}`, 'dara')).toBeNull();
      expect(throttle.deviceOf(`${cookie}.extra`, 'dara')).toBeNull();
      expect(throttle.deviceOf(`${name}.${id}`, 'dara')).toBeNull();
      expect(throttle.deviceOf(`.${id}.${sig}`, '')).toBeNull();
      expect(throttle.deviceOf(`${name}..${sig}`, 'dara')).toBeNull();
      expect(throttle.deviceOf('', 'dara')).toBeNull();
      expect(throttle.deviceOf(undefined, 'dara')).toBeNull();
      // Signed with another secret: not ours.
      const elsewhere = new SignInThrottle(store, 'another-secret', () => new Date(clock)).deviceCookieValue('dara');
      expect(throttle.deviceOf(elsewhere, 'dara')).toBeNull();
    });

    it('a forged device cookie is judged as a new place', async () => {
      const forged = `${Buffer.from('dara').toString('base64url')}.abc.def`;
      expect((await throttle.attempt('dara', '203.0.113.7', forged)).trust).toBe('new');
    });
  });

  describe('unlock and the accounts page', () => {
    it('shows an account as locked from the attempt that reached a limit, per kind, and leaves out accounts without locks', async () => {
      const cookie = await succeed('dara', '192.0.2.1');
      await fail(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1, 'dara', '203.0.113.7');
      expect(await throttle.locks(['dara', 'sok'])).toEqual(new Map());
      await fail(1, 'dara', '203.0.113.7');
      expect(await throttle.locks(['dara', 'sok'])).toEqual(new Map([['dara', { fromNewPlaces: false, places: 1 }]]));
      await fail(MAX_FAILURES_PER_DEVICE, 'dara', '203.0.113.9', cookie);
      expect((await throttle.locks(['dara'])).get('dara')).toEqual({ fromNewPlaces: false, places: 2 });
      for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES - MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++) await throttle.attempt('dara', `10.3.0.${i}`);
      expect((await throttle.locks(['dara'])).get('dara')).toEqual({ fromNewPlaces: true, places: 2 });
      // Only the accounts asked about.
      expect(await throttle.locks(['sok'])).toEqual(new Map());
      // Locks end with their windows.
      clock += WINDOW;
      expect((await throttle.locks(['dara'])).get('dara')).toEqual({ fromNewPlaces: true, places: 2 });
      clock += WINDOW;
      expect(await throttle.locks(['dara'])).toEqual(new Map());
    });

    it('unlock clears every count about the account at once, not the address\'s own count or other accounts', async () => {
      const cookie = await succeed('dara', '192.0.2.1');
      await fail(6, 'dara', '203.0.113.7');
      await fail(6, 'dara', '203.0.113.9', cookie);
      await fail(6, 'sok', '203.0.113.7');
      for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES; i++) await throttle.attempt('dara', `10.4.0.${i}`);
      expect(await throttle.unlock('dara')).toBeGreaterThanOrEqual(3);
      expect(await throttle.locks(['dara'])).toEqual(new Map());
      expect((await throttle.attempt('dara', '203.0.113.7')).locked).toBe(false);
      expect((await throttle.attempt('dara', '10.5.0.1')).locked).toBe(false);
      expect((await throttle.attempt('dara', '203.0.113.9', cookie)).locked).toBe(false);
      expect((await throttle.attempt('sok', '203.0.113.7')).locked).toBe(true);
      expect(await throttle.unlock('nobody')).toBe(0);
    });
  });

  it('the database forgets each count two windows after its window began, when it no longer decides anything', async () => {
    clock = T0 + 1234;
    await throttle.attempt('dara', '203.0.113.7');
    const counters = await throttle.collection.find({});
    expect(counters).toHaveLength(3);
    for (const c of counters) expect(c.expiresAt).toEqual(new Date(T0 + 2 * WINDOW));
  });

  it('the device cookie is staff_device, kept a year, and its value is cookie-safe', () => {
    expect(DEVICE_COOKIE).toBe('staff_device');
    expect(DEVICE_COOKIE_MAX_AGE_S).toBe(365 * 24 * 3600);
    // It goes into a Set-Cookie header as it is: base64url parts only.
    for (let i = 0; i < 20; i++) expect(throttle.deviceCookieValue('dara.sok_1')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{40,}$/);
  });

  it('counters are shared by every instance on the store', async () => {
    const other = new SignInThrottle(store, 'session-secret-for-tests', () => new Date(clock));
    await fail(3, 'dara', '203.0.113.7');
    for (let i = 0; i < 2; i++) await other.attempt('dara', '203.0.113.7');
    expect((await throttle.attempt('dara', '203.0.113.7')).locked).toBe(true);
    expect(await other.locks(['dara'])).toEqual(new Map([['dara', { fromNewPlaces: false, places: 1 }]]));
  });
});
