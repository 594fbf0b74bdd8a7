// `npm run test:cluster`: the production topology on this machine, kept out of `npm test` because it
// builds and starts the real Temporal server (go.temporal.io/server) on Postgres with mTLS and runs
// the SPC as separate processes. The unit and integration projects are in jest.config.js.
const { projects } = require('./jest.config');

const base = projects[0];
module.exports = {
  // One long scenario on a shared 2-core machine: a generous bound, never a timing assertion.
  testTimeout: 1_800_000,
  projects: [{ displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.test.ts'], transform: base.transform, transformIgnorePatterns: base.transformIgnorePatterns, testEnvironment: 'node' }],
};
