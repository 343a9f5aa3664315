import * as crypto from 'node:crypto';
import { Store } from '../store/store';
import { sameSecret } from './sessions';

/** Sign-in attempts counted per fixed window; the current and the previous window together decide. */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/** Unproven attempts at one account from one address: that address is locked for that account. */
export const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
/** Unproven attempts from one address, whatever the username (one place guessing many names). */
export const MAX_FAILURES_PER_ADDRESS = 20;
/**
 * Unproven attempts at one account from all the places it never signed in from (many addresses
 * guessing one account): those places are locked for it, while its known places and devices are not.
 */
export const MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES = 30;
/** Unproven attempts with one device cookie: that device is locked (a stolen cookie gives no more). */
export const MAX_FAILURES_PER_DEVICE = 5;
/**
 * Refusals from one address answered at once within a window, past its failure limit; later ones
 * are answered after SLOW_REFUSAL_MS. A refusal costs the server little, but an attacker who posts
 * again as soon as answered would otherwise take the event loop from the call webhooks; the wait
 * costs nothing but a timer, and paces such a flood to one sign-in a second per connection.
 */
export const REFUSALS_AT_ONCE_PER_ADDRESS = 50;
export const SLOW_REFUSAL_MS = 1000;
/** An address that signed in to an account stays known for it this long after its last success. */
export const KNOWN_PLACE_MS = 90 * 24 * 60 * 60 * 1000;
/** The device cookie: set on every successful sign-in, sent back only to the sign-in form. */
export const DEVICE_COOKIE = 'staff_device';
export const DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;

/**
 * Why an attempt was refused: this account from this address; this address (any account); this
 * account from every place it never signed in from; this device cookie.
 */
export type LockReason = 'account-and-address' | 'address' | 'account-from-new-places' | 'device';

/**
 * Sign-in attempt counters in the database, so every app instance sees the same count. One
 * document per key and fixed window (`ip:203.0.113.7:<windowStart>`); the current and the
 * previous window together decide a lockout, so a lockout lasts between one and two windows.
 * Documents expire by TTL index on expiresAt.
 *
 * Counting and checking are one step: an attempt is counted (an atomic $inc that returns the new
 * count) before its password is checked, and only the attempts that fit under the limits go on to
 * the check. An attempt that turns out right, or that was never checked, is taken back.
 *
 * Nobody can lock an account's owner out from elsewhere (OWASP's "device cookies"): an attempt is
 * judged by where it comes from.
 * - With a device cookie from an earlier successful sign-in to this account (signed with the
 *   session secret): only that device's own count applies.
 * - From an address that signed in to this account before (remembered as a keyed hash, for
 *   KNOWN_PLACE_MS): only the count for this account from this address applies.
 * - From anywhere else: the count for this account from this address, for this address, and for
 *   this account from all new places together.
 * So failures from other addresses lock those addresses (and, past the last limit, every new
 * place) for the account, never its owner's browser or usual address; and an admin can clear an
 * account's counts at once (unlock), audited, from the accounts page or `npm run staff -- unlock`.
 */
interface FailureCounter {
  _id: string;
  key: string;
  /** The account the counter is about (absent for an address's own count): what unlock clears. */
  account?: string;
  window: number;
  failures: number;
  expiresAt: Date;
}

/** A place (account and address, as a keyed hash) that has signed in successfully. */
interface KnownPlace {
  _id: string;
  account: string;
  expiresAt: Date;
}

export interface ThrottleVerdict {
  locked: boolean;
  reason?: LockReason;
  /** How the attempt was judged: a device cookie of this account, an address known for it, or neither. */
  trust: 'device' | 'place' | 'new';
  /** The counter documents this attempt was counted in, to take it back from. */
  counted: string[];
  /** Attempts from this address in the current and previous window, this one included (not counted for a device). */
  addressAttempts?: number;
}

/** An account's current locks, for the accounts page. */
export interface AccountLocks {
  /** Every place it never signed in from is locked for it. */
  fromNewPlaces: boolean;
  /** How many single addresses or devices are locked for it. */
  places: number;
}

export class SignInThrottle {
  constructor(private readonly store: Store, private readonly secret: string, private readonly now: () => Date = () => new Date()) {}
  get collection() {
    return this.store.collection<FailureCounter>('staff_sign_in_failures');
  }
  get places() {
    return this.store.collection<KnownPlace>('staff_sign_in_places');
  }

  private windows(): number[] {
    const start = Math.floor(this.now().getTime() / THROTTLE_WINDOW_MS) * THROTTLE_WINDOW_MS;
    return [start, start - THROTTLE_WINDOW_MS];
  }

  private keyed(...parts: string[]): string {
    return crypto.createHmac('sha256', this.secret).update(parts.join('\0')).digest('base64url');
  }

  /** Counts one attempt under `key` and returns the total over both windows, this attempt included. */
  private async countOne(key: string, account: string | undefined): Promise<{ id: string; total: number }> {
    const [current, previous] = this.windows();
    const id = `${key}:${current}`;
    const expiresAt = new Date(current + 2 * THROTTLE_WINDOW_MS);
    const [doc, before] = await Promise.all([
      this.collection.findOneAndUpdate(
        { _id: id },
        { $inc: { failures: 1 }, $set: { key, window: current, expiresAt, ...(account ? { account } : {}) } },
        { upsert: true },
      ),
      this.collection.findOne({ _id: `${key}:${previous}` }),
    ]);
    return { id, total: (doc?.failures ?? 1) + (before?.failures ?? 0) };
  }

