// milvus-backup through GraphQL, in both response generations: native backups on the milvus-backup server,
// progress to 100, per-collection sizes in the catalog, restore under new names, delete on both sides,
// catalog sync with backups made from the CLI, and coded errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilvusBackupEmulator, type MilvusBackupEmulator } from '../emulators/milvus-backup/server.ts';
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
      expect(percents.at(-1)).toBe(100);

      const backupId = started.data!.startBackup.backup.id;
      const res = await t.gql(`query($id: ID!) { backup(id: $id) { status externalId origin collections { name bytes documentCount } artifacts { external location } } }`, { id: backupId });
      const backup = res.data!.backup;
      expect(backup).toMatchObject({ status: 'COMPLETE', origin: 'GATEWAY' });
      expect(emulator.backups.names()).toContain(backup.externalId);
      expect(backup.collections.map((c: { name: string }) => c.name).sort()).toEqual(['book', 'medium_articles']);
      expect(backup.collections.every((c: { bytes: number | null }) => (c.bytes ?? 0) > 0)).toBe(true);
      expect(backup.artifacts.some((a: { external: boolean; location: string }) => a.external && a.location.includes(backup.externalId))).toBe(true);

      const restoreInput = { backupId, rename: [{ from: 'book', to: 'book_restored' }, { from: 'medium_articles', to: 'medium_articles_restored' }] };
      const planned = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } }`, { i: restoreInput });
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
      const recorded = await t.gql(`query($id: ID!) { job(id: $id) { plan { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } } }`, { id: job.id });
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
      const logical = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
      expect(logical.errors?.[0]?.extensions?.code).toBe('capability_not_supported');
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
