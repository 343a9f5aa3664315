import { Store } from '../store/store';

/** Failed sign-ins counted per fixed window... */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/** ...this many failures for one username within the current and previous window lock it... */
export const MAX_FAILURES_PER_USERNAME = 5;
/** ...and this many from one address (many usernames guessed from one place). */
export const MAX_FAILURES_PER_ADDRESS = 20;

/**
 * Sign-in failure counters in the database, so every app instance sees the same count. One
 * document per key and fixed window (`user:alice:<windowStart>`), incremented atomically with an
 * upsert; the current and the previous window together decide a lockout, so a lockout lasts
 * between one and two windows. Documents expire by TTL index on expiresAt.
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

  private async count(key: string): Promise<number> {
    const ids = this.windows().map((w) => `${key}:${w}`);
    const docs = await this.collection.find({ _id: { $in: ids } });
    return docs.reduce((sum, d) => sum + (d.failures ?? 0), 0);
  }

  async check(username: string, address: string): Promise<ThrottleVerdict> {
    if ((await this.count(`user:${username}`)) >= MAX_FAILURES_PER_USERNAME) return { locked: true, reason: 'username' };
    if ((await this.count(`ip:${address}`)) >= MAX_FAILURES_PER_ADDRESS) return { locked: true, reason: 'address' };
    return { locked: false };
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const [current] = this.windows();
    const expiresAt = new Date(current + 2 * THROTTLE_WINDOW_MS);
    for (const key of [`user:${username}`, `ip:${address}`]) {
      await this.collection.updateOne({ _id: `${key}:${current}` }, { $inc: { failures: 1 }, $set: { key, expiresAt } }, { upsert: true });
    }
  }

  /** A correct password clears the username's count (not the address's: one success must not hide guessing). */
  async recordSuccess(username: string): Promise<void> {
    await this.collection.deleteMany({ key: `user:${username}` });
  }
}
