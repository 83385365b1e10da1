// The job runner through the gateway: timeouts and cancels end the job with the right status and leave no files.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

describe('job runner', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let engineId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    await new Meilisearch({ host: emulator.url })
      .index('slow')
      .addDocuments(Array.from({ length: 400 }, (_, id) => ({ id })))
      .waitTask();
    t = await startTestGateway();
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'slow', plugin: 'meilisearch', config: { url: emulator.url, pageSize: 10 } },
    });
    engineId = res.data!.registerEngine.id;
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  async function startSlowBackup(extra: Record<string, unknown> = {}): Promise<{ jobId: string; backupId: string }> {
    emulator.setOptions({ documentsDelayMs: 200 });
    const res = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, ...extra } });
    expect(res.errors).toBeUndefined();
    return { jobId: res.data!.startBackup.id, backupId: res.data!.startBackup.backup.id };
  }

  it('fails a job that outlives its timeout with job_timeout, removing its files', async () => {
    const { jobId, backupId } = await startSlowBackup({ timeoutSeconds: 1 });
    const job = await waitForJob(t, jobId, 10_000);
    emulator.setOptions({ documentsDelayMs: 0 });
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatchObject({ code: 'job_timeout', type: 'engine' });
    const backup = await t.gql(`query($id: ID!) { backup(id: $id) { status } }`, { id: backupId });
    expect(backup.data!.backup.status).toBe('FAILED');
    expect(existsSync(path.join(t.dataDir, 'backups', backupId))).toBe(false);
  });

  it('cancels a running backup: CANCELING is published, then CANCELED, and nothing is kept', async () => {
    const { jobId, backupId } = await startSlowBackup();
    const statuses: string[] = [];
    for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status progress { completed } } }`, { id: jobId })) {
      const { status, progress } = message.data!.jobUpdated;
      statuses.push(status);
      if (status === 'RUNNING' && progress.completed >= 20 && !statuses.includes('CANCELING')) {
        await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: jobId });
      }
    }
    emulator.setOptions({ documentsDelayMs: 0 });
    expect(statuses).toContain('CANCELING');
    expect(statuses.at(-1)).toBe('CANCELED');
    const after = await t.gql(`query($id: ID!, $b: ID!) { job(id: $id) { error { code } events { status phase } } backup(id: $b) { status } }`, { id: jobId, b: backupId });
    expect(after.data!.job.error.code).toBe('job_canceled');
    expect(after.data!.job.events.map((e: { status: string }) => e.status)).toEqual(expect.arrayContaining(['QUEUED', 'RUNNING', 'CANCELING', 'CANCELED']));
    expect(after.data!.backup.status).toBe('FAILED');
    expect(existsSync(path.join(t.dataDir, 'backups', backupId))).toBe(false);
    const again = await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: jobId });
    expect(again.errors?.[0]?.extensions?.code).toBe('job_already_finished');
  });

  it('refuses to delete a backup a restore is using, then deletes it keeping the record', async () => {
    const res = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId } });
    const backupId = res.data!.startBackup.backup.id;
    expect((await waitForJob(t, res.data!.startBackup.id)).status).toBe('SUCCEEDED');
    emulator.setOptions({ taskDelayMs: 300 });
    const restore = await t.gql(`mutation($b: ID!) { startRestore(input: {backupId: $b, rename: [{from: "slow", to: "slow2"}]}) { id } }`, { b: backupId });
    const refused = await t.gql(`mutation($id: ID!) { deleteBackup(id: $id) { id } }`, { id: backupId });
    expect(refused.errors?.[0]?.extensions?.code).toBe('backup_in_use');
    emulator.setOptions({ taskDelayMs: 0 });
    expect((await waitForJob(t, restore.data!.startRestore.id)).status).toBe('SUCCEEDED');
    const deleted = await t.gql(`mutation($id: ID!) { deleteBackup(id: $id) { status } }`, { id: backupId });
    expect(deleted.data!.deleteBackup.status).toBe('DELETED');
    expect(existsSync(path.join(t.dataDir, 'backups', backupId))).toBe(false);
    const listed = await t.gql(`{ backups { nodes { id } } deleted: backups(status: [DELETED]) { nodes { id } } }`);
    expect(listed.data!.backups.nodes.map((b: { id: string }) => b.id)).not.toContain(backupId);
    expect(listed.data!.deleted.nodes.map((b: { id: string }) => b.id)).toContain(backupId);
    const restoreDeleted = await t.gql(`mutation($b: ID!) { startRestore(input: {backupId: $b}) { id } }`, { b: backupId });
    expect(restoreDeleted.errors?.[0]?.extensions?.code).toBe('backup_not_found');
  });
});

describe('maintenance lock of collections under restore', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    const client = new Meilisearch({ host: emulator.url });
    await client
      .index('locked')
      .addDocuments(Array.from({ length: 300 }, (_, id) => ({ id })))
      .waitTask();
    await client
      .index('free')
      .addDocuments([{ id: 1 }])
      .waitTask();
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  it('refuses other jobs on a collection being restored with table_locked and shows it locked', async () => {
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'lock', plugin: 'meilisearch', config: { url: emulator.url, batchSize: 20 } },
    });
    const engineId = engine.data!.registerEngine.id;
    const backup = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, collections: ["locked"]}) { id backup { id } } }`, { e: engineId });
    expect((await waitForJob(t, backup.data!.startBackup.id)).status).toBe('SUCCEEDED');
    emulator.setOptions({ taskDelayMs: 200 });
    const restore = await t.gql(`mutation($b: ID!) { startRestore(input: {backupId: $b, overwrite: true}) { id } }`, { b: backup.data!.startBackup.backup.id });
    const restoreId = restore.data!.startRestore.id;

    const onLocked = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, collections: ["locked"]}) { id } }`, { e: engineId });
    expect(onLocked.errors?.[0]?.extensions).toMatchObject({ code: 'table_locked', details: { jobId: restoreId, collections: ['locked'] } });
    const onAll = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
    expect(onAll.errors?.[0]?.extensions?.code).toBe('table_locked');
    const onOther = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, collections: ["free"]}) { id } }`, { e: engineId });
    expect(onOther.errors?.[0]?.extensions?.code).toBe('job_already_in_progress');
    const shown = await t.gql(`query($e: ID!) { engine(id: $e) { collections { name locked lockedBy } } }`, { e: engineId });
    expect(shown.data!.engine.collections).toEqual(
      expect.arrayContaining([
        { name: 'locked', locked: true, lockedBy: restoreId },
        { name: 'free', locked: false, lockedBy: null },
      ]),
    );

    emulator.setOptions({ taskDelayMs: 0 });
    const restored = await waitForJob(t, restoreId);
    expect(restored.status, JSON.stringify(restored.error)).toBe('SUCCEEDED');
    const after = await t.gql(`query($e: ID!) { engine(id: $e) { collections { name locked } } }`, { e: engineId });
    expect(after.data!.engine.collections.every((c: { locked: boolean }) => !c.locked)).toBe(true);
  });
});
