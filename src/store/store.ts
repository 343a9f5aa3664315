/**
 * The storage contract both engines implement: a small subset of MongoDB's collection API,
 * with MongoDB's query and update operators. Repositories (src/store/<concept>.ts) are written
 * once against it. Every document carries a string `_id` chosen by the repository, so ids look
 * the same on both engines.
 */
import { BadRequestError } from '../errors';

export type Filter = Record<string, unknown>;
export type Update = Record<string, unknown>;
export type SortSpec = Record<string, 1 | -1>;

export interface FindOptions {
  sort?: SortSpec;
  skip?: number;
  limit?: number;
  projection?: Record<string, 0 | 1>;
}

export interface Doc {
  _id: string;
}

export interface Collection<T extends Doc> {
  /** Throws DuplicateKeyError when the `_id` or a unique index already holds the key. */
  insertOne(doc: T): Promise<void>;
  insertMany(docs: T[]): Promise<void>;
  findOne(filter: Filter): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  /**
   * Visits every matching document without holding them all in this process (MongoDB: a
   * cursor read in batches). For passes over a whole collection, e.g. a data migration.
   */
  forEach(filter: Filter, options: Pick<FindOptions, 'projection'>, visit: (doc: T) => void): Promise<void>;
  countDocuments(filter: Filter): Promise<number>;
  /** Returns how many documents matched, and whether one was inserted by upsert. */
  updateOne(filter: Filter, update: Update, options?: { upsert?: boolean }): Promise<{ matched: number; upserted: boolean }>;
  updateMany(filter: Filter, update: Update): Promise<number>;
  /**
   * Applies one update to each named document (a missing one is skipped), in batches: one round
   * trip per 50 on MongoDB, for bulk maintenance such as a data upgrade.
   */
  updateEachById(updates: readonly { _id: string; update: Update }[]): Promise<void>;
  /** Atomically updates one matching document and returns it as it is after the update. */
  findOneAndUpdate(filter: Filter, update: Update, options?: { upsert?: boolean; sort?: SortSpec }): Promise<T | null>;
  deleteOne(filter: Filter): Promise<number>;
  deleteMany(filter: Filter): Promise<number>;
  /** Runs a pipeline limited to the stages both MongoDB and FerretDB 1.x execute. */
  aggregate<R = Record<string, unknown>>(pipeline: Record<string, unknown>[]): Promise<R[]>;
}

export interface IndexSpec {
  collection: string;
  keys: Record<string, 1 | -1>;
  unique?: boolean;
  /** Seconds after the date in the (single) indexed field when MongoDB deletes the document. */
  expireAfterSeconds?: number;
}

/** Binary objects (recordings): GridFS on MongoDB, files under DATA_DIR on the embedded store. */
export interface FileStore {
  write(id: string, data: Buffer, metadata: Record<string, unknown>): Promise<void>;
  /** Reads the whole file, or a byte range [start, end] inclusive. */
  read(id: string, range?: { start: number; end: number }): Promise<Buffer>;
  size(id: string): Promise<number | null>;
  remove(id: string): Promise<void>;
}

export interface Store {
  readonly engine: 'mongodb' | 'embedded';
  collection<T extends Doc>(name: string): Collection<T>;
  readonly files: FileStore;
  ensureIndexes(specs: readonly IndexSpec[]): Promise<void>;
  /** Resolves when the database answers; rejects with StoreError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Deletes every collection and file: for tests only. */
  dropEverything(): Promise<void>;
}

const PORTABLE_STAGES = new Set(['$match', '$group', '$sort', '$project', '$unwind', '$limit', '$skip', '$count']);

/**
 * Refuses a pipeline that FerretDB 1.x or MongoDB would not both run, on both engines, so a
 * report that works on the embedded store cannot fail in production.
 */
export function assertPortablePipeline(pipeline: Record<string, unknown>[]): void {
  for (const stage of pipeline) {
    const names = Object.keys(stage);
    if (names.length !== 1 || !PORTABLE_STAGES.has(names[0])) {
      throw new BadRequestError(`aggregation stage ${names.join(',')} is not portable across MongoDB and FerretDB`);
    }
    if (names[0] === '$group') {
      const group = stage.$group as Record<string, unknown>;
      // FerretDB 1.24 computes only the first accumulator of a $group and returns 0 for the others.
      if (Object.keys(group).filter((f) => f !== '_id').length > 1) {
        throw new BadRequestError('a $group may have only one accumulator (FerretDB 1.x fills the others with 0); run one pipeline per sum');
      }
      for (const [field, acc] of Object.entries(group)) {
        if (field === '_id') continue;
        const ops = acc && typeof acc === 'object' ? Object.keys(acc) : [];
        if (ops.length !== 1 || ops[0] !== '$sum') {
          throw new BadRequestError(`$group accumulator for ${field} must be $sum (others are not portable)`);
        }
      }
    }
  }
}
