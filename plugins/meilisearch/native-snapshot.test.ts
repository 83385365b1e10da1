// Native backups of the snapshot kind (`POST /snapshots`) against the emulator: the task followed with its batch
// progress, `data.ms.snapshot` copied from snapshotsDir (or cataloged as external), and a restore that says how a
// snapshot is loaded instead of pretending to replay it over the API.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../../test/emulators/meilisearch/server.ts';
import { createTempStorage, createTestJob, progressProblems, runNativeBackup, runNativeRestore, type TempStorage } from '../../test/contract/harness.ts';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { sha256File } from '../../src/storage/sha256.ts';
import { GatewayError } from '../../src/errors.ts';
import { meilisearchPlugin } from './index.ts';
import { meilisearchTestEngine } from './test/engine.ts';

const MASTER_KEY = 'snapshot-master-key-0123456789';
const SNAPSHOT = { collections: null, name: 'nightly', requestId: 'req-1', options: { native: 'snapshot' } };

let emulator: MeilisearchEmulator | undefined;
let temp: TempStorage | undefined;
afterEach(async () => {
  await emulator?.close();
  await temp?.cleanup();
  emulator = undefined;
  temp = undefined;
});

async function start(version?: string) {
  emulator = await startMeilisearchEmulator({ masterKey: MASTER_KEY, ...(version === undefined ? {} : { version }) });
  temp = await createTempStorage();
  const config = { url: emulator.url, apiKey: MASTER_KEY, snapshotsDir: emulator.snapshotsDir };
  const engine = meilisearchTestEngine({ url: emulator.url, apiKey: MASTER_KEY, config, setSlow: () => {}, stop: async () => {} });
  await engine.seed([{ name: 'movies', documents: makeDocuments(30) }]);
  const plugin = (overrides: Record<string, unknown> = {}) =>
    meilisearchPlugin.create(meilisearchPlugin.config.parse({ ...config, ...overrides }), { logger: createTestJob().ctx.logger });
  return { emulator, temp, plugin };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}

describe('meilisearch native backup: snapshots', () => {
  it('creates a snapshot, follows its batch progress and copies data.ms.snapshot with its sha256', async () => {
    const { emulator, temp, plugin } = await start();
    emulator.setOptions({ taskDelayMs: 400 });
    const job = createTestJob();
    const run = await runNativeBackup(meilisearchPlugin, plugin(), temp.storage, SNAPSHOT, job);
    expect(run.result.externalId).toMatch(/^snapshot-task-\d+$/);
    expect(run.result.collections.map((c) => [c.name, c.documentCount])).toEqual([['movies', 30]]);
    expect(run.result.warnings.join('\n')).toMatch(/--import-snapshot/);

    const source = await sha256File(join(emulator.snapshotsDir, 'data.ms.snapshot'));
    expect(run.manifest.files).toEqual([{ path: 'native/data.ms.snapshot', bytes: source.bytes, sha256: source.sha256 }]);
    expect(await sha256File(join(temp.root, run.backupId, 'native', 'data.ms.snapshot'))).toEqual(source);
    expect(progressProblems(job.updates)).toEqual([]);
    const phases = new Set(job.updates.filter((update) => update.unit === 'percent').map((update) => update.phase));
    expect([...phases].some((phase) => phase.startsWith('snapshot the') || phase === 'start the snapshot creation' || phase === 'create the tarball')).toBe(true);
    expect([...phases]).toContain('snapshot created');

    // a snapshot loads at start-up into the same version only: the restore says so instead of replaying it
    const restore = await failure(runNativeRestore(plugin(), temp.storage, run.backupId, { collections: ['movies'], rename: {}, atomic: true }));
    expect(restore.code).toBe('capability_not_supported');
    expect(restore.message).toMatch(/--import-snapshot/);
  });

  it('catalogs the snapshot as external without snapshotsDir', async () => {
    const { temp, plugin } = await start();
    const run = await runNativeBackup(meilisearchPlugin, plugin({ snapshotsDir: undefined }), temp.storage, SNAPSHOT);
    expect(run.manifest.files).toEqual([]);
    expect(run.manifest.external).toEqual([expect.objectContaining({ path: 'data.ms.snapshot', location: 'meilisearch-server:snapshots/data.ms.snapshot' })]);
    expect(run.result.warnings.join('\n')).toMatch(/stays on the Meilisearch server/);
  });

  it('refuses before Meilisearch 1.5, which has no POST /snapshots', async () => {
    const { temp, plugin } = await start('1.4.2');
    const error = await failure(runNativeBackup(meilisearchPlugin, plugin(), temp.storage, SNAPSHOT));
    expect(error.code).toBe('capability_not_supported');
  });

  it('the backup option is checked: an unknown native kind is refused', () => {
    expect(meilisearchPlugin.backupOptions.safeParse({ native: 'tarball' }).success).toBe(false);
    expect(meilisearchPlugin.backupOptions.parse({})).toEqual({ native: 'dump' });
  });
});
