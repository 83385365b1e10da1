// SIGKILL a gateway mid-backup and start it again: the job ends FAILED `interrupted`, nothing half-written stays.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';
import { seedIndexes } from './seed.ts';

describe('a gateway killed mid-backup', () => {
  let emulator: MeilisearchEmulator;
  let dataDir: string;
  let gateway: ChildGateway | undefined;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    await seedIndexes(new Meilisearch({ host: emulator.url }));
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-crash-'));
  });
  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await emulator?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ends the job FAILED interrupted after restart, with no complete backup and no temp files', async () => {
    gateway = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
    const registered = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, pageSize: 200 } },
    });
    const engineId = registered.data.registerEngine.id;
    emulator.setOptions({ documentsDelayMs: 100 });
    const started = await gateway.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id backup { id } } }`, { e: engineId });
    const jobId = started.data.startBackup.id;
    const backupId = started.data.startBackup.backup.id;
    const folder = path.join(dataDir, 'backups', backupId);

    // Wait until documents are being written (a temp chunk file exists), then kill without warning.
    for (let i = 0; ; i++) {
      const files = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
      if (files.some((f) => String(f).includes('.tmp-'))) break;
      if (i > 400) throw new Error('backup never started writing');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await gateway.kill('SIGKILL');
    emulator.setOptions({ documentsDelayMs: 0 });

    gateway = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
    const after = await gateway.gql(
      `query($id: ID!, $b: ID!) { job(id: $id) { status error { code type } events { status phase } }
      backup(id: $b) { status } backups(status: [COMPLETE]) { totalCount } }`,
      { id: jobId, b: backupId },
    );
    expect(after.data.job.status).toBe('FAILED');
    expect(after.data.job.error).toEqual({ code: 'interrupted', type: 'internal' });
    expect(after.data.backup.status).toBe('FAILED');
    expect(after.data.backups.totalCount).toBe(0);
    const remaining = await readdir(path.join(dataDir, 'backups'), { recursive: true });
    expect(remaining.filter((f) => String(f).includes('.tmp-'))).toEqual([]);
    expect(remaining.filter((f) => String(f).startsWith(backupId))).toEqual([]);

    // The engine is free again: a new backup runs to the end.
    const again = await gateway.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, collections: ["songs"]}) { id } }`, { e: engineId });
    expect(again.errors).toBeUndefined();
  });
});
