import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where `npm run backup` notes its last snapshot, for the doctor's backup-age item. */
const RECORD_FILE = 'last-backup.json';

export interface BackupRecord {
  at: string;
  file: string;
  engine: string;
  /** Which store was backed up (storeLabel): absent in records written before it was noted. */
  store?: string;
}

/**
 * A store named without credentials: the embedded store by its folder, a MongoDB database by its
 * hosts and name. After a migration the old store's backup must not count for the new one.
 */
export function storeLabel(config: { mongodbUri: string; mongodbDb: string; dataDir: string }): string {
  if (!config.mongodbUri) return `embedded store in ${path.resolve(config.dataDir)}`;
  // mongodb://user:password@host1,host2/db?options: the hosts only, never the user part.
  const hosts = /^[^:]+:\/\/(?:[^/?#]*@)?([^/?#]*)/.exec(config.mongodbUri)?.[1] ?? '?';
  return `MongoDB database ${config.mongodbDb} on ${hosts}`;
}

/** Whether a backup record is of this store (an old record without `store`: by its engine alone). */
export function isBackupOf(record: BackupRecord, config: { mongodbUri: string; mongodbDb: string; dataDir: string }): boolean {
  if (record.engine !== (config.mongodbUri ? 'mongodb' : 'embedded')) return false;
  return record.store === undefined || record.store === storeLabel(config);
}

export function recordBackup(dataDir: string, record: BackupRecord): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, RECORD_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

export function lastBackup(dataDir: string): BackupRecord | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, RECORD_FILE), 'utf8')) as BackupRecord;
  } catch {
    return null;
  }
}
