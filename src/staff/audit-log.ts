import * as crypto from 'node:crypto';
import { Store } from '../store/store';

/** What staff did. Views, plays and changes of messages, and everything about accounts and sign-in. */
export type AuditAction =
  | 'sign-in' | 'sign-in-failed' | 'sign-in-locked' | 'sign-out'
  | 'list-messages' | 'view-message' | 'play-message' | 'change-state' | 'add-note'
  | 'view-audit-log' | 'try-the-line' | 'view-report'
  | (string & {});

export interface AuditEntry {
  _id: string;
  at: Date;
  /** Staff username, or the username tried for a failed sign-in. */
  username: string;
  action: AuditAction;
  messageId?: string;
  /** Short details: the new state, the filter used; never a password, note text stays in the message. */
  detail?: Record<string, string | number | boolean>;
  address?: string;
}

/** Append-only: nothing in the app updates or deletes an entry. */
export class AuditLog {
  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {}
  get collection() {
    return this.store.collection<AuditEntry>('staff_audit');
  }

  async record(entry: Omit<AuditEntry, '_id' | 'at'>): Promise<void> {
    const at = this.now();
    // Time first so ids sort like entries; random tail so two entries in one millisecond differ.
    const _id = `${at.getTime().toString(36).padStart(9, '0')}-${crypto.randomBytes(6).toString('hex')}`;
    await this.collection.insertOne({ _id, at, ...entry });
  }

  /**
   * One page of entries, newest first, found by the database: a range on `at` (indexed) for the
   * dates, skip and limit for the page, so a view never reads the whole log into this process.
   */
  async page(filter: AuditFilter, page: number, perPage: number): Promise<{ entries: AuditEntry[]; total: number }> {
    const query: Record<string, unknown> = {};
    if (filter.username) query.username = filter.username;
    if (filter.messageIds) query.messageId = { $in: [...filter.messageIds] };
    else if (filter.messageId) query.messageId = filter.messageId;
    if (filter.action) query.action = filter.action;
    if (filter.from || filter.to) {
      query.at = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) };
    }
    const [entries, total] = await Promise.all([
      this.collection.find(query, { sort: { at: -1, _id: -1 }, skip: (page - 1) * perPage, limit: perPage }),
      this.collection.countDocuments(query),
    ]);
    return { entries, total };
  }
}

export interface AuditFilter {
  username?: string;
  messageId?: string;
  /** Any of these messages (a reference number can name more than one over the years). */
  messageIds?: readonly string[];
  action?: string;
  /** Inclusive range on `at`. */
  from?: Date;
  to?: Date;
}
