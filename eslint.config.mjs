// Lint: TypeScript-aware basics everywhere (also the cashier page's browser script), and one hard
// rule for workflow code:
// workflows run in Temporal's deterministic sandbox, so Node built-ins (fs, crypto, net, ...)
// and anything that does I/O must never be imported there.
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
    // The cashier page's script runs in the browser as a classic script (no modules, no build step);
    // tsconfig.cashier.json type-checks it. Only the browser globals it uses are declared, so a typo
    // or a Node global is an error here too.
    files: ['api/static/cashier.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        ['window', 'document', 'sessionStorage', 'fetch', 'crypto', 'HTMLElement', 'HTMLInputElement', 'HTMLButtonElement'].map((name) => [name, 'readonly']),
      ),
    },
    rules: { 'no-undef': 'error' },
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
