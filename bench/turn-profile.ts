/**
 * npm run bench:turns -- [--calls N] [--seed N]: what one webhook costs the database on MongoDB
 * (MONGODB_URI): round trips (commands the driver sends) and documents written per request, by
 * kind of request and by command, for full rating calls played one at a time through the real
 * webhooks; then explain() of the turn path's queries, after seeding --seed ratings and calls so
 * the planner has a reason to use indexes. Counts do not depend on machine load, unlike timings.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { CommandStartedEvent, CommandSucceededEvent, Db, MongoClient } from 'mongodb';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';
import { buildRuntime } from '../src/runtime';
import { CallSimulator } from '../src/simulator/call-simulator';
import { INDEXES } from '../src/store/indexes';
import { MongoStore } from '../src/store/mongo-store';
import { RatingScripts, REPO_ROOT } from './call-load';

const AUTH = 'profile-auth-token-0123456789abcdef';
const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

interface Tally { requests: number; trips: number; written: number; byCommand: Map<string, number> }

/** The plan's access path in one word: IXSCAN/IDHACK/EXPRESS/COLLSCAN (MongoDB) or Index/Seq Scan (FerretDB on PostgreSQL). */
function accessPath(plan: unknown): string {
  const text = JSON.stringify(plan);
  const found = new Set<string>();
  for (const m of text.matchAll(/"stage":"([A-Z_]+)"/g)) found.add(m[1]);
  for (const m of text.matchAll(/(Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)(?: using ([\w.]+))?/g)) found.add(m[2] ? `${m[1]} using ${m[2]}` : m[1]);
  return [...found].join(', ') || text.slice(0, 200);
}

