// Native backups (Meilisearch dumps) against the emulator, into a real native sink on local storage.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator, type MeilisearchEmulatorOptions } from '../../test/emulators/meilisearch/server.ts';
import { createTempStorage, createTestJob, progressProblems, runNativeBackup, settleAfterCancel, type TempStorage } from '../../test/contract/harness.ts';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { sha256File } from '../../src/storage/sha256.ts';
import { GatewayError } from '../../src/errors.ts';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { meilisearchPlugin } from './index.ts';
import { meilisearchTestEngine, type MeilisearchTestEngine } from './test/engine.ts';
import { meilisearchVersionFromEnv } from '../../test/emulators/meilisearch/versions.ts';

const MASTER_KEY = 'native-master-key-0123456789';
const REQUEST = { collections: null, name: 'nightly', requestId: 'req-1' };

interface Setup {
  emulator: MeilisearchEmulator;
  engine: MeilisearchTestEngine;
  plugin(config?: Record<string, unknown>): EngineInstance;
}

async function start(options: MeilisearchEmulatorOptions = {}): Promise<Setup> {
  const emulator = await startMeilisearchEmulator({ masterKey: MASTER_KEY, ...options });
  const config = { url: emulator.url, apiKey: MASTER_KEY, dumpsDir: emulator.dumpsDir };
  const engine = meilisearchTestEngine({ url: emulator.url, apiKey: MASTER_KEY, config, setSlow: () => {}, stop: () => emulator.close() });
  const plugin = (overrides: Record<string, unknown> = {}) =>
    meilisearchPlugin.create(meilisearchPlugin.config.parse({ ...config, ...overrides }), { logger: createTestJob().ctx.logger });
  return { emulator, engine, plugin };
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

const dumpFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.dump'));

describe('meilisearch native backup', () => {
  let temp: TempStorage;
  let setup: Setup;

  beforeAll(async () => {
    temp = await createTempStorage();
    setup = await start();
    await setup.engine.seed([
      { name: 'movies', documents: makeDocuments(120) },
      { name: 'books', documents: makeDocuments(7) },
    ]);
  });
  afterAll(async () => {
    await setup?.emulator.close();
    await temp?.cleanup();
  });

  it('creates a dump, follows its batch progress and copies the file with its sha256', async () => {
    setup.emulator.setOptions({ taskDelayMs: 600 });
    const job = createTestJob();
    try {
      const run = await runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, REQUEST, job);
      const dumpUid = run.result.externalId!;
      expect(dumpUid).toMatch(/^\d{8}-\d{9}$/);
      expect(run.result).toMatchObject({ engineVersion: meilisearchVersionFromEnv(), warnings: [] });
      expect(run.result.collections.map((c) => [c.name, c.documentCount])).toEqual([
        ['books', 7],
        ['movies', 120],
      ]);

      const source = await sha256File(join(setup.emulator.dumpsDir, `${dumpUid}.dump`));
      expect(run.manifest.files).toEqual([{ path: `native/${dumpUid}.dump`, bytes: source.bytes, sha256: source.sha256 }]);
      const stored = await sha256File(join(temp.root, run.backupId, 'native', `${dumpUid}.dump`));
      expect(stored).toEqual(source);
      expect(run.manifest).toMatchObject({ externalId: dumpUid, external: [] });

      expect(progressProblems(job.updates)).toEqual([]);
      const percent = job.updates.filter((update) => update.unit === 'percent');
      const steps = new Set(percent.map((update) => update.phase));
      // phase names are the batch's dump steps (sampled while polling), then the finish
      expect([...steps].filter((phase) => phase.startsWith('dump the') || phase === 'start the dump creation' || phase === 'compress the dump').length).toBeGreaterThanOrEqual(2);
      expect(percent.at(-1)).toMatchObject({ phase: 'dump created', completed: 100, total: 100 });
      expect(percent.every((update) => update.completed >= 0 && update.completed <= 100 && update.total === 100)).toBe(true);
      expect(job.updates.at(-1)).toMatchObject({ phase: 'copy dump', unit: 'bytes', completed: source.bytes, total: source.bytes });
    } finally {
      setup.emulator.setOptions({ taskDelayMs: 0 });
    }
  });

  it('refuses a second dump while one is enqueued or processing: job_already_in_progress', async () => {
    setup.emulator.setOptions({ taskDelayMs: 600 });
    try {
      const job = createTestJob();
      const first = runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, REQUEST, job);
      await until(() => job.updates.some((update) => update.unit === 'percent'));
      const second = await failure(runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, { ...REQUEST, requestId: 'req-2' }));
      expect(second.code).toBe('job_already_in_progress');
      expect((await first).result.externalId).toMatch(/^\d{8}-\d{9}$/);
    } finally {
      setup.emulator.setOptions({ taskDelayMs: 0 });
    }
  });

  it('cancels the dump task on the engine when the job is canceled', async () => {
    // Longer than the test may run: the dump task only ends because the plugin cancels it.
    setup.emulator.setOptions({ taskDelayMs: 600_000 });
    const before = dumpFiles(setup.emulator.dumpsDir);
    try {
      const job = createTestJob();
      job.cancelWhen((update) => update.unit === 'percent' && update.phase !== 'enqueued');
      const outcome = await settleAfterCancel(runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, REQUEST, job), job);
      expect((outcome.error as GatewayError).code).toBe('job_canceled');
      const [task] = (await setup.engine.sdk.tasks.getTasks({ types: ['dumpCreation'], limit: 1 })).results;
      expect(task).toMatchObject({ status: 'canceled', type: 'dumpCreation' });
      expect(dumpFiles(setup.emulator.dumpsDir)).toEqual(before);
    } finally {
      setup.emulator.setOptions({ taskDelayMs: 0 });
    }
  });

  it('catalogs the dump as external when no dumpsDir is configured', async () => {
    const run = await runNativeBackup(meilisearchPlugin, setup.plugin({ dumpsDir: undefined }), temp.storage, REQUEST);
    const dumpUid = run.result.externalId!;
    expect(run.manifest.files).toEqual([]);
    expect(run.manifest.external).toEqual([
      { path: `${dumpUid}.dump`, location: `meilisearch-server:dumps/${dumpUid}.dump`, bytes: null, description: expect.stringContaining('--import-dump') },
    ]);
    expect(run.result.warnings.join('\n')).toMatch(/stays on the Meilisearch server/);
    expect(run.result.collections.map((c) => [c.name, c.documentCount])).toEqual([
      ['books', 7],
      ['movies', 120],
    ]);
  });

  it('catalogs the selected indexes, says the dump holds them all, and rejects unknown ones', async () => {
    const run = await runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, { ...REQUEST, collections: ['books'] });
    expect(run.result.warnings.join('\n')).toMatch(/always contains every index/);
    expect(run.result.collections.map((c) => c.name)).toEqual(['books']);
    const error = await failure(runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, { ...REQUEST, collections: ['ghost'] }));
    expect(error.code).toBe('collection_not_found');
  });

  it('turns a failed dump task into engine_error with the engine error', async () => {
    const broken = await start({ dumpsDir: join(temp.root, 'no', 'such', 'dir') });
    try {
      const error = await failure(runNativeBackup(meilisearchPlugin, broken.plugin(), temp.storage, REQUEST));
      expect(error.code).toBe('engine_error');
      expect(error.details).toMatchObject({ engineCode: 'internal' });
      expect(error.message).toMatch(/dump task \d+ failed/);
    } finally {
      await broken.emulator.close();
    }
  });
});

