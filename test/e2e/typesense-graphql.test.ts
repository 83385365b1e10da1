// Acceptance, end to end through GraphQL: back up Typesense collections (Typesense's own test documents, a
// nested-fields and a vector collection) with an alias, synonyms, overrides and stopwords; drop everything;
// restore; restore under another name; refused documents; cancel halfway; bad engine configs.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client } from 'typesense';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { createGatewayYoga, type GatewayYoga } from '../../src/graphql/yoga.ts';
import { plugins } from '../../plugins/index.ts';
import { typesensePlugin } from '../../plugins/typesense/index.ts';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { waitForJob, type GraphQLResponse, type TestGateway } from '../helpers/gateway.ts';
import { describeWithShared, sharedPath } from '../helpers/requirements.ts';

type Json = Record<string, any>;

const fixture = (name: string): Json[] =>
  readFileSync(sharedPath('fixtures', 'typesense', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);

const SEED: { schema: Json; documents: () => Json[] }[] = [
  {
    schema: {
      name: 'documents',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'points', type: 'int32' },
      ],
      default_sorting_field: 'points',
    },
    documents: () => fixture('documents.jsonl'),
  },
  {
    schema: {
      name: 'movies',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'starring', type: 'string' },
        { name: 'starring_facet', type: 'string', facet: true },
        { name: 'cast', type: 'string[]' },
        { name: 'points', type: 'int32' },
      ],
    },
    documents: () => fixture('multi_field_documents.jsonl'),
  },
  {
    schema: {
      name: 'numbers',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'top_3', type: 'float[]' },
        { name: 'rating', type: 'float' },
        { name: 'age', type: 'int32' },
        { name: 'years', type: 'int32[]' },
        { name: 'timestamps', type: 'int64[]' },
        { name: 'tags', type: 'string[]', facet: true },
      ],
    },
    documents: () => fixture('numeric_array_documents.jsonl'),
  },
  {
    schema: {
      name: 'optionals',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'description', type: 'string', optional: true },
        { name: 'max', type: 'int32' },
        { name: 'scores', type: 'int32[]', optional: true },
        { name: 'average', type: 'float', optional: true },
        { name: 'is_valid', type: 'bool', optional: true },
      ],
    },
    documents: () => fixture('optional_fields.jsonl'),
  },
  {
    schema: {
      name: 'texts',
      fields: [
        { name: 'text', type: 'string' },
        { name: 'age', type: 'int32' },
      ],
    },
    documents: () => fixture('large_text_field.jsonl'),
  },
  {
    // Nested fields: the recipes carry objects (nutrition, ingredientList).
    schema: {
      name: 'recipes',
      enable_nested_fields: true,
      fields: [
        { name: 'name', type: 'string' },
        { name: 'author', type: 'string', facet: true },
        { name: 'categories', type: 'string[]', facet: true },
        { name: 'nutrition', type: 'object', optional: true },
        { name: 'ingredientList', type: 'object', optional: true },
      ],
    },
    documents: () => fixture('recipes.jsonl'),
  },
  {
    schema: {
      name: 'vectors',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'embedding', type: 'float[]', num_dim: 4, vec_dist: 'ip' },
      ],
    },
    documents: () => Array.from({ length: 400 }, (_, i) => ({ id: `v${i}`, title: `vector ${i}`, embedding: [i / 400, 1 - i / 400, (i % 7) / 7, 0.5] })),
  },
];
const NAMES = SEED.map((s) => s.schema['name'] as string);

interface EngineState {
  collections: Record<string, { schema: Json; documents: Json[]; synonyms: unknown; overrides: unknown }>;
  aliases: unknown;
  stopwords: unknown;
  presets: unknown;
}

