// Issue 13.3: a Meilisearch logical backup pages documents with offsets; another client deleting documents in
// the middle shifts the rest below the next offset. The backup must never be COMPLETE and wrong: it reads the
// index again when write tasks reached it while it was read, and if the index keeps moving it finishes with a
// warning naming the index and the write tasks. The writes are made with the official client, between two
// pages (a fault proxy holds the page request while the other client writes).
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startFaultProxy, type FaultProxy } from '../faults/fault-proxy.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MEILI_KEY = 'emulator-master-key-0123456789';
const COUNT = 1500;
const PAGE = 100;
const seedDocs = () => Array.from({ length: COUNT }, (_, i) => ({ id: i + 1, title: `movie ${i + 1}` }));

describe('Meilisearch backup while another client writes', () => {
  let emulator: MeilisearchEmulator;
  let proxy: FaultProxy;
  let client: Meilisearch;
  let t: TestGateway;
  let engineId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    proxy = await startFaultProxy(emulator.url);
    client = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    t = await startTestGateway();
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: proxy.url, apiKey: MEILI_KEY, pageSize: PAGE } },
    });
    expect(res.errors).toBeUndefined();
    engineId = res.data!.registerEngine.id;
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await emulator?.close();
  });

  beforeEach(async () => {
    proxy.setPlan(() => ({ kind: 'pass' }));
    await client.deleteIndex('movies').waitTask();
    await client.index('movies').addDocuments(seedDocs(), { primaryKey: 'id' }).waitTask();
  });

  const isPage = (path: string, offset: number) => path.startsWith('/indexes/movies/documents?') && new URLSearchParams(path.split('?')[1]).get('offset') === String(offset);

  async function backup(): Promise<{ id: string; status: string; warnings: string[] }> {
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, collections: ['movies'] } });
    expect(started.errors).toBeUndefined();
    const job = await waitForJob(t, started.data!.startBackup.id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const res = await t.gql(`query($id: ID!) { backup(id: $id) { id status warnings } }`, { id: started.data!.startBackup.backup.id });
    return res.data!.backup;
  }

  /** The document ids the backup holds, read back by restoring it under another name. */
  async function idsInBackup(backupId: string): Promise<number[]> {
    proxy.setPlan(() => ({ kind: 'pass' }));
    const started = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, rename: [{ from: 'movies', to: 'movies_check' }] } });
    expect(started.errors).toBeUndefined();
    expect((await waitForJob(t, started.data!.startRestore.id)).status).toBe('SUCCEEDED');
    const docs = await client.index('movies_check').getDocuments({ limit: COUNT * 2 });
    await client.deleteIndex('movies_check').waitTask();
    return docs.results.map((doc) => Number(doc['id'])).sort((a, b) => a - b);
  }

  it('documents deleted between two pages: the index is read again and the COMPLETE backup holds every untouched document', async () => {
    let deletion: Promise<unknown> | null = null;
    proxy.setPlan((request) => {
      if (deletion === null && isPage(request.path, 3 * PAGE)) {
        // The first 200 documents (already read) go: every later document moves 200 places down.
        deletion = client
          .index('movies')
          .deleteDocuments(Array.from({ length: 200 }, (_, i) => i + 1))
          .waitTask();
        return { kind: 'delay', ms: 400 };
      }
      return { kind: 'pass' };
    });
    const result = await backup();
    await deletion;
    expect(deletion).not.toBeNull();
    expect(result.status).toBe('COMPLETE');
    const ids = await idsInBackup(result.id);
    const untouched = seedDocs()
      .map((doc) => doc.id)
      .filter((id) => id > 200);
    // Never COMPLETE and silently wrong: either every untouched document is there, or the backup says why not.
    const changedWarning = result.warnings.find((warning) => warning.includes('changed during backup'));
    expect(changedWarning).toBeUndefined();
    expect(ids).toEqual(untouched);
  });

  it('an index that keeps changing while read ends COMPLETE with a warning naming the write tasks', async () => {
    let writes = 0;
    const pending: Promise<unknown>[] = [];
    proxy.setPlan((request) => {
      if (isPage(request.path, 2 * PAGE)) {
        // Every read of the index sees another client delete an early document and add a new one.
        writes++;
        pending.push(
          client.index('movies').deleteDocument(writes).waitTask(),
          client
            .index('movies')
            .addDocuments([{ id: 100_000 + writes, title: 'new' }])
            .waitTask(),
        );
        return { kind: 'delay', ms: 400 };
      }
      return { kind: 'pass' };
    });
    const result = await backup();
    await Promise.all(pending);
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(result.status).toBe('COMPLETE');
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^index movies changed during backup: [1-9]\d* write task\(s\) in the last of 3 read\(s\)/)]));
  });
});