  /** A new device cookie's value for `username`: the name, a random id, and their signature. */
  deviceCookieValue(username: string): string {
    const id = crypto.randomBytes(16).toString('base64url');
    return `${Buffer.from(username).toString('base64url')}.${id}.${this.keyed('device', username, id)}`;
  }

  /** The device's id when `cookie` is a genuine device cookie of `username`, else null. */
  deviceOf(cookie: string | undefined, username: string): string | null {
    const [name, id, signature, ...rest] = (cookie ?? '').split('.');
    if (!name || !id || !signature || rest.length) return null;
    if (Buffer.from(name, 'base64url').toString() !== username) return null;
    return sameSecret(signature, this.keyed('device', username, id)) ? id : null;
  }

  private placeId(username: string, address: string): string {
    return this.keyed('place', username, address);
  }

  /**
   * Counts this attempt, atomically, under the keys that apply to where it comes from (see the
   * class comment), and says whether it may go on to the password check. Refused attempts are
   * counted too (an attacker who keeps trying stays locked). An address already locked is refused
   * after one count, so a flood of new usernames from it adds no counter per username.
   */
  async attempt(username: string, address: string, deviceCookie?: string): Promise<ThrottleVerdict> {
    const device = this.deviceOf(deviceCookie, username);
    if (device) {
      const d = await this.countOne(`device:${device}`, username);
      const locked = d.total > MAX_FAILURES_PER_DEVICE;
      return { locked, ...(locked ? { reason: 'device' as const } : {}), trust: 'device', counted: [d.id] };
    }
    const [ip, known] = await Promise.all([
      this.countOne(`ip:${address}`, undefined),
      this.places.findOne({ _id: this.placeId(username, address), expiresAt: { $gt: this.now() } }),
    ]);
    const trust = known ? 'place' : 'new';
    const addressAttempts = ip.total;
    if (!known && ip.total > MAX_FAILURES_PER_ADDRESS) return { locked: true, reason: 'address', trust, counted: [ip.id], addressAttempts };
    const [pair, account] = await Promise.all([
      this.countOne(`pair:${username}:${address}`, username),
      known ? null : this.countOne(`user:${username}`, username),
    ]);
    const counted = [ip.id, pair.id, ...(account ? [account.id] : [])];
    if (pair.total > MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS) return { locked: true, reason: 'account-and-address', trust, counted, addressAttempts };
    if (account && account.total > MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES) return { locked: true, reason: 'account-from-new-places', trust, counted, addressAttempts };
    return { locked: false, trust, counted, addressAttempts };
  }

  /** How long to wait before answering this refused attempt: 0, or SLOW_REFUSAL_MS once its address keeps trying. */
  static refusalDelayMs(verdict: ThrottleVerdict): number {
    return verdict.locked && (verdict.addressAttempts ?? 0) > MAX_FAILURES_PER_ADDRESS + REFUSALS_AT_ONCE_PER_ADDRESS ? SLOW_REFUSAL_MS : 0;
  }

  /** Takes back an attempt that was counted but never checked (the server was too busy to check it). */
  async takeBack(verdict: ThrottleVerdict): Promise<void> {
    for (const id of verdict.counted) await this.collection.updateOne({ _id: id }, { $inc: { failures: -1 } });
  }

  /**
   * A correct password clears this account's count from this address or device, takes this
   * attempt back from the others (earlier failures from the address or from new places stay: one
   * success must not hide guessing), remembers the address as known for the account, and returns
   * a new device cookie value for the browser.
   */
  async recordSuccess(username: string, address: string, verdict: ThrottleVerdict): Promise<string> {
    const own = verdict.counted.filter((id) => id.startsWith('pair:') || id.startsWith('device:'));
    const others = verdict.counted.filter((id) => !own.includes(id));
    for (const id of own) await this.collection.deleteMany({ key: id.slice(0, id.lastIndexOf(':')) });
    for (const id of others) await this.collection.updateOne({ _id: id }, { $inc: { failures: -1 } });
    await this.places.updateOne(
      { _id: this.placeId(username, address) },
      { $set: { account: username, expiresAt: new Date(this.now().getTime() + KNOWN_PLACE_MS) } },
      { upsert: true },
    );
    return this.deviceCookieValue(username);
  }

  /** Clears every count about `username` (from single addresses, new places, devices). Returns how many were cleared. */
  unlock(username: string): Promise<number> {
    return this.collection.deleteMany({ account: username });
  }

  /** The current locks of these accounts (an account with none is left out). */
  async locks(usernames: readonly string[]): Promise<Map<string, AccountLocks>> {
    const [, previous] = this.windows();
    const counters = await this.collection.find({ account: { $in: [...usernames] }, window: { $gte: previous } });
    const totals = new Map<string, { account: string; failures: number }>();
    for (const c of counters) {
      const t = totals.get(c.key) ?? { account: c.account!, failures: 0 };
      t.failures += c.failures;
      totals.set(c.key, t);
    }
    const out = new Map<string, AccountLocks>();
    for (const [key, { account, failures }] of totals) {
      const kind = key.slice(0, key.indexOf(':'));
      const limit = kind === 'user' ? MAX_FAILURES_PER_ACCOUNT_FROM_NEW_PLACES : kind === 'device' ? MAX_FAILURES_PER_DEVICE : MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS;
      // A lock starts at the attempt after the limit.
      if (failures < limit) continue;
      const locks = out.get(account) ?? { fromNewPlaces: false, places: 0 };
      if (kind === 'user') locks.fromNewPlaces = true;
      else locks.places += 1;
      out.set(account, locks);
    }
    return out;
  }
}
