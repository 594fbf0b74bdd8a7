// Two projects: fast pure unit tests, and integration tests that share one real Temporal dev server
// and one Postgres for the whole run (globalSetup starts them; createLocal's 5 s budget is too tight here).
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
  // Packages that ship only ES modules: content-disposition 3 (under @fastify/swagger-ui ->
  // @fastify/static) and cookie 2 (under light-my-request, fastify's inject()). Node require()s them
  // natively; jest's module runtime needs them compiled to CommonJS.
  '^.+/node_modules/(content-disposition|cookie)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!(content-disposition|cookie)/)'];
module.exports = {
  // Integration tests run real workflows on a shared 2-core machine: generous, never a timing assertion.
  testTimeout: 120000,
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform, transformIgnorePatterns, testEnvironment: 'node' },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
