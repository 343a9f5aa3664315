import { Logger } from '../logging/logger';
import { AuditEntry } from './audit-log';
import { Store } from '../store/store';

/** How often the retention rule is applied while the server runs (and once at start-up). */
export const AUDIT_RETENTION_SWEEP_MS = 6 * 60 * 60 * 1000;

/**
 * The audit log's retention rule: entries older than AUDIT_RETENTION_DAYS (default 400, at least
 * 90) are deleted, so the log keeps a year of what staff did and does not grow without end. A
 * sweep rather than a TTL index, so changing the setting takes effect at the next start-up
 * without rebuilding an index; every app instance may sweep, deleting twice is harmless.
 */
export class AuditRetention {
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly store: Store,
    private readonly retentionDays: number,
    private readonly logger?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Deletes the entries older than the rule; returns how many. */
  async sweep(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * 24 * 60 * 60 * 1000);
    const deleted = await this.store.collection<AuditEntry>('staff_audit').deleteMany({ at: { $lt: cutoff } });
    if (deleted) this.logger?.info({ deleted, olderThanDays: this.retentionDays }, 'audit-log entries past the retention rule deleted');
    return deleted;
  }

  start(): void {
    const run = () => void this.sweep().catch((err: Error) => this.logger?.warn({ err: err.message }, 'audit-log retention sweep failed; it runs again later'));
    run();
    this.timer = setInterval(run, AUDIT_RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
