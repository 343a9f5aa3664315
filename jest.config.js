/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // The children the tests start run compiled JavaScript (test/support/node-entry.ts).
  globalSetup: '<rootDir>/test/support/compile-children.ts',
  globalTeardown: '<rootDir>/test/support/remove-compiled-children.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/per-file-teardown.ts', '<rootDir>/test/support/fast-password-hashing.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  testTimeout: 30000,
  // Two workers match the two cores here. Three gained nothing on this pass (2026-12-08, warm
  // cache, quiet machine: 376 s against 371 s); the MongoDB pass, which waits on the database,
  // runs on three (scripts/test-both-engines.sh).
  maxWorkers: 2,
};
