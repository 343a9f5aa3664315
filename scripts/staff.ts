/**
 * npm run staff -- <command>: staff accounts for the /staff web app, from the command line
 * (the first admin is created this way at set-up). Passwords are read from standard input.
 */
import * as os from 'node:os';
import { AccountAdmin } from '../src/auth/account-admin';
import { isStaffRole, STAFF_ROLES, StaffRole } from '../src/auth/roles';
import { loadToolConfig, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { AppError, BadRequestError, ConfigError, NotFoundError } from '../src/errors';
import { openStore } from '../src/store/open-store';
import { buildOutbound, typedPhoneNumber } from '../src/outbound/outbound';
import { callerIdFor } from '../src/store/callers';
import { AuditLog } from '../src/staff/audit-log';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { indicatorIds, loadScorecard } from '../src/scorecard/scorecard';
import { loadProgrammeAreas } from '../src/site/programme-areas';
import { parseProviderTarget, ProviderPinsRepository } from '../src/rounds/provider-pins';
import { CountersRepository } from '../src/store/counters';

const HELP = `Usage: npm run staff -- <command> [options]

Manages staff accounts of the /staff web app (voice messages, try the line, reports).

Commands:
  add <username> --role ROLE   create an account; the password is read from standard input
  passwd <username>            set a new password (from standard input); signs the person out everywhere
  role <username> --role ROLE  change the role; signs the person out everywhere
  disable <username>           refuse sign-in and end every session of the account
  enable <username>            allow sign-in again
  unlock <username>            clear the account's failed sign-in counts, so it can sign in again
                               from everywhere at once (after a guessing attack locked it)
  list                         show every account, its role and whether it is disabled
  block-number [NUMBER]        never call this phone number back (missed-call callbacks and answer
                               calls); its owed callbacks end. The number is read from standard
                               input when not given (keeps it out of the shell history), hashed at
                               once with CALLER_HASH_SECRET and never stored; prints the caller id
  unblock-number [NUMBER]      allow callbacks to this number again
  provider-pin TARGET          set (or reset) a service provider's PIN for the phone self-assessment
                               and print it with the provider number: the only time the PIN is
                               shown (it is kept as a keyed hash). TARGET is a facility id of the
                               programme areas, or COMMUNE:SERVICE (120101:health) where no facility
                               is named. A reset makes the old PIN stop working at once.

Roles: admin (everything, including the audit log), reviewer (listen, change states, add notes),
viewer (read and listen only).

The password is asked twice without echo on a terminal, or read as the first line of a pipe:
  npm run staff -- add sokha --role admin
  printf '%s\\n' "$PASSWORD" | npm run staff -- add dara --role reviewer
Passwords need at least 12 characters, not a common password (see src/auth/common-passwords.ts)
with digits added, nor the username. Every change is written to the staff audit log, under
"command line (<system user>)". The command uses the same settings as the server (.env or the
environment: MONGODB_URI or DATA_DIR, SESSION_SECRET).

Options:
  --role ROLE   admin, reviewer or viewer
  --help        this text

Exit status: 0 done, 64 bad command or options, 65 refused (bad username or password, name
taken, no such account), 78 bad configuration, 1 the database failed.`;

const EXIT = { ok: 0, usage: 64, refused: 65, config: 78, failed: 1 } as const;

class UsageError extends Error {}

function parse(argv: string[]): { command: string; username?: string; role?: StaffRole; help: boolean } {
  const positional: string[] = [];
  let role: StaffRole | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--help' || a === '-h') help = true;
    else if (a === '--role') {
      const v = argv[++i];
      if (!isStaffRole(v)) throw new UsageError(`--role must be one of ${STAFF_ROLES.join(', ')}`);
      role = v;
    } else if (a.startsWith('--role=')) {
      const v = a.slice(7);
      if (!isStaffRole(v)) throw new UsageError(`--role must be one of ${STAFF_ROLES.join(', ')}`);
      role = v;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [command = '', username, ...extra] = positional;
  if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
  return { command, username, role, help };
}

/** Reads one line from a terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Commands that take a phone number where the others take a username. */
const NUMBER_COMMANDS = ['block-number', 'unblock-number'];

/** The first line of standard input (a phone number typed or piped). */
async function readLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Phone number: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && chunk.includes('\n')) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await askHidden('Password (not shown): ');
    const second = await askHidden('Same password again: ');
    if (first !== second) throw new BadRequestError('the two passwords differ');
    return first;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.split(/\r?\n/)[0];
}

function systemUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown user';
  }
}

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  let cmd: ReturnType<typeof parse>;
  try {
    cmd = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  if (cmd.help || cmd.command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  const needsName = ['add', 'passwd', 'role', 'disable', 'enable', 'unlock', 'provider-pin'];
  if (!needsName.includes(cmd.command) && cmd.command !== 'list' && !NUMBER_COMMANDS.includes(cmd.command)) {
    process.stderr.write(`${cmd.command ? `unknown command ${cmd.command}` : 'a command is needed'}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  if (needsName.includes(cmd.command) && !cmd.username) {
    process.stderr.write(`${cmd.command} needs a username\n`);
    return EXIT.usage;
  }
  if ((cmd.command === 'add' || cmd.command === 'role') && !cmd.role) {
    process.stderr.write(`${cmd.command} needs --role ${STAFF_ROLES.join('|')}\n`);
    return EXIT.usage;
  }

  let config;
  try {
    config = loadToolConfig('npm run staff', envFile);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return EXIT.config;
  }
  // Check the name before asking for a password, so a typo does not cost a prompt.
  const username = cmd.username && !NUMBER_COMMANDS.includes(cmd.command) && cmd.command !== 'provider-pin' ? AccountAdmin.checkUsername(cmd.username) : '';
  const store = await openStore(config, { tool: 'npm run staff' });
  try {
    // Every change is audited, like one made on the web pages; the system user stands for the admin.
    const admin = new AccountAdmin(store, config.sessionSecret, { auditAs: `command line (${systemUser()})` });
    switch (cmd.command) {
      case 'add': {
        const password = await readPassword();
        const account = await admin.add(username, cmd.role!, password);
        process.stdout.write(`Created ${account._id} (${account.role}).\n`);
        break;
      }
      case 'passwd': {
        const ended = await admin.changePassword(username, await readPassword());
        process.stdout.write(`Password of ${username} changed; ${ended} session(s) ended.\n`);
        break;
      }
      case 'role': {
        const ended = await admin.setRole(username, cmd.role!);
        process.stdout.write(`${username} is now ${cmd.role}; ${ended} session(s) ended.\n`);
        break;
      }
      case 'disable': {
        const ended = await admin.setDisabled(username, true);
        process.stdout.write(`${username} is disabled; ${ended} session(s) ended.\n`);
        break;
      }
      case 'enable':
        await admin.setDisabled(username, false);
        process.stdout.write(`${username} is enabled.\n`);
        break;
      case 'unlock': {
        const cleared = await admin.unlock(username);
        process.stdout.write(`${username} can sign in again from everywhere; ${cleared} failure count(s) cleared.\n`);
        break;
      }
      case 'block-number':
      case 'unblock-number': {
        const typed = cmd.username ?? (await readLine());
        const number = typedPhoneNumber(typed);
        if (!number) throw new BadRequestError('not a phone number: type it as +85512345678 or 012345678');
        // Only the keyed hash leaves this function: the same one the calls and the callback queue use.
        const callerId = callerIdFor(number, config.callerHashSecret);
        const by = `command line (${systemUser()})`;
        const queue = buildOutbound(store, config).queue;
        if (cmd.command === 'block-number') await queue.block(callerId, by);
        else await queue.unblock(callerId);
        await new AuditLog(store).record({ username: by, action: cmd.command === 'block-number' ? 'outbound-block' : 'outbound-unblock', detail: { callerId, entered: 'phone number' } });
        process.stdout.write(cmd.command === 'block-number'
          ? `Blocked caller ${callerId}: the hotline will not call this number back; callbacks it was owed ended.\n`
          : `Unblocked caller ${callerId}.\n`);
        break;
      }
      case 'provider-pin': {
        const services = indicatorIds(loadScorecard(config.scorecardFile));
        const gazetteer = loadGazetteer(config.gazetteerDir);
        const areas = loadProgrammeAreas(config.programmeAreasFile, { gazetteer, services: Object.keys(services) });
        // The shipped sample's facilities are made up: only a site's own can have a PIN.
        const facilities = areas.sample ? [] : areas.facilities;
        const { target, service } = parseProviderTarget(cmd.username!, {
          facility: (id) => facilities.find((f) => f.id === id), isCommune: (c) => gazetteer.isCommune(c), services: Object.keys(services),
        });
        const by = `command line (${systemUser()})`;
        const pins = new ProviderPinsRepository(store, config.callerHashSecret, { maxFailures: config.providerPinMaxFailures, lockoutMinutes: config.providerPinLockoutMinutes });
        const { providerNumber, pin } = await pins.setPin(target, service, by, new Date(), new CountersRepository(store));
        await new AuditLog(store).record({ username: by, action: 'set-provider-pin', detail: { target: cmd.username!, providerNumber } });
        process.stdout.write(`Provider number ${providerNumber}, PIN ${pin} for ${cmd.username}.\nGive both to the provider in person; the PIN is not shown again. At the hotline's main menu they press # (hash), then key the number and the PIN.\n`);
        break;
      }
      case 'list': {
        const accounts = await admin.list();
        if (!accounts.length) process.stdout.write('No staff accounts yet. Create the first admin: npm run staff -- add <username> --role admin\n');
        for (const a of accounts) {
          process.stdout.write(`${a._id.padEnd(32)} ${a.role.padEnd(9)} ${a.disabled ? 'disabled' : 'active  '} created ${new Date(a.createdAt).toISOString().slice(0, 10)}\n`);
        }
        break;
      }
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof AppError ? err.message : `${(err as Error).name}: ${(err as Error).message}`}\n`);
    if (err instanceof UsageError) process.exit(EXIT.usage);
    if (err instanceof BadRequestError || err instanceof NotFoundError) process.exit(EXIT.refused);
    if (err instanceof ConfigError) process.exit(EXIT.config);
    process.exit(EXIT.failed);
  },
);
