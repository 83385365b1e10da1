// The GraphQL behind the console's second round: testStorageLocation (against a real S3 server: reached with the
// right key, refused with a wrong one without echoing it, nothing stored, ADMIN only), updateWebhook (each field,
// the checks createWebhook makes, the secret kept unless retyped) and jobs(search:, sort:) against real jobs.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { S3_CREDENTIALS, startS3Server, type TestS3Server } from '../helpers/s3.ts';

const MASTER = 'console-management-api-master-0123';
const WRONG_SECRET = 'wrong-secret-access-key-0123456789';
const TEST_STORAGE = 'mutation($i: TestStorageLocationInput!) { testStorageLocation(input: $i) { ok code message } }';
const UPDATE_WEBHOOK = 'mutation($id: ID!, $i: UpdateWebhookInput!) { updateWebhook(id: $id, input: $i) { id url events enabled description } }';

describe('console API: storage test, webhook edit, job search', () => {
  let emulator: MeilisearchEmulator;
  let s3: TestS3Server;
  let t: TestGateway;
  let operatorKey: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({});
    await new Meilisearch({ host: emulator.url })
      .index('movies')
      .addDocuments([{ id: 1 }], { primaryKey: 'id' })
      .waitTask();
    s3 = await startS3Server();
    t = await startTestGateway({ masterKey: MASTER });
    operatorKey = (await t.gql(`mutation { createApiKey(input: {name: "operator", scope: OPERATOR}) { key } }`)).data!.createApiKey.key;
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    await emulator?.close();
  });

  it('testStorageLocation reaches a bucket with the right key, refuses a wrong one without echoing it, and stores nothing', async () => {
    const location = { url: `s3://${s3.bucket}/probe`, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true };
    const good = await t.gql(TEST_STORAGE, { i: { ...location, credentials: S3_CREDENTIALS } });
    expect(good.errors).toBeUndefined();
    expect(good.data!.testStorageLocation).toEqual({ ok: true, code: null, message: null });

    const wrong = await t.gql(TEST_STORAGE, { i: { ...location, credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: WRONG_SECRET } } });
    expect(wrong.errors).toBeUndefined();
    expect(wrong.data!.testStorageLocation).toMatchObject({ ok: false, code: 'storage_unreachable' });
    expect(JSON.stringify(wrong)).not.toContain(WRONG_SECRET);

    const down = await t.gql(TEST_STORAGE, { i: { ...location, endpoint: 'http://127.0.0.1:9', credentials: S3_CREDENTIALS } });
    expect(down.data!.testStorageLocation).toMatchObject({ ok: false, code: 'storage_unreachable' });
    const local = await t.gql(TEST_STORAGE, { i: { url: 'file:///tmp/somewhere', credentials: S3_CREDENTIALS } });
    expect(local.data!.testStorageLocation).toMatchObject({ ok: false, code: 'invalid_storage_config' });

    // Nothing registered, and the probe left no object behind.
    expect((await t.gql('{ storages { id } }')).data!.storages).toEqual([{ id: 'local' }]);
    expect(await s3.listKeys('probe/')).toEqual([]);
    // It takes credentials and makes the gateway call a URL: ADMIN only.
    const operator = await t.gql(TEST_STORAGE, { i: { ...location, credentials: S3_CREDENTIALS } }, operatorKey);
    expect(operator.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
  });

  it('updateWebhook changes URL, events, enabled and description, checks them as createWebhook does, and keeps the secret unless retyped', async () => {
    const created = await t.gql(
      `mutation { createWebhook(input: {url: "https://hooks.example/a", events: [JOB_FAILED], secret: "first-secret-0123456789", description: "ops"}) { id } }`,
    );
    const id = created.data!.createWebhook.id as string;
    const sealed = async () => (await t.gateway.prisma.webhook.findUniqueOrThrow({ where: { id } })).secret;
    const before = await sealed();

    const edited = await t.gql(UPDATE_WEBHOOK, { id, i: { url: 'https://hooks.example/b', events: ['JOB_SUCCEEDED', 'JOB_FAILED', 'JOB_FAILED'], enabled: false } });
    expect(edited.errors).toBeUndefined();
    expect(edited.data!.updateWebhook).toEqual({ id, url: 'https://hooks.example/b', events: ['JOB_SUCCEEDED', 'JOB_FAILED'], enabled: false, description: 'ops' });
    expect(await sealed()).toBe(before);

    const cleared = await t.gql(UPDATE_WEBHOOK, { id, i: { description: '', enabled: true } });
    expect(cleared.data!.updateWebhook).toMatchObject({ url: 'https://hooks.example/b', enabled: true, description: null });

    for (const [input, code] of [
      [{ events: [] }, 'invalid_input'],
      [{ url: 'ftp://hooks.example/' }, 'invalid_input'],
      [{ secret: 'short' }, 'invalid_input'],
    ] as const) {
      const refused = await t.gql(UPDATE_WEBHOOK, { id, i: input });
      expect(refused.errors?.[0]?.extensions?.code).toBe(code);
    }
    const missing = await t.gql(UPDATE_WEBHOOK, { id: '00000000-0000-4000-8000-000000000000', i: { enabled: false } });
    expect(missing.errors?.[0]?.extensions?.code).toBe('webhook_not_found');

    const rekeyed = await t.gql(UPDATE_WEBHOOK, { id, i: { secret: 'second-secret-0123456789' } });
    expect(rekeyed.errors).toBeUndefined();
    expect(await sealed()).not.toBe(before);
    expect(JSON.stringify(rekeyed)).not.toContain('second-secret');

    const operator = await t.gql(UPDATE_WEBHOOK, { id, i: { enabled: false } }, operatorKey);
    expect(operator.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
    const audit = await t.gateway.prisma.auditEntry.findMany({ where: { action: 'webhook.update' } });
    expect(audit).toHaveLength(3);
  });

  it('jobs(search:, sort:) finds jobs by id prefix, engine name or backup name, newest or oldest first', async () => {
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'Search-Meili', plugin: 'meilisearch', config: { url: emulator.url } },
    });
    const engineId = engine.data!.registerEngine.id as string;
    const ids: string[] = [];
    for (const name of ['alpha-backup', 'beta-backup']) {
      const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId, name } });
      expect(started.errors).toBeUndefined();
      const id = started.data!.startBackup.id as string;
      ids.push(id);
      await expect.poll(async () => (await t.gql(`query($id: ID!) { job(id: $id) { status } }`, { id })).data!.job.status, { timeout: 30_000 }).toBe('SUCCEEDED');
    }
    const search = async (args: string) => (await t.gql(`{ jobs(${args}) { totalCount nodes { id } } }`)).data!.jobs as { totalCount: number; nodes: Array<{ id: string }> };

    expect((await search('search: "search-meili"')).nodes.map((j) => j.id)).toEqual([ids[1], ids[0]]);
    expect((await search('search: "search-meili", sort: OLDEST')).nodes.map((j) => j.id)).toEqual(ids);
    expect(await search('search: "BETA"')).toEqual({ totalCount: 1, nodes: [{ id: ids[1] }] });
    expect((await search(`search: "${ids[0]!.slice(0, 6).toUpperCase()}"`)).nodes.map((j) => j.id)).toContain(ids[0]);
    expect(await search('search: "no such thing"')).toEqual({ totalCount: 0, nodes: [] });
    // Sorted oldest first, the cursor pages on in that order.
    const first = await t.gql(`{ jobs(sort: OLDEST, first: 1) { pageInfo { endCursor } nodes { id } } }`);
    const next = await t.gql(`query($after: String) { jobs(sort: OLDEST, first: 1, after: $after) { nodes { id } } }`, { after: first.data!.jobs.pageInfo.endCursor });
    expect([first.data!.jobs.nodes[0].id, next.data!.jobs.nodes[0].id]).toEqual(ids);
  });
});
