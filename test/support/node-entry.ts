import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Node's arguments for starting one of the project's TypeScript entry points (src/server.ts,
 * scripts/<tool>.ts, a test's own child script) in a child process: `spawn(process.execPath,
 * nodeEntry('scripts/staff.ts'), ...)`. The JavaScript that test/support/compile-children.ts made
 * for this run when there is a copy of the entry, else the TypeScript through tsx, as
 * `npm run <tool>` runs it. Both are esbuild's output (tsx is esbuild on load); compiled, a child
 * loads the app in under half the CPU (0.33 s instead of 0.76 s here), and the suite starts
 * several hundred children on each engine.
 */
export function nodeEntry(entry: string): string[] {
  const file = path.resolve(ROOT, entry);
  const compiledDir = process.env.TEST_COMPILED_DIR;
  if (compiledDir) {
    const compiled = path.join(compiledDir, path.relative(ROOT, file)).replace(/\.ts$/, '.js');
    if (fs.existsSync(compiled)) return [compiled];
  }
  return ['--import', 'tsx', file];
}
