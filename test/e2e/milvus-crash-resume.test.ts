// SIGKILL a gateway while milvus-backup runs its backup task, start it again on the same data dir: the job
// (RUNNING, owned by a dead process, its milvus-backup task recorded) is queued again at startup and follows
// the same task to the end — one create, one backup — instead of ending FAILED `interrupted`.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilvusBackupEmulator, type MilvusBackupEmulator } from '../emulators/milvus-backup/server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';

describe('a gateway killed while milvus-backup runs its backup', () => {
  let emulator: MilvusBackupEmulator;
  let dataDir: string;
  let gateway: ChildGateway | undefined;

  beforeAll(async () => {
    emulator = await startMilvusBackupEmulator({ generation: 'v0.5.16', stepDelayMs: 80 });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-milvus-crash-'));
  });
  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await emulator?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('queues the job again at startup and follows the same task to a complete backup', async () => {
    gateway = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
    const registered = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'milvus', plugin: 'milvus', config: { url: emulator.url, pollIntervalMs: 20 } },
    });
    const engineId = registered.data.registerEngine.id as string;
    const started = await gateway.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, {
      i: { engineId, strategy: 'NATIVE', name: 'crash_resumed', collections: ['book'] },
    });
    const jobId = started.data.startBackup.id as string;
    // The job stores its task before it asks milvus-backup to create it: kill without warning right after the create.
    for (let i = 0; !emulator.exchanges.some((e) => e.path === '/api/v1/create'); i++) {
      if (i > 2000) throw new Error('the backup never started polling its task');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await gateway.kill('SIGKILL');
    expect(emulator.backups.names()).not.toContain('crash_resumed');

    gateway = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
    let job: Record<string, any> = {};
    for (let i = 0; i < 2000; i++) {
      job = (await gateway.gql(`query($id: ID!) { job(id: $id) { status error { code } events { status phase } } }`, { id: jobId })).data.job;
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(job.status, JSON.stringify(job) + gateway.output().slice(-3000)).toBe('SUCCEEDED');
    expect(job.events.map((e: { phase: string }) => e.phase)).toContain('requeued');
    expect(emulator.exchanges.filter((e) => e.path === '/api/v1/create').map((e) => e.requestIdHeader)).toEqual([jobId]);
    const backup = await gateway.gql(`query($id: ID!) { backup(id: $id) { status externalId } }`, { id: started.data.startBackup.backup.id });
    expect(backup.data.backup).toEqual({ status: 'COMPLETE', externalId: 'crash_resumed' });
  });
});
