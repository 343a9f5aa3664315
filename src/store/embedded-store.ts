import * as fs from 'node:fs';
import * as path from 'node:path';
import Datastore from '@seald-io/nedb';
import { aggregate as mingoAggregate } from 'mingo';
import { DuplicateKeyError, StoreError } from '../errors';
import { rootCauseCode } from '../logging/error-cause';
import { appendThroughOpenFile } from './datafile-appender';
import { assertPortablePipeline, Collection, Doc, FileStore, Filter, FindOptions, IndexSpec, SortSpec, Store, StoreSource, Update } from './store';

/**
 * The embedded engine: NeDB (append-only files with MongoDB's query and update operators)
 * for documents and mingo for aggregation pipelines, so repositories speak one query language
 * on both engines. One process owns DATA_DIR; it serves a pilot, not a country.
 */

function translate(err: unknown): Error {
  if (err && typeof err === 'object' && (err as { errorType?: string }).errorType === 'uniqueViolated') {
    return new DuplicateKeyError('duplicate key', { cause: err });
  }
  if (err instanceof DuplicateKeyError || err instanceof StoreError) return err;
  // The cause's code (ENOSPC: the disk is full; EACCES: DATA_DIR's rights) is what an operator acts on.
  const code = rootCauseCode(err);
  return new StoreError(`the embedded store failed${code ? ` (${code})` : ''}`, { cause: err });
}

// NeDB's own cursor (matching documents as references) and value comparison (MongoDB's order of types).
interface NedbCursorLike extends PromiseLike<Doc[]> {
  projection(projection: Record<string, 0 | 1>): NedbCursorLike;
  _project(docs: Doc[]): Doc[];
}
const NedbCursor = require('@seald-io/nedb/lib/cursor.js') as new (ds: Datastore<any>, query: Filter) => NedbCursorLike;
const nedbModel = require('@seald-io/nedb/lib/model.js') as {
  getDotValue(doc: unknown, path: string): unknown;
  compareThings(a: unknown, b: unknown): number;
  deepCopy(doc: unknown): unknown;
  match(doc: unknown, query: unknown): boolean;
};

/** NeDB's comparison, with the common cases (two dates, numbers or strings) compared directly. */
function compareValues(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')) return a < b ? -1 : a > b ? 1 : 0;
  return nedbModel.compareThings(a, b);
}

