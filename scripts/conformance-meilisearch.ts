// `npm run conformance:meilisearch -- <meilisearch-js checkout>`: runs the official client's own test
// suite (its non-search files) against the Meilisearch emulator and prints a per-file table.
// The checkout is only read: vitest, vite and the emulator come from this repository, nothing is
// installed and nothing is fetched. MEILISEARCH_VERSION picks the emulated version (default: current).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startVitest } from 'vitest/node';
import { startMeilisearchEmulator } from '../test/emulators/meilisearch/server.ts';
import { meilisearchVersionFromEnv } from '../test/emulators/meilisearch/versions.ts';

/** The client's test files that do not need search: instance, index, documents, tasks, keys, settings. */
export const NON_SEARCH_FILES = [
  'batch',
  'chat-settings',
  'client',
  'dictionary',
  'displayed_attributes',
  'distinct_attribute',
  'documents',
  'dump',
  'embedders',
  'errors',
  'experimental-features',
  'facet_search_settings',
  'faceting',
  'filterable_attributes',
  'foreign_keys',
  'index',
  'keys',
  'localized_attributes',
  'non_separator_tokens',
  'pagination',
  'prefix_search_settings',
  'proximity_precision',
  'ranking_rules',
  'raw_document',
  'search_cutoff_ms',
  'searchable_attributes',
  'separator_tokens',
  'settings',
  'snapshots',
  'sortable_attributes',
  'stop_words',
  'synonyms',
  'task',
  'tasks-and-batches',
  'typo_tolerance',
  'wait_for_task',
  'webhooks',
] as const;

interface AssertionResult {
  fullName: string;
  status: string;
  failureMessages: string[];
}
interface FileResult {
  name: string;
  status: string;
  message?: string;
  assertionResults: AssertionResult[];
}

/** The share of the client's tests that must pass (issue 16): below it, or a file that does not load, exits 1. */
const GOAL = 0.97;

async function main(): Promise<void> {
  const checkout = process.argv.slice(2).find((arg) => arg !== '--');
  if (checkout === undefined || !existsSync(join(checkout, 'tests', 'utils', 'meilisearch-test-utils.ts'))) {
    console.error('usage: npm run conformance:meilisearch -- <path to a meilisearch-js checkout>');
    process.exit(2);
  }
  const root = resolve(checkout);
  const only = process.env.CONFORMANCE_FILES?.split(',') ?? NON_SEARCH_FILES;
  // tasks take a little time, as on a real engine (the client's waitTask and timeout tests rely on it)
  const options = { masterKey: 'masterKey', version: meilisearchVersionFromEnv(), taskDelayMs: 10 };
  const emulator = await startMeilisearchEmulator(options);
  const secondary = await startMeilisearchEmulator(options);
  const outDir = mkdtempSync(join(tmpdir(), 'meilisearch-conformance-'));
  const outputFile = join(outDir, 'results.json');
  process.env.MEILISEARCH_URL = emulator.url;
  process.env.MEILISEARCH_URL_2 = secondary.url;
  const vitestEntry = resolve(import.meta.dirname, '..', 'node_modules', 'vitest');
  try {
    const vitest = await startVitest(
      'test',
      only.map((name) => `tests/${name}.test.ts`),
      { root, config: false, watch: false, fileParallelism: false, testTimeout: 30_000, reporters: process.env.CONFORMANCE_VERBOSE ? ['default'] : ['json'], outputFile },
      { resolve: { alias: { vitest: join(vitestEntry, 'dist', 'index.js') } } },
    );
    await vitest.close();
  } finally {
    await emulator.close();
    await secondary.close();
  }
  const report = JSON.parse(readFileSync(outputFile, 'utf8')) as { testResults: FileResult[] };
  rmSync(outDir, { recursive: true, force: true });
  const { passed, total, loadErrors } = printTable(root, report.testResults);
  if (loadErrors > 0 || passed < GOAL * total) process.exitCode = 1;
}

function printTable(root: string, files: FileResult[]): { passed: number; total: number; loadErrors: number } {
  let passed = 0;
  let total = 0;
  const broken = files.filter((file) => file.assertionResults.length === 0 && file.status === 'failed');
  const rows = files
    .map((file) => {
      const ok = file.assertionResults.filter((test) => test.status === 'passed').length;
      const counted = file.assertionResults.filter((test) => test.status === 'passed' || test.status === 'failed').length;
      passed += ok;
      total += counted;
      return { file: file.name.slice(root.length + 1), ok, counted };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
  console.log('| file | passed | tests |\n|---|---:|---:|');
  for (const row of rows) {
    const loadError = broken.some((file) => file.name.endsWith(row.file));
    console.log(`| ${row.file} | ${loadError ? 'load error' : row.ok} | ${row.counted} |`);
  }
  console.log(`| **total** | **${passed}** | **${total}** (${((100 * passed) / Math.max(total, 1)).toFixed(1)} %) |`);
  for (const file of files)
    for (const test of file.assertionResults.filter((t) => t.status === 'failed'))
      console.log(`FAIL ${file.name.slice(root.length + 1)} › ${test.fullName}\n    ${(test.failureMessages[0] ?? '').split('\n')[0]}`);
  for (const file of broken) console.log(`LOAD ERROR ${file.name.slice(root.length + 1)}\n    ${(file.message ?? '').split('\n')[0]}`);
  return { passed, total, loadErrors: broken.length };
}

await main();
