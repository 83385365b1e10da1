// Opt-in: the plugin against a real `milvus-backup server`. Set MILVUS_BACKUP_URL (e.g. http://localhost:8080)
// and MILVUS_BACKUP_COLLECTIONS (existing collections to back up, e.g. "book,db1.reviews"). Backups are named
// gw_test_<random> and deleted at the end. MILVUS_BACKUP_RESTORE=1 also restores them under the suffix
// _gw<random> — those collections stay in Milvus (the gateway has no Milvus client to drop them).
// The shared contract suite needs to seed and read Milvus directly, which only the emulator allows.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { createTempStorage, createTestJob, progressProblems, runNativeBackup, runNativeRestore, type TempStorage } from '../../test/contract/harness.ts';
import { milvusPlugin } from './index.ts';
import { failure, pluginFor } from './test/engine.ts';

const url = process.env['MILVUS_BACKUP_URL'];
const collections = (process.env['MILVUS_BACKUP_COLLECTIONS'] ?? '').split(',').filter((name) => name !== '');
const restoreToo = process.env['MILVUS_BACKUP_RESTORE'] === '1';

describe.skipIf(!url)('milvus plugin against a real milvus-backup server (MILVUS_BACKUP_URL)', () => {
  const tag = randomBytes(3).toString('hex');
  let instance: EngineInstance;
  let temp: TempStorage;
  const made: string[] = [];
  const signal = () => AbortSignal.timeout(30_000);

  beforeAll(async () => {
    temp = await createTempStorage();
    instance = pluginFor({ url, pollIntervalMs: 500 });
  });
  afterAll(async () => {
    for (const name of made) await instance.deleteServerBackup!(name, signal()).catch(() => undefined);
    await temp?.cleanup();
  });

  it('reports health with the Milvus version', async () => {
    const health = await instance.health(signal());
    expect(health).toMatchObject({ ok: true, version: expect.any(String) });
  });

  it('lists server backups and the collections they hold', async () => {
    expect(Array.isArray(await instance.listServerBackups!(signal()))).toBe(true);
    expect(Array.isArray(await instance.listCollections(signal()))).toBe(true);
  });

  it('refuses bad names before sending and reports unknown backups', async () => {
    expect((await failure(runNativeBackup(milvusPlugin, instance, temp.storage, { collections: null, name: 'bad-name', requestId: randomUUID() }))).code).toBe('invalid_name');
    expect((await failure(instance.deleteServerBackup!(`gw_test_${tag}_absent`, signal()))).code).toBe('backup_not_found');
  });

  it.runIf(collections.length > 0)('backs up MILVUS_BACKUP_COLLECTIONS with progress to 100, lists it, (restores it,) deletes it', { timeout: 30 * 60_000 }, async () => {
    const name = `gw_test_${tag}`;
    made.push(name);
    const job = createTestJob();
    const run = await runNativeBackup(milvusPlugin, instance, temp.storage, { collections, name, requestId: randomUUID() }, job);
    expect(progressProblems(job.updates)).toEqual([]);
    expect(job.updates.at(-1)).toMatchObject({ completed: 100 });
    expect(run.result.collections.map((c) => c.name).sort()).toEqual([...collections].sort());
    expect((await instance.listServerBackups!(signal())).map((b) => b.externalId)).toContain(name);
    if (restoreToo) {
      const rename = Object.fromEntries(collections.map((c) => [c, `${c}_gw${tag}`]));
      const restored = await runNativeRestore(instance, temp.storage, run.backupId, { collections, rename, atomic: false });
      expect(restored.collections.map((c) => c.target).sort()).toEqual(Object.values(rename).sort());
    }
    await instance.deleteServerBackup!(name, signal());
    expect((await instance.listServerBackups!(signal())).map((b) => b.externalId)).not.toContain(name);
  });
});
