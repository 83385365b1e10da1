// milvus-backup keeps its tasks running when the gateway stops: a gateway restart mid-task (close, then
// createGateway on the same database and data dir) queues the job again and its next run follows the same
// milvus-backup task (by request id / restore id) instead of failing the job or starting a second task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { startMilvusBackupEmulator, type MilvusBackupEmulator } from '../emulators/milvus-backup/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const poll = async <T>(read: () => Promise<T | null | undefined>, what: string): Promise<T> => {
  for (let i = 0; i < 2000; i++) {
    const value = await read();
    if (value !== null && value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('a gateway restart while milvus-backup runs the task', () => {
  let emulator: MilvusBackupEmulator;
  let t: TestGateway;
  let restarted: Gateway | undefined;

  beforeAll(async () => {
    emulator = await startMilvusBackupEmulator({ generation: 'v0.6.0', stepDelayMs: 60 });
    emulator.milvus.create({ name: 'films', documents: Array.from({ length: 30 }, (_, i) => ({ id: `f${i}`, title: `film ${i}` })) });
    t = await startTestGateway();
  });
  afterAll(async () => {
    await restarted?.close();
    await t?.close();
    await emulator?.close();
  });

  /** Stops the running gateway (its jobs aborted at once) and starts a new one on the same database and data dir. */
  async function restart(): Promise<Gateway> {
    const previous = restarted ?? t.gateway;
    await previous.close();
    restarted = await createGateway({ config: t.gateway.config, database: t.gateway.db, logWrite: () => undefined });
    return restarted;
  }

  const jobOf = (gateway: Gateway, id: string) => gateway.prisma.job.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { id: 'asc' } } } });
  const ended = (gateway: Gateway, id: string) =>
    poll(async () => {
      const job = await jobOf(gateway, id);
      return ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status) ? job : null;
    }, `job ${id} to end`);

  it('a backup and then a restore both survive a restart, each following its one milvus-backup task', async () => {
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'milvus', plugin: 'milvus', config: { url: emulator.url, pollIntervalMs: 20 } },
    });
    expect(registered.errors).toBeUndefined();
    const engineId = registered.data!.registerEngine.id as string;

    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, {
      i: { engineId, strategy: 'NATIVE', name: 'resumed_backup', collections: ['films'] },
    });
    expect(started.errors).toBeUndefined();
    const backupJobId = started.data!.startBackup.id as string;
    // Restart once the task runs on the server and the job has recorded it.
    await poll(async () => {
      const job = await jobOf(t.gateway, backupJobId);
      return (job.progress as { engineTask?: string }).engineTask === backupJobId && job.status === 'RUNNING' ? job : null;
    }, 'the backup job to record its milvus-backup task');
    expect(emulator.backups.names()).not.toContain('resumed_backup');
    let gateway = await restart();

    const backupJob = await ended(gateway, backupJobId);
    expect(backupJob.status, backupJob.errorMessage ?? '').toBe('SUCCEEDED');
    expect(backupJob.events.map((e) => e.phase)).toContain('requeued');
    const creates = emulator.exchanges.filter((e) => e.path === '/api/v1/create');
    expect(creates.map((e) => e.requestIdHeader)).toEqual([backupJobId]);
    const backup = await gateway.prisma.backup.findUniqueOrThrow({ where: { id: started.data!.startBackup.backup.id }, include: { collections: true } });
    expect(backup).toMatchObject({ status: 'COMPLETE', engineFormat: 'snapshot', externalId: 'resumed_backup' });
    expect(backup.collections.map((c) => c.name)).toEqual(['films']);

    // The restore: its task id is recorded, the restart re-queues it, the next run polls that id again.
    const restoreJobId = await startRestore(gateway, backup.id);
    await poll(async () => {
      const job = await jobOf(gateway, restoreJobId);
      return (job.progress as { engineTask?: string }).engineTask?.startsWith('gateway_restore_') && job.status === 'RUNNING' ? job : null;
    }, 'the restore job to record its milvus-backup task');
    const taskId = ((await jobOf(gateway, restoreJobId)).progress as { engineTask: string }).engineTask;
    gateway = await restart();
    const restoreJob = await ended(gateway, restoreJobId);
    expect(restoreJob.status, restoreJob.errorMessage ?? '').toBe('SUCCEEDED');
    expect(restoreJob.events.map((e) => e.phase)).toContain('requeued');
    const restores = emulator.exchanges.filter((e) => e.path === '/api/v1/restore');
    expect(restores.map((e) => (e.body as { id: string }).id)).toEqual([taskId]);
    expect(emulator.exchanges.filter((e) => e.path === '/api/v1/get_restore').every((e) => e.query['id'] === taskId)).toBe(true);
    expect(emulator.milvus.get('default', 'films_back')?.documents).toEqual(emulator.milvus.get('default', 'films')?.documents);
  });

  async function startRestore(gateway: Gateway, backupId: string): Promise<string> {
    // A fresh GraphQL front on the restarted gateway would do the same; the job service is what it calls.
    const { createGatewayYoga } = await import('../../src/graphql/yoga.ts');
    const yoga = createGatewayYoga(gateway);
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        query: `mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`,
        variables: { i: { backupId, rename: [{ from: 'films', to: 'films_back' }] } },
      }),
    });
    const answer = (await response.json()) as { data?: { startRestore: { id: string } }; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    return answer.data!.startRestore.id;
  }
});
