/**
 * Jest as StrykerJS runs it (stryker.config.mjs, npm run mutate): the suite's config, one worker.
 * Stryker sets which tests (each group's, then per mutant only those that reached it).
 * @type {import('jest').Config}
 */
module.exports = {
  ...require('./jest.config.js'),
  maxWorkers: 1,
  // Jest runs once per mutant here: children load the sandbox's TypeScript through tsx instead.
  globalSetup: undefined,
  globalTeardown: undefined,
  // src too: Jest finds the tests related to a mutated file only through files in its roots.
  roots: ['<rootDir>/test', '<rootDir>/src'],
};
