/**
 * The "staff busy" row of npm run bench: the realistic caller load run twice on one server, first
 * alone, then while staff keep opening the national satisfaction table and the audit log. The
 * staff members each open a page, read it for --staff-pause-ms (default 1000 ms) and open the next.
 * The figure is the webhooks' p99 with staff busy as a ratio to the same load's p99 without staff
 * (target at most 2x, issue 12 finding 10). The load runs alone both before and after the busy
 * run, and the ratio is taken against the lower of the two: on a shared machine one quiet run can
 * be slowed by something else (the database server's own housekeeping after seeding), and a slow
 * baseline would flatter the ratio. The store is seeded first with a year of ratings and audit
 * entries, so the staff pages have real work to do.
 */
import { addStaffAccount, seedStaffBusyData } from './staff-busy-data';
import { RatingScripts, RunningServer, runShape, Shape, ShapeResult } from './call-load';

export const STAFF_BUSY_TARGET_RATIO = 2;
const STAFF_USER = 'bench-admin';
const STAFF_PASSWORD = 'bench staff password 2026';

export interface StaffBusyResult {
  engine: string;
  /** The quieter of the two runs without staff (the lower p99). */
  alone: ShapeResult;
  /** Both runs without staff: before and after the busy one. */
  aloneRuns: [ShapeResult, ShapeResult];
  busy: ShapeResult;
  staffRequests: number;
  staffErrors: number;
  staffP50Ms: number;
}

/** Prepares a store for the row: ratings, audit entries and the staff account. */
export async function prepareStaffBusy(store: Parameters<typeof seedStaffBusyData>[0], ratings: number): Promise<void> {
  await seedStaffBusyData(store, ratings);
  await addStaffAccount(store, STAFF_USER, STAFF_PASSWORD);
}

/** Signs in like a browser: the sign-in form's cookie and token, then the session cookie. */
async function signIn(url: string): Promise<string> {
  const form = await fetch(`${url}/staff/sign-in`);
  const token = /staff_sign_in=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))?.[1];
  if (!token) throw new Error('the sign-in page set no token cookie');
  const res = await fetch(`${url}/staff/sign-in`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `staff_sign_in=${token}` },
    body: new URLSearchParams({ _csrf: token, username: STAFF_USER, password: STAFF_PASSWORD, next: '/staff/reports' }).toString(),
  });
  const session = /staff_session=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))?.[1];
  if (res.status !== 303 || !session) throw new Error(`staff sign-in answered ${res.status}`);
  return `staff_session=${session}`;
}

/** Runs the row on a started (and prepared) server. */
export async function runStaffBusy(o: { server: RunningServer; shape: Shape; scripts: RatingScripts; staff?: number; pauseMs?: number }): Promise<StaffBusyResult> {
  const alone = await runShape({ server: o.server, shape: o.shape, scripts: o.scripts });
  const cookie = await signIn(o.server.url);
  let running = true;
  let staffRequests = 0;
  let staffErrors = 0;
  const staffMs: number[] = [];
  const staffMember = async () => {
    const pages = ['/staff/reports', '/staff/audit'];
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      try {
        const res = await fetch(o.server.url + pages[i % pages.length], { headers: { cookie, accept: 'text/html' }, signal: AbortSignal.timeout(120_000) });
        await res.arrayBuffer();
        if (res.status !== 200) staffErrors++;
      } catch {
        staffErrors++;
      }
      staffRequests++;
      staffMs.push(performance.now() - t0);
      // A person reads the page before opening the next (0: staff hammering the pages).
      if (o.pauseMs) await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  };
  const staff = Array.from({ length: o.staff ?? 2 }, () => staffMember());
  const busy = await runShape({ server: o.server, shape: o.shape, scripts: o.scripts });
  running = false;
  await Promise.all(staff);
  const aloneAfter = await runShape({ server: o.server, shape: o.shape, scripts: o.scripts });
  staffMs.sort((a, b) => a - b);
  return {
    engine: o.server.engine, alone: aloneAfter.p99 < alone.p99 ? aloneAfter : alone, aloneRuns: [alone, aloneAfter],
    busy: { ...busy, shape: o.shape.name }, staffRequests, staffErrors,
    staffP50Ms: staffMs[Math.floor(staffMs.length / 2)] ?? 0,
  };
}

export function formatStaffBusy(results: StaffBusyResult[]): string {
  const head = ['engine', 'row', 'p99 alone ms (before / after)', 'p99 staff busy ms', 'ratio (to the lower alone)', 'errors', 'staff pages', 'staff p50 ms', 'staff errors'];
  const rows = results.map((r) => [
    r.engine, 'staff busy', `${r.aloneRuns[0].p99.toFixed(1)} / ${r.aloneRuns[1].p99.toFixed(1)}`, r.busy.p99.toFixed(1), (r.busy.p99 / r.alone.p99).toFixed(2),
    String(r.aloneRuns[0].errors + r.aloneRuns[1].errors + r.busy.errors), String(r.staffRequests), r.staffP50Ms.toFixed(0), String(r.staffErrors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function missedStaffBusy(results: StaffBusyResult[]): string[] {
  return results.flatMap((r) => {
    const missed: string[] = [];
    const ratio = r.busy.p99 / r.alone.p99;
    if (ratio > STAFF_BUSY_TARGET_RATIO) missed.push(`${r.engine} staff busy: webhook p99 ${ratio.toFixed(2)}x the same load without staff (target <= ${STAFF_BUSY_TARGET_RATIO}x)`);
    if (r.busy.errors > 0) missed.push(`${r.engine} staff busy: ${r.busy.errors} caller errors while staff were busy`);
    if (r.staffErrors > 0) missed.push(`${r.engine} staff busy: ${r.staffErrors} staff pages failed`);
    return missed;
  });
}