const COMPACTION_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Staff accounts, sessions, callers' hashes and voice messages: readable by the hotline's own
 * user only (files 0600, folders 0700), whatever the umask.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` (and parents) as 0700, and tightens it if it was made before with looser rights. */
function privateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

class EmbeddedCollection<T extends Doc> implements Collection<T> {
  private readonly ready: Promise<void>;
  /** A snapshot is read from another process's files without rewriting them, and refuses writes. */
  constructor(readonly ds: Datastore<any>, private readonly snapshotOf?: string) {
    if (snapshotOf) {
      this.ready = EmbeddedCollection.loadSnapshot(ds, snapshotOf);
    } else {
      this.ready = ds.loadDatabaseAsync();
      ds.setAutocompactionInterval(COMPACTION_INTERVAL_MS);
    }
  }

  /** Resolves once the collection's file is read (and its stored index definitions with it). */
  loaded(): Promise<void> {
    return this.ready;
  }

  private static async loadSnapshot(ds: Datastore<any>, file: string) {
    let raw = '';
    try {
      raw = await fs.promises.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // NeDB's own parser of its append-only format (deletions and updates applied in order).
    const { data } = await (ds as any).persistence.treatRawData(raw);
    if (data.length) await ds.insertAsync(data);
  }

  private writable() {
    if (this.snapshotOf) throw new StoreError('this is a read-only snapshot of the embedded store (the hotline is running)');
  }

  private async run<R>(op: () => Promise<R>): Promise<R> {
    try {
      await this.ready;
      return await op();
    } catch (err) {
      throw translate(err);
    }
  }

  insertOne(doc: T) {
    this.writable();
    return this.run(async () => { await this.ds.insertAsync({ ...doc }); });
  }
  insertMany(docs: T[]) {
    this.writable();
    return this.run(async () => { if (docs.length) await this.ds.insertAsync(docs.map((d) => ({ ...d }))); });
  }
  findOne(filter: Filter) {
    return this.run(() => this.ds.findOneAsync(filter) as Promise<T | null>);
  }
  find(filter: Filter, options: FindOptions = {}) {
    return this.run(async () => {
      if (options.sort) return this.findSorted(filter, options, options.sort);
      let cursor = this.ds.findAsync(filter, options.projection ?? {});
      if (options.skip) cursor = cursor.skip(options.skip);
      if (options.limit) cursor = cursor.limit(options.limit);
      return (await cursor) as T[];
    });
  }

  /**
   * A sorted find. NeDB sorts by running its generic comparison, with a path lookup, for every
   * pair of documents: one page of a 10,000-entry audit log took about 45 ms of the webhooks'
   * event loop. Here each document's sort values are read once and compared directly, and only
   * the page is copied. Ties keep NeDB's order.
   */
  private async findSorted(filter: Filter, options: FindOptions, sort: SortSpec): Promise<T[]> {
    const keys = Object.entries(sort);
    type Row = { doc: T; values: unknown[] };
    const order = (a: Row, b: Row) => {
      for (let i = 0; i < keys.length; i++) {
        const c = compareValues(a.values[i], b.values[i]);
        if (c !== 0) return keys[i][1] * c;
      }
      return 0;
    };
    const rowOf = (doc: T): Row => ({ doc, values: keys.map(([path]) => nedbModel.getDotValue(doc, path)) });
    const skip = options.skip ?? 0;
    const wanted = options.limit ? skip + options.limit : Infinity;
    const byIndex = Number.isFinite(wanted) ? this.firstByIndex(filter, keys, wanted, order, rowOf) : null;
    let first: Row[];
    if (byIndex) first = byIndex;
    else {
      const rows = ((await new NedbCursor(this.ds, filter)) as T[]).map(rowOf); // references, not copies
      first = wanted < rows.length / 4 ? firstInOrder(rows, wanted, order) : rows.sort(order).slice(0, wanted);
    }
    const page = first.slice(skip).map((r) => r.doc);
    // Shaped and copied as NeDB's own find does (its cursor's projection, then a deep copy).
    const shaper = new NedbCursor(this.ds, {}).projection(options.projection ?? {});
    return shaper._project(page).map((doc) => nedbModel.deepCopy(doc) as T);
  }
  /**
   * The first `wanted` matches in sort order, read from the index on the first sort key in that
   * order, so a page of the newest audit entries visits a page's worth of entries, not all of them.
   * Only where that gives exactly the general path's answer: the sort ends with _id (no ties), the
   * key is a plain indexed field holding no arrays (an array is indexed once per element), and the
   * collection has no TTL index (NeDB's own find drops expired documents). Null otherwise.
   */
  private firstByIndex(filter: Filter, keys: [string, number][], wanted: number, order: (a: { doc: T; values: unknown[] }, b: { doc: T; values: unknown[] }) => number, rowOf: (doc: T) => { doc: T; values: unknown[] }) {
    const [field, direction] = keys[0];
    const ds = this.ds as unknown as { indexes: Record<string, { getAll(): T[]; sparse?: boolean }>; ttlIndexes: Record<string, unknown>; getAllData(): T[] };
    const index = ds.indexes[field];
    if (!index || field === '_id' || field.includes('.') || keys[keys.length - 1][0] !== '_id' || Object.keys(ds.ttlIndexes).length) return null;
    const all = index.getAll(); // by the key, ascending: every document, unless the index is sparse
    // A sparse index leaves out documents without the field: then only the general path is exact.
    if (index.sparse && all.length !== ds.getAllData().length) return null;
    const out: { doc: T; values: unknown[] }[] = [];
    let group: { doc: T; values: unknown[] }[] = [];
    let groupKey: unknown;
    for (let k = 0; k < all.length; k++) {
      const doc = all[direction > 0 ? k : all.length - 1 - k];
      const value = (doc as Record<string, unknown>)[field];
      if (Array.isArray(value)) return null;
      if (k > 0 && compareValues(value, groupKey) !== 0) {
        out.push(...group.sort(order));
        group = [];
        if (out.length >= wanted) break;
      }
      groupKey = value;
      if (nedbModel.match(doc, filter)) group.push(rowOf(doc));
    }
    out.push(...group.sort(order));
    return out.slice(0, wanted);
  }

  /** The embedded engine holds every document in memory anyway: one find, then the visits. */
  async forEach(filter: Filter, options: Pick<FindOptions, 'projection'>, visit: (doc: T) => void) {
    for (const doc of await this.find(filter, options)) visit(doc);
  }
  countDocuments(filter: Filter) {
    // Everything, where nothing expires: the _id index's size, without matching each document.
    const ds = this.ds as unknown as { ttlIndexes: Record<string, unknown>; getAllData(): unknown[] };
    if (Object.keys(filter).length === 0 && Object.keys(ds.ttlIndexes).length === 0) return this.run(async () => ds.getAllData().length);
    return this.run(() => this.ds.countAsync(filter) as Promise<number>);
  }
  updateOne(filter: Filter, update: Update, options: { upsert?: boolean; likelyNew?: boolean } = {}) {
    this.writable();
    return this.run(async () => {
      const r = await this.ds.updateAsync(filter, update, { upsert: options.upsert ?? false, multi: false });
      return { matched: r.upsert ? 0 : r.numAffected, upserted: Boolean(r.upsert) };
    });
  }
  updateMany(filter: Filter, update: Update) {
    this.writable();
    return this.run(async () => (await this.ds.updateAsync(filter, update, { multi: true })).numAffected);
  }
  async updateEachById(updates: readonly { _id: string; update: Update }[]) {
    this.writable();
    for (const u of updates) await this.updateOne({ _id: u._id }, u.update);
  }
  findOneAndUpdate(filter: Filter, update: Update, options: { upsert?: boolean; sort?: SortSpec } = {}) {
    this.writable();
    return this.run(async () => {
      const apply = async (target: Filter) => {
        const r = await this.ds.updateAsync(target, update, { upsert: options.upsert ?? false, multi: false, returnUpdatedDocs: true });
        return (r.affectedDocuments as T | null) ?? null;
      };
      if (!options.sort) return apply(filter);
      // NeDB cannot sort an update: pick the first match, then update it only if it still matches.
      // Another claim may take it in between; then try the next first match, so a worker is never
      // told "nothing to do" while matching documents remain.
      for (;;) {
        const [first] = await this.ds.findAsync(filter).sort(options.sort).limit(1);
        if (!first) return options.upsert ? apply(filter) : null;
        const claimed = await apply({ $and: [filter, { _id: first._id }] });
        if (claimed) return claimed;
      }
    });
  }
  deleteOne(filter: Filter) {
    this.writable();
    return this.run(() => this.ds.removeAsync(filter, { multi: false }));
  }
  deleteMany(filter: Filter) {
    this.writable();
    return this.run(() => this.ds.removeAsync(filter, { multi: true }));
  }
  async aggregate<R>(pipeline: Record<string, unknown>[]): Promise<R[]> {
    assertPortablePipeline(pipeline); // rejects (BadRequestError), like every other failure here
    return this.run(async () => {
      // Let NeDB apply a leading $match (it may use an index), and mingo the rest. NeDB has no
      // $expr: a $match using it goes to mingo whole.
      const [first, ...rest] = pipeline;
      const leadingMatch = first && '$match' in first && !JSON.stringify(first.$match).includes('"$expr"') ? (first.$match as Filter) : null;
      const docs = await this.ds.findAsync(leadingMatch ?? {});
      return mingoAggregate(docs, leadingMatch ? rest : pipeline) as R[];
    });
  }
  /** mingo runs the pipeline over documents held in memory anyway: one aggregate, then the visits. */
  async aggregateEach<R>(pipeline: Record<string, unknown>[], visit: (result: R) => void): Promise<void> {
    for (const result of await this.aggregate<R>(pipeline)) visit(result);
  }
}

class DirectoryFiles implements FileStore {
  constructor(private readonly dir: string) {}
  private pathOf(id: string) {
    if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new StoreError(`unsafe file id ${JSON.stringify(id)}`);
    return path.join(this.dir, id);
  }
  async write(id: string, data: Buffer, metadata: Record<string, unknown>) {
    try {
      await fs.promises.mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      const file = this.pathOf(id);
      // Write then rename: a crash never leaves a half-written recording under its final name.
      await fs.promises.writeFile(`${file}.tmp`, data, { mode: PRIVATE_FILE_MODE });
      await fs.promises.writeFile(`${file}.meta.json`, JSON.stringify(metadata), { mode: PRIVATE_FILE_MODE });
      await fs.promises.rename(`${file}.tmp`, file);
    } catch (err) {
      throw translate(err);
    }
  }
  async read(id: string, range?: { start: number; end: number }) {
    try {
      const file = this.pathOf(id);
      if (!range) return await fs.promises.readFile(file);
      const handle = await fs.promises.open(file, 'r');
      try {
        const length = range.end - range.start + 1;
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, range.start);
        return buf.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw translate(err);
    }
  }
  async size(id: string) {
    try {
      return (await fs.promises.stat(this.pathOf(id))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw translate(err);
    }
  }
  async remove(id: string) {
    await fs.promises.rm(this.pathOf(id), { force: true });
    await fs.promises.rm(`${this.pathOf(id)}.meta.json`, { force: true });
  }
}

export class EmbeddedStore implements Store {
  readonly engine = 'embedded' as const;
  readonly files: FileStore;
  private readonly collections = new Map<string, EmbeddedCollection<any>>();

  /** `snapshot`: read the files another process owns, without rewriting them; writes are refused. */
  constructor(private readonly dataDir: string, private readonly opts: { snapshot?: boolean } = {}) {
    if (opts.snapshot) {
      fs.mkdirSync(path.join(dataDir, 'store'), { recursive: true });
    } else {
      privateDir(dataDir);
      privateDir(path.join(dataDir, 'store'));
      if (fs.existsSync(path.join(dataDir, 'recordings'))) privateDir(path.join(dataDir, 'recordings'));
    }
    this.files = new DirectoryFiles(path.join(dataDir, 'recordings'));
  }

  readerSource(): StoreSource {
    return { engine: 'embedded', dataDir: this.dataDir };
  }

  private datastore(name: string): EmbeddedCollection<any> {
    if (!/^[a-z_]+$/.test(name)) throw new StoreError(`bad collection name ${name}`);
    let c = this.collections.get(name);
    if (!c) {
      const file = path.join(this.dataDir, 'store', `${name}.db`);
      c = this.opts.snapshot
        ? new EmbeddedCollection(new Datastore({ inMemoryOnly: true }), file)
        : new EmbeddedCollection(EmbeddedStore.openDatafile(file));
      this.collections.set(name, c);
    }
    return c;
  }

  private static openDatafile(file: string): Datastore<any> {
    const ds = new Datastore({ filename: file, modes: { fileMode: PRIVATE_FILE_MODE, dirMode: PRIVATE_DIR_MODE } });
    appendThroughOpenFile(ds, file, PRIVATE_FILE_MODE);
    return ds;
  }

  collection<T extends Doc>(name: string): Collection<T> {
    return this.datastore(name) as EmbeddedCollection<T>;
  }

  async ensureIndexes(specs: readonly IndexSpec[]) {
    for (const spec of specs) {
      const fields = Object.keys(spec.keys);
      const collection = this.datastore(spec.collection);
      await collection.loaded();
      const ds = collection.ds;
      const sparse = Boolean(spec.sparseOnEmbedded && fields.length === 1);
      // NeDB keeps an index's options from the datafile, and ensureIndex leaves an existing one
      // alone: a store made before an index became sparse has it made again.
      const name = fields.slice().sort().join(',');
      const existing = (ds as unknown as { indexes: Record<string, { sparse?: boolean }> }).indexes[name];
      if (existing && Boolean(existing.sparse) !== sparse) await ds.removeIndexAsync(name);
      await ds.ensureIndexAsync({
        fieldName: fields.length === 1 ? fields[0] : fields,
        unique: spec.unique ?? false,
        ...(sparse ? { sparse: true } : {}),
        ...(spec.expireAfterSeconds !== undefined ? { expireAfterSeconds: spec.expireAfterSeconds } : {}),
      });
    }
  }

  async ping() {
    /* the embedded store is in this process */
  }

  async close() {
    for (const c of this.collections.values()) {
      c.ds.stopAutocompaction();
      await c.ds.compactDatafileAsync().catch(() => undefined);
    }
  }

  async dropEverything() {
    for (const c of this.collections.values()) await c.ds.dropDatabaseAsync();
    this.collections.clear();
    await fs.promises.rm(path.join(this.dataDir, 'recordings'), { recursive: true, force: true });
  }
}

/**
 * The first `count` rows in `order`, as a stable sort would give them, without sorting the rest:
 * an audit page (50 of 10,000 entries) takes one comparison for most rows. Ties keep their order.
 */
export function firstInOrder<R>(rows: readonly R[], count: number, order: (a: R, b: R) => number): R[] {
  const kept: R[] = [];
  for (const row of rows) {
    if (kept.length === count && order(row, kept[count - 1]) >= 0) continue;
    // After every kept row that is not later in order (so ties keep their order).
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(kept[mid], row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    kept.splice(lo, 0, row);
    if (kept.length > count) kept.pop();
  }
  return kept;
}
