#!/usr/bin/env node
/**
 * Prints the test files that cannot reach a store, one per line: the MongoDB pass of
 * scripts/test-both-engines.sh skips them, since they would run exactly as on the embedded pass.
 *
 * A test file reaches a store when anything it imports (followed through every relative import,
 * in test/ and src/) opens one (src/store/open-store.ts, embedded-store.ts, mongo-store.ts,
 * test/support/engine.ts), or starts a child process, which may open one from the environment
 * (a server, a command-line tool, the report worker). The one exception is src/audio/ffmpeg.ts,
 * which starts only ffmpeg. Type-only imports are skipped (they are erased). Anything in doubt
 * counts as reaching a store: a wrong guess costs a second run, never a missed one.
 *
 * Plain Node (no TypeScript loader), so it adds no start-up time to the suite.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const STORE_MODULES = ['src/store/open-store.ts', 'src/store/embedded-store.ts', 'src/store/mongo-store.ts', 'test/support/engine.ts'];
const SPAWNS_ONLY_FFMPEG = new Set(['src/audio/ffmpeg.ts']);
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const CHILD_PROCESS = /['"](node:)?child_process['"]/;

const memo = new Map();

function resolve(fromFile, spec) {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Whether the file (or anything it imports) reaches a store; cycles count as not reaching one through the cycle. */
function reachesStore(file, visiting = new Set()) {
  if (memo.has(file)) return memo.get(file);
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (STORE_MODULES.includes(rel)) return true;
  if (visiting.has(file)) return false;
  visiting.add(file);
  const text = fs.readFileSync(file, 'utf8');
  let reaches = CHILD_PROCESS.test(text) && !SPAWNS_ONLY_FFMPEG.has(rel);
  if (!reaches) {
    for (const m of text.matchAll(IMPORT)) {
      if (m[2]) continue; // import type / export type
      const target = resolve(file, m[3] ?? m[4] ?? m[5]);
      if (target && reachesStore(target, visiting)) {
        reaches = true;
        break;
      }
    }
  }
  visiting.delete(file);
  // A result found while a cycle was open may be incomplete: keep only what is certain.
  if (reaches || visiting.size === 0) memo.set(file, reaches);
  return reaches;
}

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** The test files under test/ that cannot reach a store, relative to the project, sorted. */
function storeFreeTests() {
  return testFiles(path.join(root, 'test'))
    .filter((file) => !reachesStore(file))
    .map((file) => path.relative(root, file).split(path.sep).join('/'))
    .sort();
}

module.exports = { storeFreeTests, reachesStore };
if (require.main === module) for (const file of storeFreeTests()) console.log(file);
