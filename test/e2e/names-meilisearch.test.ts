// Issue 13.1: names reach engine URLs. Each attack is replayed through GraphQL against the Meilisearch emulator:
// a rename target `movies?` (was: DELETE /indexes/movies), and a crafted dump whose index uids are `books?` and
// `../keys/<uid>?` (was: the live `books` index and an API key deleted by the restore test's cleanup). Every one
// must be refused with `invalid_name` naming the value, and the live data must stay as it was. The plugin client
// is also called directly with hostile names: the second wall (path encoding) keeps them inside one segment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Meilisearch } from 'meilisearch';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeilisearchClient } from '../../plugins/meilisearch/client.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startFaultProxy, type FaultProxy } from '../faults/fault-proxy.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MEILI_KEY = 'emulator-master-key-0123456789';
const KEY_UID = '6062abda-a5aa-4414-ac91-ecd7944c0f8d';
const MOVIES = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, title: `movie ${i + 1}` }));
const BOOKS = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, title: `book ${i + 1}` }));

describe('hostile collection names never reach Meilisearch URLs', () => {
  let emulator: MeilisearchEmulator;
  let proxy: FaultProxy;
  let client: Meilisearch;
  let t: TestGateway;
  let importDir: string;
  let engineId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    proxy = await startFaultProxy(emulator.url);
    client = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    await client.index('movies').addDocuments(MOVIES, { primaryKey: 'id' }).waitTask();
    await client.index('books').addDocuments(BOOKS, { primaryKey: 'id' }).waitTask();
    await client.createKey({ uid: KEY_UID, name: 'search-only', actions: ['search'], indexes: ['*'], expiresAt: null });
    importDir = await mkdtemp(path.join(os.tmpdir(), 'gw-names-'));
    await writeFile(path.join(importDir, 'crafted.dump'), await craftedDump(['books?', `../keys/${KEY_UID}?`]));
    t = await startTestGateway({ env: { GATEWAY_IMPORT_DIR: importDir } });
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: proxy.url, apiKey: MEILI_KEY } },
    });
    expect(res.errors).toBeUndefined();
    engineId = res.data!.registerEngine.id;
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await emulator?.close();
    if (importDir) await rm(importDir, { recursive: true, force: true });
  });

  /** The live data the attacks aimed at, exactly as seeded. */
  async function expectLiveDataUntouched(): Promise<void> {
    const movies = await client.index('movies').getDocuments({ limit: 1000 });
    expect(movies.results).toEqual(MOVIES);
    const books = await client.index('books').getDocuments({ limit: 1000 });
    expect(books.results).toEqual(BOOKS);
    expect((await client.getKey(KEY_UID)).name).toBe('search-only');
  }

  it('refuses the rename target "movies?" before a job is queued', async () => {
    const backup = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, collections: ['movies'] } });
    expect(backup.errors).toBeUndefined();
    expect((await waitForJob(t, backup.data!.startBackup.id)).status).toBe('SUCCEEDED');
    const jobsBefore = await t.gateway.prisma.job.count();

    const res = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
      i: { backupId: backup.data!.startBackup.backup.id, atomic: false, rename: [{ from: 'movies', to: 'movies?' }] },
    });
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('invalid_name');
    expect(res.errors?.[0]?.message).toContain('"movies?"');
    expect(await t.gateway.prisma.job.count()).toBe(jobsBefore);
    await expectLiveDataUntouched();
  });

  it('refuses to import a dump whose index uids are "books?" and "../keys/<uid>?"; nothing is cataloged', async () => {
    const res = await t.gql(`mutation($i: ImportBackupInput!) { importBackup(input: $i) { id } }`, { i: { plugin: 'meilisearch', path: 'crafted.dump' } });
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('invalid_name');
    expect(res.errors?.[0]?.message).toMatch(/"books\?"|"\.\.\/keys\//);
    expect(await t.gateway.prisma.backup.count({ where: { origin: 'IMPORTED' } })).toBe(0);
    await expectLiveDataUntouched();
  });

  it('refuses verifyBackup(restoreTest) and startRestore of a catalog entry holding such names', async () => {
    // As an older gateway would have cataloged the crafted dump.
    const backup = await t.gateway.prisma.backup.create({
      data: {
        name: 'crafted',
        plugin: 'meilisearch',
        strategy: 'NATIVE',
        type: 'FULL',
        origin: 'IMPORTED',
        status: 'COMPLETE',
        location: '',
        collections: {
          create: [
            { name: 'books?', documentCount: 12n },
            { name: `../keys/${KEY_UID}?`, documentCount: 1n },
          ],
        },
      },
    });
    const jobsBefore = await t.gateway.prisma.job.count();
    const verify = await t.gql(`mutation($id: ID!, $e: ID) { verifyBackup(id: $id, restoreTest: true, engineId: $e) { id } }`, { id: backup.id, e: engineId });
    expect(verify.errors?.[0]?.extensions?.code, JSON.stringify(verify.errors)).toBe('invalid_name');
    expect(verify.errors?.[0]?.message).toMatch(/"books\?"|"\.\.\/keys\//);
    const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId: backup.id, engineId, atomic: false } });
    expect(restore.errors?.[0]?.extensions?.code, JSON.stringify(restore.errors)).toBe('invalid_name');
    expect(await t.gateway.prisma.job.count()).toBe(jobsBefore);
    await expectLiveDataUntouched();
  });

  it('second wall: the plugin client sends a hostile uid as one encoded path segment', async () => {
    const direct = new MeilisearchClient({ url: proxy.url, apiKey: MEILI_KEY, timeoutMs: 10_000 });
    const signal = AbortSignal.timeout(10_000);
    proxy.log.length = 0;
    // Meilisearch answers invalid_index_uid for the encoded segment: it never saw /indexes/movies or /keys/<uid>.
    await expect(direct.deleteIndex('movies?', signal)).rejects.toMatchObject({ details: { engineCode: 'invalid_index_uid' } });
    await expect(direct.deleteIndex(`../keys/${KEY_UID}?`, signal)).rejects.toMatchObject({ details: { engineCode: 'invalid_index_uid' } });
    await expect(direct.getSettings('books?', signal)).rejects.toMatchObject({ details: { engineCode: 'invalid_index_uid' } });
    // Dot segments cannot be encoded at all (URL resolution removes them): refused before sending.
    await expect(direct.deleteIndex('..', signal)).rejects.toMatchObject({ code: 'invalid_name' });
    expect(proxy.log.map((entry) => `${entry.method} ${entry.path}`)).toEqual([
      'DELETE /indexes/movies%3F',
      `DELETE /indexes/..%2Fkeys%2F${KEY_UID}%3F`,
      'GET /indexes/books%3F/settings',
    ]);
    await expectLiveDataUntouched();
  });
});

/** A Meilisearch v6 dump (as `crafted.dump`) whose indexes carry the given uids, each with one document. */
async function craftedDump(uids: string[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', () => resolve());
    tar.on('error', reject);
  });
  const add = (name: string, content: string) => tar.entry({ name, mode: 0o644 }, content);
  add('metadata.json', JSON.stringify({ dumpVersion: 'V6', dbVersion: '1.16.0', dumpDate: '2026-01-01T00:00:00.000000000Z' }));
  add('instance_uid.uuid', '0b9a1c9e-6c2d-4b6e-9a37-3f1d2a4c5b6e');
  add('keys.jsonl', '');
  add('tasks/queue.jsonl', '');
  for (const [i, uid] of uids.entries()) {
    const now = '2026-01-01T00:00:00.000000000Z';
    add(`indexes/index${i}/metadata.json`, JSON.stringify({ uid, primaryKey: 'id', createdAt: now, updatedAt: now }));
    add(`indexes/index${i}/settings.json`, '{}');
    add(`indexes/index${i}/documents.jsonl`, `${JSON.stringify({ id: 1, title: 'planted' })}\n`);
  }
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}
