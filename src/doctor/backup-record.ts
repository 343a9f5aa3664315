import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where `npm run backup` notes its last snapshot, for the doctor's backup-age item. */
const RECORD_FILE = 'last-backup.json';

export interface BackupRecord {
  at: string;
  file: string;
  engine: string;
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
