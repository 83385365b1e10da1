// Managing storage locations through GraphQL: a local folder location, the default mark moving, removal refused
// while backups or schedules use a location, bad URLs, and who may do what.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'master-key-for-storage-tests';

describe('storage locations', () => {
  let t: TestGateway;
  let folder: string;
  let operatorKey: string;
  let viewerKey: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'gw-storage-admin-'));
    t = await startTestGateway({ masterKey: MASTER });
    const keys = await t.gql(`mutation { op: createApiKey(input: {name: "op", scope: OPERATOR}) { key } viewer: createApiKey(input: {name: "v", scope: VIEWER}) { key } }`);
    operatorKey = keys.data!.op.key;
    viewerKey = keys.data!.viewer.key;
  });
  afterAll(async () => {
    await t?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('registers a local folder as the encrypted default, moves the default back, refuses removal while in use', async () => {
    const recipient = await identityToRecipient(await generateX25519Identity());
    const url = new URL(`file://${path.join(folder, 'vault')}`).href;
    const res = await t.gql(`mutation($i: RegisterStorageInput!) { registerStorage(input: $i) { id kind url encrypted isDefault hasCredentials } }`, {
      i: { name: 'vault', url, recipients: [recipient], isDefault: true },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.registerStorage).toMatchObject({ kind: 'LOCAL', url, encrypted: true, isDefault: true, hasCredentials: false });
    const id = res.data!.registerStorage.id;
    expect((await t.gateway.storages.target(null)).storageId).toBe(id);

    const duplicate = await t.gql(`mutation { registerStorage(input: {name: "vault", url: "${url}"}) { id } }`);
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('name_already_taken');
    for (const bad of ['ftp://x/y', 's3://UPPER/x', 's3://bucket/../x', 'not a url', 's3://user:pw@bucket/x']) {
      const refused = await t.gql(`mutation($u: String!) { registerStorage(input: {name: "bad", url: $u}) { id } }`, { u: bad });
      expect(refused.errors?.[0]?.extensions?.code, bad).toBe('invalid_storage_config');
    }
    const noCredentials = await t.gql(`mutation { registerStorage(input: {name: "s3", url: "s3://bucket/x", endpoint: "http://127.0.0.1:9"}) { id } }`);
    expect(noCredentials.errors?.[0]?.extensions?.code).toBe('invalid_storage_config');

    const back = await t.gql(`mutation { updateStorage(id: "local", input: {isDefault: true}) { id isDefault } }`);
    expect(back.data!.updateStorage).toEqual({ id: 'local', isDefault: true });
    expect((await t.gql(`{ storages { id isDefault } }`)).data!.storages).toEqual([
      { id: 'local', isDefault: true },
      { id, isDefault: false },
    ]);

    const engine = await t.gql(`mutation { registerEngine(input: {name: "e", plugin: "meilisearch", config: {url: "http://127.0.0.1:9"}}) { id } }`);
    const schedule = await t.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }`, {
      i: { engineId: engine.data!.registerEngine.id, cron: '0 3 * * *', storageId: id, paused: true },
    });
    expect((await t.gql(`mutation($id: ID!) { removeStorage(id: $id) }`, { id })).errors?.[0]?.extensions?.code).toBe('storage_in_use');
    await t.gql(`mutation($id: ID!) { deleteSchedule(id: $id) }`, { id: schedule.data!.createSchedule.id });
    const backup = await t.gateway.prisma.backup.create({
      data: { name: 'b', plugin: 'meilisearch', strategy: 'LOGICAL', type: 'FULL', status: 'COMPLETE', location: url, storageId: id },
    });
    expect((await t.gql(`mutation($id: ID!) { removeStorage(id: $id) }`, { id })).errors?.[0]?.extensions?.code).toBe('storage_in_use');
    await t.gateway.prisma.backup.update({ where: { id: backup.id }, data: { status: 'DELETED' } });
    expect((await t.gql(`mutation($id: ID!) { removeStorage(id: $id) }`, { id })).data!.removeStorage).toBe(true);
    expect((await t.gql(`mutation { removeStorage(id: "local") }`)).errors?.[0]?.extensions?.code).toBe('storage_in_use');
  });

  it('admins manage locations and webhooks; operators run lifecycle jobs; viewers read', async () => {
    const asOperator = await t.gql(`mutation { registerStorage(input: {name: "x", url: "file:///tmp/x"}) { id } }`, {}, operatorKey);
    expect(asOperator.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
    const hook = await t.gql(`mutation { createWebhook(input: {url: "http://127.0.0.1:1/", events: [JOB_FAILED], secret: "0123456789abcdef0"}) { id } }`, {}, operatorKey);
    expect(hook.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
    expect((await t.gql(`{ webhooks { id } }`, {}, viewerKey)).errors?.[0]?.extensions?.code).toBe('insufficient_scope');
    expect((await t.gql(`{ storages { id } }`, {}, viewerKey)).errors).toBeUndefined();
    const reconcile = await t.gql(`mutation { reconcileStorage(storageId: "local") { objects orphans { key } } }`, {}, operatorKey);
    expect(reconcile.errors).toBeUndefined();
    expect((await t.gql(`mutation { reconcileStorage(storageId: "local") { objects } }`, {}, viewerKey)).errors?.[0]?.extensions?.code).toBe('insufficient_scope');
  });
});
