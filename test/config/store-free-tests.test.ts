import * as path from 'node:path';

// The list the MongoDB pass skips (scripts/test-both-engines.sh): a file put on it wrongly would lose its MongoDB run.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { storeFreeTests, reachesStore } = require('../../scripts/store-free-tests.js') as { storeFreeTests: () => string[]; reachesStore: (file: string) => boolean };

const at = (file: string) => path.join(process.cwd(), file);

describe('which test files the MongoDB pass skips', () => {
  const free = storeFreeTests();

  test('a test of the pure flow engine, and one that spawns only ffmpeg, cannot reach a store', () => {
    expect(free).toContain('test/flow/engine.test.ts');
    expect(free).toContain('test/audio/decode-slots.test.ts');
  });

  test('a file using a test store, one driving the whole app, and one starting a command-line tool are run on both engines', () => {
    for (const file of ['test/store/store-contract.test.ts', 'test/calls/rating-call.test.ts', 'test/staff/staff-cli.test.ts']) {
      expect({ file, reaches: reachesStore(at(file)) }).toEqual({ file, reaches: true });
      expect(free).not.toContain(file);
    }
  });

  test('the browser tests are not on the list (they are skipped on their own terms)', () => {
    expect(free.filter((f) => f.startsWith('test/browser/'))).toEqual([]);
  });
});
