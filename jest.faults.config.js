// `npm run test:faults`: payments through the bank API while the worker is SIGKILLed, the Temporal
// dev server is killed and restarted on its file, and Postgres is cut off for 30 s. Kept out of
// `npm test` (it runs for minutes on purpose); .ci/run runs it after the other suites.
const { projects } = require('./jest.config');

const base = projects[0];
module.exports = {
  testTimeout: 1_200_000,
  projects: [{ displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'], transform: base.transform, transformIgnorePatterns: base.transformIgnorePatterns, testEnvironment: 'node' }],
};
