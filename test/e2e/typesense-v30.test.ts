// Typesense 29 → 30 through GraphQL: the core's restore plan opens the backup's archive for the plugin, so
// planRestore lists each conversion item by item (verdict CONVERTED) and each loss; the restore then attaches
// the converted sets as v30's upgrade does.
import { Client } from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const KEY = 'ts-v30-admin-key';
const PLAN_FIELDS = 'verdict sourceEngineVersion targetEngineVersion conversions warnings refusals { code message }';

describe(`Typesense 29 → 30 restore plan through GraphQL (${DB_KINDS[0]})`, () => {
  let v29: TypesenseEmulator;
  let v30: TypesenseEmulator;
  let t: TestGateway;
  let backupId: string;
  let target: string;

  beforeAll(async () => {
    [v29, v30] = [await startTypesenseEmulator({ apiKey: KEY, version: '29.0' }), await startTypesenseEmulator({ apiKey: KEY, version: '30.0' })];
    const sdk = new Client({ nodes: [{ url: v29.url }], apiKey: KEY, numRetries: 0, logLevel: 'silent' });
    await sdk.collections().create({ name: 'shop', fields: [{ name: 'title', type: 'string' }] });
    await sdk
      .collections('shop')
      .documents()
      .import([{ id: '1', title: 'television' }], { action: 'create' });
    await sdk.apiCall.put('/collections/shop/synonyms/tv', { synonyms: ['tv', 'television'] });
    await sdk.apiCall.put('/collections/shop/overrides/promo', { rule: { query: 'tv', match: 'exact' }, includes: [{ id: '1', position: 1 }] });
    await sdk.apiCall.put('/analytics/rules/popular', {
      type: 'popular_queries',
      params: {
        source: {
          collections: ['shop'],
          events: [
            { type: 'search', name: 'a' },
            { type: 'search', name: 'b' },
          ],
        },
        destination: { collection: 'q' },
      },
    });

    t = await startTestGateway({ db: DB_KINDS[0]!, masterKey: 'gateway-master-key-for-ts-v30-tests' });
    const register = async (name: string, url: string) =>
      (await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name, plugin: 'typesense', config: { url, apiKey: KEY } } })).data!
        .registerEngine.id as string;
    const source = await register('ts29', v29.url);
    target = await register('ts30', v30.url);
    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id backup { id } } }`, { e: source });
    expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
    backupId = started.data!.startBackup.backup.id;
  });
  afterAll(async () => {
    await t?.close();
    await v29?.close();
    await v30?.close();
  });

  it('plans the conversion item by item, with its losses, and the restore does what the plan said', async () => {
    const input = { backupId, engineId: target };
    const planned = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN_FIELDS} } }`, { i: input });
    expect(planned.errors, JSON.stringify(planned.errors)).toBeUndefined();
    const plan = planned.data!.planRestore;
    expect(plan).toMatchObject({ verdict: 'CONVERTED', sourceEngineVersion: '29.0', targetEngineVersion: '30.0', refusals: [] });
    expect(plan.conversions).toEqual([
      'Typesense 29.0 → 30.0: converted as listed',
      'collection shop: 1 synonym(s) → synonym set shop_synonyms_index, attached to shop',
      'collection shop: 1 override(s) → curation set shop_curations_index, attached to shop',
    ]);
    expect(plan.warnings).toEqual(['lost: analytics rule popular (popular_queries): 2 events, v30 takes one per query rule; not converted']);

    const started = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: input });
    expect(started.errors, JSON.stringify(started.errors)).toBeUndefined();
    const job = await waitForJob(t, started.data!.startRestore.id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const sdk = new Client({ nodes: [{ url: v30.url }], apiKey: KEY, numRetries: 0, logLevel: 'silent' });
    expect(await sdk.collections('shop').retrieve()).toMatchObject({ synonym_sets: ['shop_synonyms_index'], curation_sets: ['shop_curations_index'], num_documents: 1 });
    expect(await sdk.apiCall.get('/synonym_sets/shop_synonyms_index')).toEqual({ name: 'shop_synonyms_index', items: [{ id: 'tv', root: '', synonyms: ['tv', 'television'] }] });
    expect(await sdk.apiCall.get('/analytics/rules')).toEqual([]);
  });
});
