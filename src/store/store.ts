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
  /**
   * Returns how many documents matched, and whether one was inserted by upsert. `likelyNew`: the
   * caller expects the upsert to create the document nearly always (a new rating, a call's first
   * status); an engine that creates upserted documents in two steps then tries the insert first.
   */
  updateOne(filter: Filter, update: Update, options?: { upsert?: boolean; likelyNew?: boolean }): Promise<{ matched: number; upserted: boolean }>;
  updateMany(filter: Filter, update: Update): Promise<number>;
  /**
   * Applies one update to each named document (a missing one is skipped): a data upgrade, or a
   * call's few ratings. Unordered bulkWrites on MongoDB (one round trip per batch), each update
   * found by _id.
   */
  updateEachById(updates: readonly { _id: string; update: Update }[]): Promise<void>;
  /** Atomically updates one matching document and returns it as it is after the update. */
  findOneAndUpdate(filter: Filter, update: Update, options?: { upsert?: boolean; sort?: SortSpec }): Promise<T | null>;
  deleteOne(filter: Filter): Promise<number>;
  deleteMany(filter: Filter): Promise<number>;
  /** Runs a pipeline within the subset MongoDB, FerretDB 2 and mingo all run alike (assertPortablePipeline). */
  aggregate<R = Record<string, unknown>>(pipeline: Record<string, unknown>[]): Promise<R[]>;
  /**
   * As aggregate, visiting each result without holding them all in this process (MongoDB: a
   * cursor read in batches), for pipelines with many results, e.g. the report's figure grid.
   */
  aggregateEach<R = Record<string, unknown>>(pipeline: Record<string, unknown>[], visit: (result: R) => void): Promise<void>;
}

export interface IndexSpec {
  collection: string;
  keys: Record<string, 1 | -1>;
  unique?: boolean;
  /** Seconds after the date in the (single) indexed field when MongoDB deletes the document. */
  expireAfterSeconds?: number;
  /**
   * The embedded store leaves documents without the (single, string-valued) field out of the
   * index. NeDB keeps every document lacking the field under one key, and updating any of them
   * walks that key's whole list: with 20,000 ratings, most without `spokenPlaceId`, every rating
   * update took milliseconds and callers' webhooks waited seconds (npm run bench:public). Not for
   * dates: NeDB's sparse check drops Date keys too. MongoDB's B-tree has no such cost, and an
   * existing index keeps its options there, so MongoDB ignores this.
   */
  sparseOnEmbedded?: boolean;
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
  /** How another process on this machine opens the same data to read it (the report process). */
  readerSource(): StoreSource;
}

/** The embedded store's folder, or the MongoDB server and database. Holds credentials: never log it. */
export type StoreSource = { engine: 'embedded'; dataDir: string } | { engine: 'mongodb'; uri: string; db: string };

/**
 * The aggregation subset that MongoDB 7, the FerretDB 2.5 test server (PostgreSQL + DocumentDB)
 * and mingo (the embedded store) all run with the same results, checked by
 * test/store/portable-pipelines.test.ts, which runs an example of every stage, accumulator and
 * expression operator below on the engine and on mingo directly.
 *
 * Left out, and why (measured with that test's cases on the test server and mingo 7):
 * - $lookup, $graphLookup, $unionWith: the embedded store hands mingo one collection.
 * - $bucket, $bucketAuto: mingo 7 put a document in the wrong bucket.
 * - $top, $bottom and their N forms: mingo 7 returns an array where MongoDB returns the value.
 * - $mergeObjects: FerretDB returns null for a group with nothing to merge, MongoDB and mingo {}.
 * - $sample (random), $out and $merge (writes), $setWindowFields, $densify, $fill: not needed, untested.
 * One difference remains inside the subset: a field missing from every document of a group in
 * an object `_id` ({ k: '$kind', g: '$d.g' }) comes back as null on FerretDB and is left out on
 * MongoDB and mingo, so readers treat null and absent alike (or use $ifNull to name the gap).
 */
