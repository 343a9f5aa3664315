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
  // Browser and fault tests start servers; two workers match the two cores here. (Three were
  // tried: the embedded pass took 16 min instead of 10, each file slowed by the contention.)
  maxWorkers: 2,
};
