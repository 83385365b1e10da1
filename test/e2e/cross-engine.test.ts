// Acceptance of restores into a different engine (issue 20 §2), end to end through GraphQL: Typesense's own test
// documents restored into Meilisearch, and a real Meilisearch dump's index (restored, then backed up logically)
// restored into Typesense. Document count equal, every document equal modulo the plan's stated conversions,
// filter fields usable on the target, synonyms present, and each plan equal to its checked-in expected plan
// (test/e2e/expected-plans/, reviewed by hand; UPDATE_EXPECTED_PLANS=1 rewrites them).
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { format } from 'prettier';
import { Client } from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from '../emulators/magnetodb/server.ts';
import { magnetoDbHttp, type TypedItem } from '../emulators/magnetodb/test-helpers.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { describeWithShared, sharedPath } from '../helpers/requirements.ts';

type Json = Record<string, any>;

const PLAN_FIELDS = `verdict conversions warnings refusals { code message } collections { source target action }
  crossEngine { sourcePlugin targetPlugin collections { source target primaryKey conversions notCarried fields { name type roles dims inferred } } }`;

const fixture = async (name: string): Promise<Json[]> =>
  (await readFile(sharedPath('fixtures', 'typesense', name), 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);

/** The plan compared with its expected file: everything but ids, versions and the time estimate. */
async function expectPlan(name: string, plan: Json): Promise<void> {
  const file = path.join(import.meta.dirname, 'expected-plans', `${name}.json`);
  const text = `${JSON.stringify(plan, null, 2)}\n`;
  // Written as prettier formats it, so the checked-in files pass the format check.
  if (process.env['UPDATE_EXPECTED_PLANS'] === '1') await writeFile(file, await format(text, { parser: 'json' }));
  expect(JSON.parse(text)).toEqual(JSON.parse(await readFile(file, 'utf8')));
}

const byId = (a: Json, b: Json) => String(a['id']).localeCompare(String(b['id']), 'en', { numeric: true });

describeWithShared('restore into a different engine', () => {
  let t: TestGateway;
  let meili: MeilisearchEmulator;
  let typesense: TypesenseEmulator;
  let meiliClient: Meilisearch;
  let tsClient: Client;
  let importDir: string;
  const engines: Record<string, string> = {};

  const gql = async (query: string, variables: Json = {}): Promise<Json> => {
    const res = await t.gql(query, variables);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  };
  const backUp = async (engineId: string, collections: string[]): Promise<string> => {
    const started = await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, collections, strategy: 'LOGICAL' } });
    expect(await waitForJob(t, started['startBackup'].id)).toMatchObject({ status: 'SUCCEEDED' });
    return started['startBackup'].backup.id as string;
  };
  const restore = async (input: Json): Promise<Json> => {
    const started = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: input });
    const job = await waitForJob(t, started['startRestore'].id);
    expect(job['status'], JSON.stringify(job['error'])).toBe('SUCCEEDED');
    return (await gql(`query($id: ID!) { job(id: $id) { progress { message } } }`, { id: started['startRestore'].id }))['job'];
  };
  const exported = async (collection: string): Promise<Json[]> =>
    (await tsClient.collections(collection).documents().export())
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Json)
      .sort(byId);
  const meiliDocuments = async (index: string, filter?: string): Promise<Json[]> =>
    (await meiliClient.index(index).getDocuments({ limit: 10_000, ...(filter ? { filter } : {}) })).results.sort(byId);

  beforeAll(async () => {
    meili = await startMeilisearchEmulator({ version: '1.16.0' });
    typesense = await startTypesenseEmulator();
    meiliClient = new Meilisearch({ host: meili.url, defaultWaitOptions: { interval: 5, timeout: 10_000 } });
    tsClient = new Client({ nodes: [{ url: typesense.url }], apiKey: typesense.apiKey, numRetries: 0, logLevel: 'silent' });
    importDir = await mkdtemp(path.join(os.tmpdir(), 'gw-cross-'));
    await copyFile(sharedPath('fixtures', 'meilisearch-dumps', 'v4_v0.25.2_movies_with_settings.dump'), path.join(importDir, 'movies.dump'));
    t = await startTestGateway({ env: { GATEWAY_IMPORT_DIR: importDir } });
    for (const [name, plugin, config] of [
      ['meili', 'meilisearch', { url: meili.url }],
      ['typesense', 'typesense', { url: typesense.url, apiKey: typesense.apiKey }],
    ] as const) {
      engines[name] = (await gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name, plugin, config } }))['registerEngine'].id;
    }
  });

  afterAll(async () => {
    await t?.close();
    await meili?.close();
    await typesense?.close();
    if (importDir) await rm(importDir, { recursive: true, force: true });
  });

  it('restores Typesense test documents into Meilisearch, as planned', async () => {
    await tsClient.collections().create({
      name: 'movies',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'starring', type: 'string' },
        { name: 'starring_facet', type: 'string', facet: true },
        { name: 'cast', type: 'string[]' },
        { name: 'points', type: 'int32' },
      ],
      default_sorting_field: 'points',
    });
    await tsClient
      .collections('movies')
      .documents()
      .import(await fixture('multi_field_documents.jsonl'), { action: 'create' });
    await tsClient
      .collections('movies')
      .synonyms()
      .upsert('film', { synonyms: ['film', 'movie', 'picture'] });
    await tsClient
      .collections('movies')
      .synonyms()
      .upsert('actor', { root: 'actor', synonyms: ['star', 'lead'] });
    const source = await exported('movies');
    const backupId = await backUp(engines['typesense']!, ['movies']);

    const input = { backupId, engineId: engines['meili'], rename: [{ from: 'movies', to: 'ts_movies' }] };
    const plan = (await gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN_FIELDS} } }`, { i: input }))['planRestore'];
    await expectPlan('typesense-to-meilisearch', plan);
    const job = await restore(input);
    expect(job['progress'].message).toContain(`${source.length} document(s) converted from typesense`);

    // Every document equal: Typesense ids are strings already, and stay so.
    const restored = await meiliDocuments('ts_movies');
    expect(restored).toHaveLength(source.length);
    expect(restored).toEqual(source);
    // Filter fields usable: Meilisearch refuses a filter on an attribute that is not filterable.
    const rich = await meiliDocuments('ts_movies', 'points > 70');
    expect(rich.map((d) => d['id'])).toEqual(source.filter((d) => d['points'] > 70).map((d) => d['id']));
    const ferrell = await meiliDocuments('ts_movies', 'starring_facet = "Will Ferrell"');
    expect(ferrell.map((d) => d['id'])).toEqual(source.filter((d) => d['starring_facet'] === 'Will Ferrell').map((d) => d['id']));
    const settings = await meiliClient.index('ts_movies').getSettings();
    expect(settings.synonyms).toEqual({ film: ['movie', 'picture'], movie: ['film', 'picture'], picture: ['film', 'movie'], actor: ['star', 'lead'] });
    expect(settings.sortableAttributes).toEqual(['points']);
  });

  it('restores a real Meilisearch dump index into Typesense, as planned (numeric ids as strings)', async () => {
    const imported = (
      await gql(`mutation($i: ImportBackupInput!) { importBackup(input: $i) { id collections { name documentCount } } }`, { i: { plugin: 'meilisearch', path: 'movies.dump' } })
    )['importBackup'];
    const index = imported.collections[0].name as string;
    await restore({ backupId: imported.id, engineId: engines['meili'], collections: [index] });
    const source = await meiliDocuments(index);
    expect(source.length).toBe(imported.collections[0].documentCount);
    // The dump has no synonyms: some are added, so the restore has some to carry.
    await meiliClient
      .index(index)
      .updateSynonyms({ wolverine: ['xmen', 'logan'], logan: ['wolverine'] })
      .waitTask();
    const sourceSettings = await meiliClient.index(index).getSettings();
    const backupId = await backUp(engines['meili']!, [index]);

    const input = { backupId, engineId: engines['typesense'], rename: [{ from: index, to: 'from_meili' }] };
    const plan = (await gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN_FIELDS} } }`, { i: input }))['planRestore'];
    await expectPlan('meilisearch-dump-to-typesense', plan);
    await restore(input);

    // Every document equal modulo the stated conversion: the id is a string on Typesense.
    const restored = await exported('from_meili');
    expect(restored).toHaveLength(source.length);
    const pk = plan.crossEngine.collections[0].primaryKey as string;
    expect(restored).toEqual(source.map((d) => ({ ...d, id: String(d[pk]) })).sort(byId));
    // Filter fields: declared facet on Typesense (its emulator has no filter_by; the schema is what a filter needs).
    const schema = (await tsClient.collections('from_meili').retrieve()) as unknown as Json;
    const filterable = (sourceSettings.filterableAttributes ?? []) as string[];
    for (const name of filterable) {
      const field = schema['fields'].find((f: Json) => f.name === name);
      expect(field, name).toBeDefined();
      expect(field.facet || ['int64', 'float', 'int64[]', 'float[]'].includes(field.type), name).toBeTruthy();
    }
    // Synonyms present.
    const synonyms = ((await tsClient.collections('from_meili').synonyms().retrieve()) as unknown as { synonyms: Json[] }).synonyms;
    expect(synonyms.map(({ root, synonyms: words }) => ({ root, synonyms: words }))).toEqual(
      expect.arrayContaining([
        { root: 'wolverine', synonyms: ['xmen', 'logan'] },
        { root: 'logan', synonyms: ['wolverine'] },
      ]),
    );
    expect(synonyms).toHaveLength(2);
  });
});

