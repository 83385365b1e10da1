// Issue 13.1 for Typesense, Milvus and MagnetoDB: each engine's own name rule refuses, through GraphQL and
// before a job is queued, what the engine would not accept or what a URL path cannot carry; a name the engine
// does accept but a URL would misread (Typesense `movies?`) is sent encoded, and the lock and the audit log
// hold exactly that name. The live data stays as it was.
import { Client } from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from '../emulators/magnetodb/server.ts';
import { startMilvusBackupEmulator, type MilvusBackupEmulator } from '../emulators/milvus-backup/server.ts';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MOVIES = Array.from({ length: 25 }, (_, i) => ({ id: String(i + 1), title: `movie ${i + 1}`, points: i }));

describe('engine name rules through GraphQL', () => {
  let t: TestGateway;
  let typesense: TypesenseEmulator;
  let milvus: MilvusBackupEmulator;
  let magnetodb: MagnetoDbEmulator;
  let sdk: Client;
  const engines: Record<string, string> = {};

  beforeAll(async () => {
    [typesense, milvus, magnetodb] = await Promise.all([startTypesenseEmulator(), startMilvusBackupEmulator(), startMagnetoDbEmulator()]);
    sdk = new Client({ nodes: [{ url: typesense.url }], apiKey: typesense.apiKey, numRetries: 0, logLevel: 'silent' });
    await sdk.collections().create({
      name: 'movies',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'points', type: 'int32' },
      ],
    } as never);
    await sdk.collections('movies').documents().import(MOVIES, { action: 'create' });
    t = await startTestGateway();
    const configs: Record<string, Record<string, unknown>> = {
      typesense: { url: typesense.url, apiKey: typesense.apiKey },
      milvus: { url: milvus.url },
      magnetodb: { url: magnetodb.url, projectId: 'names', token: magnetodb.token },
    };
    for (const [plugin, config] of Object.entries(configs)) {
      const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name: plugin, plugin, config } });
      expect(res.errors, plugin).toBeUndefined();
      engines[plugin] = res.data!.registerEngine.id;
    }
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([typesense?.close(), milvus?.close(), magnetodb?.close()]);
  });

  const startBackup = (engine: string, collections: string[], strategy = 'LOGICAL') =>
    t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId: engines[engine], collections, strategy } });

  it.each([
    ['typesense', 'movies/../keys', 'LOGICAL'],
    ['typesense', '..', 'LOGICAL'],
    ['milvus', 'movies?', 'NATIVE'],
    ['milvus', 'db.coll.extra', 'NATIVE'],
    ['magnetodb', 'ab', 'LOGICAL'],
    ['magnetodb', 'orders?x', 'LOGICAL'],
  ])('%s refuses the collection %j with invalid_name, naming it, before a job is queued', async (engine, name, strategy) => {
    const jobs = await t.gateway.prisma.job.count();
    const res = await startBackup(engine, [name], strategy);
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('invalid_name');
    expect(res.errors?.[0]?.message).toContain(JSON.stringify(name));
    expect(await t.gateway.prisma.job.count()).toBe(jobs);
  });

  it('Typesense accepts "movies?" as a rename target, sends it encoded, and locks and audits exactly that name', async () => {
    const backup = await startBackup('typesense', ['movies']);
    expect(backup.errors).toBeUndefined();
    expect((await waitForJob(t, backup.data!.startBackup.id)).status).toBe('SUCCEEDED');
    const refused = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
      i: { backupId: backup.data!.startBackup.backup.id, atomic: false, rename: [{ from: 'movies', to: 'movies/x' }] },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('invalid_name');

    const started = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
      i: { backupId: backup.data!.startBackup.backup.id, atomic: false, rename: [{ from: 'movies', to: 'movies?' }] },
    });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.startRestore.id;
    expect([...(await t.gateway.jobs.lockedCollections(engines.typesense!)).keys()]).toEqual(['movies?']);
    const job = await waitForJob(t, jobId);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const audit = await t.gateway.prisma.auditEntry.findFirst({ where: { action: 'restore.start', targetId: jobId } });
    expect(audit?.details).toMatchObject({ collections: ['movies'], rename: { movies: 'movies?' } });

    const names = ((await sdk.collections().retrieve()) as Array<{ name: string; num_documents: number }>).map((c) => [c.name, c.num_documents]).sort();
    expect(names).toEqual([
      ['movies', MOVIES.length],
      ['movies?', MOVIES.length],
    ]);
    const live = (await sdk.collections('movies').documents().export()).split('\n').map((line) => JSON.parse(line) as { id: string });
    expect(live.map((doc) => doc.id).sort()).toEqual(MOVIES.map((doc) => doc.id).sort());
  });
  it('a name the engine lists but the rule refuses (Typesense "a/b") fails the backup with invalid_name; nothing is cataloged', async () => {
    // Typesense itself refuses "/" in names; an engine (or a proxy) that lists one anyway must not get it cataloged.
    await sdk.collections().create({ name: 'a/b', fields: [{ name: 'title', type: 'string' }] } as never);
    try {
      const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId: engines.typesense } });
      expect(started.errors).toBeUndefined();
      const job = await waitForJob(t, started.data!.startBackup.id);
      expect(job.status).toBe('FAILED');
      expect(job.error).toMatchObject({ code: 'invalid_name', message: expect.stringContaining('"a/b"') });
      const backup = await t.gateway.prisma.backup.findUniqueOrThrow({ where: { id: started.data!.startBackup.backup.id } });
      expect(backup.status).toBe('FAILED');
      expect(await t.gateway.prisma.backupCollection.count({ where: { name: 'a/b' } })).toBe(0);
      const live = (await sdk.collections('movies').documents().export()).split('\n');
      expect(live).toHaveLength(MOVIES.length);
    } finally {
      await fetch(`${typesense.url}/collections/a%2Fb`, { method: 'DELETE', headers: { 'x-typesense-api-key': typesense.apiKey } });
    }
  });
});
