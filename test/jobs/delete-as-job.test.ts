// deleteBackup runs as a DELETE job like retention's deletions: a job row with events, seen by jobEvents
// subscribers and webhooks; the mutation still answers with the DELETED backup, or the coded refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

describe('deleteBackup as a DELETE job', () => {
  let t: TestGateway;
  let engineId: string;

  beforeAll(async () => {
    t = await startTestGateway();
    const engine = await t.gql(`mutation { registerEngine(input: {name: "m", plugin: "magnetodb", config: {url: "http://127.0.0.1:9", projectId: "p", token: "t"}}) { id } }`);
    expect(engine.errors).toBeUndefined();
    engineId = engine.data!.registerEngine.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const nativeRecord = async (name: string) => {
    const backup = await t.gateway.prisma.backup.create({
      data: { name, engineId, plugin: 'magnetodb', strategy: 'NATIVE', type: 'FULL', status: 'COMPLETE', location: 'file:///nowhere', documentCount: 0 },
    });
    await t.gateway.prisma.artifact.create({
      data: { backupId: backup.id, path: 'external/orders/b1', bytes: 0n, sha256: '', external: true, location: 'magnetodb-management:/v1/management/p/tables/orders/backups/b1' },
    });
    return backup.id;
  };

  it('deletes a MagnetoDB backup through a job with events, a jobEvents message and a webhook delivery', async () => {
    const hook = await t.gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }`, {
      i: { url: 'http://127.0.0.1:9/hook', events: ['JOB_SUCCEEDED'], secret: 'receiver-secret-0123456789' },
    });
    expect(hook.errors).toBeUndefined();
    const backupId = await nativeRecord('native-record');
    const feed = t.subscribe(`subscription($e: ID) { jobEvents(engineId: $e) { id kind status backup { id } } }`, { e: engineId });
    const seen: Array<Record<string, any>> = [];
    const watching = (async () => {
      for await (const message of feed) {
        seen.push(message.data!.jobEvents);
        if (message.data!.jobEvents.status === 'SUCCEEDED') return;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the subscription is open before the deletion starts

    const deleted = await t.gql(`mutation($id: ID!) { deleteBackup(id: $id) { status } }`, { id: backupId });
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!.deleteBackup.status).toBe('DELETED');
    await watching;
    expect(seen.map((job) => [job.kind, job.status, job.backup.id])).toEqual([
      ['DELETE', 'RUNNING', backupId],
      ['DELETE', 'SUCCEEDED', backupId],
    ]);

    const jobs = await t.gql(`query($e: ID!) { jobs(kind: [DELETE], engineId: $e) { nodes { id status progress { completed total percent } events { status phase } } } }`, {
      e: engineId,
    });
    const [job] = jobs.data!.jobs.nodes;
    expect(job).toMatchObject({ status: 'SUCCEEDED', progress: { completed: 1, total: 1, percent: 100 } });
    expect(job.events.map((e: { phase: string }) => e.phase)).toEqual(['queued', 'started', 'deleting', 'done']);
    for (let waited = 0; waited < 5000; waited += 50) {
      if ((await t.gateway.prisma.webhookDelivery.count({ where: { eventKey: `job:${job.id}:JOB_SUCCEEDED` } })) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await t.gateway.prisma.webhookDelivery.count({ where: { eventKey: `job:${job.id}:JOB_SUCCEEDED` } })).toBe(1);
  });

  it('records a refused deletion as a FAILED job and answers with the coded reason', async () => {
    const backupId = await nativeRecord('in-use');
    const blocker = await t.gateway.prisma.job.create({
      data: { kind: 'VERIFY', status: 'RUNNING', engineId, backupId, input: {}, progress: {}, timeoutMs: 60_000, createdBy: 'test' },
    });
    const refused = await t.gql(`mutation($id: ID!) { deleteBackup(id: $id) { status } }`, { id: backupId });
    expect(refused.errors?.[0]?.extensions?.code).toBe('backup_in_use');
    const failed = await t.gateway.prisma.job.findFirstOrThrow({ where: { kind: 'DELETE', backupId } });
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'backup_in_use' });
    await t.gateway.prisma.job.update({ where: { id: blocker.id }, data: { status: 'SUCCEEDED' } });
    expect((await t.gql(`mutation($id: ID!) { deleteBackup(id: $id) { status } }`, { id: backupId })).data!.deleteBackup.status).toBe('DELETED');
    // Unknown ids are refused before any job is recorded.
    const unknown = await t.gql(`mutation { deleteBackup(id: "00000000-0000-4000-8000-000000000000") { status } }`);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('backup_not_found');
  });
});
