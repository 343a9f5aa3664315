import * as crypto from 'node:crypto';
import { DuplicateKeyError } from '../errors';
import { Store } from '../store/store';

/**
 * What staff did: every action the audit log records. The list is closed so that each has words
 * on the audit page in both languages (audit.action.<code> in src/staff/i18n/messages.json; the
 * catalog test fails on one without) and the page can offer them in a select filter.
 */
export const AUDIT_ACTIONS = [
  'sign-in', 'sign-in-failed', 'sign-in-locked', 'sign-in-busy', 'sign-in-temporary-expired', 'sign-out',
  'list-messages', 'view-message', 'play-message', 'change-state', 'add-note', 'find-message',
  'take-message', 'assign-message', 'release-message',
  'answer-call', 'answer-recorded', 'answer-call-queued',
  'view-outbound', 'outbound-pause', 'outbound-resume', 'outbound-purge', 'outbound-block', 'outbound-unblock',
  'view-report', 'download-report',
  'list-places', 'play-place', 'confirm-place',
  'add-round', 'round-dates', 'round-state', 'round-result', 'view-meeting-pack',
  'view-jaap', 'add-jaap', 'add-jaap-item', 'jaap-item-status', 'export-jaap', 'export-jaap-results', 'import-jaap',
  'import-dcs-report',
  'view-provider-pins', 'set-provider-pin', 'provider-pin-accepted', 'provider-pin-refused', 'provider-pin-locked',
  'studio-save', 'studio-save-refused', 'studio-undo', 'try-the-line',
  'view-audit-log', 'view-accounts', 'add-account', 'change-password', 'reset-password',
  'change-own-password', 'change-own-password-failed', 'change-own-password-locked', 'change-role', 'unlock-account', 'disable-account', 'enable-account',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  _id: string;
  at: Date;
  /** Staff username, or the username tried for a failed sign-in. */
  username: string;
  action: AuditAction;
  messageId?: string;
  /** Short details: the new state, the filter used; never a password, note text stays in the message. */
  detail?: Record<string, string | number | boolean | string[]>;
  address?: string;
}

/** Repeated refusals are merged into one entry per kind, address and detail within this window. */
export const REPEATED_REFUSAL_WINDOW_MS = 15 * 60 * 1000;
/** A merged refusal keeps this many different usernames tried, as samples. */
export const MERGED_USERNAME_SAMPLES = 5;

/**
 * Append-only, except for two things: a repeated refusal updates its one merged entry's count
 * (recordRepeated), and entries older than the retention rule are deleted (src/staff/audit-retention.ts).
 */
export class AuditLog {
  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {}
  get collection() {
    return this.store.collection<AuditEntry>('staff_audit');
  }

  private static lastIdTime = 0;
  private static sameTimeSequence = 0;

  private static newId(at: Date): string {
    // Time first so ids sort like entries; then a sequence, so two entries this process makes in
    // one millisecond keep their order (an account added, then its role changed); a random tail
    // so two instances' entries never collide.
    const time = at.getTime();
    AuditLog.sameTimeSequence = time === AuditLog.lastIdTime ? AuditLog.sameTimeSequence + 1 : 0;
    AuditLog.lastIdTime = time;
    return `${time.toString(36).padStart(9, '0')}-${AuditLog.sameTimeSequence.toString(36).padStart(3, '0')}${crypto.randomBytes(6).toString('hex')}`;
  }

  async record(entry: Omit<AuditEntry, '_id' | 'at'>): Promise<void> {
    const at = this.now();
    await this.collection.insertOne({ _id: AuditLog.newId(at), at, ...entry });
  }

  /**
   * A refusal that an attacker can repeat hundreds of times a second (sign-ins refused by a lock,
   * a busy sign-in): one entry per action, address, detail and 15-minute window, whatever the
   * username, so a flood with a new username on every request still adds one entry. Its username
   * is the first one tried, detail.usernames up to MERGED_USERNAME_SAMPLES different ones,
   * detail.count how many times it happened and detail.lastAt when it last did. Returns the count
   * including this one.
   */
  async recordRepeated(entry: Omit<AuditEntry, '_id' | 'at'> & { detail?: Record<string, string> }): Promise<number> {
    const at = this.now();
    const window = Math.floor(at.getTime() / REPEATED_REFUSAL_WINDOW_MS) * REPEATED_REFUSAL_WINDOW_MS;
    const key = crypto.createHash('sha256').update(JSON.stringify([entry.action, entry.address ?? '', entry.detail ?? {}, window])).digest('hex');
    const _id = `${window.toString(36).padStart(9, '0')}-r${key.slice(0, 16)}`;
    const update = { $set: { 'detail.lastAt': at.toISOString() }, $inc: { 'detail.count': 1 } };
    // Nearly always the entry exists: one update. The first of a window inserts it (a second
    // request racing to insert the same one updates instead).
    let merged = await this.collection.findOneAndUpdate({ _id }, update);
    if (!merged) {
      const first: AuditEntry = {
        _id, at, username: entry.username, action: entry.action, ...(entry.address ? { address: entry.address } : {}),
        ...(entry.messageId ? { messageId: entry.messageId } : {}),
        detail: { ...entry.detail, usernames: [entry.username], count: 1, lastAt: at.toISOString() },
      };
      try {
        await this.collection.insertOne(first);
        return 1;
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
        merged = await this.collection.findOneAndUpdate({ _id }, update);
      }
    }
    const samples = merged?.detail?.usernames;
    if (Array.isArray(samples) && samples.length < MERGED_USERNAME_SAMPLES && !samples.includes(entry.username)) {
      // Only while there is room: the entry never grows with the flood.
      await this.collection.updateOne(
        { _id, [`detail.usernames.${MERGED_USERNAME_SAMPLES - 1}`]: { $exists: false } },
        { $addToSet: { 'detail.usernames': entry.username } },
      );
    }
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
