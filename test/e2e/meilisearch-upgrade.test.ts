// Engine upgrades through GraphQL against the Meilisearch emulator's dumpless upgrade: the upgrade followed live
// by an UPGRADE_WATCH job while backups are refused with engine_upgrading; rollbackEngineUpgrade of a processing
// and of a failed upgrade (per-index events, previous version back, indexes intact); the rollback Meilisearch
// refuses, naming the safety copy; prepareEngineUpgrade's verified, pinned copies restored into a newer version.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const UPGRADE = `upgrade { state from to taskUid progress { step completed total percentage } error job { id kind status } }`;
const emulators: MeilisearchEmulator[] = [];
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
  await Promise.all(emulators.map((e) => e.close()));
});

/** A populated emulator registered as an engine: books (3 documents) and movies (2). */
async function engineOn(version: string, name: string): Promise<{ emulator: MeilisearchEmulator; engineId: string }> {
  const emulator = await startMeilisearchEmulator({ version });
  emulators.push(emulator);
  const client = new Meilisearch({ host: emulator.url });
  await client
    .index('books')
    .addDocuments([{ id: 1 }, { id: 2 }, { id: 3 }])
    .waitTask();
  await client
    .index('movies')
    .addDocuments([
      { id: 1, title: 'Alien' },
      { id: 2, title: 'Heat' },
    ])
    .waitTask();
  const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
    i: { name, plugin: 'meilisearch', config: { url: emulator.url, dumpsDir: emulator.dumpsDir } },
  });
  expect(res.errors).toBeUndefined();
  return { emulator, engineId: res.data!.registerEngine.id };
}

async function upgradeOf(engineId: string): Promise<Record<string, any>> {
  const res = await t.gql(`query($id: ID!) { engine(id: $id) { ${UPGRADE} } }`, { id: engineId });
  expect(res.errors).toBeUndefined();
  return res.data!.engine.upgrade;
}

async function untilState(engineId: string, state: string): Promise<Record<string, any>> {
  for (let i = 0; i < 400; i++) {
    const upgrade = await upgradeOf(engineId);
    if (upgrade.state === state) return upgrade;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`upgrade never reached ${state}`);
}

async function eventsOf(jobId: string): Promise<Array<{ status: string; phase: string; message: string | null }>> {
  const res = await t.gql(`query($id: ID!) { job(id: $id) { events(last: 200) { status phase message } } }`, { id: jobId });
  return res.data!.job.events;
}

/** Follows a job over the jobUpdated subscription, calling `onUpdate` with each update, until it ends. */
async function follow(jobId: string, onUpdate: (job: Record<string, any>) => void = () => undefined): Promise<Array<Record<string, any>>> {
  const updates: Array<Record<string, any>> = [];
  const query = `subscription($id: ID!) { jobUpdated(id: $id) { id kind status progress { phase completed total message } error { code message } } }`;
  for await (const message of t.subscribe(query, { id: jobId })) {
    updates.push(message.data!.jobUpdated);
    onUpdate(message.data!.jobUpdated);
  }
  return updates;
}

const startBackup = (engineId: string) => t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
const rollback = (engineId: string) => t.gql(`mutation($e: ID!) { rollbackEngineUpgrade(engineId: $e) { id kind status } }`, { e: engineId });

async function countsOf(emulator: MeilisearchEmulator): Promise<Record<string, number>> {
  const client = new Meilisearch({ host: emulator.url });
  const { results } = await client.getIndexes();
  const counts: Record<string, number> = {};
  for (const index of results) counts[index.uid] = (await client.index(index.uid).getStats()).numberOfDocuments;
  return counts;
}