describe('a MagnetoDB table restored into Meilisearch', () => {
  let t: TestGateway;
  let magneto: MagnetoDbEmulator;
  let meili: MeilisearchEmulator;

  const NUMBERS = ['12.5', '98765432109876543210987654321', '0.1', '100', '-7.25', '0.30000000000000004', '1.0100000000000000000000001'];
  const order = (i: number): TypedItem => ({
    customer: { S: `customer-${i % 4}` },
    order_no: { N: String(1000 + i) },
    total: { N: NUMBERS[i % NUMBERS.length]! },
    receipt: { B: Buffer.from(`receipt ${i}`).toString('base64') },
    tags: { SS: ['gift', `t${i % 3}`] },
    quantities: { NS: ['1', '2.5', String(100 + i)] },
  });

  beforeAll(async () => {
    magneto = await startMagnetoDbEmulator({ createDelayMs: 5 });
    meili = await startMeilisearchEmulator({ version: '1.16.0' });
    const api = magnetoDbHttp({ url: magneto.url, token: magneto.token, project: 'cross' });
    await api.createTable({
      table_name: 'orders',
      attribute_definitions: [
        { attribute_name: 'customer', attribute_type: 'S' },
        { attribute_name: 'order_no', attribute_type: 'N' },
      ],
      key_schema: [
        { attribute_name: 'customer', key_type: 'HASH' },
        { attribute_name: 'order_no', key_type: 'RANGE' },
      ],
    });
    await api.waitActive('orders');
    await api.putItems(
      'orders',
      Array.from({ length: 60 }, (_, i) => order(i)),
    );
    t = await startTestGateway();
  });

  afterAll(async () => {
    await t?.close();
    await magneto?.close();
    await meili?.close();
  });

  it('restores typed items as JSON documents with exact numbers, hash_range ids, as planned', async () => {
    const register = async (name: string, plugin: string, config: Json) =>
      (await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name, plugin, config } })).data!['registerEngine'].id as string;
    const magnetoId = await register('magneto', 'magnetodb', { url: magneto.url, projectId: 'cross', token: magneto.token });
    const meiliId = await register('meili', 'meilisearch', { url: meili.url });
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId: magnetoId } });
    expect(await waitForJob(t, started.data!['startBackup'].id)).toMatchObject({ status: 'SUCCEEDED' });
    const input = { backupId: started.data!['startBackup'].backup.id, engineId: meiliId, rename: [{ from: 'orders', to: 'orders_search' }] };
    const planned = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN_FIELDS} } }`, { i: input });
    expect(planned.errors).toBeUndefined();
    await expectPlan('magnetodb-to-meilisearch', planned.data!['planRestore']);
    const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: input });
    const job = await waitForJob(t, restore.data!['startRestore'].id);
    expect(job['status'], JSON.stringify(job['error'])).toBe('SUCCEEDED');

    const client = new Meilisearch({ host: meili.url });
    const documents = (await client.index('orders_search').getDocuments({ limit: 1000 })).results;
    expect(documents).toHaveLength(60);
    const exact = (n: string, value: unknown) => (typeof value === 'number' ? Number(n) === value && String(value) === String(Number(n)) : value === n);
    for (let i = 0; i < 60; i++) {
      const item = order(i);
      const document = documents.find((d) => d['id'] === `customer-${i % 4}_${1000 + i}`);
      expect(document, `order ${i}`).toBeDefined();
      expect(document).toMatchObject({ customer: `customer-${i % 4}`, order_no: 1000 + i, receipt: item['receipt']!['B'] });
      // Sets have no order: MagnetoDB may answer them in any.
      expect([...(document!['tags'] as string[])].sort()).toEqual(['gift', `t${i % 3}`].sort());
      expect(exact(item['total']!['N'] as string, document!['total']), `total ${String(item['total']!['N'])} → ${String(document!['total'])}`).toBe(true);
      expect([...(document!['quantities'] as number[])].sort((a, b) => a - b)).toEqual([1, 2.5, 100 + i]);
    }
    // Digits a double cannot hold stay exact, as strings.
    expect(documents.find((d) => d['id'] === 'customer-1_1001')!['total']).toBe('98765432109876543210987654321');
    expect(documents.find((d) => d['id'] === 'customer-2_1006')!['total']).toBe('1.0100000000000000000000001');
    // The key attributes are filterable on the target.
    const filtered = (await client.index('orders_search').getDocuments({ filter: 'customer = "customer-1"', limit: 1000 })).results;
    expect(filtered.map((d) => d['id']).sort()).toEqual(Array.from({ length: 15 }, (_, k) => `customer-1_${1001 + 4 * k}`).sort());
  });
});
