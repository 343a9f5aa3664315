import { Store } from '../store/store';

/** Sign-in attempts counted per fixed window... */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/** ...this many unproven attempts for one username within the current and previous window lock it... */
export const MAX_FAILURES_PER_USERNAME = 5;
/** ...and this many from one client address (many usernames guessed from one place). */
export const MAX_FAILURES_PER_ADDRESS = 20;

/**
 * Sign-in attempt counters in the database, so every app instance sees the same count. One
 * document per key and fixed window (`user:alice:<windowStart>`); the current and the previous
 * window together decide a lockout, so a lockout lasts between one and two windows. Documents
 * expire by TTL index on expiresAt.
 *
 * Counting and checking are one step: an attempt is counted (an atomic $inc that returns the new
 * count) before its password is checked, and only the attempts that fit under the limit go on to
 * the check. Four hundred guesses sent at once therefore reach scrypt at most five times, where
 * checking first and counting after the slow password check let every one of them through.
 * An attempt that turns out right, or that was never checked, is taken back.
 */
interface FailureCounter {
  _id: string;
  key: string;
  failures: number;
  expiresAt: Date;
}

export interface ThrottleVerdict {
  locked: boolean;
  /** Which key is locked: 'username' or 'address'. */
  reason?: 'username' | 'address';
  /** The counter documents this attempt was counted in, to take it back from. */
  counted: string[];
}

export class SignInThrottle {
  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {}
  get collection() {
    return this.store.collection<FailureCounter>('staff_sign_in_failures');
  }

  private windows(): number[] {
    const start = Math.floor(this.now().getTime() / THROTTLE_WINDOW_MS) * THROTTLE_WINDOW_MS;
    return [start, start - THROTTLE_WINDOW_MS];
  }

  /** Counts one attempt under `key` and returns the total over both windows, this attempt included. */
  private async countOne(key: string, current: number, previous: number): Promise<{ id: string; total: number }> {
    const id = `${key}:${current}`;
    const expiresAt = new Date(current + 2 * THROTTLE_WINDOW_MS);
    const [doc, before] = await Promise.all([
      this.collection.findOneAndUpdate({ _id: id }, { $inc: { failures: 1 }, $set: { key, expiresAt } }, { upsert: true }),
      this.collection.findOne({ _id: `${key}:${previous}` }),
    ]);
    return { id, total: (doc?.failures ?? 1) + (before?.failures ?? 0) };
  }

  /**
   * Counts this attempt against the username and the client address, atomically, and says
   * whether it may go on to the password check. Refused attempts are counted too (an attacker
   * who keeps trying stays locked), which cannot matter: they are over the limit already.
   */
  async attempt(username: string, address: string): Promise<ThrottleVerdict> {
    const [current, previous] = this.windows();
    const [user, ip] = await Promise.all([
      this.countOne(`user:${username}`, current, previous),
      this.countOne(`ip:${address}`, current, previous),
    ]);
    const counted = [user.id, ip.id];
    if (user.total > MAX_FAILURES_PER_USERNAME) return { locked: true, reason: 'username', counted };
    if (ip.total > MAX_FAILURES_PER_ADDRESS) return { locked: true, reason: 'address', counted };
    return { locked: false, counted };
  }

  /** Takes back an attempt that was counted but never checked (the server was too busy to check it). */
  async takeBack(verdict: ThrottleVerdict): Promise<void> {
    for (const id of verdict.counted) await this.collection.updateOne({ _id: id }, { $inc: { failures: -1 } });
  }

  /**
   * A correct password clears the username's count, and takes this attempt back from the
   * address's (earlier failures from the address stay: one success must not hide guessing).
   */
  async recordSuccess(username: string, verdict: ThrottleVerdict): Promise<void> {
    await this.collection.deleteMany({ key: `user:${username}` });
    const addressCounter = verdict.counted.find((id) => id.startsWith('ip:'));
    if (addressCounter) await this.collection.updateOne({ _id: addressCounter }, { $inc: { failures: -1 } });
  }
}
