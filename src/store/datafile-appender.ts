import * as fs from 'node:fs';
import type Datastore from '@seald-io/nedb';
// NeDB's own serializer: the lines written must be exactly what its loader parses.
const model = require('@seald-io/nedb/lib/model.js') as { serialize(doc: unknown): string };

/**
 * NeDB appends every write to its data file with fs.promises.appendFile: an open, a write and a
 * close, each a trip through libuv's thread pool. Profiled under the call-load benchmark that was
 * about a fifth of the hotline's CPU time. This keeps each data file open for appending and
 * writes each change with one synchronous write of a few hundred bytes.
 *
 * Durability is unchanged: the write returns once the kernel has the bytes (neither version
 * calls fsync), so a killed process loses no write it acknowledged. Before each write the open
 * file is checked to still be the one at its path (two cheap stat calls). NeDB runs one operation at a
 * time per data file, so appends never interleave. Compaction replaces the file (a new file
 * renamed over it), so the open file is closed first and reopened at the next append.
 */
export function appendThroughOpenFile(ds: Datastore<any>, filename: string, fileMode: number): void {
  const persistence = (ds as any).persistence as {
    persistNewStateAsync(newDocs: unknown[]): Promise<void>;
    persistCachedDatabaseAsync(): Promise<void>;
    dropDatabaseAsync(): Promise<void>;
  };
  let fd: number | null = null;
  const closeFile = () => {
    if (fd === null) return;
    const open = fd;
    fd = null;
    fs.closeSync(open);
  };

  persistence.persistNewStateAsync = async (newDocs: unknown[]) => {
    let lines = '';
    for (const doc of newDocs) lines += `${model.serialize(doc)}\n`;
    if (!lines) return;
    const bytes = Buffer.from(lines, 'utf8');
    try {
      // Still the file at its path? If the data folder was moved, deleted or replaced, a write to
      // the open file would vanish with it: reopen by path, which fails loudly (the caller hears
      // error.system) where appendFile would have failed too.
      if (fd !== null && !isFileAt(fd, filename)) closeFile();
      if (fd === null) fd = fs.openSync(filename, 'a', fileMode);
      for (let written = 0; written < bytes.length;) written += fs.writeSync(fd, bytes, written);
    } catch (err) {
      // Reopen at the next append: the file may have been moved or the disk filled.
      try { closeFile(); } catch { /* already unusable */ }
      throw err;
    }
  };

  const compact = persistence.persistCachedDatabaseAsync.bind(persistence);
  persistence.persistCachedDatabaseAsync = async () => {
    closeFile();
    await compact();
  };

  const drop = persistence.dropDatabaseAsync.bind(persistence);
  persistence.dropDatabaseAsync = async () => {
    await drop();
    closeFile();
  };
}

/** Whether `fd` is the file now found at `filename` (same device and inode). */
function isFileAt(fd: number, filename: string): boolean {
  try {
    const open = fs.fstatSync(fd);
    const atPath = fs.statSync(filename);
    return open.ino === atPath.ino && open.dev === atPath.dev;
  } catch {
    return false;
  }
}
