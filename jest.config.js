/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  testTimeout: 30000,
  // Tests spend much of their time waiting on servers, browsers and the database: with two workers
  // a full two-engine run kept the two cores only 62% busy (30.6 min wall, 37.7 CPU-min), so a
  // third worker fills those waits.
  maxWorkers: 3,
};
