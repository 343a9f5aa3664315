import { CommandStartedEvent, Db, GridFSBucket, MongoClient, MongoServerError } from 'mongodb';
import { DuplicateKeyError, StoreError } from '../errors';
import { rootCauseCode } from '../logging/error-cause';
import { assertPortablePipeline, Collection, Doc, FileStore, Filter, FindOptions, IndexSpec, SortSpec, Store, StoreSource, Update } from './store';

/** Branch on the server's error code, never its message (11000: duplicate key). */
function translate(err: unknown): Error {
  if (err instanceof MongoServerError && (err.code === 11000 || err.code === 11001)) {
    return new DuplicateKeyError('duplicate key', { cause: err });
  }
  if (err instanceof DuplicateKeyError || err instanceof StoreError) return err;
  // The driver's code (a number and codeName, or a network error's name) is what an operator acts on.
  const code = rootCauseCode(err);
  return new StoreError(`the database did not answer${code ? ` (${code})` : ''}`, { cause: err });
}

async function guard<R>(op: () => Promise<R>): Promise<R> {
  try {
    return await op();
  } catch (err) {
    throw translate(err);
  }
}

/**
 * Updates per bulkWrite in updateEachById: one unordered command each. The driver would split
 * larger batches itself (100,000 per command); 5,000 keeps each command well inside the socket
 * timeout (the test server applied 500 updates in 123 ms).
 */
const BULK_BATCH = 5000;

/** Operators whose effect on a missing document is simply their value. */
const VALUE_OPERATORS = new Set(['$set', '$setOnInsert', '$inc', '$min', '$max']);

/**
 * The document an upsert creates: the filter's plain top-level fields (its `_id` at least) and
 * the update's values. Null when the filter has no plain `_id` or the update uses an operator
 * whose result on a new document is not its value (the native upsert is used then).
 */
export function documentToInsert(filter: Filter, update: Update): Doc | null {
  const id = filter._id;
  if (id === undefined || id === null || (typeof id === 'object' && !(id instanceof Date))) return null;
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$') || k.includes('.')) continue;
    if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v) && Object.keys(v).some((op) => op.startsWith('$'))) continue;
    doc[k] = v;
  }
  for (const [op, fields] of Object.entries(update)) {
    if (!VALUE_OPERATORS.has(op) || fields === null || typeof fields !== 'object') return null;
    for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
      if (k.includes('.')) return null;
      doc[k] = v;
    }
  }
  return doc as unknown as Doc;
}

class MongoCollection<T extends Doc> implements Collection<T> {
  constructor(private readonly db: Db, private readonly name: string) {}

  // The driver's generic filter types are stricter than our shared contract; documents are plain objects.
  private get c() {
    return this.db.collection<any>(this.name);
  }

