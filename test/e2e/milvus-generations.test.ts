// The same backup → restore round trip against every emulated milvus-backup generation (v0.5.9, v0.5.16,
// v0.6.0 with its default Milvus), then across versions: a 0.5 backup restored after upgrading to 0.6 and
// Milvus 3, and the snapshot-format backups the restore plan must refuse before anything starts (into a
// pre-3.0 Milvus, or through a 0.5 milvus-backup that would create empty collections).
import { afterEach, describe, expect, it } from 'vitest';
import { GENERATIONS, startMilvusBackupEmulator, type MilvusBackupEmulator } from '../emulators/milvus-backup/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const FILMS = Array.from({ length: 25 }, (_, i) => ({ id: `f${String(i).padStart(2, '0')}`, title: `film ${i}`, year: 1990 + i }));
const PLAN = `verdict targetEngineVersion warnings refusals { code message } collections { source target action }`;

let emulator: MilvusBackupEmulator | undefined;
let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  await emulator?.close();
  t = undefined;
  emulator = undefined;
});

async function setUp(options: Parameters<typeof startMilvusBackupEmulator>[0]): Promise<{ emulator: MilvusBackupEmulator; t: TestGateway; engineId: string }> {
  emulator = await startMilvusBackupEmulator({ stepDelayMs: 2, ...options });
  emulator.milvus.create({ name: 'films', documents: FILMS });
  t = await startTestGateway();
  const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
    i: { name: 'milvus', plugin: 'milvus', config: { url: emulator.url, pollIntervalMs: 10 } },
  });
  expect(registered.errors).toBeUndefined();
  return { emulator, t, engineId: registered.data!.registerEngine.id };
}

async function backUp(gateway: TestGateway, engineId: string, name: string, options?: Record<string, unknown>): Promise<{ id: string; engineFormat: string | null }> {
  const started = await gateway.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, {
    i: { engineId, strategy: 'NATIVE', name, collections: ['films'], ...(options ? { options } : {}) },
  });
  expect(started.errors).toBeUndefined();
  const job = await waitForJob(gateway, started.data!.startBackup.id);
  expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
  const backup = await gateway.gateway.prisma.backup.findUniqueOrThrow({ where: { id: started.data!.startBackup.backup.id } });
  return { id: backup.id, engineFormat: backup.engineFormat };
}

const restoreInput = (backupId: string, target: string) => ({ backupId, rename: [{ from: 'films', to: target }] });

async function restore(gateway: TestGateway, backupId: string, target: string): Promise<Record<string, any>> {
  const started = await gateway.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: restoreInput(backupId, target) });
  expect(started.errors).toBeUndefined();
  return waitForJob(gateway, started.data!.startRestore.id);
}

const documents = (name: string) => emulator!.milvus.get('default', name)?.documents;

describe('milvus-backup round trip in every generation', () => {
  for (const generation of GENERATIONS) {
    it(`${generation}: backup, restore under a new name, the documents come back equal`, async () => {
      const { t, engineId, emulator } = await setUp({ generation });
      const backup = await backUp(t, engineId, `films_${generation.replace(/\W/g, '')}`);
      // 0.6 on its default Milvus 3.0 writes snapshots (auto); a 0.5 tool only writes binlogs.
      expect(backup.engineFormat).toBe(generation === 'v0.6.0' ? 'snapshot' : 'binlog');
      const shown = await t.gql(`query($id: ID!) { backup(id: $id) { engineFormat } }`, { id: backup.id });
      expect(shown.data!.backup.engineFormat).toBe(backup.engineFormat);
      const plan = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN} } }`, { i: restoreInput(backup.id, 'films_back') });
      expect(plan.data!.planRestore).toMatchObject({ verdict: 'OK', targetEngineVersion: emulator.milvus.version, refusals: [] });
      const job = await restore(t, backup.id, 'films_back');
      expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
      expect(documents('films_back')).toEqual(FILMS);
    });
  }
});

describe('milvus-backup across versions', () => {
  it('a 0.5 backup (binlog, Milvus 2.5) restores after upgrading to milvus-backup 0.6 and Milvus 3.0', async () => {
    const { t, engineId, emulator } = await setUp({ generation: 'v0.5.16' });
    const backup = await backUp(t, engineId, 'before_upgrade');
    expect(backup.engineFormat).toBe('binlog');
    emulator.restart();
    emulator.setOptions({ generation: 'v0.6.0', milvusVersion: 'v3.0.1' });
    const plan = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN} } }`, { i: restoreInput(backup.id, 'films_upgraded') });
    expect(plan.data!.planRestore).toMatchObject({ verdict: 'OK', targetEngineVersion: 'v3.0.1' });
    const job = await restore(t, backup.id, 'films_upgraded');
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(documents('films_upgraded')).toEqual(FILMS);
  });

  it('a snapshot-format backup is refused by the plan for a pre-3.0 Milvus and for a 0.5 milvus-backup, before anything is sent', async () => {
    const { t, engineId, emulator } = await setUp({ generation: 'v0.6.0' });
    const snapshot = await backUp(t, engineId, 'snap_films');
    const binlog = await backUp(t, engineId, 'binlog_films', { format: 'binlog' });
    expect([snapshot.engineFormat, binlog.engineFormat]).toEqual(['snapshot', 'binlog']);

    emulator.setOptions({ milvusVersion: 'v2.5.4' });
    const plan = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN} } }`, { i: restoreInput(snapshot.id, 'films_old') });
    expect(plan.data!.planRestore.verdict).toBe('REFUSED');
    expect(plan.data!.planRestore.refusals).toEqual([{ code: 'restore_refused', message: expect.stringMatching(/Milvus 3\.0 or newer.*v2\.5\.4/) }]);
    const refused = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: restoreInput(snapshot.id, 'films_old') });
    expect(refused.errors?.[0]?.extensions?.code).toBe('restore_refused');
    expect(emulator.exchanges.some((e) => e.path === '/api/v1/restore')).toBe(false);
    // The binlog-format backup of the same 0.6 server goes into Milvus 2.5.
    const job = await restore(t, binlog.id, 'films_old');
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(documents('films_old')).toEqual(FILMS);

    emulator.setOptions({ generation: 'v0.5.16', milvusVersion: 'v3.0.1' });
    const downgraded = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN} } }`, { i: restoreInput(snapshot.id, 'films_via_05') });
    expect(downgraded.data!.planRestore.verdict).toBe('REFUSED');
    expect(downgraded.data!.planRestore.refusals[0].message).toMatch(/milvus-backup v0\.5\.10\+ cannot read it/);
    expect(emulator.exchanges.filter((e) => e.path === '/api/v1/restore')).toHaveLength(1);
  });

  it('format snapshot asked of a 0.5 milvus-backup is refused, not silently written as binlogs', async () => {
    const { t, engineId } = await setUp({ generation: 'v0.5.16' });
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, {
      i: { engineId, strategy: 'NATIVE', name: 'snap_on_05', collections: ['films'], options: { format: 'snapshot' } },
    });
    const job = await waitForJob(t, started.data!.startBackup.id);
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'capability_not_supported' } });
  });
});
