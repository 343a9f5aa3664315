import { Store } from '../store/store';

/**
 * When the app last talked to the carrier's API, and how it went: one record in the database
 * that every instance's workers (the recording downloads, the callback calls) write, so /health
 * on any instance behind the load balancer says the same. Reasons are the clients' own messages,
 * which never carry credentials (URLs are redacted by the clients), cut short.
 */
export interface CarrierContactRecord {
  _id: 'carrier';
  lastOkAt?: Date;
  lastOkVia?: string;
  lastFailureAt?: Date;
  lastFailureVia?: string;
  lastFailureReason?: string;
}

export const CARRIER_CONTACT_COLLECTION = 'ops_status';

/** An ok is written at most this often by one instance while nothing failed in between: a write per download would be wasted. */
const OK_REWRITE_MS = 60_000;

export class CarrierContact {
  private lastOkWritten = 0;
  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {}

  private get records() {
    return this.store.collection<CarrierContactRecord>(CARRIER_CONTACT_COLLECTION);
  }

  /** The carrier answered a request as it should (a download, a delete, a call created). Never throws. */
  async ok(via: string): Promise<void> {
    const at = this.now();
    if (at.getTime() - this.lastOkWritten < OK_REWRITE_MS) return;
    try {
      await this.records.updateOne({ _id: 'carrier' }, { $set: { lastOkAt: at, lastOkVia: via } }, { upsert: true });
      this.lastOkWritten = at.getTime();
    } catch {
      // Only a note for /health: the work itself goes on.
    }
  }

  /** The carrier could not be reached or answered with an error that is not about one request. Never throws. */
  async failed(via: string, reason: string): Promise<void> {
    this.lastOkWritten = 0;
    try {
      await this.records.updateOne(
        { _id: 'carrier' },
        { $set: { lastFailureAt: this.now(), lastFailureVia: via, lastFailureReason: withoutNumbers(reason).slice(0, 200) } },
        { upsert: true },
      );
    } catch {
      // As above.
    }
  }

  async read(): Promise<CarrierContactRecord | null> {
    return this.records.findOne({ _id: 'carrier' });
  }
}

/** Phone numbers never reach this record (nor /health), even inside a carrier's error text. */
export function withoutNumbers(text: string): string {
  return text.replace(/\+?\d[\d\s().-]{5,}\d/g, '[number]');
}