  insertOne(doc: T) {
    return guard(async () => { await this.c.insertOne({ ...doc }); });
  }
  insertMany(docs: T[]) {
    return guard(async () => { if (docs.length) await this.c.insertMany(docs.map((d) => ({ ...d })), { ordered: false }); });
  }
  findOne(filter: Filter) {
    return guard(() => this.c.findOne(filter) as Promise<T | null>);
  }
  find(filter: Filter, options: FindOptions = {}) {
    return guard(() => {
      let cursor = this.c.find(filter);
      if (options.projection) cursor = cursor.project(options.projection);
      if (options.sort) cursor = cursor.sort(options.sort);
      if (options.skip) cursor = cursor.skip(options.skip);
      if (options.limit) cursor = cursor.limit(options.limit);
      return cursor.toArray() as Promise<T[]>;
    });
  }
  forEach(filter: Filter, options: Pick<FindOptions, 'projection'>, visit: (doc: T) => void) {
    return guard(async () => {
      const cursor = this.c.find(filter, { batchSize: 5000, ...(options.projection ? { projection: options.projection } : {}) });
      for await (const doc of cursor) visit(doc as T);
    });
  }
  countDocuments(filter: Filter) {
    return guard(() => this.c.countDocuments(filter));
  }
  /**
   * An upsert by `_id`, written as "update the document; if there is none, insert it; if another
   * writer inserted it meanwhile, update it". MongoDB keeps concurrent upserts of one key itself,
   * but FerretDB 2.5 (the test server) silently drops some of them: 20 `$inc` upserts of a new key
   * at once left 14, every one reported as done. Creating the document with a plain insert makes a
   * lost race a duplicate-key error, which is retried as an update, so no write is lost on either
   * server. Costs one more round trip only when the document is new.
   */
  private async upsertById<R>(
    filter: Filter, update: Update, write: (upsert: boolean) => Promise<{ matched: boolean; result: R }>, inserted: (doc: T) => R, likelyNew = false,
  ): Promise<R> {
    const doc = documentToInsert(filter, update);
    // Update first when the document usually exists; insert first when it is usually new (one round trip each way).
    if (!likelyNew || !doc) {
      const first = await guard(() => write(false));
      if (first.matched) return first.result;
    }
    if (!doc) return guard(async () => (await write(true)).result);
    try {
      await guard(() => this.c.insertOne(doc as never));
      return inserted(doc as T);
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
    const again = await guard(() => write(false));
    // As a native upsert does when the key exists but the rest of the filter does not match.
    if (!again.matched) throw new DuplicateKeyError('duplicate key');
    return again.result;
  }

  updateOne(filter: Filter, update: Update, options: { upsert?: boolean; likelyNew?: boolean } = {}) {
    const write = async (upsert: boolean) => {
      const r = await this.c.updateOne(filter, update, { upsert });
      return { matched: r.matchedCount > 0 || r.upsertedCount > 0, result: { matched: r.matchedCount, upserted: r.upsertedCount > 0 } };
    };
    if (!options.upsert) return guard(async () => (await write(false)).result);
    return this.upsertById(filter, update, write, () => ({ matched: 0, upserted: true }), options.likelyNew);
  }
  updateMany(filter: Filter, update: Update) {
    return guard(async () => (await this.c.updateMany(filter, update)).matchedCount);
  }
  async updateEachById(updates: readonly { _id: string; update: Update }[]) {
    for (let i = 0; i < updates.length; i += BULK_BATCH) {
      const ops = updates.slice(i, i + BULK_BATCH).map((u) => ({ updateOne: { filter: { _id: u._id }, update: u.update } }));
      await guard(async () => { await this.c.bulkWrite(ops, { ordered: false }); });
    }
  }
  findOneAndUpdate(filter: Filter, update: Update, options: { upsert?: boolean; sort?: SortSpec } = {}) {
    const write = async (upsert: boolean) => {
      const r = (await this.c.findOneAndUpdate(filter, update, {
        upsert,
        sort: options.sort,
        returnDocument: 'after',
        includeResultMetadata: false,
      })) as T | null;
      return { matched: r !== null, result: r ?? null };
    };
    if (!options.upsert) return guard(async () => (await write(false)).result);
    return this.upsertById(filter, update, write, (doc) => doc as T | null);
  }
  deleteOne(filter: Filter) {
    return guard(async () => (await this.c.deleteOne(filter)).deletedCount);
  }
  deleteMany(filter: Filter) {
    return guard(async () => (await this.c.deleteMany(filter)).deletedCount);
  }
  async aggregate<R>(pipeline: Record<string, unknown>[]): Promise<R[]> {
    assertPortablePipeline(pipeline); // rejects (BadRequestError), like every other failure here
    return guard(() => this.c.aggregate(pipeline, { allowDiskUse: true }).toArray() as Promise<R[]>);
  }
  async aggregateEach<R>(pipeline: Record<string, unknown>[], visit: (result: R) => void): Promise<void> {
    assertPortablePipeline(pipeline);
    return guard(async () => {
      for await (const result of this.c.aggregate(pipeline, { allowDiskUse: true, batchSize: 5000 })) visit(result as R);
    });
  }
}

class GridFsFiles implements FileStore {
  private readonly bucket: GridFSBucket;
  constructor(db: Db) {
    this.bucket = new GridFSBucket(db, { bucketName: 'recordings' });
  }
  private async fileDoc(id: string) {
    const [doc] = await this.bucket.find({ filename: id }).limit(1).toArray();
    return doc ?? null;
  }
  write(id: string, data: Buffer, metadata: Record<string, unknown>) {
    return guard(async () => {
      // A retried download must not leave two copies: replace any earlier upload of the same id.
      for (const old of await this.bucket.find({ filename: id }).toArray()) await this.bucket.delete(old._id);
      await new Promise<void>((resolve, reject) => {
        const up = this.bucket.openUploadStream(id, { metadata });
        up.once('error', reject);
        up.once('finish', () => resolve());
        up.end(data);
      });
    });
  }
  read(id: string, range?: { start: number; end: number }) {
    return guard(async () => {
      const doc = await this.fileDoc(id);
      if (!doc) throw new StoreError(`no stored file ${id}`);
      const stream = this.bucket.openDownloadStream(doc._id, range ? { start: range.start, end: range.end + 1 } : undefined);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }
  size(id: string) {
    return guard(async () => {
      const doc = await this.fileDoc(id);
      return doc ? doc.length : null;
    });
  }
  remove(id: string) {
    return guard(async () => {
      for (const old of await this.bucket.find({ filename: id }).toArray()) await this.bucket.delete(old._id);
    });
  }
}

export class MongoStore implements Store {
  readonly engine = 'mongodb' as const;
  readonly files: FileStore;
  private constructor(private readonly client: MongoClient, private readonly db: Db, private readonly uri: string) {
    this.files = new GridFsFiles(db);
  }

  readerSource(): StoreSource {
    return { engine: 'mongodb', uri: this.uri, db: this.db.databaseName };
  }

  /**
   * Connects with short timeouts: a caller waits on every database call, so an unreachable
   * server must fail the turn within seconds (the caller hears error.system) rather than after
   * the driver's default 30 s, past the carrier's own webhook timeout.
   */
  static async connect(uri: string, dbName: string, opts: { socketTimeoutMS?: number; onCommand?: (e: CommandStartedEvent) => void } = {}): Promise<MongoStore> {
    const client = new MongoClient(uri, {
      serverSelectionTimeoutMS: 3000,
      connectTimeoutMS: 3000,
      // Command-line reports over a whole country may pass a longer limit (0: none).
      socketTimeoutMS: opts.socketTimeoutMS ?? 10000,
      maxPoolSize: 50,
      // Only for profiling (bench/turn-profile.ts): every command the driver sends.
      monitorCommands: Boolean(opts.onCommand),
    });
    if (opts.onCommand) client.on('commandStarted', opts.onCommand);
    try {
      await client.connect();
    } catch (err) {
      throw new StoreError(`cannot connect to MongoDB at MONGODB_URI: ${(err as Error).message}`, { cause: err });
    }
    return new MongoStore(client, client.db(dbName), uri);
  }

  collection<T extends Doc>(name: string): Collection<T> {
    return new MongoCollection<T>(this.db, name);
  }

  /**
   * One createIndexes command per collection. TTL indexes (expireAfterSeconds) are the
   * database's own: MongoDB and FerretDB 2 delete expired documents themselves.
   */
  async ensureIndexes(specs: readonly IndexSpec[]) {
    const byCollection = new Map<string, IndexSpec[]>();
    for (const spec of specs) byCollection.set(spec.collection, [...(byCollection.get(spec.collection) ?? []), spec]);
    for (const [collection, list] of byCollection) {
      await guard(() => this.db.collection(collection).createIndexes(list.map((spec) => ({
        key: spec.keys,
        unique: spec.unique ?? false,
        ...(spec.expireAfterSeconds !== undefined ? { expireAfterSeconds: spec.expireAfterSeconds } : {}),
      }))));
    }
  }

  ping() {
    return guard(async () => { await this.db.command({ ping: 1 }); });
  }

  close() {
    return this.client.close();
  }

  async dropEverything() {
    await guard(() => this.db.dropDatabase());
  }
}
