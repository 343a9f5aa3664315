import { BadRequestError, DuplicateKeyError, NotFoundError } from '../errors';
import { AuditAction, AuditLog } from '../staff/audit-log';
import { Store } from '../store/store';
import { passwordProblem, passwordProblemOf, temporaryPassword } from './passwords';
import { StaffRole } from './roles';
import { SessionsRepository } from './sessions';
import { SignInThrottle } from './sign-in-throttle';
import { normalizeUsername, StaffAccount, StaffAccountsRepository, USERNAME_PATTERN } from './staff-accounts';

/**
 * Account administration as the command line (scripts/staff.ts) does it. Changing a password or
 * disabling an account signs that person out everywhere at once.
 *
 * With `auditAs`, every change is written to the staff audit log under that name (the command
 * line passes "command line (<system user>)"); the web pages write their own entries, with the
 * signed-in admin's name, so they leave it out.
 */
export class AccountAdmin {
  readonly accounts: StaffAccountsRepository;
  readonly sessions: SessionsRepository;
  readonly throttle: SignInThrottle;
  private readonly audit?: AuditLog;
  constructor(store: Store, sessionSecret: string, private readonly opts: { auditAs?: string } = {}) {
    this.accounts = new StaffAccountsRepository(store);
    this.sessions = new SessionsRepository(store, sessionSecret);
    this.throttle = new SignInThrottle(store, sessionSecret);
    if (opts.auditAs) this.audit = new AuditLog(store);
  }

  private async audited(action: AuditAction, detail: Record<string, string | number | boolean>): Promise<void> {
    if (this.audit) await this.audit.record({ username: this.opts.auditAs!, action, detail });
  }

  static checkUsername(username: string): string {
    const name = normalizeUsername(username);
    if (!USERNAME_PATTERN.test(name)) {
      throw new BadRequestError(`"${username}" is not a valid username: 2 to 32 letters, digits, dot, dash or underscore, starting with a letter or digit`, { key: 'accounts.bad-username' });
    }
    return name;
  }

  /** Refuses a password the rules refuse: the command line's words as the message, the catalog's key for a page. */
  static checkPassword(password: string, username?: string): void {
    const problem = passwordProblemOf(password, username);
    if (problem) {
      const { code, ...vars } = problem;
      throw new BadRequestError(passwordProblem(password, username)!, { key: `password.problem.${code}`, vars });
    }
  }

  async add(username: string, role: StaffRole, password: string): Promise<StaffAccount> {
    const name = AccountAdmin.checkUsername(username);
    AccountAdmin.checkPassword(password, name);
    const account = await this.create(name, role, password, false);
    await this.audited('add-account', { account: name, role });
    return account;
  }

  /**
   * A new account with a temporary password (the web page's way): the admin gives it to the
   * person, who must choose their own at the first sign-in. The password is returned once and
   * kept nowhere but as its hash.
   */
  async addWithTemporaryPassword(username: string, role: StaffRole): Promise<{ account: StaffAccount; temporaryPassword: string }> {
    const name = AccountAdmin.checkUsername(username);
    const password = temporaryPassword(name);
    const account = await this.create(name, role, password, true);
    await this.audited('add-account', { account: name, role, temporaryPassword: true });
    return { account, temporaryPassword: password };
  }

  private async create(name: string, role: StaffRole, password: string, temporary: boolean): Promise<StaffAccount> {
    try {
      return await this.accounts.create(name, role, password, { temporary });
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new BadRequestError(`the username ${name} is already taken`, { cause: err, key: 'accounts.name-taken', vars: { user: name } });
      throw err;
    }
  }

  /**
   * Replaces a forgotten password with a temporary one and signs the person out everywhere; they
   * must choose their own at the next sign-in. Returns the password (once) and the sessions ended.
   */
  async resetPassword(username: string): Promise<{ temporaryPassword: string; sessionsEnded: number }> {
    const name = normalizeUsername(username);
    const password = temporaryPassword(name);
    await this.accounts.setPassword(name, password, { temporary: true });
    const ended = await this.sessions.endAllFor(name);
    await this.audited('reset-password', { account: name, sessionsEnded: ended });
    return { temporaryPassword: password, sessionsEnded: ended };
  }

  async changePassword(username: string, password: string): Promise<number> {
    const name = normalizeUsername(username);
    AccountAdmin.checkPassword(password, name);
    await this.accounts.setPassword(name, password);
    const ended = await this.sessions.endAllFor(name);
    await this.audited('change-password', { account: name, sessionsEnded: ended });
    return ended;
  }

  async setDisabled(username: string, disabled: boolean): Promise<number> {
    const name = normalizeUsername(username);
    await this.accounts.setDisabled(name, disabled);
    const ended = disabled ? await this.sessions.endAllFor(name) : 0;
    await this.audited(disabled ? 'disable-account' : 'enable-account', { account: name, sessionsEnded: ended });
    return ended;
  }

  async setRole(username: string, role: StaffRole): Promise<number> {
    const name = normalizeUsername(username);
    await this.accounts.setRole(name, role);
    // Sessions carry the role they were opened with: end them so the new role applies at once.
    const ended = await this.sessions.endAllFor(name);
    await this.audited('change-role', { account: name, role, sessionsEnded: ended });
    return ended;
  }

  /**
   * Lets the account sign in again from everywhere at once: clears its sign-in failure counts
   * (from single addresses, from new places, from devices). Returns how many counts were cleared.
   */
  async unlock(username: string): Promise<number> {
    const name = normalizeUsername(username);
    if (!(await this.accounts.find(name))) throw new NotFoundError(`there is no account ${name}`, { key: 'accounts.not-found' });
    const cleared = await this.throttle.unlock(name);
    await this.audited('unlock-account', { account: name, countsCleared: cleared });
    return cleared;
  }

  list(): Promise<StaffAccount[]> {
    return this.accounts.list();
  }
}
