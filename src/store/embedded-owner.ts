import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreError } from '../errors';
import { processAlive } from '../process-alive';

/**
 * The embedded store belongs to one process: NeDB keeps every collection in that process's
 * memory and rewrites its files on load. The running hotline leaves its pid in
 * DATA_DIR/hotline.pid so that a second server refuses to start, and a command-line tool knows
 * not to write behind its back (it would not see the change) and reads a snapshot instead.
 */
const PID_FILE = 'hotline.pid';

/** The pid of another live hotline process serving this DATA_DIR, or null. */
export function runningHotlinePid(dataDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Marks DATA_DIR as served by this process; refuses when another live hotline serves it. Returns a release function. */
export function claimEmbeddedStore(dataDir: string): () => void {
  const other = runningHotlinePid(dataDir);
  if (other) {
    throw new StoreError(`another hotline (pid ${other}) is already running on the embedded store in ${dataDir}; `
      + 'two processes on one embedded store would lose data. Stop it, or give this one its own DATA_DIR (or use MONGODB_URI).');
  }
  const file = path.join(dataDir, PID_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      /* already gone */
    }
  };
}
