// A logical restore recreates the archive's API keys with their uid: a fresh Meilisearch with the same master key
// derives the same key values (HMAC-SHA256 of the uid), so the old keys answer again; each key that cannot be
// recreated is named with the reason. A wrong engine key is engine_auth_failed, as for every plugin.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'emulator-master-key-0123456789';

describe('Meilisearch API keys survive a restore into a fresh engine', () => {
  let source: MeilisearchEmulator;
  let target: MeilisearchEmulator;
  let t: TestGateway;
  const register = async (name: string, url: string, apiKey: string) => {
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name, plugin: 'meilisearch', config: { url, apiKey } } });
    expect(res.errors).toBeUndefined();
    return res.data!.registerEngine.id as string;
  };

  beforeAll(async () => {
    source = await startMeilisearchEmulator({ masterKey: MASTER });
    target = await startMeilisearchEmulator({ masterKey: MASTER });
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
    await source?.close();
    await target?.close();
  });

  it('the restored keys answer with their old values; an existing uid and an expired key are reported', async () => {
    const admin = new Meilisearch({ host: source.url, apiKey: MASTER });
    await admin
      .index('books')
      .addDocuments(
        [
          { id: 1, title: 'Dune' },
          { id: 2, title: 'Emma' },
        ],
        { primaryKey: 'id' },
      )
      .waitTask();
    const reader = await admin.createKey({ name: 'books reader', description: 'search books', actions: ['search', 'documents.get'], indexes: ['books'], expiresAt: null });
    const soon = new Date(Date.now() + 1500).toISOString();
    const shortLived = await admin.createKey({ name: 'short lived', actions: ['search'], indexes: ['*'], expiresAt: soon as never });
    const sourceId = await register('source', source.url, MASTER);
    const backup = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId: sourceId } });
    expect((await waitForJob(t, backup.data!.startBackup.id)).status).toBe('SUCCEEDED');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(soon) - Date.now() + 50)));

    // The target already holds one of the uids with other rights: left as it is, and said so.
    const targetAdmin = new Meilisearch({ host: target.url, apiKey: MASTER });
    const defaults = (await admin.getKeys()).results.filter((key) => key.name?.startsWith('Default'));
    await targetAdmin.createKey({ uid: defaults[0]!.uid, name: 'taken', actions: ['version'], indexes: ['*'], expiresAt: null });
    const targetId = await register('target', target.url, MASTER);
    const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId: backup.data!.startBackup.backup.id, engineId: targetId } });
    expect(restore.errors).toBeUndefined();
    const job = await waitForJob(t, restore.data!.startRestore.id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');

    // The old key value works against the fresh engine, with its old rights.
    const asReader = new Meilisearch({ host: target.url, apiKey: reader.key });
    expect(await asReader.index('books').getDocument(1)).toMatchObject({ id: 1, title: 'Dune' });
    await expect(asReader.getKeys()).rejects.toThrow();
    const restored = await targetAdmin.getKey(reader.uid);
    expect(restored).toMatchObject({ uid: reader.uid, key: reader.key, name: 'books reader', actions: ['search', 'documents.get'], indexes: ['books'] });

    const messages = (await t.gql(`query($id: ID!) { job(id: $id) { progress { message } } }`, { id: job.id })).data!.job;
    const said = String(messages.progress.message); // the job's warnings
    expect(said).toContain(`API key ${shortLived.uid} ("short lived") not recreated: it expired`);
    expect(said).toContain(`API key ${defaults[0]!.uid}`);
    expect(said).toContain('exists on the target already');
    expect((await targetAdmin.getKey(defaults[0]!.uid)).name).toBe('taken');
  });

  it('a wrong engine key is engine_auth_failed', async () => {
    const wrong = await register('wrong', source.url, 'not-the-master-key-000000');
    const res = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId: wrong } });
    const job = await waitForJob(t, res.data!.startBackup.id);
    expect(job.status).toBe('FAILED');
    expect(job.error.code).toBe('engine_auth_failed');
  });
});
