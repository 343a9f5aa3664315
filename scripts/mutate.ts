/**
 * npm run mutate [-- <group> ...]: StrykerJS over the critical modules (stryker.config.mjs), one
 * group after another, then each group's mutation score. Outside CI: a group takes from minutes
 * (carrier parameters) to hours (call turns) on two cores. Reports: reports/mutation/<group>.html.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Mutant { status: string }
interface MutationReport { files: Record<string, { mutants: Mutant[] }> }

const root = path.join(__dirname, '..');

/** Killed and timed-out mutants over all that ran or had no test (compile errors and ignored ones left out), per cent. */
export function mutationScore(report: MutationReport): { score: number; killed: number; survived: number; noCoverage: number; timeout: number } {
  const all = Object.values(report.files).flatMap((f) => f.mutants);
  const count = (status: string) => all.filter((m) => m.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + timeout + survived + noCoverage;
  return { score: valid ? (100 * (killed + timeout)) / valid : 100, killed, survived, noCoverage, timeout };
}

async function main(): Promise<void> {
  const { MUTATION_GROUPS } = (await import(path.join(root, 'stryker.config.mjs'))) as { MUTATION_GROUPS: Record<string, unknown> };
  const names = Object.keys(MUTATION_GROUPS);
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !names.includes(a));
  if (unknown.length) {
    console.error(`Unknown group: ${unknown.join(', ')}. Groups: ${names.join(', ')} (npm run mutate -- ${names[0]}).`);
    process.exit(2);
  }
  const chosen = asked.length ? asked : names;
  const lines: string[] = [];
  for (const name of chosen) {
    console.log(`\n=== mutation testing: ${name} ===`);
    const run = spawnSync(path.join(root, 'node_modules', '.bin', 'stryker'), ['run'], { cwd: root, stdio: 'inherit', env: { ...process.env, MUTATE_GROUP: name } });
    const file = path.join(root, 'reports', 'mutation', `${name}.json`);
    if (run.status !== 0 || !fs.existsSync(file)) {
      lines.push(`${name}: did not finish (stryker exit ${run.status ?? run.signal}); see the output above`);
      continue;
    }
    const s = mutationScore(JSON.parse(fs.readFileSync(file, 'utf8')) as MutationReport);
    lines.push(`${name}: ${s.score.toFixed(1)}% (killed ${s.killed}, timed out ${s.timeout}, survived ${s.survived}, no test reached ${s.noCoverage}); report reports/mutation/${name}.html`);
  }
  console.log(`\nMutation scores:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
