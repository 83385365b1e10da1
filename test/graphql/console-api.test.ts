// The GraphQL behind the console's forms, against the Meilisearch emulator with a master key: testEngineConnection
// (health alone is not enough: a wrong key fails the collection listing, and the key never shows in the answer),
// reconfigureEngine (a secret left empty keeps its stored value), previewSchedule (checked as createSchedule is),
// sendTestWebhook, and the scopes (a VIEWER may preview, not test connections).
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'console-api-master-key-0123456789';
const MEILI_KEY = 'console-api-meili-key-0123456789';
const WRONG_KEY = 'console-api-wrong-key-0123456789';
const TEST = 'mutation($i: TestEngineConnectionInput!) { testEngineConnection(input: $i) { ok version message } }';

describe('console API: engine form, schedule preview, webhook test', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let viewerKey: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    await new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY })
      .index('movies')
      .addDocuments([{ id: 1 }], { primaryKey: 'id' })
      .waitTask();
    t = await startTestGateway({ masterKey: MASTER });
    viewerKey = (await t.gql(`mutation { createApiKey(input: {name: "viewer", scope: VIEWER}) { key } }`)).data!.createApiKey.key;
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  it('testEngineConnection: healthy with the right key, not ok with a wrong one (without echoing it), nothing registered', async () => {
    const good = await t.gql(TEST, { i: { plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY } } });
    expect(good.errors).toBeUndefined();
    expect(good.data!.testEngineConnection).toMatchObject({ ok: true, version: expect.stringMatching(/^\d/) });
    const wrong = await t.gql(TEST, { i: { plugin: 'meilisearch', config: { url: emulator.url, apiKey: WRONG_KEY } } });
    expect(wrong.data!.testEngineConnection.ok).toBe(false);
    expect(wrong.data!.testEngineConnection.message).toMatch(/invalid|key/i);
    expect(JSON.stringify(wrong)).not.toContain(WRONG_KEY);
    const down = await t.gql(TEST, { i: { plugin: 'meilisearch', config: { url: 'http://127.0.0.1:9' } } });
    expect(down.data!.testEngineConnection.ok).toBe(false);
    const badConfig = await t.gql(TEST, { i: { plugin: 'meilisearch', config: { url: 42 } } });
    expect(badConfig.errors?.[0]?.extensions?.code).toBe('invalid_engine_config');
    expect((await t.gql('{ engines { id } }')).data!.engines).toEqual([]);
    // A connection test makes the gateway call a URL: ADMIN only.
    const viewer = await t.gql(TEST, { i: { plugin: 'meilisearch', config: { url: emulator.url } } }, viewerKey);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
  });

  it('reconfigureEngine keeps a secret left empty, and testEngineConnection of an edit uses it', async () => {
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY } },
    });
    const id = registered.data!.registerEngine.id;
    const edit = await t.gql(TEST, { i: { plugin: 'meilisearch', config: { url: emulator.url, apiKey: '' }, engineId: id } });
    expect(edit.data!.testEngineConnection.ok).toBe(true);
    const renamed = await t.gql(`mutation($id: ID!, $i: ReconfigureEngineInput!) { reconfigureEngine(id: $id, input: $i) { name config health { ok } collections { name } } }`, {
      id,
      i: { name: 'meili-renamed', config: { url: emulator.url, apiKey: '[redacted]', pageSize: 50 } },
    });
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data!.reconfigureEngine).toMatchObject({ name: 'meili-renamed', config: { apiKey: '[redacted]', pageSize: 50 }, collections: [{ name: 'movies' }] });
    // A new value replaces it: the wrong key now fails the listing.
    await t.gql(`mutation($id: ID!, $i: ReconfigureEngineInput!) { reconfigureEngine(id: $id, input: $i) { id } }`, {
      id,
      i: { config: { url: emulator.url, apiKey: WRONG_KEY } },
    });
    const listing = await t.gql(`query($id: ID!) { engine(id: $id) { collections { name } } }`, { id });
    expect(listing.errors?.[0]?.extensions?.code).toBe('engine_auth_failed');
  });

  it('previewSchedule answers the next slots in the zone and refuses what createSchedule refuses', async () => {
    const preview = await t.gql(`{ previewSchedule(cron: "0 3 * * *", timezone: "Asia/Tokyo", count: 4) }`, {}, viewerKey);
    expect(preview.errors).toBeUndefined();
    const runs: string[] = preview.data!.previewSchedule;
    expect(runs).toHaveLength(4);
    // 03:00 in Tokyo is 18:00 UTC, every day.
    for (const run of runs) expect(new Date(run).getUTCHours()).toBe(18);
    expect(new Date(runs[1]!).getTime() - new Date(runs[0]!).getTime()).toBe(86_400_000);
    expect((await t.gql(`{ previewSchedule(cron: "not a cron") }`)).errors?.[0]?.extensions?.code).toBe('invalid_cron');
    expect((await t.gql(`{ previewSchedule(cron: "0 3 * * *", timezone: "Mars/Olympus") }`)).errors?.[0]?.extensions?.code).toBe('invalid_timezone');
    expect((await t.gql(`{ previewSchedule(cron: "* * * * * *") }`)).errors?.[0]?.extensions?.code).toBe('schedule_too_frequent');
  });

  it('sendTestWebhook queues one webhook.test delivery for that webhook only; a VIEWER may not', async () => {
    const make = (url: string) =>
      t.gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }`, { i: { url, events: ['JOB_FAILED'], secret: 'webhook-secret-0123456789' } });
    const one = (await make('http://127.0.0.1:9/one')).data!.createWebhook.id;
    await make('http://127.0.0.1:9/two');
    const sent = await t.gql(`mutation($id: ID!) { sendTestWebhook(id: $id) }`, { id: one });
    expect(sent.errors).toBeUndefined();
    const deliveries = await t.gql(`{ webhookDeliveries { id webhookId event payload } }`);
    expect(deliveries.data!.webhookDeliveries).toEqual([
      expect.objectContaining({ id: sent.data!.sendTestWebhook, webhookId: one, event: 'webhook.test', payload: expect.objectContaining({ event: 'webhook.test' }) }),
    ]);
    expect((await t.gql(`mutation($id: ID!) { sendTestWebhook(id: $id) }`, { id: one }, viewerKey)).errors?.[0]?.extensions?.code).toBe('insufficient_scope');
  });
});
