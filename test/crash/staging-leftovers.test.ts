// Issue 13 point 5: a restore killed mid-way leaves its staging index; the next start drops it (its name
// carries the dead job's id), and a staging copy the gateway cannot drop shows in engine { stagingLeftovers }.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';

const MASTER = 'staging-master-key-0123456789abcdef';

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('staging copies of restores that died', () => {
  let emulator: MeilisearchEmulator;
  let client: Meilisearch;
  let dataDir: string;
  let gateway: ChildGateway | undefined;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MASTER });
    client = new Meilisearch({ host: emulator.url, apiKey: MASTER });
    await client.createIndex('movies', { primaryKey: 'id' }).waitTask();
    await client
      .index('movies')
      .addDocuments(Array.from({ length: 1000 }, (_, i) => ({ id: i, title: `movie ${i}` })))
      .waitTask();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-staging-'));
  });
  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await emulator?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const uids = async () => (await client.getIndexes({ limit: 1000 })).results.map((index) => index.uid);

  it('drops the staging index of a restore killed mid-way at the next start, and lists one it cannot drop', async () => {
    gateway = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
    const registered = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MASTER, batchSize: 100 } },
    });
    const engineId = registered.data.registerEngine.id;
    const backup = await gateway.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id backup { id } } }`, { e: engineId });
    const backupId = backup.data.startBackup.backup.id;
    await until('the backup', async () => (await gateway!.gql(`query($id: ID!) { job(id: $id) { status } }`, { id: backup.data.startBackup.id })).data.job.status === 'SUCCEEDED');

    emulator.setOptions({ taskDelayMs: 200 });
    const started = await gateway.gql(`mutation($b: ID!) { startRestore(input: {backupId: $b, overwrite: true}) { id } }`, { b: backupId });
    expect(started.errors).toBeUndefined();
    const staging = `__gwstage_${started.data.startRestore.id.replaceAll('-', '')}_movies`;
    await until('the staging index', async () => (await uids()).includes(staging));
    await gateway.kill('SIGKILL');
    emulator.setOptions({ taskDelayMs: 0 });
    // Our own staging copy stays behind, under a name no live index can have.
    expect(await uids()).toContain(staging);

    // A staging copy this gateway's key may not delete: it must be shown, not silently kept.
    const stranger = `__gwstage_${randomUUID().replaceAll('-', '')}_books`;
    await client.createIndex(stranger).waitTask();
    const readOnly = await client.createKey({ actions: ['indexes.get', 'documents.get', 'tasks.*', 'version', 'stats.get'], indexes: ['*'], expiresAt: null });
    gateway = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
    const second = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili-readonly', plugin: 'meilisearch', config: { url: emulator.url, apiKey: readOnly.key } },
    });
    const leftovers = await gateway.gql(
      `query($a: ID!, $b: ID!) { a: engine(id: $a) { stagingLeftovers { name jobId reason } } b: engine(id: $b) { stagingLeftovers { name jobId } } }`,
      {
        a: engineId,
        b: second.data.registerEngine.id,
      },
    );
    expect(leftovers.errors).toBeUndefined();
    // The start sweep (master key) dropped both: the dead restore's and the stranger (no running job owns it).
    expect(leftovers.data.a.stagingLeftovers).toEqual([]);
    expect(await uids()).not.toContain(staging);
    expect(await uids()).toContain('movies');
    expect((await client.index('movies').getStats()).numberOfDocuments).toBe(1000);

    // Now one the read-only engine sees but cannot drop.
    const stuck = `__gwstage_${randomUUID().replaceAll('-', '')}_songs`;
    await client.createIndex(stuck).waitTask();
    const shown = await gateway.gql(`query($b: ID!) { engine(id: $b) { stagingLeftovers { name jobId reason } } }`, { b: second.data.registerEngine.id });
    expect(shown.data.engine.stagingLeftovers).toEqual([expect.objectContaining({ name: stuck })]);
    // After a restore on that engine the gateway tries, fails, and says why.
    const restore = await gateway.gql(`mutation($b: ID!, $e: ID!) { startRestore(input: {backupId: $b, engineId: $e, suffix: "_ro"}) { id } }`, {
      b: backupId,
      e: second.data.registerEngine.id,
    });
    expect(restore.errors).toBeUndefined();
    await until('the read-only restore to end', async () =>
      ['FAILED', 'SUCCEEDED'].includes((await gateway!.gql(`query($id: ID!) { job(id: $id) { status } }`, { id: restore.data.startRestore.id })).data.job.status),
    );
    const after = await until('the failed drop to be recorded', async () => {
      const res = await gateway!.gql(`query($b: ID!) { engine(id: $b) { stagingLeftovers { name reason } } }`, { b: second.data.registerEngine.id });
      const row = res.data.engine.stagingLeftovers.find((l: { name: string }) => l.name === stuck);
      return row && !row.reason.startsWith('not dropped yet') ? row : null;
    });
    expect(after.reason).not.toBe('');
    expect(await uids()).toContain(stuck);
  }, 180_000);
});