async function main() {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error('set MONGODB_URI (source /work/notes/mongo.env, or a real MongoDB)');
  const calls = arg('calls', 20);
  const seed = arg('seed', 20000);
  const dbName = `turn_profile_${process.pid}`;

  let current: Tally | null = null;
  const tallies = new Map<string, Tally>();
  const pending = new Map<number, string>();
  const onCommand = (e: CommandStartedEvent) => {
    if (!current) return;
    current.trips += 1;
    const key = `${e.commandName} ${String(e.command[e.commandName] ?? '')}`;
    current.byCommand.set(key, (current.byCommand.get(key) ?? 0) + 1);
    if (WRITES.has(e.commandName)) pending.set(e.requestId, e.commandName);
  };
  const store = await MongoStore.connect(uri, dbName, { onCommand });
  const client = (store as unknown as { client: MongoClient }).client;
  client.on('commandSucceeded', (e: CommandSucceededEvent) => {
    const name = pending.get(e.requestId);
    if (!name || !current) return;
    pending.delete(e.requestId);
    const r = e.reply as { n?: number; nModified?: number; upserted?: unknown[]; lastErrorObject?: { n?: number; updatedExisting?: boolean } };
    if (name === 'update') current.written += (r.nModified ?? 0) + (r.upserted?.length ?? 0);
    else if (name === 'findAndModify') current.written += r.lastErrorObject?.n ?? 0;
    else current.written += r.n ?? 0;
  });
  await store.ensureIndexes(INDEXES);

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({
    NODE_ENV: 'test', PORT: new URL(url).port, PUBLIC_BASE_URL: url, TWILIO_AUTH_TOKEN: AUTH, TWILIO_ACCOUNT_SID: 'ACprofile',
    CALLER_HASH_SECRET: 'profile-secret', SESSION_SECRET: 'profile-session', LOG_LEVEL: 'warn', MONGODB_URI: uri, MONGODB_DB: dbName,
  }, { cwd: REPO_ROOT });
  const rt = await buildRuntime(config, { store, logger: createLogger('warn', new Writable({ write(_c, _e, cb) { cb(); } })) });
  server.on('request', createApp(rt));

  /** Each request is counted under its kind: incoming, turn (by the node the call was at), status. */
  const countingFetch: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    let kind = path.replace('/voice/', '');
    if (kind === 'turn') {
      const callSid = new URLSearchParams(String(init?.body)).get('CallSid') ?? '';
      const call = await rt.calls.find(callSid); // (not counted: current is not set yet)
      kind = `turn at ${call?.flow.node ?? '?'}`;
    }
    const tally = tallies.get(kind) ?? { requests: 0, trips: 0, written: 0, byCommand: new Map() };
    tallies.set(kind, tally);
    tally.requests += 1;
    current = tally;
    try {
      return await fetch(input, init);
    } finally {
      current = null;
    }
  };

  const scripts = new RatingScripts(undefined, (() => { let x = 42; return () => ((x = (x * 16807) % 2147483647) / 2147483647); })());
  for (let i = 0; i < calls; i++) {
    const { from, actions } = scripts.next();
    const t = await new CallSimulator({ serverUrl: url, publicBaseUrl: url, authToken: AUTH, from, fetchImpl: countingFetch }).run(actions);
    if (t.errors.length) throw new Error(`call failed: ${t.errors.join('; ')}`);
  }

  let requests = 0;
  let trips = 0;
  let written = 0;
  console.log(`Round trips and documents written per webhook request, ${calls} full rating calls on ${uri.replace(/\/\/[^@]*@/, '//…@')}:\n`);
  console.log('request                              n   trips/req  written/req  commands per request');
  for (const [kind, t] of [...tallies].sort((a, b) => b[1].requests - a[1].requests)) {
    requests += t.requests;
    trips += t.trips;
    written += t.written;
    const cmds = [...t.byCommand].map(([k, n]) => `${k} ${(n / t.requests).toFixed(2)}`).join(', ');
    console.log(`${kind.padEnd(34)} ${String(t.requests).padStart(4)} ${(t.trips / t.requests).toFixed(2).padStart(10)} ${(t.written / t.requests).toFixed(2).padStart(12)}  ${cmds}`);
  }
  const turns = requests;
  console.log(`${'all requests'.padEnd(34)} ${String(turns).padStart(4)} ${(trips / turns).toFixed(2).padStart(10)} ${(written / turns).toFixed(2).padStart(12)}`);
  console.log(`per call: ${(trips / calls).toFixed(1)} round trips, ${(written / calls).toFixed(1)} documents written, ${(turns / calls).toFixed(1)} requests`);

  // explain(): seed enough documents that a sequential scan would cost something.
  const db = (store as unknown as { db: Db }).db;
  const sampleCall = await db.collection('calls').findOne({});
  const sampleRating = await db.collection('ratings').findOne({});
  const filler = Array.from({ length: seed }, (_, i) => ({
    _id: `seed:${i}`, callSid: `CAseed${i % 5000}`, callerId: `seed-caller-${i % 7000}`, communeCode: String(10101 + (i % 1600)).padStart(6, '0'),
    service: 'health', indicatorId: `ind-${i % 6}`, score: 1 + (i % 5), ratedAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
  }));
  for (let i = 0; i < filler.length; i += 5000) await db.collection('ratings').insertMany(filler.slice(i, i + 5000) as never[]);
  const callFiller = Array.from({ length: seed / 4 }, (_, i) => ({ _id: `CAseedcall${i}`, turn: 3, updatedAt: new Date() }));
  for (let i = 0; i < callFiller.length; i += 5000) await db.collection('calls').insertMany(callFiller.slice(i, i + 5000) as never[]);
  await db.command({ analyze: 'ratings' }).catch(() => undefined); // FerretDB/PostgreSQL statistics; MongoDB has no such command
  const r = sampleRating as Record<string, unknown> | null;
  const queries: [string, string, Record<string, unknown>][] = [
    ['calls', 'find a call (a turn another instance moved on)', { _id: sampleCall?._id }],
    ['calls', 'compare-and-set on the turn', { _id: sampleCall?._id, turn: sampleCall?.turn }],
    ['ratings', 'save a rating (upsert by _id)', { _id: r?._id }],
    ['ratings', "a caller's ratings of one key (repeat marks)", { callerId: r?.callerId, communeCode: r?.communeCode, service: r?.service, indicatorId: r?.indicatorId, testCall: { $ne: true } }],
    ['ratings', 'demographics by rating ids', { _id: { $in: [r?._id, `${r?._id}x`] } }],
    ['callers', 'caller by id', { _id: 'x' }],
    ['messages', 'due downloads (worker claim)', { 'download.nextAttemptAt': { $lte: new Date() } }],
  ];
  console.log(`\nexplain() with ${seed} more ratings and ${seed / 4} more calls:`);
  for (const [collection, what, filter] of queries) {
    const plan = await db.collection(collection).find(filter).explain();
    console.log(`  ${what.padEnd(46)} ${collection.padEnd(9)} ${accessPath(plan)}`);
  }

  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store.dropEverything();
  await store.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
