// milvus-backup through GraphQL, in both response generations: native backups on the milvus-backup server,
// progress to 100, per-collection sizes in the catalog, restore under new names, delete on both sides,
// catalog sync with backups made from the CLI, and coded errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilvusBackupEmulator, type MilvusBackupEmulator } from '../emulators/milvus-backup/server.ts';
import { createSwaggerChecker } from '../emulators/milvus-backup/swagger-contract.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const JOB = `id status progress { phase completed total unit percent } error { code message }`;

for (const generation of ['v0.5.9', 'v0.5.16'] as const) {
  describe(`milvus-backup ${generation} through GraphQL`, () => {
    let emulator: MilvusBackupEmulator;
    let t: TestGateway;
    let engineId: string;

    beforeAll(async () => {
      emulator = await startMilvusBackupEmulator({ generation, stepDelayMs: 60 });
      t = await startTestGateway();
      const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id health { ok version } } }`, {
        i: { name: 'milvus', plugin: 'milvus', config: { url: emulator.url, pollIntervalMs: 50 } },
      });
      expect(res.errors).toBeUndefined();
      engineId = res.data!.registerEngine.id;
    });
    afterAll(async () => {
      await t?.close();
      await emulator?.close();
    });

    it('backs up two collections with progress rising to 100, restores them under new names, deletes on both sides', async () => {
      const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { ${JOB} backup { id } } }`, {
        i: { engineId, strategy: 'NATIVE', name: `nightly_${generation.replace(/\W/g, '')}`, collections: ['book', 'medium_articles'] },
      });
      expect(started.errors).toBeUndefined();
      const updates: Array<Record<string, any>> = [];
      for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { ${JOB} } }`, { id: started.data!.startBackup.id })) {
        updates.push(message.data!.jobUpdated);
      }
      expect(updates.at(-1)!.status, JSON.stringify(updates.at(-1)!.error)).toBe('SUCCEEDED');
      const percents = updates.filter((u) => u.progress.unit === 'percent').map((u) => u.progress.percent as number);
      for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]!);
      // Progress reaches subscribers coalesced: the last event says 100 % (with the job's real totals).
      expect(updates.at(-1)!.progress.percent).toBe(100);

      const backupId = started.data!.startBackup.backup.id;
      const res = await t.gql(`query($id: ID!) { backup(id: $id) { status externalId origin collections { name bytes documentCount } artifacts { external location } } }`, {
        id: backupId,
      });
      const backup = res.data!.backup;
      expect(backup).toMatchObject({ status: 'COMPLETE', origin: 'GATEWAY' });
      expect(emulator.backups.names()).toContain(backup.externalId);
      expect(backup.collections.map((c: { name: string }) => c.name).sort()).toEqual(['book', 'medium_articles']);
      expect(backup.collections.every((c: { bytes: number | null }) => (c.bytes ?? 0) > 0)).toBe(true);
      expect(backup.artifacts.some((a: { external: boolean; location: string }) => a.external && a.location.includes(backup.externalId))).toBe(true);

      const restoreInput = {
        backupId,
        rename: [
          { from: 'book', to: 'book_restored' },
          { from: 'medium_articles', to: 'medium_articles_restored' },
        ],
      };
      const planned = await t.gql(
        `mutation($i: StartRestoreInput!) { planRestore(input: $i) { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } }`,
        { i: restoreInput },
      );
      expect(planned.errors).toBeUndefined();
      // milvus-backup cannot see live collections: CREATE under the new names, with that said.
      expect(planned.data!.planRestore).toMatchObject({ verdict: 'OK', onExisting: 'FAIL' });
      expect(planned.data!.planRestore.collections.map((c: { source: string; target: string; action: string }) => [c.source, c.target, c.action]).sort()).toEqual([
        ['book', 'book_restored', 'CREATE'],
        ['medium_articles', 'medium_articles_restored', 'CREATE'],
      ]);
      const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: restoreInput });
      expect(restore.errors).toBeUndefined();
      const job = await waitForJob(t, restore.data!.startRestore.id);
      expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
      const recorded = await t.gql(
        `query($id: ID!) { job(id: $id) { plan { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } } }`,
        { id: job.id },
      );
      expect(recorded.data!.job.plan).toEqual(planned.data!.planRestore);
      expect(emulator.milvus.has('default', 'book_restored')).toBe(true);
      expect(emulator.milvus.has('default', 'medium_articles_restored')).toBe(true);

      const deleted = await t.gql(`mutation($id: ID!) { deleteBackup(id: $id) { status } }`, { id: backupId });
      expect(deleted.data!.deleteBackup.status).toBe('DELETED');
      expect(emulator.backups.names()).not.toContain(backup.externalId);
    });

    it('catalogs a backup made from the CLI and marks one deleted on the server as missing', async () => {
      emulator.backups.create('from_cli', [{ db: 'default', name: 'book' }]);
      const synced = await t.gql(`mutation($e: ID!) { syncEngineBackups(engineId: $e) { found imported missing } }`, { e: engineId });
      expect(synced.errors).toBeUndefined();
      const catalog = await t.gql(`{ backups(status: [COMPLETE, MISSING, DELETED, FAILED, PENDING]) { nodes { name status externalId origin } } }`);
      expect(synced.data!.syncEngineBackups.imported, JSON.stringify([synced.data, catalog.data, emulator.backups.names()])).toBe(1);
      const listed = await t.gql(`query($e: ID!) { backups(engineId: $e) { nodes { id name origin status externalId } } }`, { e: engineId });
      const cli = listed.data!.backups.nodes.find((b: { externalId: string }) => b.externalId === 'from_cli');
      expect(cli).toMatchObject({ origin: 'ENGINE', status: 'COMPLETE' });

      emulator.backups.delete('from_cli');
      const again = await t.gql(`mutation($e: ID!) { syncEngineBackups(engineId: $e) { missing imported } }`, { e: engineId });
      expect(again.data!.syncEngineBackups).toEqual({ missing: 1, imported: 0 });
      const after = await t.gql(`query($id: ID!) { backup(id: $id) { status warnings } }`, { id: cli.id });
      expect(after.data!.backup.status).toBe('MISSING');
      const restoreMissing = await t.gql(`mutation($id: ID!) { startRestore(input: {backupId: $id}) { id } }`, { id: cli.id });
      expect(restoreMissing.errors?.[0]?.extensions?.code).toBe('backup_not_complete');
    });

    it('refuses names milvus-backup would refuse, before anything is queued', async () => {
      const res = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, strategy: NATIVE, name: "has-dash"}) { id } }`, { e: engineId });
      expect(res.errors?.[0]?.extensions?.code).toBe('invalid_name');
      const logical = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, strategy: LOGICAL}) { id } }`, { e: engineId });
      expect(logical.errors?.[0]?.extensions?.code).toBe('capability_not_supported');
    });

    it('makes a native backup when no strategy is given, with milvus-backup options; whole databases by db.*', async () => {
      const plugin = await t.gql(`{ plugins { name defaultStrategy restoreOptions } }`);
      expect(plugin.data!.plugins.find((p: { name: string }) => p.name === 'milvus')).toMatchObject({ defaultStrategy: 'NATIVE' });
      emulator.clearExchanges();
      const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { strategy } } }`, {
        i: { engineId, name: `rbac_${generation.replace(/\W/g, '')}`, collections: ['default.*'], options: { rbac: true } },
      });
      expect(started.errors).toBeUndefined();
      expect(started.data!.startBackup.backup.strategy).toBe('NATIVE');
      expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
      const create = emulator.exchanges.find((e) => e.path === '/api/v1/create')!;
      expect(create.body).toMatchObject({ rbac: true, db_collections: JSON.stringify({ default: [] }) });
      expect(createSwaggerChecker().checkRequest(create)).toEqual([]);
      const bad = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, options: {rbca: true}}) { id } }`, { e: engineId });
      expect(bad.errors?.[0]?.extensions?.code).toBe('invalid_input');
      expect(bad.errors?.[0]?.message).toContain('valid keys: rbac, metaOnly');
    });

    it('asks milvus-backup to rebuild indexes on restore, with its documented options', async () => {
      const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, {
        i: { engineId, name: `idx_${generation.replace(/\W/g, '')}`, collections: ['book'] },
      });
      expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
      const backupId = started.data!.startBackup.backup.id;
      const restoreWith = async (options: Record<string, unknown> | undefined, to: string) => {
        emulator.clearExchanges();
        const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
          i: { backupId, rename: [{ from: 'book', to }], ...(options ? { options } : {}) },
        });
        expect(restore.errors).toBeUndefined();
        const job = await waitForJob(t, restore.data!.startRestore.id);
        const sent = emulator.exchanges.find((e) => e.path === '/api/v1/restore')!;
        expect(createSwaggerChecker().checkRequest(sent)).toEqual([]);
        return { job, body: sent.body as Record<string, unknown> };
      };
      const plain = await restoreWith(undefined, 'book_idx');
      expect(plain.job.status, JSON.stringify(plain.job.error)).toBe('SUCCEEDED');
      expect(plain.body).toMatchObject({ restoreIndex: true });
      expect(plain.body).not.toHaveProperty('useAutoIndex');

      const auto = await restoreWith({ useAutoIndex: true, metaOnly: true, rbac: true }, 'book_meta');
      expect(auto.job.status).toBe('SUCCEEDED');
      expect(auto.body).toMatchObject({ restoreIndex: true, useAutoIndex: true, metaOnly: true, rbac: true });
      expect(emulator.milvus.has('default', 'book_meta')).toBe(true);

      const into = await restoreWith({ skipCreateCollection: true, restoreIndex: false }, 'book_idx');
      expect(into.job.status, JSON.stringify(into.job.error)).toBe('SUCCEEDED');
      expect(into.body).toMatchObject({ skipCreateCollection: true, restoreIndex: false });

      const elsewhere = await restoreWith({ bucketName: 'other-cluster', path: 'backup' }, 'book_other');
      expect(elsewhere.body).toMatchObject({ bucket_name: 'other-cluster', path: 'backup' });
      expect(elsewhere.job.status).toBe('FAILED'); // this emulation holds one bucket: the backup is not in the other
      expect(elsewhere.job.error.code).toBe('backup_not_found');

      for (const options of [{ path: 'backup' }, { bucketName: 'x', path: '../etc' }, { useAutoIndex: true, restoreIndex: false }, { restoreIndx: true }]) {
        const refused = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, rename: [{ from: 'book', to: 'book_x' }], options } });
        expect(refused.errors?.[0]?.extensions?.code, JSON.stringify(options)).toBe('invalid_input');
      }
    });

    it('restores a backup made with the milvus-backup CLI, whole, after a catalog sync', async () => {
      emulator.backups.create('cli_whole', [
        { db: 'default', name: 'book' },
        { db: 'default', name: 'medium_articles' },
      ]);
      // (The sync after the previous test's jobs may already have cataloged it: imported is 0 or 1.)
      expect((await t.gql(`mutation($e: ID!) { syncEngineBackups(engineId: $e) { imported } }`, { e: engineId })).errors).toBeUndefined();
      const listed = await t.gql(`query($e: ID!) { backups(engineId: $e) { nodes { id externalId origin collections { name } } } }`, { e: engineId });
      const cli = listed.data!.backups.nodes.find((b: { externalId: string }) => b.externalId === 'cli_whole');
      // v0.5.9 lists the collections; v0.5.10+ cannot name them for a backup its process did not make.
      expect(cli.collections.map((c: { name: string }) => c.name).sort()).toEqual(generation === 'v0.5.9' ? ['book', 'medium_articles'] : []);
      emulator.milvus.drop('default', 'book');
      emulator.milvus.drop('default', 'medium_articles');
      emulator.clearExchanges();
      const restore = await t.gql(`mutation($id: ID!) { startRestore(input: {backupId: $id}) { id } }`, { id: cli.id });
      expect(restore.errors).toBeUndefined();
      const job = await waitForJob(t, restore.data!.startRestore.id);
      expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
      expect(emulator.milvus.has('default', 'book')).toBe(true);
      expect(emulator.milvus.has('default', 'medium_articles')).toBe(true);
      const sent = emulator.exchanges.find((e) => e.path === '/api/v1/restore')!;
      expect(sent.body).toMatchObject({ backup_name: 'cli_whole', restoreIndex: true });
      expect(createSwaggerChecker().checkRequest(sent)).toEqual([]);
    });

    it('restores a whole database by db.*: the plan lists every collection of it, milvus-backup gets what it expects', async () => {
      const tag = generation.replace(/\W/g, '');
      const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id collections { name } } } }`, {
        i: { engineId, name: `wholedb_${tag}`, collections: ['default.*'] },
      });
      expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
      const backupId = started.data!.startBackup.backup.id;
      const cataloged = await t.gql(`query($id: ID!) { backup(id: $id) { collections { name } } }`, { id: backupId });
      const members = cataloged.data!.backup.collections.map((c: { name: string }) => c.name).sort();
      expect(members).toEqual(expect.arrayContaining(['book', 'medium_articles']));

      const input = { backupId, collections: ['default.*'], rename: [{ from: 'default.*', to: `whole_${tag}.*` }] };
      const planned = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { verdict refusals { message } collections { source target action } } }`, {
        i: input,
      });
      expect(planned.errors).toBeUndefined();
      expect(planned.data!.planRestore.verdict, JSON.stringify(planned.data!.planRestore.refusals)).toBe('OK');
      const plannedCollections = planned.data!.planRestore.collections as Array<{ source: string; target: string; action: string }>;
      expect(plannedCollections.map((c) => [c.source, c.target, c.action]).sort()).toEqual(members.map((name: string) => [name, `whole_${tag}.${name}`, 'CREATE']));

      emulator.clearExchanges();
      const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: input });
      expect(restore.errors).toBeUndefined();
      const job = await waitForJob(t, restore.data!.startRestore.id);
      expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
      const sent = emulator.exchanges.find((e) => e.path === '/api/v1/restore')!;
      expect(createSwaggerChecker().checkRequest(sent)).toEqual([]);
      // The plan's collections by name, each renamed into the new database (milvus-backup creates it).
      expect((sent.body as { collection_names: string[] }).collection_names.sort()).toEqual(members.map((name: string) => `default.${name}`));
      expect(sent.body).toMatchObject({ collection_renames: Object.fromEntries(members.map((name: string) => [`default.${name}`, `whole_${tag}.${name}`])) });
      for (const name of members) expect(emulator.milvus.has(`whole_${tag}`, name), name).toBe(true);
    });

    it('restores db.* of a CLI-made backup whose collections are not listed as one whole database (db_collections, db rename)', async () => {
      const tag = generation.replace(/\W/g, '');
      emulator.backups.create(`cli_db_${tag}`, [{ db: 'default', name: 'book' }]);
      expect((await t.gql(`mutation($e: ID!) { syncEngineBackups(engineId: $e) { imported } }`, { e: engineId })).errors).toBeUndefined();
      const listed = await t.gql(`query($e: ID!) { backups(engineId: $e) { nodes { id externalId } } }`, { e: engineId });
      const cli = listed.data!.backups.nodes.find((b: { externalId: string }) => b.externalId === `cli_db_${tag}`);
      emulator.clearExchanges();
      const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
        i: { backupId: cli.id, collections: ['default.*'], rename: [{ from: 'default.*', to: `cli_${tag}.*` }] },
      });
      expect(restore.errors).toBeUndefined();
      const job = await waitForJob(t, restore.data!.startRestore.id);
      expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
      const sent = emulator.exchanges.find((e) => e.path === '/api/v1/restore')!;
      expect(createSwaggerChecker().checkRequest(sent)).toEqual([]);
      if (generation === 'v0.5.9') {
        // v0.5.9 lists the collections of every backup: the plan names them, and so does the request.
        expect(sent.body).toMatchObject({ collection_names: ['default.book'], collection_renames: { 'default.book': `cli_${tag}.book` } });
      } else {
        expect(sent.body).toMatchObject({ db_collections: JSON.stringify({ default: [] }), collection_renames: { 'default.*': `cli_${tag}.*` } });
        expect(sent.body).not.toHaveProperty('collection_names');
      }
      expect(emulator.milvus.has(`cli_${tag}`, 'book')).toBe(true);
    });

    it('maps server errors to coded job errors', async () => {
      emulator.inject('/api/v1/create', { status: 200, json: { code: 400, msg: 'collection not found' } }, 1);
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, strategy: NATIVE, collections: ["book"]}) { id } }`, { e: engineId });
      const job = await waitForJob(t, started.data!.startBackup.id);
      expect(job.status).toBe('FAILED');
      expect(job.error.code).toMatch(/^(engine_error|collection_not_found)$/);
    });
  });
}
