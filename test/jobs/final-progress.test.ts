// The last update of a SUCCEEDED job says 100 % with the job's real totals (documents moved), for a backup and a
// restore, as a subscriber sees it; jobs that fail keep the progress they reached.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedProgress, PayloadCounter } from '../../src/jobs/final-progress.ts';
import { initialProgress } from '../../src/jobs/progress.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MEILI_KEY = 'emulator-master-key-0123456789';
const JOB_FIELDS = `id kind status progress { phase completed total unit percent bytes }`;

describe('final progress of a succeeded job', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let engineId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    const client = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    await client
      .index('books')
      .addDocuments(
        Array.from({ length: 120 }, (_, i) => ({ id: i, title: `book ${i}` })),
        { primaryKey: 'id' },
      )
      .waitTask();
    await client
      .index('films')
      .addDocuments(
        Array.from({ length: 30 }, (_, i) => ({ id: i, title: `film ${i}` })),
        { primaryKey: 'id' },
      )
      .waitTask();
    t = await startTestGateway();
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY } },
    });
    expect(res.errors).toBeUndefined();
    engineId = res.data!.registerEngine.id;
  });

  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  async function follow(jobId: string): Promise<Array<Record<string, any>>> {
    const updates: Array<Record<string, any>> = [];
    for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { ${JOB_FIELDS} } }`, { id: jobId })) {
      expect(message.errors).toBeUndefined();
      updates.push(message.data!.jobUpdated);
    }
    return updates;
  }

  it('ends a backup and its restore at 100 % of the documents moved', async () => {
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId } });
    expect(started.errors).toBeUndefined();
    const backupUpdates = await follow(started.data!.startBackup.id);
    expect(backupUpdates.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: { phase: 'done', completed: 150, total: 150, unit: 'documents', percent: 100 } });
    expect(backupUpdates.at(-1)!.progress.bytes).toBeGreaterThan(0);

    const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
      i: { backupId: started.data!.startBackup.backup.id, collections: ['books'], rename: [{ from: 'books', to: 'books_copy' }] },
    });
    expect(restore.errors).toBeUndefined();
    const restoreUpdates = await follow(restore.data!.startRestore.id);
    expect(restoreUpdates.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: { phase: 'done', completed: 120, total: 120, unit: 'documents', percent: 100 } });
    // The job row (what `jobs get` and the dashboard read after the end) says the same.
    const row = await t.gql(`query($id: ID!) { job(id: $id) { progress { completed total percent unit } } }`, { id: restore.data!.startRestore.id });
    expect(row.data!.job.progress).toEqual({ completed: 120, total: 120, percent: 100, unit: 'documents' });
  });

  it('makes a known total whole and an unknown one equal to what was done', () => {
    const counter = new PayloadCounter();
    counter.observe({ phase: 'switch', completed: 2, total: 2, unit: 'collections' });
    expect(counter.last).toBeNull();
    const base = { ...initialProgress('verify'), completed: 3, total: 5, unit: 'files' };
    expect(completedProgress(base, null)).toMatchObject({ completed: 5, total: 5, unit: 'files' });
    expect(completedProgress({ ...base, total: null }, null)).toMatchObject({ completed: 3, total: 3 });
    expect(completedProgress(base, { completed: 42, unit: 'items', bytes: 7 })).toMatchObject({ completed: 42, total: 42, unit: 'items', bytes: 7 });
  });
});
