import { Gazetteer } from '../gazetteer/gazetteer';
import { parsePeriod } from '../reports/period';
import { runReport } from '../reports/scorecard-report';
import { Scorecard } from '../scorecard/scorecard';
import { StoreError } from '../errors';
import { Doc, Store } from '../store/store';
import { StoreSource } from './store-source';

/**
 * Copies a whole store into another (the embedded store into MongoDB: documents into
 * collections, recordings into GridFS), then checks both sides agree before it says done.
 * Resumable and idempotent: a document whose _id the target already holds, or a recording of
 * the same size, is left alone, so a run that stopped half-way is finished by running it again,
 * and a second run changes nothing.
 */
export interface MigrationResult {
  collections: Record<string, { source: number; copied: number; alreadyThere: number }>;
  files: { source: number; copied: number; alreadyThere: number };
}

const BATCH = 200;

export async function copyStore(source: StoreSource, target: Store, progress: (msg: string) => void = () => {}): Promise<MigrationResult> {
  const result: MigrationResult = { collections: {}, files: { source: 0, copied: 0, alreadyThere: 0 } };
  for (const name of await source.collections()) {
    const docs = await source.store.collection<Doc>(name).find({}, { sort: { _id: 1 } });
    const entry = { source: docs.length, copied: 0, alreadyThere: 0 };
    for (let i = 0; i < docs.length; i += BATCH) {
      const batch = docs.slice(i, i + BATCH);
      const present = new Set((await target.collection<Doc>(name).find({ _id: { $in: batch.map((d) => d._id) } }, { projection: { _id: 1 } })).map((d) => d._id));
      const missing = batch.filter((d) => !present.has(d._id));
      if (missing.length) await target.collection<Doc>(name).insertMany(missing);
      entry.copied += missing.length;
      entry.alreadyThere += present.size;
    }
    result.collections[name] = entry;
    progress(`${name}: ${entry.copied} copied, ${entry.alreadyThere} already there (${entry.source} in all)`);
  }
  const ids = await source.fileIds();
  result.files.source = ids.length;
  for (const id of ids) {
    const size = await source.store.files.size(id);
    if (size !== null && (await target.files.size(id)) === size) {
      result.files.alreadyThere += 1;
      continue;
    }
    await target.files.write(id, await source.store.files.read(id), await source.fileMetadata(id));
    result.files.copied += 1;
  }
  progress(`recordings: ${result.files.copied} copied, ${result.files.alreadyThere} already there (${ids.length} in all)`);
  return result;
}

/**
 * The target's note of which store is being copied into it, written before the first document:
 * a later run from the same store resumes, any other store is refused (two stores mixed in one
 * database can never be told apart again).
 */
export const MIGRATION_MARKER = 'migration_source';

/** Which embedded store a copy comes from: the machine and its data folder. */
export interface SourceIdentity {
  host: string;
  dataDir: string;
}

/**
 * Makes sure `target` is empty or this source's own copy (begun or finished), and notes the
 * source in it before anything is copied. `targetView` lists what the target database holds.
 * Throws StoreError saying what the target holds and how to choose another database.
 */
export async function claimTarget(targetView: StoreSource, target: Store, source: SourceIdentity, where: string, now = new Date()): Promise<'new' | 'resumed'> {
  const markers = target.collection<Doc & SourceIdentity & { startedAt: Date }>(MIGRATION_MARKER);
  const marker = await markers.findOne({ _id: 'source' });
  const choose = 'Choose another database with --db NAME (a name nothing uses yet, for example hotline_new; the hotline then runs with MONGODB_DB=NAME), or, if you are sure nothing in it is needed, drop that database yourself first.';
  if (marker) {
    if (marker.host === source.host && marker.dataDir === source.dataDir) return 'resumed';
    throw new StoreError(`${where} holds a copy of another store (${marker.dataDir} on ${marker.host}, begun ${new Date(marker.startedAt).toISOString()}); this one (${source.dataDir} on ${source.host}) would be mixed into it. ${choose}`);
  }
  const held: string[] = [];
  for (const name of await targetView.collections()) {
    if (name === MIGRATION_MARKER) continue;
    const count = await target.collection(name).countDocuments({});
    if (count) held.push(`${name} (${count})`);
  }
  const files = (await targetView.fileIds()).length;
  if (files) held.push(`${files} recording(s)`);
  if (held.length) {
    throw new StoreError(`${where} already holds data that did not come from this store: ${held.join(', ')}. Copying into it would mix two stores. ${choose}`);
  }
  await markers.insertOne({ _id: 'source', ...source, startedAt: now } as Doc & SourceIdentity & { startedAt: Date });
  return 'new';
}

/** Every report the hotline publishes, over all time, for the whole country: what must agree on both sides. */
export async function reportFigures(store: Store, scorecard: Scorecard, gazetteer: Gazetteer): Promise<string> {
  const period = parsePeriod('2000-01-01', '2100-01-01');
  const summary = await runReport({ store, scorecard, gazetteer }, { period, area: {}, breakdowns: true });
  const table = await runReport({ store, scorecard, gazetteer }, { period, area: {}, table: true });
  return JSON.stringify({ summary, table });
}

/** Counts, recording sizes and report figures on both sides; throws StoreError naming each difference. */
export async function verifyCopy(source: StoreSource, target: Store, defs: { scorecard: Scorecard; gazetteer: Gazetteer }): Promise<void> {
  const problems: string[] = [];
  for (const name of await source.collections()) {
    const [a, b] = [await source.store.collection(name).countDocuments({}), await target.collection(name).countDocuments({})];
    if (a !== b) problems.push(`${name}: ${a} document(s) here, ${b} in the target`);
  }
  for (const id of await source.fileIds()) {
    const [a, b] = [await source.store.files.size(id), await target.files.size(id)];
    if (a !== b) problems.push(`recording ${id}: ${a} bytes here, ${b ?? 'none'} in the target`);
  }
  const [here, there] = [await reportFigures(source.store, defs.scorecard, defs.gazetteer), await reportFigures(target, defs.scorecard, defs.gazetteer)];
  if (here !== there) problems.push('the report figures differ between the two stores');
  if (problems.length) throw new StoreError(`the copy does not match:\n  - ${problems.join('\n  - ')}\nRun the command again to finish the copy (it resumes this store's own copy).`);
}
