import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The example plugin (examples/) imports the gateway by its package entries (`backup-gateway/testing`, …), as an
// installed plugin does: map each `exports` entry of package.json to its file.
const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; exports: Record<string, string> };
const packageEntries = Object.entries(manifest.exports)
  .filter(([entry]) => entry !== './package.json')
  .map(([entry, file]) => ({ find: `${manifest.name}${entry.slice(1)}`, replacement: fileURLToPath(new URL(file, import.meta.url)) }));

// graphql 16 ships CJS and ESM builds; Node (and so Pothos, graphql-yoga) loads the CJS one, so the tests must too.
const resolve = { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }, ...packageEntries] };
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
          include: ['test/**/*.test.ts', 'plugins/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...STARTUP],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
