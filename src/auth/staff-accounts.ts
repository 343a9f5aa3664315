import { DuplicateKeyError, NotFoundError } from '../errors';
import { Store } from '../store/store';
import { hashPassword } from './passwords';
import { StaffRole } from './roles';

/** A staff member who signs in to /staff. Usernames are case-insensitive: _id is the lower-case form. */
export interface StaffAccount {
  _id: string;
  role: StaffRole;
  passwordHash: string;
  disabled: boolean;
  createdAt: Date;
  passwordChangedAt: Date;
  /**
   * Set when an admin gave the person a temporary password (a new account, a reset): the next
   * sign-in leads only to choosing a new password. Absent on older accounts (false).
   */
  mustChangePassword?: boolean;
}

/**
 * How long a temporary password (from an admin) can be used: long enough to reach a colleague
 * over a weekend, short enough that one read off a screen or a note does not stay a way in.
 */
export const TEMPORARY_PASSWORD_HOURS = 72;

/** A temporary password not replaced within TEMPORARY_PASSWORD_HOURS no longer signs in. */
export function temporaryPasswordExpired(account: Pick<StaffAccount, 'mustChangePassword' | 'passwordChangedAt'>, now = new Date()): boolean {
  return Boolean(account.mustChangePassword) && now.getTime() - new Date(account.passwordChangedAt).getTime() > TEMPORARY_PASSWORD_HOURS * 3_600_000;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,31}$/;

export function normalizeUsername(name: string): string {
  return name.trim().toLowerCase();
}

export class StaffAccountsRepository {
  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {}
  get collection() {
    return this.store.collection<StaffAccount>('staff_accounts');
  }

  /** Throws DuplicateKeyError when the username is taken. */
  async create(username: string, role: StaffRole, password: string, opts: { temporary?: boolean } = {}): Promise<StaffAccount> {
    const at = this.now();
    const account: StaffAccount = {
      _id: normalizeUsername(username), role, passwordHash: await hashPassword(password), disabled: false, createdAt: at, passwordChangedAt: at,
      ...(opts.temporary ? { mustChangePassword: true } : {}),
    };
    await this.collection.insertOne(account);
    return account;
  }

  find(username: string): Promise<StaffAccount | null> {
    return this.collection.findOne({ _id: normalizeUsername(username) });
  }

  list(): Promise<StaffAccount[]> {
    return this.collection.find({}, { sort: { _id: 1 } });
  }

  /** A temporary password (an admin's reset) must be changed at the next sign-in; any other clears that. */
  async setPassword(username: string, password: string, opts: { temporary?: boolean } = {}): Promise<void> {
    const r = await this.collection.updateOne(
      { _id: normalizeUsername(username) },
      { $set: { passwordHash: await hashPassword(password), passwordChangedAt: this.now(), mustChangePassword: Boolean(opts.temporary) } },
    );
    if (r.matched === 0) throw new NotFoundError(`no staff account ${username}`);
  }

  async setRole(username: string, role: StaffRole): Promise<void> {
    const r = await this.collection.updateOne({ _id: normalizeUsername(username) }, { $set: { role } });
    if (r.matched === 0) throw new NotFoundError(`no staff account ${username}`);
  }

  async setDisabled(username: string, disabled: boolean): Promise<void> {
    const r = await this.collection.updateOne({ _id: normalizeUsername(username) }, { $set: { disabled } });
    if (r.matched === 0) throw new NotFoundError(`no staff account ${username}`);
  }
}

export { DuplicateKeyError };
