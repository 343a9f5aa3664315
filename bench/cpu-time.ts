import * as fs from 'node:fs';

/**
 * CPU time of processes on this machine, from /proc (Linux), for the benchmark's "who used the
 * two cores" figures: the hotline, the database server (FerretDB and its PostgreSQL, a process
 * tree) and the load generator itself.
 */

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux port that matters). */
const TICKS_PER_SECOND = 100;

interface ProcStat { pid: number; ppid: number; ticks: number }

function readStat(pid: number): ProcStat | null {
  let raw: string;
  try {
    raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone in between
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it start after the last ')'.
  const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  // From field 3 on: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime.
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return { pid, ppid, ticks };
}

/**
 * Milliseconds of CPU used so far by `rootPid` and every process below it, including children
 * that already exited and were waited for (cutime/cstime). The sum never jumps when a child
 * exits: its time moves from its own entry to its parent's. Null without /proc or the process.
 */
export function processTreeCpuMs(rootPid: number): number | null {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  const stats = entries.map((e) => readStat(Number(e))).filter((s): s is ProcStat => s !== null);
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) return null;
  let ticks = 0;
  const todo = [root];
  while (todo.length) {
    const s = todo.pop()!;
    ticks += s.ticks;
    todo.push(...(children.get(s.pid) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** This process's own CPU time so far, in milliseconds (the load generator's). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU milliseconds per turn over a row, for each party; the database's is null when its process is not known here. */
export interface CpuPerTurn {
  server: number | null;
  database: number | null;
  loadGenerator: number;
}

/** Starts measuring; `finish(turns)` gives each party's CPU milliseconds per turn since the start. */
export function measureCpu(serverPid: number, databasePid: number | undefined): { finish(turns: number): CpuPerTurn } {
  const at = { server: processTreeCpuMs(serverPid), database: databasePid ? processTreeCpuMs(databasePid) : null, load: ownCpuMs() };
  return {
    finish(turns: number) {
      const per = (before: number | null, after: number | null) => (before === null || after === null || turns === 0 ? null : (after - before) / turns);
      return {
        server: per(at.server, processTreeCpuMs(serverPid)),
        database: databasePid ? per(at.database, processTreeCpuMs(databasePid)) : null,
        loadGenerator: per(at.load, ownCpuMs()) ?? 0,
      };
    },
  };
}

/**
 * Waits until the processes under `rootPid` use less than `maxCores` of CPU over `windowMs`, or
 * until `timeoutMs` passes: after seeding, a database server keeps working for a while (PostgreSQL's
 * checkpoints and autovacuum), and a row measured during that measures the seeding. Returns the
 * milliseconds waited, or null when the process cannot be read here.
 */
export async function waitUntilIdle(rootPid: number, o: { maxCores?: number; windowMs?: number; timeoutMs?: number } = {}): Promise<number | null> {
  const maxCores = o.maxCores ?? 0.05;
  const windowMs = o.windowMs ?? 2000;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const started = Date.now();
  let before = processTreeCpuMs(rootPid);
  if (before === null) return null;
  while (Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, windowMs));
    const after = processTreeCpuMs(rootPid);
    if (after === null) return null;
    if ((after - before) / windowMs < maxCores) return Date.now() - started;
    before = after;
  }
  return Date.now() - started;
}
