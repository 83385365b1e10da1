import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The example plugin (examples/) imports the gateway by its package entries (`backup-gateway/testing`, …), as an
// installed plugin does: map each `exports` entry of package.json to its file.
// The TypeScript sources are the `backup-gateway-source` condition (the default one is the compiled dist/).
type ExportTarget = string | Record<string, string>;
const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; exports: Record<string, ExportTarget> };
const packageEntries = Object.entries(manifest.exports)
  .filter(([entry]) => entry !== './package.json')
  .map(([entry, target]) => ({
    find: `${manifest.name}${entry.slice(1)}`,
    replacement: fileURLToPath(new URL(typeof target === 'string' ? target : target['backup-gateway-source']!, import.meta.url)),
  }));

// graphql 16 ships CJS and ESM builds; Node (and so Pothos, graphql-yoga) loads the CJS one, so the tests must too.
const resolve = { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }, ...packageEntries] };
// isolate: false — the test files of a worker share its module graph instead of importing the gateway again each:
// a full run went from ~510 s to ~290-340 s on two cores. Test files own their state: each builds its gateway,
// databases and emulators, and closes them.
const common = { pool: 'forks' as const, isolate: false, testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  resolve,
  test: {
    maxWorkers: 2,
    // Compiles dist/ when a source changed: the `backup-gateway` bin and the packaging tests run the build.
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        resolve,
        test: {
          ...common,
          name: 'suite',
          include: ['test/**/*.test.ts', 'plugins/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
        },
      },
    ],
  },
});
