/**
 * The "sign-in flood" row of npm run bench: the realistic caller load run alone, then while an
 * attacker posts staff sign-ins with a new username on every request, as fast as the server
 * answers (--flood-attackers loops, each posting its next sign-in when the last is answered),
 * then alone again. A flood like this once left one audit entry per username (4,500 sign-ins:
 * 4,502 entries kept 400 days) and slowed the call webhooks from 13 ms to 1.1 s (issue 21,
 * section 4). The figure is the webhooks' p99 during the flood as a ratio to the lower p99 alone
 * (target at most 2x), as in the staff-busy row (bench/staff-busy.ts).
 */
import { RatingScripts, RunningServer, runShape, Shape, ShapeResult } from './call-load';

export const SIGN_IN_FLOOD_TARGET_RATIO = 2;
export const SIGN_IN_FLOOD_ATTACKERS = 4;

export interface SignInFloodResult {
  engine: string;
  /** The quieter of the two runs without the flood (the lower p99). */
  alone: ShapeResult;
  aloneRuns: [ShapeResult, ShapeResult];
  flood: ShapeResult;
  attackers: number;
  /** Sign-ins posted during the flood, and how they were answered. */
  signIns: number;
  /** 401: checked and wrong (the first few from the address); 429: refused without a check. */
  answered: Record<string, number>;
  /** Sign-ins that failed outright (no answer within 15 s, or a connection error). */
  signInErrors: number;
}

/** One attacker: a sign-in form's cookie and token, then posts with a new username each, until told to stop. */
async function attacker(url: string, names: () => string, running: () => boolean, tally: (status: number | 'error') => void): Promise<void> {
  const form = await fetch(`${url}/staff/sign-in`);
  const token = /staff_sign_in=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))?.[1];
  if (!token) throw new Error('the sign-in page set no token cookie');
  while (running()) {
    try {
      const res = await fetch(`${url}/staff/sign-in`, {
        method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(15_000),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `staff_sign_in=${token}` },
        body: new URLSearchParams({ _csrf: token, username: names(), password: 'Wrong password 1', next: '/staff/messages' }).toString(),
      });
      await res.arrayBuffer();
      tally(res.status);
    } catch {
      tally('error');
    }
  }
}

/** Runs the row on a started server. */
export async function runSignInFlood(o: { server: RunningServer; shape: Shape; scripts: RatingScripts; attackers?: number }): Promise<SignInFloodResult> {
  const attackers = o.attackers ?? SIGN_IN_FLOOD_ATTACKERS;
  const alone = await runShape({ server: o.server, shape: o.shape, scripts: o.scripts });
  let running = true;
  let n = 0;
  let signIns = 0;
  let signInErrors = 0;
  const answered: Record<string, number> = {};
  const tally = (status: number | 'error') => {
    signIns++;
    if (status === 'error') signInErrors++;
    else answered[status] = (answered[status] ?? 0) + 1;
  };
  const flooders = Array.from({ length: attackers }, () => attacker(o.server.url, () => `flood-${process.pid}-${++n}`, () => running, tally));
  const flood = await runShape({ server: o.server, shape: o.shape, scripts: o.scripts });
  running = false;
  await Promise.all(flooders);
  const aloneAfter = await runShape({ server: o.server, shape: o.shape, scripts: o.scripts });
  return {
    engine: o.server.engine, alone: aloneAfter.p99 < alone.p99 ? aloneAfter : alone, aloneRuns: [alone, aloneAfter],
    flood: { ...flood, shape: o.shape.name }, attackers, signIns, answered, signInErrors,
  };
}

export function formatSignInFlood(results: SignInFloodResult[]): string {
  const head = ['engine', 'row', 'p99 quiet ms (before / after)', 'p99 flood ms', 'ratio (to the lower quiet)', 'call errors', 'sign-ins (per s)', 'answers', 'sign-in errors'];
  const rows = results.map((r) => [
    r.engine, 'sign-in flood', `${r.aloneRuns[0].p99.toFixed(1)} / ${r.aloneRuns[1].p99.toFixed(1)}`, r.flood.p99.toFixed(1), (r.flood.p99 / r.alone.p99).toFixed(2),
    String(r.aloneRuns[0].errors + r.aloneRuns[1].errors + r.flood.errors), `${r.signIns} (${(r.signIns / r.flood.seconds).toFixed(0)})`,
    Object.entries(r.answered).map(([status, count]) => `${status}: ${count}`).join(', '), String(r.signInErrors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function missedSignInFlood(results: SignInFloodResult[]): string[] {
  return results.flatMap((r) => {
    const missed: string[] = [];
    const ratio = r.flood.p99 / r.alone.p99;
    if (ratio > SIGN_IN_FLOOD_TARGET_RATIO) missed.push(`${r.engine} sign-in flood: webhook p99 ${ratio.toFixed(2)}x the same load without the flood (target <= ${SIGN_IN_FLOOD_TARGET_RATIO}x)`);
    if (r.flood.errors > 0) missed.push(`${r.engine} sign-in flood: ${r.flood.errors} caller errors during the flood`);
    return missed;
  });
}
