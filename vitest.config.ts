import { defineConfig } from 'vitest/config';

// graphql 16 ships CJS and ESM builds; Node (and so Pothos, graphql-yoga) loads the CJS one, so the tests must too.
const resolve = { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] };
const common = { pool: 'forks' as const, testTimeout: 60_000, hookTimeout: 60_000 };
const STARTUP = ['test/e2e/start.test.ts'];

export default defineConfig({
  resolve,
  test: {
    maxWorkers: 2,
    projects: [
      {
        // Timed start of a fresh gateway: runs first and alone, so other suites do not steal its CPU.
        resolve,
        test: { ...common, name: 'startup', include: STARTUP, sequence: { groupOrder: 0 } },
      },
      {
        resolve,
        test: {
          ...common,
          name: 'suite',
          include: ['test/**/*.test.ts', 'plugins/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...STARTUP],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
