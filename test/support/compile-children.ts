import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BUILDS = path.join(ROOT, '.test-build');

/**
 * Jest's globalSetup: compiles src/ and scripts/ once per run with esbuild (what tsx runs on each
 * load; under a second for the whole tree), into .test-build/<pid>/, for the children the tests
 * start (test/support/node-entry.ts). Inside the checkout, so code that looks for the package root
 * from its own folder (the static pages) finds it. Type checking stays with `npx tsc`.
 */
export default async function compileChildren(): Promise<void> {
  const esbuild = require(require.resolve('esbuild', { paths: [path.join(ROOT, 'node_modules/tsx')] })) as typeof import('esbuild');
  removeStaleBuilds();
  const outdir = path.join(BUILDS, String(process.pid));
  const sources = (['src', 'scripts'] as const).flatMap((dir) => filesUnder(path.join(ROOT, dir)));
  await esbuild.build({
    entryPoints: sources.filter((f) => f.endsWith('.ts')),
    outdir, outbase: ROOT, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'error',
  });
  // JSON the code imports (the page catalogs) sits beside it, as in src/.
  for (const f of sources.filter((x) => x.endsWith('.json'))) {
    const to = path.join(outdir, path.relative(ROOT, f));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(f, to);
  }
  process.env.TEST_COMPILED_DIR = outdir;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|json)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Builds of runs that ended without their teardown (a killed jest), by their process id. */
function removeStaleBuilds(): void {
  if (!fs.existsSync(BUILDS)) return;
  for (const name of fs.readdirSync(BUILDS)) {
    const pid = Number(name);
    const otherRunGoingOn = Number.isInteger(pid) && pid !== process.pid && isRunning(pid);
    if (!otherRunGoingOn) fs.rmSync(path.join(BUILDS, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
