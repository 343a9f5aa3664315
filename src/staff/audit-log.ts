import * as crypto from 'node:crypto';
import { DuplicateKeyError } from '../errors';
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

/** Repeated refusals are merged into one entry per kind, username and address within this window. */
export const REPEATED_REFUSAL_WINDOW_MS = 15 * 60 * 1000;

/**
 * Append-only, except for two things: a repeated refusal updates its one merged entry's count
 * (recordRepeated), and entries older than the retention rule are deleted (src/staff/audit-retention.ts).
 */
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
   * A refusal that an attacker can repeat hundreds of times a second (sign-ins for a locked
   * username, a busy sign-in): one entry per action, username and address and 15-minute window,
   * whose detail.count says how many times it happened and detail.lastAt when it last did. So a
   * flood adds a handful of entries, not one per request. Returns the count including this one.
   */
  async recordRepeated(entry: Omit<AuditEntry, '_id' | 'at'> & { detail?: Record<string, string> }): Promise<number> {
    const at = this.now();
    const window = Math.floor(at.getTime() / REPEATED_REFUSAL_WINDOW_MS) * REPEATED_REFUSAL_WINDOW_MS;
    const key = crypto.createHash('sha256').update(JSON.stringify([entry.action, entry.username, entry.address ?? '', window])).digest('hex');
    const _id = `${window.toString(36).padStart(9, '0')}-r${key.slice(0, 16)}`;
    const set: Record<string, unknown> = { username: entry.username, action: entry.action, 'detail.lastAt': at.toISOString() };
    if (entry.address) set.address = entry.address;
    if (entry.messageId) set.messageId = entry.messageId;
    for (const [k, v] of Object.entries(entry.detail ?? {})) set[`detail.${k}`] = v;
    const merged = await this.collection.findOneAndUpdate(
      { _id },
      { $set: set, $min: { at }, $inc: { 'detail.count': 1 } },
      { upsert: true },
    );
    return Number(merged?.detail?.count ?? 1);
  }

  /**
   * Records `entry` only the first time `onceKey` is seen (e.g. one play per session and message,
   * however many range requests the player makes). The claim is an insert into
   * staff_audit_once, unique by _id, so two requests at once still make one entry; claims expire
   * after `forMs` (a session's lifetime). Returns whether the entry was written.
   */
  async recordOnce(onceKey: string, forMs: number, entry: Omit<AuditEntry, '_id' | 'at'>): Promise<boolean> {
    const _id = crypto.createHash('sha256').update(onceKey).digest('hex');
    try {
      await this.store.collection<{ _id: string; expiresAt: Date }>('staff_audit_once').insertOne({ _id, expiresAt: new Date(this.now().getTime() + forMs) });
    } catch (err) {
      if (err instanceof DuplicateKeyError) return false;
      throw err;
    }
    await this.record(entry);
    return true;
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