describe('meilisearch native backup before v0.28', () => {
  let temp: TempStorage;
  let setup: Setup;

  beforeAll(async () => {
    temp = await createTempStorage();
    setup = await start({ version: '0.27.2' });
    await setup.engine.seed([{ name: 'old', documents: makeDocuments(30) }]);
  });
  afterAll(async () => {
    await setup?.emulator.close();
    await temp?.cleanup();
  });

  it('uses POST /dumps + GET /dumps/:uid/status and copies the v4 dump', async () => {
    setup.emulator.setOptions({ taskDelayMs: 200 });
    try {
      const job = createTestJob();
      const run = await runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, REQUEST, job);
      const dumpUid = run.result.externalId!;
      expect(run.result.engineVersion).toBe('0.27.2');
      const source = await sha256File(join(setup.emulator.dumpsDir, `${dumpUid}.dump`));
      expect(run.manifest.files).toEqual([{ path: `native/${dumpUid}.dump`, bytes: source.bytes, sha256: source.sha256 }]);
      expect(run.result.collections).toEqual([{ name: 'old', documentCount: 30, bytes: expect.any(Number) }]);
      expect(job.updates.map((update) => update.phase)).toEqual(expect.arrayContaining(['creating the dump', 'dump created', 'copy dump']));
      expect((await setup.engine.sdk.tasks.getTasks({ types: ['dumpCreation'] })).total).toBe(0);
    } finally {
      setup.emulator.setOptions({ taskDelayMs: 0 });
    }
  });

  it('maps dump_already_processing to job_already_in_progress', async () => {
    setup.emulator.setOptions({ taskDelayMs: 500 });
    try {
      const first = runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, REQUEST);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const error = await failure(runNativeBackup(meilisearchPlugin, setup.plugin(), temp.storage, REQUEST));
      expect(error.code).toBe('job_already_in_progress');
      await first;
    } finally {
      setup.emulator.setOptions({ taskDelayMs: 0 });
    }
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
