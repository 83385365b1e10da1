import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'master-key-for-tests-0123456789';
const ENGINE_SECRET = 'meili-engine-secret-key-42';

for (const db of DB_KINDS) {
  describe(`auth (${db})`, () => {
    let t: TestGateway;
    const keys: Record<string, string> = {};

    beforeAll(async () => {
      t = await startTestGateway({ db, masterKey: MASTER });
      for (const scope of ['ADMIN', 'OPERATOR', 'VIEWER']) {
        const res = await t.gql(`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id scope prefix } } }`, {
          i: { name: `${scope.toLowerCase()} key`, scope },
        });
        expect(res.errors).toBeUndefined();
        keys[scope] = res.data!.createApiKey.key;
        expect(keys[scope]!.startsWith(res.data!.createApiKey.apiKey.prefix)).toBe(true);
      }
    });
    afterAll(() => t.close());

    it('answers /health without auth', async () => {
      const res = await t.yoga.fetch('http://gateway.test/health');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'available' });
    });

    it('refuses a request without Authorization: missing_authorization_header', async () => {
      const res = await t.gql('{ engines { id } }', {}, null);
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'missing_authorization_header', type: 'auth' });
      expect(res.data ?? null).toBeNull();
    });

    it('refuses an unknown key: invalid_api_key', async () => {
      const res = await t.gql('{ engines { id } }', {}, 'not-a-key');
      expect(res.status).toBe(403);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_api_key', type: 'auth' });
    });

    it('lets a VIEWER read but not mutate: insufficient_scope', async () => {
      expect((await t.gql('{ engines { id } jobs { totalCount } backups { totalCount } }', {}, keys.VIEWER)).errors).toBeUndefined();
      const res = await t.gql(`mutation { registerEngine(input: {name: "x", plugin: "meilisearch", config: {url: "http://127.0.0.1:1"}}) { id } }`, {}, keys.VIEWER);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'insufficient_scope', type: 'auth' });
      const start = await t.gql(`mutation { startBackup(input: {engineId: "x"}) { id } }`, {}, keys.VIEWER);
      expect(start.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
      expect(await t.gateway.prisma.engine.count()).toBe(0);
    });

    it('hides a mutation behind a fragment no better than in plain sight', async () => {
      const res = await t.gql(`mutation { ...M } fragment M on Mutation { createApiKey(input: {name: "sneaky", scope: ADMIN}) { key } }`, {}, keys.OPERATOR);
      expect(res.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
    });

    it('lets an OPERATOR start jobs but not manage engines or keys', async () => {
      const engine = await t.gql(`mutation { registerEngine(input: {name: "e1", plugin: "meilisearch", config: {url: "http://127.0.0.1:1"}}) { id } }`, {}, keys.OPERATOR);
      expect(engine.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
      const start = await t.gql(`mutation { startBackup(input: {engineId: "00000000-0000-0000-0000-000000000000"}) { id } }`, {}, keys.OPERATOR);
      expect(start.errors?.[0]?.extensions?.code).toBe('engine_not_found');
    });

    it('revokes a key: it stops working at once', async () => {
      const created = await t.gql(`mutation { createApiKey(input: {name: "temp", scope: VIEWER}) { key apiKey { id } } }`);
      const { key, apiKey } = created.data!.createApiKey;
      expect((await t.gql('{ engines { id } }', {}, key)).errors).toBeUndefined();
      expect((await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: apiKey.id })).data?.revokeApiKey).toBe(true);
      expect((await t.gql('{ engines { id } }', {}, key)).errors?.[0]?.extensions?.code).toBe('invalid_api_key');
    });

    it('stores keys hashed: the key value is in no table', async () => {
      const rows = await t.gateway.prisma.apiKey.findMany();
      const dump = JSON.stringify(rows);
      for (const key of Object.values(keys)) expect(dump).not.toContain(key);
    });

    it('never shows an engine API key in responses or logs, and seals it at rest', async () => {
      const res = await t.gql(
        `mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id name config } }`,
        { i: { name: 'secretive', plugin: 'meilisearch', config: { url: 'http://127.0.0.1:1', apiKey: ENGINE_SECRET } } },
        keys.ADMIN,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.registerEngine.config.apiKey).toBe('[redacted]');
      const id = res.data!.registerEngine.id;
      const read = await t.gql(`query($id: ID!) { engine(id: $id) { config health { ok message } } engines { config } }`, { id });
      expect(JSON.stringify(read)).not.toContain(ENGINE_SECRET);
      const row = await t.gateway.prisma.engine.findUniqueOrThrow({ where: { id } });
      expect(JSON.stringify(row)).not.toContain(ENGINE_SECRET);
      const audit = await t.gateway.prisma.auditEntry.findMany();
      expect(JSON.stringify(audit, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(ENGINE_SECRET);
      t.gateway.logger.info('engine config seen in a log line', { config: { apiKey: ENGINE_SECRET } });
      expect(t.logLines.length).toBeGreaterThan(0);
      expect(t.logLines.join('\n')).not.toContain(ENGINE_SECRET);
      expect(t.logLines.join('\n')).not.toContain(MASTER);
    });

    it('records who did what in the audit log', async () => {
      const entries = await t.gateway.prisma.auditEntry.findMany({ orderBy: { id: 'asc' } });
      expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['apiKey.create', 'apiKey.revoke', 'engine.register']));
      expect(entries.find((e) => e.action === 'engine.register')?.actor).toMatch(/^key:/);
    });
  });
}

describe('open mode (no master key)', () => {
  it('lets everyone in as admin and warns in the audit actor', async () => {
    const t = await startTestGateway({ db: 'pglite' });
    try {
      const res = await t.gql('{ engines { id } plugins { name capabilities configSchema } }', {}, null);
      expect(res.errors).toBeUndefined();
      expect(res.data!.plugins.map((p: { name: string }) => p.name)).toContain('meilisearch');
    } finally {
      await t.close();
    }
  });
});
