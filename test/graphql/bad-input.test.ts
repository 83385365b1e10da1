import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const REGISTER = `mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id name } }`;
const UNKNOWN_ID = '3f0c2a9e-6f5b-4d8e-9a51-2b7c1d0e4f6a';

for (const db of DB_KINDS) {
  describe(`bad input is refused with a coded error and writes nothing (${db})`, () => {
    let t: TestGateway;
    let engineId: string;

    beforeAll(async () => {
      t = await startTestGateway({ db });
      const res = await t.gql(REGISTER, { i: { name: 'good', plugin: 'meilisearch', config: { url: 'http://127.0.0.1:1' } } });
      engineId = res.data!.registerEngine.id;
    });
    afterAll(() => t.close());

    const counts = async () => ({
      engines: await t.gateway.prisma.engine.count(),
      jobs: await t.gateway.prisma.job.count(),
      backups: await t.gateway.prisma.backup.count(),
    });

    async function expectRefused(query: string, variables: Record<string, unknown>, code: string): Promise<string> {
      const before = await counts();
      const res = await t.gql(query, variables);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe(code);
      expect(await counts()).toEqual(before);
      return res.errors![0]!.message;
    }

    it('unknown plugin → plugin_not_found', async () => {
      const message = await expectRefused(REGISTER, { i: { name: 'x', plugin: 'elasticsearch', config: {} } }, 'plugin_not_found');
      expect(message).toContain('meilisearch');
    });

    it('invalid engine config → invalid_engine_config listing the valid keys', async () => {
      const message = await expectRefused(REGISTER, { i: { name: 'x', plugin: 'meilisearch', config: { url: 'http://h:7700', hostt: 'typo' } } }, 'invalid_engine_config');
      expect(message).toContain('hostt');
      for (const key of ['url', 'apiKey', 'timeoutMs']) expect(message).toContain(key);
      await expectRefused(REGISTER, { i: { name: 'x', plugin: 'meilisearch', config: { url: 'not a url' } } }, 'invalid_engine_config');
      await expectRefused(REGISTER, { i: { name: 'x', plugin: 'meilisearch', config: [] } }, 'invalid_engine_config');
      await expectRefused(REGISTER, { i: { name: 'x', plugin: 'meilisearch', config: 'http://h' } }, 'invalid_engine_config');
    });

    it('empty, huge and path-like names → invalid_name', async () => {
      for (const name of ['', '   ', 'x'.repeat(10_000), '../x', 'a/b', '..', 'a\\b', '\u0000x']) {
        await expectRefused(REGISTER, { i: { name, plugin: 'meilisearch', config: { url: 'http://h:7700' } } }, 'invalid_name');
      }
      await expectRefused(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId, name: '../escape' } }, 'invalid_name');
      await expectRefused(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId, collections: ['a/b'] } }, 'invalid_name');
      await expectRefused(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId, collections: [''] } }, 'invalid_name');
    });

    it('a taken engine name → name_already_taken', async () => {
      await expectRefused(REGISTER, { i: { name: 'good', plugin: 'meilisearch', config: { url: 'http://h:7700' } } }, 'name_already_taken');
    });

    it('unknown ids → *_not_found', async () => {
      for (const id of [UNKNOWN_ID, 'nope', '\'; DROP TABLE "Job"; --']) {
        await expectRefused(`mutation($id: ID!) { updateEngine(id: $id, input: {name: "y"}) { id } }`, { id }, 'engine_not_found');
        await expectRefused(`mutation($id: ID!) { removeEngine(id: $id) }`, { id }, 'engine_not_found');
        await expectRefused(`mutation($id: ID!) { startBackup(input: {engineId: $id}) { id } }`, { id }, 'engine_not_found');
        await expectRefused(`mutation($id: ID!) { startRestore(input: {backupId: $id}) { id } }`, { id }, 'backup_not_found');
        await expectRefused(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id }, 'job_not_found');
        await expectRefused(`mutation($id: ID!) { deleteBackup(id: $id) { id } }`, { id }, 'backup_not_found');
        await expectRefused(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id }, 'api_key_not_found');
        const read = await t.gql(`query($id: ID!) { engine(id: $id) { id } job(id: $id) { id } backup(id: $id) { id } }`, { id });
        expect(read.errors).toBeUndefined();
        expect(read.data).toEqual({ engine: null, job: null, backup: null });
      }
    });

    it('wrong types and unknown fields → invalid_input from validation', async () => {
      await expectRefused(`mutation { startBackup(input: {engineId: {a: 1}, collections: 7}) { id } }`, {}, 'invalid_input');
      await expectRefused(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId, strategy: 'SIDEWAYS' } }, 'invalid_input');
      await expectRefused(`{ engines { id secretField } }`, {}, 'invalid_input');
    });

    it('empty collection list, incremental on a plugin without it, bad timeouts and labels → coded refusals', async () => {
      const start = `mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`;
      await expectRefused(start, { i: { engineId, collections: [] } }, 'invalid_input');
      await expectRefused(start, { i: { engineId, type: 'INCREMENTAL' } }, 'incremental_not_supported');
      await expectRefused(start, { i: { engineId, timeoutSeconds: 0 } }, 'invalid_input');
      await expectRefused(start, { i: { engineId, labels: ['a'] } }, 'invalid_input');
    });

    it('bad page sizes and cursors → invalid_input', async () => {
      await expectRefused(`{ jobs(first: 0) { totalCount } }`, {}, 'invalid_input');
      await expectRefused(`{ backups(first: 100000) { totalCount } }`, {}, 'invalid_input');
      await expectRefused(`{ jobs(after: "garbage") { totalCount } }`, {}, 'invalid_input');
    });
  });
}
