// Restore plans (issue 15 §1) on Meilisearch: the plan the core computes, its verdicts, nothing overwritten
// unasked, and a job that executes exactly the plan it recorded.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { meilisearchVersionFromEnv } from '../emulators/meilisearch/versions.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const KEY = 'plan-master-key-0123456789abcdef';
const PLAN_FIELDS = `verdict sourceEngineVersion targetEngineVersion conversions warnings estimatedSeconds onExisting atomic
  refusals { code message collections } collections { source target action liveDocuments backupDocuments bytes reasons }`;

async function seed(client: Meilisearch, uid: string, count: number, tag: string): Promise<void> {
  await client.createIndex(uid, { primaryKey: 'id' }).waitTask();
  const docs = Array.from({ length: count }, (_, i) => ({ id: i, title: `${tag} ${i}` }));
  await client.index(uid).addDocuments(docs).waitTask();
}

async function titles(client: Meilisearch, uid: string): Promise<string[]> {
  const page = await client.index(uid).getDocuments({ limit: 1000 });
  return page.results.map((d) => String(d['title'])).sort();
}

for (const kind of DB_KINDS)
  describe(`restore plans on Meilisearch (${kind})`, () => {
    let emulator: MeilisearchEmulator;
    let client: Meilisearch;
    let t: TestGateway;
    let engineId: string;
    let backupId: string;

    beforeAll(async () => {
      emulator = await startMeilisearchEmulator({ masterKey: KEY });
      client = new Meilisearch({ host: emulator.url, apiKey: KEY });
      await seed(client, 'movies', 30, 'movie');
      await seed(client, 'books', 20, 'book');
      t = await startTestGateway({ db: kind, masterKey: 'gateway-master-key-for-plan-tests' });
      const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: KEY } },
      });
      engineId = res.data!.registerEngine.id;
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id backup { id } } }`, { e: engineId });
      expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
      backupId = started.data!.startBackup.backup.id;
      // The live engine moves on after the backup: a restore that replaced books would show.
      await client
        .index('books')
        .addDocuments([{ id: 999, title: 'book live only' }])
        .waitTask();
    });
    afterAll(async () => {
      await t?.close();
      await emulator?.close();
    });

    const plan = async (input: Record<string, unknown>) => {
      const res = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN_FIELDS} } }`, { i: { backupId, ...input } });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data!.planRestore;
    };
    const restore = (input: Record<string, unknown>) => t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, ...input } });

    it("the README walk-through's restore with a rename no longer replaces the other live indexes", async () => {
      const before = await titles(client, 'books');
      const res = await restore({ rename: [{ from: 'movies', to: 'movies_restored' }] });
      expect(res.errors?.[0]?.extensions?.code).toBe('target_exists');
      expect(res.errors?.[0]?.message).toContain('"books"');
      expect(await titles(client, 'books')).toEqual(before);
      expect(
        await client
          .index('movies_restored')
          .getStats()
          .catch(() => null),
      ).toBeNull();

      // Only the renamed collection: no consent needed, nothing else touched.
      const only = await restore({ collections: ['movies'], rename: [{ from: 'movies', to: 'movies_restored' }] });
      expect(only.errors).toBeUndefined();
      expect((await waitForJob(t, only.data!.startRestore.id)).status).toBe('SUCCEEDED');
      expect((await titles(client, 'movies_restored')).length).toBe(30);
      expect(await titles(client, 'books')).toEqual(before);
    });

    it('shows a plan table: CREATE for new names, REPLACE for live ones, with counts and versions', async () => {
      const shown = await plan({ suffix: '_copy', rename: [{ from: 'books', to: 'books' }] });
      expect(shown.verdict).toBe('REFUSED');
      expect(shown.refusals).toEqual([expect.objectContaining({ code: 'target_exists', collections: ['books'] })]);
      const byTarget = Object.fromEntries(shown.collections.map((c: { target: string }) => [c.target, c]));
      expect(byTarget['movies_copy']).toMatchObject({ source: 'movies', action: 'CREATE', liveDocuments: null, backupDocuments: 30 });
      expect(byTarget['books']).toMatchObject({ source: 'books', action: 'REPLACE', liveDocuments: 21, backupDocuments: 20 });
      expect(byTarget['books'].bytes).toBeGreaterThan(0);
      expect(shown.targetEngineVersion).toBe(meilisearchVersionFromEnv());
      expect(shown.sourceEngineVersion).toBe(meilisearchVersionFromEnv());
      expect(shown.estimatedSeconds).toBeGreaterThanOrEqual(1);
      expect((await plan({ suffix: '_copy' })).verdict).toBe('OK');
    });

    it('SKIP leaves a live index alone and restores the rest', async () => {
      const shown = await plan({ onExisting: 'SKIP', rename: [{ from: 'movies', to: 'movies_skiptest' }] });
      expect(shown.verdict).toBe('OK');
      expect(shown.collections.map((c: { action: string }) => c.action).sort()).toEqual(['CREATE', 'SKIP']);
    });

    it('refuses what cannot be planned: unknown collection, rename collision, two sources onto one target, staging names, APPLY', async () => {
      const unknown = await plan({ collections: ['movies', 'nope'] });
      expect(unknown.verdict).toBe('REFUSED');
      expect(unknown.refusals[0]).toMatchObject({ code: 'collection_not_found', collections: ['nope'] });
      expect(unknown.collections.find((c: { source: string }) => c.source === 'nope')).toMatchObject({ action: 'SKIP', reasons: ['not in the backup'] });

      const collision = await plan({ overwrite: true, rename: [{ from: 'movies', to: 'books' }] });
      expect(collision.refusals.map((r: { message: string }) => r.message).join()).toMatch(/rename collision/);

      const twoOntoOne = await plan({
        overwrite: true,
        rename: [
          { from: 'movies', to: 'x' },
          { from: 'books', to: 'x' },
        ],
      });
      expect(twoOntoOne.refusals[0]).toMatchObject({ code: 'invalid_input', collections: ['x'] });
      expect(twoOntoOne.refusals[0].message).toMatch(/two collections would be restored into "x"/);

      const staging = await plan({ collections: ['movies'], rename: [{ from: 'movies', to: '__gwstage_0123456789abcdef0123456789abcdef_movies' }] });
      expect(staging.refusals[0]).toMatchObject({ code: 'invalid_name' });

      const apply = await plan({ collections: ['books'], onExisting: 'APPLY' });
      expect(apply.verdict).toBe('REFUSED');
      expect(apply.refusals[0]).toMatchObject({ code: 'capability_not_supported', collections: ['books'] });

      // startRestore answers each with the refusal's own code, before any job exists.
      expect((await restore({ collections: ['movies', 'nope'] })).errors?.[0]?.extensions?.code).toBe('collection_not_found');
      expect((await restore({ collections: ['books'], onExisting: 'APPLY' })).errors?.[0]?.extensions?.code).toBe('capability_not_supported');
      const jobs = await t.gql(`query { jobs(kind: [RESTORE], status: [FAILED]) { totalCount } }`);
      expect(jobs.data!.jobs.totalCount).toBe(0);
    });

    it('with overwrite, replaces atomically and the job records the plan it ran, equal to the engine state after', async () => {
      const shown = await plan({ overwrite: true });
      expect(shown.verdict).toBe('OK');
      const res = await restore({ overwrite: true });
      expect(res.errors).toBeUndefined();
      const job = await waitForJob(t, res.data!.startRestore.id);
      expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
      const recorded = await t.gql(`query($id: ID!) { job(id: $id) { plan { ${PLAN_FIELDS} } } }`, { id: job.id });
      expect(recorded.data!.job.plan).toEqual(shown);
      for (const c of shown.collections) {
        expect(c.action).toBe('REPLACE');
        expect((await client.index(c.target).getStats()).numberOfDocuments).toBe(c.backupDocuments);
      }
      expect(await titles(client, 'books')).not.toContain('book live only');
      const indexes = (await client.getIndexes({ limit: 100 })).results.map((i) => i.uid);
      expect(indexes.filter((uid) => uid.startsWith('__gwstage_'))).toEqual([]);
    });

    it('a VIEWER may plan (no side effects) but not restore', async () => {
      const created = await t.gql(`mutation { createApiKey(input: {name: "viewer", scope: VIEWER}) { key } }`);
      const key = created.data!.createApiKey.key as string;
      const asViewer = async (query: string, variables: Record<string, unknown>) => t.gql(query, variables, key);
      const planned = await asViewer(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { verdict } }`, { i: { backupId, suffix: '_v' } });
      expect(planned.errors).toBeUndefined();
      expect(planned.data!.planRestore.verdict).toBe('OK');
      const started = await asViewer(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, suffix: '_v' } });
      expect(started.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
    });
  });

describe('restore plan verdicts on Meilisearch versions', () => {
  const engines: MeilisearchEmulator[] = [];
  let t: TestGateway;
  afterAll(async () => {
    await t?.close();
    for (const e of engines) await e.close();
  });

  async function engine(version: string): Promise<string> {
    const emulator = await startMeilisearchEmulator({ masterKey: KEY, version });
    engines.push(emulator);
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: `meili-${version}`, plugin: 'meilisearch', config: { url: emulator.url, apiKey: KEY } },
    });
    return res.data!.registerEngine.id;
  }

  it('refuses a backup newer than the target and a target too old; warns on a newer minor', async () => {
    t = await startTestGateway();
    const source = await engine('2.1.0');
    await seed(new Meilisearch({ host: engines[0]!.url, apiKey: KEY }), 'movies', 5, 'm');
    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id backup { id } } }`, { e: source });
    expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
    const backupId = started.data!.startBackup.backup.id;
    const planOn = async (engineId: string) =>
      (await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN_FIELDS} } }`, { i: { backupId, engineId } })).data!.planRestore;

    const older = await planOn(await engine('1.16.0'));
    expect(older).toMatchObject({ verdict: 'REFUSED', sourceEngineVersion: '2.1.0', targetEngineVersion: '1.16.0' });
    expect(older.refusals[0].message).toMatch(/newer than the target/);

    const ancient = await planOn(await engine('0.30.0'));
    expect(ancient.refusals.map((r: { message: string }) => r.message).join()).toMatch(/too old/);

    const minor = await planOn(await engine('2.0.0'));
    expect(minor.verdict).toBe('OK');
    expect(minor.warnings.join()).toMatch(/newer than the target's 2.0.0/);
    const refused = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
      i: { backupId, engineId: (await t.gql(`{ engines { id name } }`)).data!.engines.find((e: { name: string }) => e.name === 'meili-1.16.0').id },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('restore_refused');
  });
});
