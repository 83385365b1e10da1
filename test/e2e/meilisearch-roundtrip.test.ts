// Acceptance, end to end through GraphQL: back up three Meilisearch indexes, follow the job live, restore,
// rename, cancel a restore halfway — against the emulator, seeded and read with the official client.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { SEED, seedIndexes, snapshotIndex } from './seed.ts';

const MEILI_KEY = 'emulator-master-key-0123456789';
const JOB_FIELDS = `id kind status progress { phase completed total unit bytes percent message } error { code message type }`;

describe('Meilisearch logical backup and restore through GraphQL', () => {
  let emulator: MeilisearchEmulator;
  let client: Meilisearch;
  let t: TestGateway;
  let engineId: string;
  let backupId: string;
  const originals = new Map<string, Awaited<ReturnType<typeof snapshotIndex>>>();

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    client = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    await seedIndexes(client);
    for (const { uid } of SEED) originals.set(uid, await snapshotIndex(client, uid));
    t = await startTestGateway();
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id config health { ok version } } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY, pageSize: 500, batchSize: 1000 } },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.registerEngine.health.ok).toBe(true);
    engineId = res.data!.registerEngine.id;
  });

  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  it('lists the engine collections with counts', async () => {
    const res = await t.gql(`query($id: ID!) { engine(id: $id) { collections { name documentCount } } }`, { id: engineId });
    expect(res.data!.engine.collections).toEqual(expect.arrayContaining(SEED.map((s) => ({ name: s.uid, documentCount: s.count }))));
  });

  it('backs up, streaming increasing progress to a jobUpdated subscriber, and catalogs the result', async () => {
    emulator.setOptions({ documentsDelayMs: 40 });
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { ${JOB_FIELDS} backup { id status } } }`, {
      i: { engineId, name: 'nightly', labels: { env: 'test' } },
    });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.startBackup.id;
    backupId = started.data!.startBackup.backup.id;
    expect(started.data!.startBackup.backup.status).toBe('PENDING');

    // A second backup on the same engine while this one runs is refused.
    const second = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId } });
    expect(second.errors?.[0]?.extensions?.code).toBe('job_already_in_progress');

    const updates: Array<Record<string, any>> = [];
    for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { ${JOB_FIELDS} } }`, { id: jobId })) {
      expect(message.errors).toBeUndefined();
      updates.push(message.data!.jobUpdated);
    }
    emulator.setOptions({ documentsDelayMs: 0 });
    const final = updates.at(-1)!;
    expect(final.status, JSON.stringify(final.error)).toBe('SUCCEEDED');
    const documentProgress = updates.filter((u) => u.status === 'RUNNING' && u.progress.unit === 'documents' && u.progress.completed > 0);
    const completed = documentProgress.map((u) => u.progress.completed as number);
    for (let i = 1; i < completed.length; i++) expect(completed[i]).toBeGreaterThanOrEqual(completed[i - 1]!);
    expect(new Set(completed).size, `distinct progress values: ${completed.join(', ')}`).toBeGreaterThanOrEqual(3);
    expect(documentProgress.at(-1)!.progress.total).toBe(10_000);

    const listed = await t.gql(
      `query($e: ID!) { backups(engineId: $e) { totalCount nodes { id name status documentCount sizeBytes labels location
        collections { name documentCount bytes } artifacts { path bytes sha256 } } } }`,
      { e: engineId },
    );
    const backup = listed.data!.backups.nodes.find((b: { id: string }) => b.id === backupId);
    expect(backup).toMatchObject({ name: 'nightly', status: 'COMPLETE', documentCount: 10_000, labels: { env: 'test' } });
    expect(backup.collections).toEqual(expect.arrayContaining(SEED.map((s) => expect.objectContaining({ name: s.uid, documentCount: s.count }))));
    const folder = path.join(t.dataDir, 'backups', backupId);
    expect(backup.artifacts.map((a: { path: string }) => a.path)).toContain('manifest.json');
    for (const artifact of backup.artifacts) {
      const bytes = await readFile(path.join(folder, artifact.path));
      expect(bytes.length).toBe(artifact.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact.sha256);
    }
    expect(backup.sizeBytes).toBe(backup.artifacts.reduce((sum: number, a: { bytes: number }) => sum + a.bytes, 0));
    const leftovers = (await readdir(folder, { recursive: true })).filter((name) => String(name).includes('.tmp-'));
    expect(leftovers).toEqual([]);
  });

  it('restores deleted indexes with their documents and settings', async () => {
    for (const { uid } of SEED) await client.deleteIndex(uid).waitTask();
    const job = await startRestore({ backupId });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(job.progress.completed).toBe(10_000);
    for (const { uid } of SEED) expect(await snapshotIndex(client, uid)).toEqual(originals.get(uid));
    await expectNoStagingIndexes();
  });

  it('restores under another name', async () => {
    const job = await startRestore({ backupId, collections: ['movies'], rename: [{ from: 'movies', to: 'movies_copy' }] });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(await snapshotIndex(client, 'movies_copy')).toEqual(originals.get('movies'));
    expect(await snapshotIndex(client, 'movies')).toEqual(originals.get('movies'));
  });

  it('cancels a restore halfway: the live index is unchanged and no staging index is left', async () => {
    // Make the live index differ from the backup, so a partial or completed restore would show.
    await client
      .index('movies')
      .addDocuments([{ id: 99_999, title: 'Only in the live index', year: 2024, genres: [] }])
      .waitTask();
    const live = await snapshotIndex(client, 'movies');
    emulator.setOptions({ taskDelayMs: 250 });
    const started = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, collections: ['movies'], overwrite: true } });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.startRestore.id;
    // Follow the job live and cancel once documents are being written into the staging index.
    let canceled = false;
    for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status progress { completed total } } }`, { id: jobId })) {
      const { status, progress } = message.data!.jobUpdated;
      if (!canceled && status === 'RUNNING' && progress.completed > 0) {
        expect(progress.completed).toBeLessThan(progress.total);
        const canceling = await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: jobId });
        expect(canceling.data!.cancelJob.status).toBe('CANCELING');
        canceled = true;
      }
    }
    expect(canceled).toBe(true);
    const job = await waitForJob(t, jobId);
    emulator.setOptions({ taskDelayMs: 0 });
    expect(job.status).toBe('CANCELED');
    expect(job.error.code).toBe('job_canceled');
    // It stopped part-way: the job's last progress shows documents still to write when it ended.
    expect(job.progress.completed).toBeGreaterThan(0);
    expect(job.progress.completed).toBeLessThan(job.progress.total);
    expect(await snapshotIndex(client, 'movies')).toEqual(live);
    await expectNoStagingIndexes();
  });

  async function startRestore(input: Record<string, unknown>): Promise<Record<string, any>> {
    const res = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: input });
    expect(res.errors).toBeUndefined();
    return waitForJob(t, res.data!.startRestore.id);
  }

  async function expectNoStagingIndexes(): Promise<void> {
    const { results } = await client.getIndexes({ limit: 1000 });
    const known = new Set([...SEED.map((s) => s.uid), 'movies_copy']);
    expect(results.map((index) => index.uid).filter((uid) => !known.has(uid))).toEqual([]);
  }
});