describe('Meilisearch engine upgrades through GraphQL', () => {
  it('follows a running upgrade live with an UPGRADE_WATCH job and refuses backups with engine_upgrading', async () => {
    const { emulator, engineId } = await engineOn('1.16.0', 'meili-live');
    emulator.setOptions({ taskDelayMs: 3_000 });
    emulator.upgrade.begin('1.15.0');
    const upgrade = await untilState(engineId, 'PROCESSING');
    expect(upgrade).toMatchObject({ from: '1.15.0', to: '1.16.0', job: { kind: 'UPGRADE_WATCH' } });

    const refused = await startBackup(engineId);
    expect(refused.errors?.[0]?.extensions?.code).toBe('engine_upgrading');
    expect(refused.errors?.[0]?.message).toMatch(/PROCESSING upgrade v1\.15\.0 → v1\.16\.0/);

    // jobEvents of the engine, as the dashboard follows it: the watch job's progress live, then its end
    const updates: Array<Record<string, any>> = [];
    const query = `subscription($e: ID!) { jobEvents(engineId: $e) { id kind status progress { phase completed total message } } }`;
    for await (const message of t.subscribe(query, { e: engineId })) {
      const job = message.data!.jobEvents;
      if (job.id !== upgrade.job.id) continue;
      updates.push(job);
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) break;
    }
    emulator.setOptions({ taskDelayMs: 0 });
    expect(
      updates.some((u) => u.status === 'RUNNING' && /^Upgrading index `(books|movies)`$/.test(u.progress.phase)),
      JSON.stringify(updates),
    ).toBe(true);
    expect(updates.at(-1)).toMatchObject({ kind: 'UPGRADE_WATCH', status: 'SUCCEEDED', progress: { message: 'upgrade v1.15.0 → v1.16.0 succeeded' } });
    const phases = (await eventsOf(upgrade.job.id)).map((e) => e.phase);
    expect(
      phases.some((p) => /^Upgrading index `(books|movies)`$/.test(p)),
      phases.join(', '),
    ).toBe(true);

    expect((await upgradeOf(engineId)).state).toBe('NONE');
    const accepted = await startBackup(engineId);
    expect(accepted.errors).toBeUndefined();
    expect((await waitForJob(t, accepted.data!.startBackup.id)).status).toBe('SUCCEEDED');
  });

  it('rolls a processing upgrade back: per-index events, v1.15.0 reported again, every index intact', async () => {
    const { emulator, engineId } = await engineOn('1.16.0', 'meili-processing');
    const before = await countsOf(emulator);
    emulator.upgrade.controls.restartAfterRollback = true;
    emulator.setOptions({ taskDelayMs: 2_000 });
    emulator.upgrade.begin('1.15.0');
    await untilState(engineId, 'PROCESSING');
    const started = await rollback(engineId);
    expect(started.errors).toBeUndefined();
    expect(started.data!.rollbackEngineUpgrade).toMatchObject({ kind: 'UPGRADE_ROLLBACK' });
    emulator.setOptions({ taskDelayMs: 400 });
    const job = await waitForJob(t, started.data!.rollbackEngineUpgrade.id, 30_000);
    emulator.setOptions({ taskDelayMs: 0 });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(job.progress.phase).toBe('done');

    const phases = (await eventsOf(job.id)).map((e) => e.phase);
    expect(phases).toEqual(expect.arrayContaining(['Rollbacking index `books`', 'Rollbacking index `movies`', 'checking index `books`', 'checking index `movies`']));
    const health = await t.gql(`query($id: ID!) { engine(id: $id) { health { version } ${UPGRADE} } }`, { id: engineId });
    expect(health.data!.engine.health.version).toBe('1.15.0');
    expect(health.data!.engine.upgrade).toMatchObject({ state: 'ROLLED_BACK', from: '1.15.0', to: '1.16.0' });
    expect(await countsOf(emulator)).toEqual(before);
  });

  it('rolls a failed upgrade back once Meilisearch is restarted to process the cancelation', async () => {
    const { emulator, engineId } = await engineOn('1.16.0', 'meili-failed');
    emulator.upgrade.controls.failAfterIndexes = 1;
    emulator.upgrade.controls.restartAfterRollback = true;
    emulator.upgrade.begin('1.15.0');
    const failed = await untilState(engineId, 'FAILED');
    expect(failed.error).toBe('Planned failure for tests.');
    expect((await startBackup(engineId)).errors?.[0]?.extensions?.code).toBe('engine_upgrading');

    const started = await rollback(engineId);
    expect(started.errors).toBeUndefined();
    let restarted = false;
    const updates = await follow(started.data!.rollbackEngineUpgrade.id, (job) => {
      // the operator restarts Meilisearch (same binary) when the job says so
      if (!restarted && /restart it \(same binary\)/.test(job.progress.message ?? '')) {
        restarted = true;
        emulator.upgrade.restart();
      }
    });
    expect(restarted).toBe(true);
    expect(updates.at(-1)).toMatchObject({ status: 'SUCCEEDED' });
    const phases = (await eventsOf(started.data!.rollbackEngineUpgrade.id)).map((e) => e.phase);
    expect(phases).toEqual(expect.arrayContaining(['waiting for the cancelation', 'checking index `books`', 'checking index `movies`']));
    expect(await countsOf(emulator)).toEqual({ books: 3, movies: 2 });
    expect((await upgradeOf(engineId)).state).toBe('ROLLED_BACK');
  });

  it('takes a verified, pinned safety copy; an impossible rollback names it; both copies restore into a newer version', async () => {
    const { emulator, engineId } = await engineOn('1.15.0', 'meili-prepare');
    const prepared = await t.gql(
      `mutation($e: ID!) { prepareEngineUpgrade(engineId: $e, targetVersion: "1.16.0") {
        from to label notes copies { strategy restoresInto backupJobId verifyJobId backup { id name status pinned labels verifiedAt } } } }`,
      { e: engineId },
    );
    expect(prepared.errors).toBeUndefined();
    const preparation = prepared.data!.prepareEngineUpgrade;
    expect(preparation).toMatchObject({ from: '1.15.0', to: '1.16.0', label: 'pre-upgrade:1.15.0→1.16.0' });
    expect(preparation.copies.map((c: { strategy: string }) => c.strategy)).toEqual(['NATIVE', 'LOGICAL']);
    for (const copy of preparation.copies) {
      expect(copy.backup).toMatchObject({ status: 'COMPLETE', pinned: true, labels: { 'pre-upgrade': '1.15.0→1.16.0' } });
      expect(copy.backup.verifiedAt).not.toBeNull();
      expect((await waitForJob(t, copy.verifyJobId)).status).toBe('SUCCEEDED');
    }
    expect(preparation.copies[0].restoresInto).toMatch(/v1\.15\.0 and newer/);

    // the upgrade fails, is retried on restart (books committed again) and fails again: no rollback possible
    emulator.upgrade.controls.failAfterIndexes = 1;
    emulator.upgrade.begin('1.15.0', '1.16.0');
    await untilState(engineId, 'FAILED');
    emulator.upgrade.controls.failAfterIndexes = 1;
    emulator.upgrade.restart();
    for (let failures = 0; failures < 2;) {
      const res = await fetch(`${emulator.url}/batches?types=upgradeDatabase&statuses=failed`);
      failures = ((await res.json()) as { total: number }).total;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const started = await rollback(engineId);
    expect(started.errors).toBeUndefined();
    await follow(started.data!.rollbackEngineUpgrade.id, (job) => {
      if (/restart it \(same binary\)/.test(job.progress.message ?? '')) emulator.upgrade.restart();
    });
    const job = await waitForJob(t, started.data!.rollbackEngineUpgrade.id);
    expect(job.status).toBe('FAILED');
    expect(job.error.code).toBe('upgrade_rollback_impossible');
    expect(job.error.message).toContain('cannot rollback to the requested version');
    expect(job.error.message).toContain('Meilisearch requires a restart (same v1.16.0 binary) to retry the upgrade');
    expect(job.error.message).toContain(`Restore the data from the safety copy "${preparation.copies[1].backup.name}"`);

    // both copies restore into a newer emulated Meilisearch
    for (const copy of preparation.copies) {
      const target = await engineOn('1.17.0', `meili-target-${copy.strategy.toLowerCase()}`);
      const client = new Meilisearch({ host: target.emulator.url });
      await client.deleteIndex('books').waitTask();
      await client.deleteIndex('movies').waitTask();
      const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId: copy.backup.id, engineId: target.engineId } });
      expect(restore.errors, JSON.stringify(restore.errors)).toBeUndefined();
      const restored = await waitForJob(t, restore.data!.startRestore.id);
      expect(restored.status, JSON.stringify(restored.error)).toBe('SUCCEEDED');
      expect(await countsOf(target.emulator)).toEqual({ books: 3, movies: 2 });
    }
  });
});
