import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';
import { BSON } from 'mongodb';
import { StoreError } from '../errors';
import { Doc, Store } from '../store/store';
import { StoreSource } from './store-source';

/**
 * A backup is one gzip file of JSON lines (Extended JSON, so dates stay dates):
 *   {"backup": {format, version, createdAt, engine}}    first line
 *   {"c": "<collection>", "d": {document}}               every document
 *   {"f": "<recording id>", "m": {metadata}, "b": "<base64>"}  every stored recording
 *   {"s": "<path in the site folder>", "b": "<base64>"}  every file of the site folder
 *   {"end": {collections: {name: count}, files: n, site: n}}   last line: a complete backup
 * Written to FILE.partial and renamed at the end, so a FILE is always whole.
 */
export const BACKUP_FORMAT = 'i4c-hotline-backup';

export interface BackupSummary {
  collections: Record<string, number>;
  files: number;
  site: number;
}

function siteFiles(siteDir: string): string[] {
  if (!siteDir || !fs.existsSync(siteDir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(siteDir, rel), { withFileTypes: true })) {
      const child = path.join(rel, d.name);
      if (d.isDirectory()) walk(child);
      else if (d.isFile() && !d.name.endsWith('.tmp')) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

export async function createBackup(source: StoreSource, outFile: string, opts: { siteDir?: string; now?: Date } = {}): Promise<BackupSummary> {
  const partial = `${outFile}.partial`;
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  const gzip = zlib.createGzip();
  const file = fs.createWriteStream(partial, { mode: 0o600 });
  const done = new Promise<void>((resolve, reject) => {
    file.once('finish', resolve);
    file.once('error', reject);
    gzip.once('error', reject);
  });
  gzip.pipe(file);
  const write = async (obj: unknown) => {
    if (!gzip.write(`${BSON.EJSON.stringify(obj, { relaxed: true })}\n`)) await new Promise((r) => gzip.once('drain', r));
  };
  const summary: BackupSummary = { collections: {}, files: 0, site: 0 };
  try {
    await write({ backup: { format: BACKUP_FORMAT, version: 1, createdAt: (opts.now ?? new Date()).toISOString(), engine: source.engine } });
    for (const name of await source.collections()) {
      const docs = await source.store.collection<Doc>(name).find({}, { sort: { _id: 1 } });
      for (const d of docs) await write({ c: name, d });
      summary.collections[name] = docs.length;
    }
    // Recordings after the documents: a message in the backup has its recording stored already
    // (the worker stores the file before it marks the message stored).
    for (const id of await source.fileIds()) {
      const data = await source.store.files.read(id);
      await write({ f: id, m: await source.fileMetadata(id), b: data.toString('base64') });
      summary.files += 1;
    }
    for (const rel of siteFiles(opts.siteDir ?? '')) {
      await write({ s: rel.split(path.sep).join('/'), b: fs.readFileSync(path.join(opts.siteDir!, rel)).toString('base64') });
      summary.site += 1;
    }
    await write({ end: summary });
    gzip.end();
    await done;
    fs.renameSync(partial, outFile);
    return summary;
  } catch (err) {
    gzip.destroy();
    file.destroy();
    fs.rmSync(partial, { force: true });
    throw err;
  }
}

type Line = { backup?: { format: string; version: number }; c?: string; d?: Doc; f?: string; m?: Record<string, unknown>; b?: string; s?: string; end?: BackupSummary };

async function* readLines(file: string): AsyncGenerator<Line> {
  const input = fs.createReadStream(file).pipe(zlib.createGunzip());
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) if (line.trim()) yield BSON.EJSON.parse(line, { relaxed: true }) as Line;
}

/** Reads a backup's closing summary (and checks it is whole) without restoring anything. */
export async function inspectBackup(file: string): Promise<BackupSummary> {
  let first = true;
  for await (const line of readLines(file)) {
    if (first && line.backup?.format !== BACKUP_FORMAT) throw new StoreError(`${file} is not a hotline backup`);
    first = false;
    if (line.end) return line.end;
  }
  throw new StoreError(`${file} is incomplete (no closing line): the backup was interrupted; use an earlier one`);
}

/**
 * Restores a backup into an empty store (refuses one that holds any document or recording of
 * the backup's collections), and the site folder's files that are not there yet.
 */
export async function restoreBackup(file: string, target: Store, opts: { siteDir?: string } = {}): Promise<BackupSummary & { siteSkipped: number }> {
  const summary = await inspectBackup(file);
  for (const name of Object.keys(summary.collections)) {
    const n = await target.collection(name).countDocuments({});
    if (n > 0) throw new StoreError(`the target store is not empty (${name} holds ${n} document(s)); restore only into an empty store (a new MONGODB_DB, or an empty DATA_DIR)`);
  }
  const restored: BackupSummary & { siteSkipped: number } = {
    collections: Object.fromEntries(Object.keys(summary.collections).map((name) => [name, 0])), files: 0, site: 0, siteSkipped: 0,
  };
  let batch: { name: string; docs: Doc[] } = { name: '', docs: [] };
  const flush = async () => {
    if (!batch.docs.length) return;
    await target.collection(batch.name).insertMany(batch.docs);
    restored.collections[batch.name] = (restored.collections[batch.name] ?? 0) + batch.docs.length;
    batch = { name: '', docs: [] };
  };
  for await (const line of readLines(file)) {
    if (line.c && line.d) {
      if (batch.name !== line.c || batch.docs.length >= 200) await flush();
      batch.name = line.c;
      batch.docs.push(line.d);
    } else if (line.f && line.b !== undefined) {
      await flush();
      await target.files.write(line.f, Buffer.from(line.b, 'base64'), line.m ?? {});
      restored.files += 1;
    } else if (line.s && line.b !== undefined && opts.siteDir) {
      const dest = path.join(opts.siteDir, ...line.s.split('/'));
      if (!path.resolve(dest).startsWith(path.resolve(opts.siteDir) + path.sep)) throw new StoreError(`unsafe site path in backup: ${line.s}`);
      if (fs.existsSync(dest)) restored.siteSkipped += 1;
      else {
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.writeFileSync(dest, Buffer.from(line.b, 'base64'));
        restored.site += 1;
      }
    }
  }
  await flush();
  for (const [name, count] of Object.entries(summary.collections)) {
    if ((restored.collections[name] ?? 0) !== count) throw new StoreError(`restored ${restored.collections[name] ?? 0} of ${count} document(s) of ${name}`);
  }
  if (restored.files !== summary.files) throw new StoreError(`restored ${restored.files} of ${summary.files} recording(s)`);
  return restored;
}
