/**
 * npm run bench -- [options]: the call-load benchmark (bench/call-load.ts) on both store engines
 * and on the floor, printing one table with the ratios to the floor.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import cliProgress from 'cli-progress';
import {
  benchWorkDir, cpuVerdicts, Engine, formatCpu, formatTable, missedTargets, RatingScripts, REALISTIC, REPO_ROOT, RunningServer, runShape, SATURATION, Shape,
  ShapeResult, startFloorProcess, startHotlineProcess, warmUp,
} from '../bench/call-load';
import { measureCpu, waitUntilIdle } from '../bench/cpu-time';
import { startDatabaseProbe } from '../bench/database-probe';
import { processAlive } from '../src/process-alive';
import { MongoStore } from '../src/store/mongo-store';
import { formatStaffBusy, missedStaffBusy, prepareStaffBusy, runStaffBusy, StaffBusyResult } from '../bench/staff-busy';
import { BURST, BURST_P99_RATIO, BurstResult, BurstStart, formatBurst, missedBurst, runBurst } from '../bench/burst';
import { formatSignInFlood, missedSignInFlood, runSignInFlood, SIGN_IN_FLOOD_ATTACKERS, SIGN_IN_FLOOD_TARGET_RATIO, SignInFloodResult } from '../bench/sign-in-flood';

const HELP = `Usage: npm run bench -- [options]

Runs simulated rating calls through the real webhooks (signed requests, full calls, random
communes from the gazetteer) against the hotline started as its own process (node
dist/src/server.js; npm run bench builds it first), on each engine, and against the floor (a bare
Express app answering one fixed TwiML document) with the same shapes:
  realistic   200 concurrent callers, 0.5-1.5 s pause before each turn, starts staggered over 10 s,
              2 calls each (capped at 120 s)
  saturation  100 callers with no pause, for 15 s (capped at 45 s)
  staff-busy  the realistic load on a store seeded with a year of ratings and audit entries, run
              alone, then while 2 staff members keep opening the national table and the audit
              log, then alone again; prints the webhooks' p99 with staff busy as a ratio to the
              lower p99 alone (target <= 2x)
  burst       200 callers ringing within one second, on a server just started and on one that
              took 3 calls first (each a fresh server, the floor too); prints the first turn's
              p99 as a ratio to the floor's started the same way (target <= 1.5x)
  sign-in-flood  the realistic load alone, then while an attacker posts staff sign-ins with a new
              username each as fast as the server answers (--flood-attackers loops), then alone
              again; prints the webhooks' p99 during the flood as a ratio to the lower p99
              quiet (target <= 2x)
A request unanswered after 15 s (the carrier's webhook timeout) is an error.
Prints turns/s, p50/p95/p99 turn latency, errors and the server's peak memory (VmHWM), with our
p99 and throughput as ratios to the floor's, then each row's CPU milliseconds per turn: the server's,
the database server's (started here, or named by MONGO_COMPAT_PID with MONGODB_URI) and the load
generator's, with an estimate of the MongoDB rows' saturation throughput with the database on
another host, and the database's own latency during the row (a findOne by _id, then an updateOne
and an insertOne in sequence, timed every 20 ms: the least database time a rating turn needs).
Loopback only.

Options:
  --engines LIST       embedded,mongodb (default both). mongodb uses MONGODB_URI or --mongodb-uri,
                       otherwise starts ../shared/tools/mongo-compatible-server for the run
  --shapes LIST        realistic,saturation,staff-busy,burst,sign-in-flood (default all five)
  --flood-attackers N  concurrent attacker loops in the sign-in-flood row (default 4)
  --staff-ratings N    ratings seeded for the staff-busy row (default 50000; audit entries: N/5)
  --staff-pause-ms N   a staff member's reading time between pages (default 1000; 0 hammers them)
  --report-fresh-seconds N  the server's REPORT_FRESH_SECONDS in the staff-busy row (default: the
                       server's own, 60; 0 counts the national table on every view)
  --duration SECONDS   saturation length (default 15)
  --calls N            calls per realistic caller (default 2)
  --callers-realistic N   (default 200)
  --callers-saturation N  (default 100)
  --mongodb-uri URI    use this MongoDB server
  --cpu-prof DIR       run the hotline under node --cpu-prof, profiles written to DIR
  --json FILE          also write the results as JSON to FILE
  --help               this text

Exit status: 0 every target met (realistic: no errors, p99 <= 2x floor; saturation: >= 40% of
the floor's turns/s; peak memory < 250 MB), 1 a target missed, 2 bad options, 3 a server could
not start.`;

function parseArgs(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (name === 'help') out.help = true;
    else if (i + 1 < argv.length) out[name] = argv[++i];
    else throw new Error(`${a} needs a value`);
  }
  return out;
}

function positive(o: Record<string, string | true>, name: string, dflt: number): number {
  if (o[name] === undefined) return dflt;
  const n = Number(o[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
  return n;
}

function list<T extends string>(o: Record<string, string | true>, name: string, allowed: readonly T[]): T[] {
  if (o[name] === undefined) return [...allowed];
  const items = String(o[name]).split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!allowed.includes(i as T)) throw new Error(`--${name}: ${i} is not one of ${allowed.join(', ')}`);
  return items as T[];
}

/** Starts the MongoDB-compatible server for this run; returns its URI and how to stop it (and remove its data). */
function startMongoCompatible(): { uri: string; pid?: number; stop: () => Promise<void> } {
  // The same starter as npm test: the shared start script.
  const starter = path.resolve(REPO_ROOT, process.env.MONGO_COMPAT_STARTER ?? '../shared/tools/mongo-compatible-server/start');
  const r = spawnSync(starter, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the MongoDB-compatible server did not start: ${r.stderr}`);
  const uri = /MONGODB_URI='([^']+)'/.exec(r.stdout)?.[1];
  const pid = Number(/MONGO_COMPAT_PID=(\d+)/.exec(r.stdout)?.[1]);
  const dir = /MONGO_COMPAT_DIR='([^']+)'/.exec(r.stdout)?.[1];
  if (!uri || !pid) throw new Error(`unexpected output from ${starter}: ${r.stdout}`);
  return {
    uri, pid,
    async stop() {
      try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      // Its data (several hundred MB after a run) goes once it has stopped, at most 10 s later.
      for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      if (dir && !processAlive(pid)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function dropDatabase(uri: string, db: string): Promise<void> {
  try {
    const store = await MongoStore.connect(uri, db);
    await store.dropEverything();
    await store.close();
  } catch (err) {
    process.stderr.write(`could not drop the benchmark database ${db}: ${(err as Error).message}\n`);
  }
}

async function main() {
  let o: Record<string, string | true>;
  let engines: ('embedded' | 'mongodb')[];
  let shapes: Shape[];
  let staffBusy = false;
  let staffRatings = 50_000;
  let staffPauseMs = 1000;
  let reportFreshSeconds: number | undefined;
  let realisticShape: Shape = REALISTIC;
  const staffBusyResults: StaffBusyResult[] = [];
  let burst = false;
  const burstResults: BurstResult[] = [];
  let signInFlood = false;
  let floodAttackers = SIGN_IN_FLOOD_ATTACKERS;
  const signInFloodResults: SignInFloodResult[] = [];
  try {
    o = parseArgs(process.argv.slice(2));
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    engines = list(o, 'engines', ['embedded', 'mongodb'] as const);
    const shapeNames = list(o, 'shapes', ['realistic', 'saturation', 'staff-busy', 'burst', 'sign-in-flood'] as const);
    signInFlood = shapeNames.includes('sign-in-flood');
    floodAttackers = positive(o, 'flood-attackers', SIGN_IN_FLOOD_ATTACKERS);
    staffBusy = shapeNames.includes('staff-busy');
    burst = shapeNames.includes('burst');
    staffRatings = positive(o, 'staff-ratings', 50_000);
    staffPauseMs = o['staff-pause-ms'] === '0' ? 0 : positive(o, 'staff-pause-ms', 1000);
    if (o['report-fresh-seconds'] !== undefined) reportFreshSeconds = o['report-fresh-seconds'] === '0' ? 0 : positive(o, 'report-fresh-seconds', 60);
    const realistic: Shape = { ...REALISTIC, callers: positive(o, 'callers-realistic', REALISTIC.callers), callsPerCaller: positive(o, 'calls', REALISTIC.callsPerCaller!) };
    const saturation: Shape = { ...SATURATION, callers: positive(o, 'callers-saturation', SATURATION.callers), durationMs: 1000 * positive(o, 'duration', SATURATION.durationMs! / 1000) };
    shapes = shapeNames.filter((n) => n !== 'staff-busy' && n !== 'burst' && n !== 'sign-in-flood').map((n) => (n === 'realistic' ? realistic : saturation));
    realisticShape = realistic;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }

  const workDir = benchWorkDir();
  const scripts = new RatingScripts();
  let mongo: { uri: string; pid?: number; stop: () => void } | null = null;
  const results: ShapeResult[] = [];
  const failedToStart: string[] = [];
  // A bar per row on a terminal; one line per row otherwise (cli-progress draws nothing useful off a TTY).
  const tty = Boolean(process.stderr.isTTY);
  const bars = new cliProgress.MultiBar({
    format: '{row} [{bar}] {value}/{total} {unit}', hideCursor: true, clearOnComplete: false, stream: process.stderr,
    barCompleteChar: '#', barIncompleteChar: '-',
  });

  try {
    if (engines.includes('mongodb')) {
      const uri = typeof o['mongodb-uri'] === 'string' ? o['mongodb-uri'] : process.env.MONGODB_URI;
      // The server's PID (ours, or MONGO_COMPAT_PID from the test server's start script) lets the CPU table count the database's time.
      const namedPid = Number(process.env.MONGO_COMPAT_PID);
      mongo = uri ? { uri, pid: uri === process.env.MONGODB_URI && namedPid > 0 ? namedPid : undefined, stop: () => undefined } : startMongoCompatible();
    }
    const targets: Engine[] = ['floor', ...engines];
    // Shape by shape, the floor first: the machine is shared, so rows compared with each other are measured close together.
    for (const shape of shapes) {
      for (const engine of targets) {
        // A fresh server (and data folder or database) for every row, so each peak memory is its own.
        let server: RunningServer;
        const mongodbDb = `bench_${shape.name}_${Date.now()}`;
        try {
          server = engine === 'floor'
            ? await startFloorProcess(workDir)
            : await startHotlineProcess({
                engine, workDir, mongodbUri: mongo?.uri, mongodbDb,
                cpuProfDir: typeof o['cpu-prof'] === 'string' ? path.resolve(o['cpu-prof'], `${engine}-${shape.name}`) : undefined,
              });
        } catch (err) {
          // Keep going: the other rows still say something; the exit status says this one failed.
          process.stderr.write(`${engine} ${shape.name}: the server did not start: ${(err as Error).message}\n`);
          failedToStart.push(`${engine} ${shape.name}`);
          continue;
        }
        const row = `${engine.padEnd(8)} ${shape.name.padEnd(10)}`;
        let bar: cliProgress.SingleBar | undefined;
        let timer: NodeJS.Timeout | undefined;
        try {
          await warmUp(server, scripts);
          if (!tty) {
            process.stderr.write(`${row} running...\n`);
          } else if (shape.callsPerCaller !== undefined) {
            bar = bars.create(shape.callers * shape.callsPerCaller, 0, { row, unit: 'calls' });
          } else {
            const total = Math.round(shape.durationMs! / 1000);
            const b = bars.create(total, 0, { row, unit: 's' });
            const t0 = Date.now();
            timer = setInterval(() => b.update(Math.min(total, Math.round((Date.now() - t0) / 1000))), 500);
            bar = b;
          }
          const cpu = measureCpu(server.pid, engine === 'mongodb' ? mongo?.pid : undefined);
          const probe = engine === 'mongodb' && mongo ? await startDatabaseProbe(mongo.uri, mongodbDb) : null;
          const r = await runShape({ server, shape, scripts, onCall: (n) => { if (shape.callsPerCaller !== undefined) bar?.update(n); } });
          r.cpu = cpu.finish(r.turns);
          if (probe) r.databaseRoundTrip = await probe.stop();
          bar?.update(bar.getTotal());
          if (!tty) process.stderr.write(`${row} done: ${r.turns} turns in ${r.seconds.toFixed(1)} s, ${r.errors} errors\n`);
          results.push(r);
        } finally {
          if (timer) clearInterval(timer);
          await server.stop();
          // The benchmark's own database goes away with it (MONGODB_URI may name a shared server).
          if (engine === 'mongodb' && mongo) await dropDatabase(mongo.uri, mongodbDb);
        }
      }
    }
    // The staff-busy row: the realistic load alone, then with staff busy, on one seeded server per engine.
    for (const engine of staffBusy ? engines : []) {
      const mongodbDb = `bench_staff_busy_${Date.now()}`;
      let server: RunningServer;
      try {
        process.stderr.write(`${engine.padEnd(8)} staff-busy: seeding ${staffRatings} ratings...\n`);
        server = await startHotlineProcess({
          engine, workDir, mongodbUri: mongo?.uri, mongodbDb, prepare: (store) => prepareStaffBusy(store, staffRatings),
          env: reportFreshSeconds === undefined ? {} : { REPORT_FRESH_SECONDS: String(reportFreshSeconds) },
          cpuProfDir: typeof o['cpu-prof'] === 'string' ? path.resolve(o['cpu-prof'], `${engine}-staff-busy`) : undefined,
        });
      } catch (err) {
        process.stderr.write(`${engine} staff-busy: the server did not start: ${(err as Error).message}\n`);
        failedToStart.push(`${engine} staff-busy`);
        continue;
      }
      try {
        await warmUp(server, scripts);
        // The seeding's aftermath (the database server's checkpoints and autovacuum, the embedded store's load) is not part of the row.
        const settledMs = await waitUntilIdle(engine === 'mongodb' && mongo?.pid ? mongo.pid : server.pid);
        if (settledMs !== null) process.stderr.write(`${engine.padEnd(8)} staff-busy: ${engine === 'mongodb' ? 'the database server' : 'the server'} idle after ${(settledMs / 1000).toFixed(0)} s\n`);
        process.stderr.write(`${engine.padEnd(8)} staff-busy: callers alone, with staff busy, then alone again...\n`);
        staffBusyResults.push(await runStaffBusy({ server, shape: realisticShape, scripts, pauseMs: staffPauseMs }));
      } finally {
        await server.stop();
        if (engine === 'mongodb' && mongo) await dropDatabase(mongo.uri, mongodbDb);
      }
    }
    // The sign-in flood row: the realistic load alone, during a flood of sign-ins with new usernames, then alone again.
    for (const engine of signInFlood ? engines : []) {
      const mongodbDb = `bench_sign_in_flood_${Date.now()}`;
      let server: RunningServer;
      try {
        server = await startHotlineProcess({ engine, workDir, mongodbUri: mongo?.uri, mongodbDb });
      } catch (err) {
        process.stderr.write(`${engine} sign-in-flood: the server did not start: ${(err as Error).message}\n`);
        failedToStart.push(`${engine} sign-in-flood`);
        continue;
      }
      try {
        await warmUp(server, scripts);
        process.stderr.write(`${engine.padEnd(8)} sign-in-flood: callers alone, during a flood of sign-ins (${floodAttackers} attackers), then alone again...\n`);
        signInFloodResults.push(await runSignInFlood({ server, shape: realisticShape, scripts, attackers: floodAttackers }));
      } finally {
        await server.stop();
        if (engine === 'mongodb' && mongo) await dropDatabase(mongo.uri, mongodbDb);
      }
    }
    // The burst rows: a fresh server each (the floor's too), so "right after a start" is one.
    for (const start of (burst ? ['cold', 'warm'] : []) as BurstStart[]) {
      for (const engine of ['floor', ...engines] as Engine[]) {
        const mongodbDb = `bench_burst_${start}_${Date.now()}`;
        let server: RunningServer;
        try {
          server = engine === 'floor' ? await startFloorProcess(workDir) : await startHotlineProcess({ engine, workDir, mongodbUri: mongo?.uri, mongodbDb });
        } catch (err) {
          process.stderr.write(`${engine} burst: the server did not start: ${(err as Error).message}\n`);
          failedToStart.push(`${engine} burst ${start}`);
          continue;
        }
        try {
          process.stderr.write(`${engine.padEnd(8)} burst: ${BURST.callers} callers within ${BURST.windowMs / 1000} s ${start === 'cold' ? 'right after a start' : `after ${BURST.warmUpCalls} calls`}...\n`);
          burstResults.push(await runBurst({ server, start, scripts }));
        } finally {
          await server.stop();
          if (engine === 'mongodb' && mongo) await dropDatabase(mongo.uri, mongodbDb);
        }
      }
    }
  } finally {
    bars.stop();
    await mongo?.stop();
  }

  if (results.length) {
    console.log('');
    console.log(formatTable(results));
    console.log(`\nCPU per turn (this machine's ${os.cpus().length} cores are shared by the server, the database server and the load generator):`);
    console.log(formatCpu(results, os.cpus().length));
    for (const verdict of cpuVerdicts(results, os.cpus().length)) console.log(`\n${verdict}`);
  }
  for (const r of results.filter((x) => x.errorSamples.length)) {
    console.log(`\n${r.engine} ${r.shape}: first errors:\n  ${r.errorSamples.join('\n  ')}`);
  }
  if (typeof o.json === 'string') fs.writeFileSync(o.json, JSON.stringify(results, null, 2));
  if (staffBusyResults.length) {
    console.log(`\nStaff busy (the server's REPORT_FRESH_SECONDS: ${reportFreshSeconds ?? 'its default, 60'}):\n${formatStaffBusy(staffBusyResults)}`);
  }
  if (burstResults.length) {
    console.log(`\nBurst (first turn: the ring, answered with the welcome and language menu; target: p99 <= ${BURST_P99_RATIO}x the floor's):\n${formatBurst(burstResults)}`);
    for (const r of burstResults.filter((x) => x.errorSamples.length)) console.log(`\n${r.engine} burst ${r.start}: first errors:\n  ${r.errorSamples.join('\n  ')}`);
  }
  if (signInFloodResults.length) {
    console.log(`\nSign-in flood (a new username on every sign-in; target: webhook p99 <= ${SIGN_IN_FLOOD_TARGET_RATIO}x quiet):\n${formatSignInFlood(signInFloodResults)}`);
  }
  const missed = [...missedTargets(results), ...missedStaffBusy(staffBusyResults), ...missedBurst(burstResults), ...missedSignInFlood(signInFloodResults)];
  console.log(missed.length ? `\nTargets missed:\n  - ${missed.join('\n  - ')}` : '\nAll targets met.');
  if (failedToStart.length) console.log(`\nNot measured (the server did not start): ${failedToStart.join(', ')}`);
  fs.rmSync(workDir, { recursive: true, force: true });
  return failedToStart.length ? 3 : missed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(3);
});
