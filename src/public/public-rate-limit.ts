/**
 * The public pages' own rate limit: requests per client address per minute, counted in the
 * database (like the sign-in throttle, src/auth/sign-in-throttle.ts), so every instance behind a
 * load balancer counts together. The address is kept only as a keyed hash, and each counter is
 * deleted by the database two minutes after its minute (TTL index on expiresAt). Behind a proxy
 * the address is the one TRUST_PROXY lets Express believe (req.ip), as on the staff side.
 */
import * as crypto from 'node:crypto';
import { Store } from '../store/store';

export const PUBLIC_RATE_WINDOW_MS = 60_000;

interface PublicRateCounter {
  _id: string;
  requests: number;
  expiresAt: Date;
}

export class PublicRateLimit {
  constructor(
    private readonly store: Store,
    private readonly secret: string,
    readonly perMinute: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get counters() {
    return this.store.collection<PublicRateCounter>('public_rate_limits');
  }

  /** Counts one request from `address`; returns whether it is over the limit and the seconds until the window ends. */
  async hit(address: string): Promise<{ over: boolean; retryAfterSeconds: number }> {
    const at = this.now().getTime();
    const window = Math.floor(at / PUBLIC_RATE_WINDOW_MS) * PUBLIC_RATE_WINDOW_MS;
    const key = crypto.createHmac('sha256', this.secret).update(`public-rate\0${address}`).digest('base64url');
    const doc = await this.counters.findOneAndUpdate(
      { _id: `${key}:${window}` },
      { $inc: { requests: 1 }, $set: { expiresAt: new Date(window + 2 * PUBLIC_RATE_WINDOW_MS) } },
      { upsert: true },
    );
    const requests = doc?.requests ?? 1;
    return { over: requests > this.perMinute, retryAfterSeconds: Math.max(1, Math.ceil((window + PUBLIC_RATE_WINDOW_MS - at) / 1000)) };
  }
}
