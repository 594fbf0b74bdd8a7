// Lint: TypeScript-aware basics everywhere, and one hard rule for workflow code:
// workflows run in Temporal's deterministic sandbox, so Node built-ins (fs, crypto, net, ...)
// and anything that does I/O must never be imported there.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.cache/**', 'coverage/**', 'bin/**', 'api/static/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
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