const PORTABLE_STAGES = new Set([
  '$match', '$group', '$sort', '$project', '$unwind', '$limit', '$skip', '$count',
  '$addFields', '$set', '$unset', '$replaceRoot', '$sortByCount', '$facet',
]);
const PORTABLE_ACCUMULATORS = new Set(['$sum', '$avg', '$min', '$max', '$first', '$last', '$push', '$addToSet', '$count']);
const PORTABLE_EXPRESSIONS = new Set([
  '$cond', '$ifNull', '$switch',
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$and', '$or', '$not', '$in',
  '$add', '$subtract', '$multiply', '$divide', '$round',
  '$concat', '$toString', '$size', '$dateToString', '$year', '$month', '$literal',
]);
/** The subset, for the test that runs an example of each. */
export const PORTABLE_AGGREGATION = { stages: PORTABLE_STAGES, accumulators: PORTABLE_ACCUMULATORS, expressions: PORTABLE_EXPRESSIONS } as const;

/** Query operators in $match that mingo or FerretDB do not run. */
const UNPORTABLE_QUERY_OPERATORS = new Set(['$where', '$text', '$near', '$nearSphere', '$geoWithin', '$geoIntersects', '$jsonSchema', '$function']);

function refuse(message: string): never {
  throw new BadRequestError(`${message} (not portable across MongoDB, FerretDB and the embedded store; see assertPortablePipeline)`);
}

/** Walks an aggregation expression: every operator in it must be in PORTABLE_EXPRESSIONS. */
function checkExpression(expr: unknown, where: string): void {
  if (Array.isArray(expr)) {
    for (const e of expr) checkExpression(e, where);
    return;
  }
  if (!expr || typeof expr !== 'object' || expr instanceof Date) return;
  for (const [key, value] of Object.entries(expr as Record<string, unknown>)) {
    if (key.startsWith('$')) {
      if (!PORTABLE_EXPRESSIONS.has(key)) refuse(`expression operator ${key} in ${where}`);
      if (key === '$literal') continue;
    }
    checkExpression(value, where);
  }
}

function checkQuery(filter: unknown): void {
  if (Array.isArray(filter)) {
    for (const f of filter) checkQuery(f);
    return;
  }
  if (!filter || typeof filter !== 'object' || filter instanceof Date) return;
  for (const [key, value] of Object.entries(filter as Record<string, unknown>)) {
    if (UNPORTABLE_QUERY_OPERATORS.has(key)) refuse(`query operator ${key} in $match`);
    if (key === '$expr') checkExpression(value, '$match.$expr');
    else checkQuery(value);
  }
}

/**
 * Refuses a pipeline outside the portable subset above, on both engines, so a report that works
 * on the embedded store cannot fail (or count differently) on MongoDB, and the other way round.
 */
export function assertPortablePipeline(pipeline: Record<string, unknown>[]): void {
  for (const stage of pipeline) {
    const names = Object.keys(stage);
    if (names.length !== 1) refuse(`a stage must have exactly one operator; this one has ${names.join(',') || 'none'}`);
    const [name] = names;
    if (!PORTABLE_STAGES.has(name)) refuse(`aggregation stage ${name}`);
    const body = stage[name];
    switch (name) {
      case '$match':
        checkQuery(body);
        break;
      case '$group':
        for (const [field, acc] of Object.entries(body as Record<string, unknown>)) {
          if (field === '_id') {
            checkExpression(acc, '$group._id');
            continue;
          }
          const ops = acc && typeof acc === 'object' && !Array.isArray(acc) ? Object.keys(acc) : [];
          if (ops.length !== 1 || !PORTABLE_ACCUMULATORS.has(ops[0])) {
            refuse(`$group accumulator for ${field} must be one of ${[...PORTABLE_ACCUMULATORS].join(' ')}`);
          }
          checkExpression((acc as Record<string, unknown>)[ops[0]], `$group.${field}`);
        }
        break;
      case '$project':
      case '$addFields':
      case '$set':
      case '$replaceRoot':
      case '$sortByCount':
        checkExpression(body, name);
        break;
      case '$facet':
        for (const sub of Object.values(body as Record<string, Record<string, unknown>[]>)) assertPortablePipeline(sub);
        break;
    }
  }
}
