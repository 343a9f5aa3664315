// @ts-check
/**
 * Mutation testing of the critical modules (npm run mutate; outside CI and `npm test`): see the
 * README's "Mutation testing". Each group is one module (or a few that make one concept) and the
 * tests that are meant to pin it down; `npm run mutate -- <group>` runs one group, and
 * `MUTATE_GROUP=<group> npx stryker run` is what it runs. Without MUTATE_GROUP, all groups at once.
 */
export const MUTATION_GROUPS = {
  disclosure: {
    mutate: ['src/reports/disclosure-control.ts'],
    // Store-free tests only: disclosure-control.test.ts (reports from stored ratings) reaches it
    // too, but starts hotlines, about 30 s a mutant.
    tests: ['test/reports/disclosure-grid.test.ts', 'test/reports/disclosure-property.test.ts'],
  },
  'call-turns': {
    mutate: ['src/calls/call-turns.ts'],
    // The shipped flow on real repositories without a hotline (test/calls/call-turns-harness.ts):
    // call-turns.test.ts, winning-copy.test.ts and rating-call.test.ts reach it too, but start
    // hotlines, about 30 s a mutant.
    tests: ['test/calls/call-turns-unit.test.ts'],
  },
  'outbound-limits': {
    mutate: ['src/outbound/outbound-limits.ts'],
    // Store-level tests with the test's clock only: callbacks, carrier-refusals and the staff
    // outbound pages reach it too, but start hotlines, about 30 s a mutant.
    tests: ['test/outbound/outbound-limits-store.test.ts', 'test/outbound/outbound-pace.test.ts', 'test/outbound/outbound-pace-property.test.ts'],
  },
  'callback-queue': {
    mutate: ['src/outbound/callback-queue.ts'],
    // Its store-level test with the test's clock only: callbacks, callback-abuse, answer-call and
    // carrier-refusals reach it too, but start hotlines, about 30 s a mutant.
    tests: ['test/outbound/callback-queue-store.test.ts'],
  },
  auth: {
    mutate: ['src/auth/*.ts', '!src/auth/common-passwords.ts'],
    // Its store-level and bare-Express tests only (test/auth): the sign-in, lockout, account-page,
    // route-role and CLI tests under test/security and test/staff reach it too, but start hotlines,
    // about 30 s a mutant.
    tests: ['test/auth/*.test.ts'],
  },
  // Its unit test only: the webhook tests (test/carriers/conformance.test.ts, voice-webhooks)
  // reach it too, but take over a minute a mutant.
  'carrier-params': {
    mutate: ['src/telephony/carrier-params.ts'],
    tests: ['test/telephony/carrier-params.test.ts'],
  },
};

const name = process.env.MUTATE_GROUP;
if (name !== undefined && !(name in MUTATION_GROUPS)) {
  throw new Error(`MUTATE_GROUP=${name} is not a group: use one of ${Object.keys(MUTATION_GROUPS).join(', ')}`);
}
const groups = name ? [MUTATION_GROUPS[/** @type {keyof MUTATION_GROUPS} */ (name)]] : Object.values(MUTATION_GROUPS);
const report = name ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutate.config.js',
    // The group's tests only, and of those only the ones that import the mutated file.
    config: { testMatch: [...new Set(groups.flatMap((g) => g.tests))].map((t) => `<rootDir>/${t}`) },
    enableFindRelatedTests: true,
  },
  // Each mutant runs only the tests that reached it in the first run.
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // Two cores, shared: one test process at a time.
  concurrency: 1,
  // A slow shared machine: a mutant counts as a time-out (detected) only well past its normal time.
  timeoutMS: 20000,
  timeoutFactor: 3,
  mutate: [...new Set(groups.flatMap((g) => g.mutate))],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${report}.html` },
  jsonReporter: { fileName: `reports/mutation/${report}.json` },
  tempDirName: '.stryker-tmp',
  // Anchored at the project root: a bare 'reports' would also leave out src/reports.
  ignorePatterns: ['/reports', '/test-output', '/data/local', '/dist', '/coverage', '/.stryker-tmp'],
  thresholds: { high: 90, low: 80, break: null },
};
