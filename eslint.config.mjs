// Lint: TypeScript-aware basics everywhere (also the cashier page's browser script), and hard rules
// of the house:
// - workflows run in Temporal's deterministic sandbox, so Node built-ins (fs, crypto, net, ...)
//   and anything that does I/O must never be imported there;
// - environment variables are read in infra/config.ts only (typed, checked, documented there);
// - no production function longer than about 80 lines: a long one is split into named steps.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.cache/**', 'coverage/**', 'bin/**', 'api/static/ops.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['infra/config.ts', 'test/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration in infra/config.ts (loadConfig or one of its readers) and pass it down.' },
      ],
    },
  },
  {
    files: [
      'workflows/**/*.ts', 'activities/**/*.ts', 'api/**/*.ts', 'cli/**/*.ts', 'client/**/*.ts', 'domain/**/*.ts', 'db/**/*.ts',
      'infra/**/*.ts', 'worker/**/*.ts', 'audit/**/*.ts',
    ],
    // Migrations are one schema each, written as it stands in SQL.
    ignores: ['db/migrations/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // The cashier page's ES modules run in the browser with no build step; tsconfig.cashier.json
    // type-checks them. Only the browser globals they use are declared, so a typo or a Node global is
    // an error here too, and the 80-line rule holds for them as for the server's code.
    files: ['api/static/cashier*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'sessionStorage', 'fetch', 'crypto', 'HTMLElement', 'HTMLInputElement', 'HTMLButtonElement'].map((name) => [name, 'readonly']),
      ),
    },
    rules: { 'no-undef': 'error', 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['workflows/**/*.ts', 'bench/ceiling-workflow.ts', 'bench/workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
            { name: 'knex', message: 'Workflow code must not do I/O: call an activity.' },
            { name: 'pg', message: 'Workflow code must not do I/O: call an activity.' },
            { name: '@temporalio/client', message: 'Use @temporalio/workflow inside workflows.' },
            { name: '@temporalio/worker', message: 'Use @temporalio/workflow inside workflows.' },
          ],
          patterns: [
            { group: ['../activities/*', '!../activities/types'], message: 'Import activities as types only (import type).', allowTypeImports: true },
            { group: ['../db/*', '../infra/*', '../client/*', '../api/*'], message: 'Workflow code must not do I/O.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process', 'require'],
    },
  },
);
