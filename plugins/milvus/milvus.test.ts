// The Milvus plugin against the milvus-backup emulator: the shared contract, then the flow every response
// generation must pass (backup with progress, per-collection sizes, restore with a suffix, list, delete, sync).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInstance, NativeBackupRequest } from '../../src/engines/contract.ts';
import { describeEnginePluginContract } from '../../test/contract/engine-plugin-contract.ts';
import { swaggerChecker } from '../../test/emulators/milvus-backup/swagger-contract.ts';
import { itWithShared } from '../../test/helpers/requirements.ts';
import { createTempStorage, createTestJob, progressProblems, runNativeBackup, runNativeRestore, type TempStorage, type TestJob } from '../../test/contract/harness.ts';
import { milvusNotApplicable, milvusPlugin } from './index.ts';
import type { MilvusRestoreRequest } from './restore.ts';
import { failure, pluginFor, startMilvusTestEngine, until, type MilvusTestEngine } from './test/engine.ts';

describeEnginePluginContract({ plugin: milvusPlugin, startEngine: () => startMilvusTestEngine(), notApplicable: milvusNotApplicable });

for (const generation of ['v0.5.16', 'v0.5.9'] as const) {
  describe(`milvus plugin against milvus-backup ${generation}`, () => {
    let engine: MilvusTestEngine;
    let instance: EngineInstance;
    let temp: TempStorage;
    const backup = (request: Partial<NativeBackupRequest> & { name: string }, job?: TestJob) =>
      runNativeBackup(milvusPlugin, instance, temp.storage, { collections: null, requestId: randomUUID(), ...request }, job);
    const restore = (backupId: string, request: MilvusRestoreRequest, job?: TestJob) => runNativeRestore(instance, temp.storage, backupId, request, job);

    beforeAll(async () => {
      temp = await createTempStorage();
      engine = await startMilvusTestEngine({ generation });
      instance = pluginFor(engine.config);
    });
    afterAll(async () => {
      await engine?.stop();
      await temp?.cleanup();
    });

    it('backs up the two seeded collections with progress rising to 100 and per-collection sizes', async () => {
      const job = createTestJob();
      // Steps slower than the 10 ms polls, so the job sees the task move.
      engine.emulator.setOptions({ stepDelayMs: 25 });
      const run = await backup({ name: 'nightly', collections: ['book', 'medium_articles'] }, job).finally(() => engine.emulator.setOptions({ stepDelayMs: 2 }));

      const completed = job.updates.map((update) => update.completed);
      expect(progressProblems(job.updates)).toEqual([]);
      expect(completed).toEqual([...completed].sort((a, b) => a - b));
      expect(new Set(completed).size).toBeGreaterThanOrEqual(3);
      expect(job.updates.at(-1)).toMatchObject({ phase: 'complete', completed: 100, total: 100, unit: 'percent' });

      const seeded = engine.emulator.milvus.collections();
      const bytesOf = (name: string) => seeded.find((c) => c.name === name)!.bytes;
      const rowsOf = (name: string) => (generation === 'v0.5.9' ? seeded.find((c) => c.name === name)!.rows : null);
      expect(run.result.collections).toEqual([
        { name: 'book', documentCount: rowsOf('book'), bytes: bytesOf('book') },
        { name: 'medium_articles', documentCount: rowsOf('medium_articles'), bytes: bytesOf('medium_articles') },
      ]);
      expect(run.result).toMatchObject({ externalId: 'nightly', engineVersion: 'v2.5.4' });
      expect(run.manifest.external).toEqual([
        { path: 'nightly', location: 'milvus-backup:nightly', bytes: bytesOf('book') + bytesOf('medium_articles'), description: expect.stringContaining('2 collection') },
      ]);
      expect(run.manifest.files).toEqual([]);
      if (generation === 'v0.5.16') expect(run.result.warnings.join('\n')).toMatch(/row counts/);
      expect(engine.emulator.backups.names()).toContain('nightly');
    });

    it('restores with a suffix next to the live collections, and drops existing ones only when asked', async () => {
      const run = await backup({ name: 'for_restore', collections: ['book'] });
      const job = createTestJob();
      const rename = { book: 'book_restored' };
      const result = await restore(run.backupId, { collections: ['book'], rename, atomic: false }, job);
      expect(result.collections).toEqual([{ source: 'book', target: 'book_restored', documentCount: generation === 'v0.5.9' ? 2000 : 0 }]);
      expect(job.updates.at(-1)).toMatchObject({ completed: 100, unit: 'percent' });
      expect(progressProblems(job.updates)).toEqual([]);
      const restored = engine.emulator.milvus.get('default', 'book_restored')!;
      expect(restored).toMatchObject({ rows: 2000, bytes: engine.emulator.milvus.get('default', 'book')!.bytes });
      const sent = engine.emulator.exchanges.filter((e) => e.path === '/api/v1/restore').at(-1)!.body;
      expect(sent).toMatchObject({ backup_name: 'for_restore', async: true, collection_names: ['default.book'], collection_suffix: '_restored' });
      expect(sent).not.toHaveProperty('dropExistCollection');

      const again = await failure(restore(run.backupId, { collections: ['book'], rename, atomic: false }));
      expect(again.code).toBe('restore_failed');
      expect(again.message).toMatch(/collection already exist.*book_restored/);

      await restore(run.backupId, { collections: ['book'], rename, atomic: true, dropExisting: true });
      expect(engine.emulator.exchanges.filter((e) => e.path === '/api/v1/restore').at(-1)!.body).toMatchObject({ dropExistCollection: true });
    });

    it('restores into other names with a rename map', async () => {
      const run = await backup({ name: 'for_rename', collections: ['book', 'medium_articles'] });
      const result = await restore(run.backupId, { collections: ['book', 'medium_articles'], rename: { book: 'archive.book_2024' }, atomic: false, dropExisting: true });
      expect(result.collections.map((c) => [c.source, c.target])).toEqual([
        ['book', 'archive.book_2024'],
        ['medium_articles', 'medium_articles'],
      ]);
      expect(engine.emulator.exchanges.filter((e) => e.path === '/api/v1/restore').at(-1)!.body).toMatchObject({
        collection_renames: { 'default.book': 'archive.book_2024' },
      });
      expect(engine.emulator.milvus.get('archive', 'book_2024')?.rows).toBe(2000);
    });

    it('lists server backups (including one made from the CLI) and deletes them on the server', async () => {
      engine.emulator.backups.create('from_cli', [{ db: 'default', name: 'book' }]);
      const listed = await instance.listServerBackups!(AbortSignal.timeout(5000));
      const cli = listed.find((b) => b.externalId === 'from_cli')!;
      expect(cli).toMatchObject({ name: 'from_cli', bytes: engine.emulator.milvus.get('default', 'book')!.bytes, engineVersion: 'v2.5.4' });
      if (generation === 'v0.5.9') {
        expect(cli.collections).toEqual([{ name: 'book', documentCount: 2000, bytes: cli.bytes }]);
        expect(cli.createdAt).toMatch(/^\d{4}-/);
      } else expect(cli.collections).toEqual([]);

      await instance.deleteServerBackup!('from_cli', AbortSignal.timeout(5000));
      expect(engine.emulator.backups.names()).not.toContain('from_cli');
      expect((await failure(instance.deleteServerBackup!('from_cli', AbortSignal.timeout(5000)))).code).toBe('backup_not_found');
    });

    it('lists the collections its backups hold', async () => {
      const collections = await instance.listCollections(AbortSignal.timeout(5000));
      expect(collections.map((c) => c.name)).toEqual(expect.arrayContaining(['book', 'medium_articles']));
      const book = collections.find((c) => c.name === 'book')!;
      expect(book.documentCount).toBe(generation === 'v0.5.9' ? 2000 : null);
    });

    it('a retried job follows its own task instead of creating a second backup', async () => {
      const request = { name: 'retried', collections: ['book'], requestId: randomUUID() };
      engine.emulator.setOptions({ stepDelayMs: 20 });
      const first = backup(request);
      await until(() => engine.emulator.exchanges.some((e) => e.path === '/api/v1/create' && e.requestIdHeader === request.requestId));
      const retry = await backup(request);
      await first;
      engine.emulator.setOptions({ stepDelayMs: 2 });
      expect(retry.result.externalId).toBe('retried');
      expect(engine.emulator.exchanges.filter((e) => e.path === '/api/v1/create' && e.requestIdHeader === request.requestId)).toHaveLength(1);
      // After the server restarted, the finished backup is recognised by its id in the list.
      engine.emulator.restart();
      const afterRestart = await backup(request);
      expect(afterRestart.result.externalId).toBe('retried');
      expect(engine.emulator.exchanges.filter((e) => e.path === '/api/v1/create' && e.requestIdHeader === request.requestId)).toHaveLength(1);
    });

    it('reports health with the Milvus version from the server check', async () => {
      expect(await instance.health(AbortSignal.timeout(5000))).toEqual({ ok: true, version: 'v2.5.4', message: null });
    });

    itWithShared('sent only requests the published swagger allows, and got only answers it describes', () => {
      const exchanges = engine.emulator.exchanges.filter((e) => !e.injected);
      expect(exchanges.length).toBeGreaterThan(10);
      expect(exchanges.flatMap((e) => [...swaggerChecker().checkRequest(e), ...swaggerChecker().checkResponse(e)])).toEqual([]);
    });
  });
}
