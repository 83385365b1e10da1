// ESLint (flat config): typescript-eslint with type information, for the mistakes tsc cannot see — a promise
// nobody awaits or catches, a promise passed where a callback's void is expected. Formatting is prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'dumps/', 'src/db/generated/', 'src/dashboard/static/', 'prisma.config.ts'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name`: deliberately unused (a parameter kept for its position, a value drained from a stream).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Names and paths are checked for control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // createGateway wires services in order: nothing may be used before it is declared.
    files: ['src/gateway.ts'],
    rules: { '@typescript-eslint/no-use-before-define': ['error', { functions: false, classes: true, variables: true }] },
  },
  {
    // Tests read GraphQL answers loosely.
    files: ['test/**/*.ts', '**/*.test.ts', 'plugins/*/test/**/*.ts', 'examples/*/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
