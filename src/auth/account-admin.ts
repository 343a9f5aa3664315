import { BadRequestError, DuplicateKeyError } from '../errors';
import { Store } from '../store/store';
import { passwordProblem } from './passwords';
import { StaffRole } from './roles';
import { SessionsRepository } from './sessions';
import { normalizeUsername, StaffAccount, StaffAccountsRepository, USERNAME_PATTERN } from './staff-accounts';

/**
 * Account administration as the command line (scripts/staff.ts) does it. Changing a password or
 * disabling an account signs that person out everywhere at once.
 */
export class AccountAdmin {
  readonly accounts: StaffAccountsRepository;
  readonly sessions: SessionsRepository;
  constructor(store: Store, sessionSecret: string) {
    this.accounts = new StaffAccountsRepository(store);
    this.sessions = new SessionsRepository(store, sessionSecret);
  }

  static checkUsername(username: string): string {
    const name = normalizeUsername(username);
    if (!USERNAME_PATTERN.test(name)) {
      throw new BadRequestError(`"${username}" is not a valid username: 2 to 32 letters, digits, dot, dash or underscore, starting with a letter or digit`);
    }
    return name;
  }

  static checkPassword(password: string): void {
    const problem = passwordProblem(password);
    if (problem) throw new BadRequestError(problem);
  }

  async add(username: string, role: StaffRole, password: string): Promise<StaffAccount> {
    const name = AccountAdmin.checkUsername(username);
    AccountAdmin.checkPassword(password);
    try {
      return await this.accounts.create(name, role, password);
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new BadRequestError(`the username ${name} is already taken`, { cause: err });
      throw err;
    }
  }

  async changePassword(username: string, password: string): Promise<number> {
    AccountAdmin.checkPassword(password);
    await this.accounts.setPassword(username, password);
    return this.sessions.endAllFor(normalizeUsername(username));
  }

  async setDisabled(username: string, disabled: boolean): Promise<number> {
    await this.accounts.setDisabled(username, disabled);
    return disabled ? this.sessions.endAllFor(normalizeUsername(username)) : 0;
  }

  async setRole(username: string, role: StaffRole): Promise<number> {
    await this.accounts.setRole(username, role);
    // Sessions carry the role they were opened with: end them so the new role applies at once.
    return this.sessions.endAllFor(normalizeUsername(username));
  }

  list(): Promise<StaffAccount[]> {
    return this.accounts.list();
  }
}
