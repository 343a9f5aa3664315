import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeEntry } from '../support/node-entry';

/**
 * The children the tests start run the JavaScript compiled once for the run (jest's globalSetup,
 * test/support/compile-children.ts): half the CPU of loading the TypeScript through tsx each time,
 * which was a large share of CI's time. Without a compiled copy, tsx, as `npm run <tool>` runs.
 */
describe('children started by the tests', () => {
  const compiledDir = process.env.TEST_COMPILED_DIR;

  it('this run compiled src/ and scripts/, with the JSON the code imports beside it', () => {
    expect(compiledDir).toBeTruthy();
    for (const f of ['src/server.js', 'src/staff/report-worker.js', 'scripts/staff.js', 'src/staff/i18n/messages.json', 'src/public/i18n/messages.json']) {
      expect({ f, there: fs.existsSync(path.join(compiledDir!, f)) }).toEqual({ f, there: true });
    }
  });

  it('start the compiled copy of an entry point when there is one, and tsx otherwise', () => {
    expect(nodeEntry('src/server.ts')).toEqual([path.join(compiledDir!, 'src/server.js')]);
    expect(nodeEntry(path.resolve(__dirname, '../../scripts/staff.ts'))).toEqual([path.join(compiledDir!, 'scripts/staff.js')]);
    const testChild = path.join(__dirname, '../audio/ffmpeg-failure-child.ts');
    expect(nodeEntry(testChild)).toEqual(['--import', 'tsx', testChild]);
    const saved = process.env.TEST_COMPILED_DIR;
    delete process.env.TEST_COMPILED_DIR;
    try {
      expect(nodeEntry('src/server.ts')).toEqual(['--import', 'tsx', path.resolve(__dirname, '../../src/server.ts')]);
    } finally {
      process.env.TEST_COMPILED_DIR = saved;
    }
  });
});
