/**
 * At most this many password checks (scrypt, 32 MiB and about 100 ms each) run at once in this
 * process. scrypt runs on Node's worker pool (4 threads by default), which the embedded store's
 * file reads and writes share: with every thread hashing, a caller's webhook waits behind the
 * guesses (the audit measured 10.9 s and error.system during a burst of 400 sign-ins). Two
 * leave the other threads to the calls.
 */
export const MAX_CONCURRENT_PASSWORD_CHECKS = 2;

/**
 * Bounds concurrent password checks; a check beyond the bound is refused at once (the sign-in
 * answers 429 and the person tries again) rather than queued, so a burst cannot build a backlog.
 * This counter protects this process's own threads, so it lives in this process: each app
 * instance has its own worker pool and its own bound. (The lockout counters, which every
 * instance must share, are in the database: src/auth/sign-in-throttle.ts.)
 */
export class PasswordCheckGate {
  private running = 0;
  constructor(readonly max = MAX_CONCURRENT_PASSWORD_CHECKS) {}

  /** Runs `check` if a slot is free; returns 'busy' without running it otherwise. */
  async run<T>(check: () => Promise<T>): Promise<T | 'busy'> {
    if (this.running >= this.max) return 'busy';
    this.running += 1;
    try {
      return await check();
    } finally {
      this.running -= 1;
    }
  }
}