describeWithShared('Typesense logical backup and restore through GraphQL', () => {
  let emulator: TypesenseEmulator;
  let sdk: Client;
  let gateway: Gateway;
  let yoga: GatewayYoga;
  let database: TestDatabase;
  let engineId: string;
  let backupId: string;
  let original: EngineState;

  const gql = async <T = Json>(query: string, variables?: Json): Promise<GraphQLResponse<T>> => {
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  };
  const job = (id: string, timeoutMs?: number) => waitForJob({ gql } as unknown as TestGateway, id, timeoutMs);

  const documentsOf = async (name: string): Promise<Json[]> => {
    const jsonl = await sdk.collections(name).documents().export();
    return (jsonl === '' ? [] : jsonl.split('\n').map((line) => JSON.parse(line) as Json)).sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
  };
  const schemaOf = async (name: string): Promise<Json> => {
    const { created_at: _created, ...schema } = (await sdk.collections(name).retrieve()) as Json;
    return schema;
  };
  const readState = async (names: string[]): Promise<EngineState> => {
    const collections: EngineState['collections'] = {};
    for (const name of names) {
      collections[name] = {
        schema: await schemaOf(name),
        documents: await documentsOf(name),
        synonyms: await sdk.collections(name).synonyms().retrieve(),
        overrides: await sdk.collections(name).overrides().retrieve(),
      };
    }
    return { collections, aliases: await sdk.aliases().retrieve(), stopwords: await sdk.stopwords().retrieve(), presets: await sdk.presets().retrieve() };
  };
  const collectionNames = async (): Promise<string[]> => ((await sdk.collections().retrieve()) as Json[]).map((c) => String(c['name'])).sort();
  const register = async (name: string, config: Json): Promise<GraphQLResponse> =>
    gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id health { ok version message } } }`, { i: { name, plugin: 'typesense', config } });
  const startRestore = async (input: Json): Promise<string> => {
    const res = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: input });
    expect(res.errors).toBeUndefined();
    return res.data!['startRestore'].id as string;
  };

  beforeAll(async () => {
    emulator = await startTypesenseEmulator();
    sdk = new Client({ nodes: [{ url: emulator.url }], apiKey: emulator.apiKey, numRetries: 0, logLevel: 'silent' });
    for (const { schema, documents } of SEED) {
      await sdk.collections().create(schema as never);
      await sdk.collections(schema['name']).documents().import(documents(), { action: 'create' });
    }
    await sdk.aliases().upsert('library', { collection_name: 'documents' });
    await sdk
      .collections('movies')
      .synonyms()
      .upsert('film', { synonyms: ['film', 'movie', 'picture'] });
    await sdk
      .collections('movies')
      .synonyms()
      .upsert('actor', { root: 'actor', synonyms: ['star', 'lead'] });
    await sdk
      .collections('movies')
      .overrides()
      .upsert('pin-blood', { rule: { query: 'blood', match: 'contains' }, includes: [{ id: '2', position: 1 }] } as never);
    await sdk.stopwords().upsert('english', { stopwords: ['the', 'a', 'of', 'and'], locale: 'en' });
    await sdk.presets().upsert('movie-listing', { value: { query_by: 'title,starring', per_page: 20 } } as never);
    original = await readState(NAMES);

    database = await createTestDatabase('pglite');
    const config = loadConfig({ GATEWAY_DATA_DIR: database.dataDir, GATEWAY_LOG_LEVEL: 'error' });
    const registered = plugins.some((plugin) => plugin.name === 'typesense') ? plugins : [...plugins, typesensePlugin];
    gateway = await createGateway({ config, database, plugins: registered, logWrite: () => undefined });
    yoga = createGatewayYoga(gateway);
    const res = await register('search', { url: emulator.url, apiKey: emulator.apiKey, batchSize: 50 });
    expect(res.errors).toBeUndefined();
    expect(res.data!['registerEngine'].health).toEqual({ ok: true, version: '29.0', message: null });
    engineId = res.data!['registerEngine'].id;
  });

  afterAll(async () => {
    await gateway?.close();
    await database?.close();
    await emulator?.close();
  });

  it('lists the engine collections with their document counts', async () => {
    const res = await gql(`query($id: ID!) { engine(id: $id) { collections { name documentCount } } }`, { id: engineId });
    expect(res.data!['engine'].collections).toEqual(expect.arrayContaining(SEED.map((s) => ({ name: s.schema['name'], documentCount: s.documents().length }))));
  });

  it('backs up every collection with its satellites', async () => {
    const res = await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, name: 'nightly' } });
    expect(res.errors).toBeUndefined();
    backupId = res.data!['startBackup'].backup.id;
    const done = await job(res.data!['startBackup'].id);
    expect(done.status, JSON.stringify(done.error)).toBe('SUCCEEDED');
    const listed = await gql(`query($id: ID!) { backup(id: $id) { status documentCount collections { name documentCount } artifacts { path } } }`, { id: backupId });
    const backup = listed.data!['backup'];
    expect(backup.status).toBe('COMPLETE');
    expect(backup.documentCount).toBe(SEED.reduce((sum, s) => sum + s.documents().length, 0));
    const paths = backup.artifacts.map((a: Json) => a.path);
    for (const extra of ['aliases', 'synonyms', 'overrides', 'stopwords', 'presets', 'keys']) expect(paths).toContain(`extras/${extra}.json`);
  });

  it('restores everything after everything was dropped: schemas, documents, aliases, synonyms, overrides, stopwords equal', async () => {
    await sdk.aliases('library').delete();
    for (const name of NAMES) await sdk.collections(name).delete();
    await sdk.stopwords('english').delete();
    await sdk.presets('movie-listing').delete();
    expect(await collectionNames()).toEqual([]);

    const done = await job(await startRestore({ backupId }));
    expect(done.status, JSON.stringify(done.error)).toBe('SUCCEEDED');
    expect(await readState(NAMES)).toEqual(original);
    expect(await collectionNames()).toEqual([...NAMES].sort());
  });

  it('restores under another name, leaving the source and its alias alone', async () => {
    const input = { backupId, collections: ['movies'], rename: [{ from: 'movies', to: 'movies_copy' }] };
    const planned = (
      await gql<Json>(
        `mutation($i: StartRestoreInput!) { planRestore(input: $i) { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } }`,
        { i: input },
      )
    ).data!['planRestore'] as Json;
    expect(planned).toMatchObject({ verdict: 'OK', collections: [{ source: 'movies', target: 'movies_copy', action: 'CREATE', liveDocuments: null }] });
    const done = await job(await startRestore(input));
    expect(done.status, JSON.stringify(done.error)).toBe('SUCCEEDED');
    expect(
      (
        await gql<Json>(
          `query($id: ID!) { job(id: $id) { plan { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } } }`,
          { id: done.id },
        )
      ).data!['job'],
    ).toEqual({ plan: planned });
    const planCollections = planned['collections'] as Array<{ backupDocuments: number }>;
    expect((await readState(['movies_copy'])).collections['movies_copy']!.documents).toHaveLength(planCollections[0]!.backupDocuments);
    const copy = await readState(['movies_copy']);
    const { name: _copyName, ...copySchema } = copy.collections['movies_copy']!.schema;
    const { name: _name, ...sourceSchema } = original.collections['movies']!.schema;
    expect(copySchema).toEqual(sourceSchema);
    expect(copy.collections['movies_copy']!.documents).toEqual(original.collections['movies']!.documents);
    expect(copy.collections['movies_copy']!.synonyms).toEqual(original.collections['movies']!.synonyms);
    expect(copy.collections['movies_copy']!.overrides).toEqual(original.collections['movies']!.overrides);
    expect(await readState(NAMES)).toEqual(original);
  });

  it('fails a restore whose documents the engine refuses, with the exact count and the first errors; live data stays', async () => {
    await sdk
      .collections('vectors')
      .documents()
      .import([{ id: 'live-only', title: 'live', embedding: [0, 0, 0, 1] }], { action: 'create' });
    const live = await documentsOf('vectors');
    // The engine refuses every 9th vector (as a full disk or a failing embedding provider would).
    const refused = (document: Json) => Number(String(document['id']).slice(1)) % 9 === 0;
    emulator.setOptions({ importFailure: (document) => (refused(document) ? { code: 500, error: 'Could not write to on-disk storage.' } : null) });
    try {
      const done = await job(await startRestore({ backupId, collections: ['vectors'], overwrite: true }));
      expect(done.status).toBe('FAILED');
      expect(done.error.code).toBe('restore_failed');
      const expected = Array.from({ length: 400 }, (_, i) => i).filter((i) => i % 9 === 0).length;
      expect(done.error.message).toContain(`${expected} document(s) failed to import (vectors: ${expected} of 400)`);
      expect(done.error.message).toContain('first errors: vectors document #1 (id v0): Could not write to on-disk storage. [500]');
      expect(done.error.message).toContain('(id v36)');
    } finally {
      emulator.setOptions({ importFailure: null });
    }
    expect(await documentsOf('vectors')).toEqual(live);
    expect((await collectionNames()).filter((name) => /__gwlive_|__gwstage_/.test(name))).toEqual([]);
  });

  it('cancels a restore halfway: the live collection and its alias are unchanged, the staging collection is gone', async () => {
    await sdk.aliases().upsert('vector-search', { collection_name: 'vectors' });
    const live = { documents: await documentsOf('vectors'), aliases: await sdk.aliases().retrieve() };
    // 8 batches of 50, up to 3 in flight, each waiting 1 s: progress (persisted at most once a second) shows
    // documents done while batches are still to send.
    emulator.setOptions({ importDelayMs: 1000 });
    try {
      const id = await startRestore({ backupId, collections: ['vectors'], overwrite: true });
      let canceled = false;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        const res = await gql(`query($id: ID!) { job(id: $id) { status progress { completed total } } }`, { id });
        const { status, progress } = res.data!['job'];
        if (status === 'RUNNING' && progress.completed > 0) {
          expect(progress.completed).toBeLessThan(progress.total);
          expect((await collectionNames()).some((name) => /^vectors__gwlive_[0-9a-f]{32}$/.test(name))).toBe(true);
          const canceling = await gql(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id });
          expect(canceling.errors).toBeUndefined();
          canceled = true;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(canceled).toBe(true);
      const done = await job(id);
      expect(done.status).toBe('CANCELED');
      expect(done.error.code).toBe('job_canceled');
      // It stopped part-way: the job's last progress shows documents still to import when it ended.
      expect(done.progress.completed).toBeGreaterThan(0);
      expect(done.progress.completed).toBeLessThan(done.progress.total);
    } finally {
      emulator.setOptions({ importDelayMs: 0 });
    }
    expect(await documentsOf('vectors')).toEqual(live.documents);
    expect(await sdk.aliases().retrieve()).toEqual(live.aliases);
    expect((await collectionNames()).filter((name) => /__gwlive_|__gwstage_/.test(name))).toEqual([]);
  });

  it('rejects a config without url, with the valid keys listed', async () => {
    const res = await register('no-url', { apiKey: 'xyz' });
    expect(res.errors?.[0]?.extensions?.code).toBe('invalid_engine_config');
    expect(res.errors?.[0]?.message).toMatch(/url: .*Valid keys: url, apiKey/);
  });

  it("maps a wrong API key (the engine's 401) to engine_auth_failed", async () => {
    const res = await register('wrong-key', { url: emulator.url, apiKey: 'not-the-key' });
    expect(res.errors).toBeUndefined();
    expect(res.data!['registerEngine'].health).toMatchObject({ ok: false, version: null });
    const id = res.data!['registerEngine'].id;
    const listed = await gql(`query($id: ID!) { engine(id: $id) { collections { name } } }`, { id });
    expect(listed.errors?.[0]?.extensions?.code).toBe('engine_auth_failed');
    expect(listed.errors?.[0]?.message).toContain('Forbidden - a valid `x-typesense-api-key` header must be sent.');
    const started = await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId: id } });
    const done = await job(started.data!['startBackup'].id);
    expect(done).toMatchObject({ status: 'FAILED', error: { code: 'engine_auth_failed' } });
  });

  it('maps an unreachable host to engine_unreachable, from the refused connection rather than a timeout', async () => {
    // Tests only ever talk to loopback: a port nothing listens on stands for the unreachable host. The client
    // timeout is longer than the test may run: the call can only end on the refused connection.
    const res = await register('unreachable', { url: `http://127.0.0.1:${await closedPort()}`, apiKey: 'xyz', timeoutMs: 600_000 });
    expect(res.data!['registerEngine'].health.ok).toBe(false);
    const id = res.data!['registerEngine'].id;
    const listed = await gql(`query($id: ID!) { engine(id: $id) { collections { name } } }`, { id });
    expect(listed.errors?.[0]?.extensions?.code).toBe('engine_unreachable');
    expect(listed.errors?.[0]?.message).toContain('ECONNREFUSED');
    const backup = await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId: id } });
    expect(await job(backup.data!['startBackup'].id)).toMatchObject({ status: 'FAILED', error: { code: 'engine_unreachable' } });
  });
});

/** A loopback port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
