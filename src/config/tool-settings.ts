import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppConfig, loadConfig, parseEnvFile } from './config';
import { ConfigError } from '../errors';

/**
 * Settings for the command-line tools (npm run backup, restore, migrate, doctor, staff, prompts,
 * report, export, simulate): the service's own settings file, so a tool works on the store the hotline
 * uses. `--env-file FILE` (taken out of the tool's arguments) or HOTLINE_ENV_FILE names it; the
 * systemd layout's is /etc/hotline/hotline.env (deploy/hotline.service). Without either, `.env`
 * in the working directory, as the development server reads it. The environment wins over the
 * file, as it does over `.env`.
 */
export const SYSTEMD_ENV_FILE = '/etc/hotline/hotline.env';

/** `--env-file FILE` or `--env-file=FILE` out of a tool's arguments. */
export function takeEnvFileArg(argv: readonly string[]): { envFile?: string; rest: string[] } {
  const rest: string[] = [];
  let envFile: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--env-file') {
      envFile = argv[i + 1];
      i += 1;
    } else if (arg.startsWith('--env-file=')) {
      envFile = arg.slice('--env-file='.length);
    } else {
      rest.push(arg);
    }
  }
  return { envFile, rest };
}

/**
 * Takes `--env-file FILE` out of process.argv, so a tool's own argument parser never sees it.
 * Call first in a tool; returns the file named there (or undefined).
 */
export function takeEnvFileFromProcessArgs(): string | undefined {
  const { envFile, rest } = takeEnvFileArg(process.argv.slice(2));
  process.argv.splice(2, process.argv.length - 2, ...rest);
  return envFile;
}

/** The store a config points at, for people: never a password. */
export function describeStore(config: Pick<AppConfig, 'mongodbUri' | 'mongodbDb' | 'dataDir'>): string {
  if (!config.mongodbUri) return `the embedded store in ${path.join(config.dataDir, 'store')}`;
  const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(config.mongodbUri);
  return `MongoDB ${m ? m[1] : '(unreadable MONGODB_URI)'}, database ${config.mongodbDb}`;
}

/** Where a tool's settings came from, for its first line: the file it read, or the environment alone. */
export function settingsSource(envFile?: string): string {
  const file = envFile ?? process.env.HOTLINE_ENV_FILE;
  if (file) return `settings ${path.resolve(file)}`;
  return fs.existsSync('.env') ? `settings ${path.resolve('.env')}` : 'settings from the environment';
}

/**
 * Loads a tool's config from the settings file (see above) and says, as the tool's first line
 * (on stderr, so piped output stays clean), which store and data folder it works on.
 */
export function loadToolConfig(tool: string, envFile?: string): AppConfig {
  const config = loadConfig(undefined, { envFile });
  const file = envFile ?? process.env.HOTLINE_ENV_FILE;
  // The systemd unit sets DATA_DIR itself (Environment=), so a settings file may lack it and the
  // service still works; a tool would then read an empty ./data/local beside the code instead.
  if (file && config.nodeEnv === 'production' && !process.env.DATA_DIR?.trim() && !parseEnvFile(fs.readFileSync(path.resolve(file), 'utf8')).DATA_DIR?.trim()) {
    throw new ConfigError(`Configuration is invalid:\n  - DATA_DIR is not set in ${file}: the tools would work on ${config.dataDir} instead of the service's data folder. Add DATA_DIR=/var/lib/hotline (deploy/hotline.service's) to ${file}`);
  }
  process.stderr.write(`${tool}: ${describeStore(config)}; data folder ${config.dataDir} (${settingsSource(envFile)})\n`);
  keepServiceOwnership(config);
  return config;
}

const outputs = new Set<string>();
let ownershipHooked = false;

/** A file a tool wrote outside DATA_DIR (a backup, an export) that the service user must own too. */
export function toolOutput(file: string): void {
  outputs.add(path.resolve(file));
}

/**
 * Run as root (sudo npm run …), a tool would leave root-owned files in the service's data
 * folder: the embedded store rewrites its files by renaming new ones in, imports land in the site
 * folder, backups record themselves there. The service (user hotline) could then no longer write
 * them. So at exit every root-owned file under DATA_DIR and SITE_DIR, and each file named with
 * toolOutput, is given to DATA_DIR's owner (the service user: systemd's StateDirectory= makes it so).
 */
export function keepServiceOwnership(config: Pick<AppConfig, 'dataDir' | 'siteDir'>): void {
  if (ownershipHooked || typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  ownershipHooked = true;
  process.on('exit', () => giveToDataDirOwner(config));
}

/** The fix-up itself (synchronous: it runs in the process's exit handler). */
export function giveToDataDirOwner(config: Pick<AppConfig, 'dataDir' | 'siteDir'>): number {
  let owner: fs.Stats;
  try {
    owner = fs.statSync(config.dataDir);
  } catch {
    return 0;
  }
  if (owner.uid === 0) return 0;
  let given = 0;
  const give = (p: string) => {
    try {
      const st = fs.lstatSync(p);
      if (st.uid === 0) {
        fs.lchownSync(p, owner.uid, owner.gid);
        given += 1;
      }
      return st;
    } catch {
      return null; // gone meanwhile
    }
  };
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      if (give(p)?.isDirectory()) walk(p);
    }
  };
  walk(config.dataDir);
  if (path.relative(config.dataDir, config.siteDir).startsWith('..')) {
    give(config.siteDir);
    walk(config.siteDir);
  }
  for (const file of outputs) {
    if (give(file)?.isDirectory()) walk(file);
  }
  return given;
}
