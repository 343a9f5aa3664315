import * as fs from 'node:fs';

/** Jest's globalTeardown: removes this run's compiled children (test/support/compile-children.ts). */
export default async function removeCompiledChildren(): Promise<void> {
  const dir = process.env.TEST_COMPILED_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
