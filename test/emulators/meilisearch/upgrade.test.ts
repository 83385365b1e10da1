// Dumpless upgrade: the upgradeDatabase task with per-index progress, cancelation → rollback, a
// failed upgrade that stops the scheduler until a restart, and the rollback milli refuses once an
// index was written again after its upgrade.
import { describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from './test-helpers.ts';

const until = async (check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> => {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

type TaskBody = { uid: number; status: string; type: string; details?: Record<string, unknown>; error: { code: string; message: string } | null };

async function seeded(): Promise<TestEmulator> {
  const test = await startTestEmulator({ version: '1.16.0' });
  await test.client
    .index('books')
    .addDocuments([{ id: 1 }])
    .waitTask();
  await test.client
    .index('movies')
    .addDocuments([{ id: 2 }])
    .waitTask();
  return test;
}

const tasksOf = async (t: TestEmulator, query: string): Promise<TaskBody[]> => ((await t.raw('GET', `/tasks?${query}`)).body as { results: TaskBody[] }).results;
const task = async (t: TestEmulator, uid: number): Promise<TaskBody> => (await t.raw('GET', `/tasks/${uid}`)).body as TaskBody;

describe('meilisearch emulator: dumpless upgrade', () => {
  it('started with upgradeFrom (MEILISEARCH_UPGRADE_FROM), registers and runs the upgrade task first', async () => {
    const t = await startTestEmulator({ version: '1.16.0', upgradeFrom: '1.14.2' });
    const created = await t.client.createIndex('later');
    await t.client.tasks.waitForTask(created.taskUid);
    const [upgrade] = await tasksOf(t, 'types=upgradeDatabase');
    expect(upgrade).toMatchObject({ uid: 0, status: 'succeeded', details: { upgradeFrom: 'v1.14.2', upgradeTo: 'v1.16.0' } });
    expect(((await t.raw('GET', '/batches/0')).body as { batchStrategy: string }).batchStrategy).toBe(
      'stopped after the last task of type `upgradeDatabase` because they cannot be batched with tasks of any other type.',
    );
  });

  it('processes the upgradeDatabase task first, index by index, with batch progress', async () => {
    const t = await seeded();
    t.emulator.setOptions({ taskDelayMs: 400 });
    t.emulator.upgrade.begin('1.15.0');
    const [upgrade] = await tasksOf(t, 'types=upgradeDatabase');
    expect(upgrade).toMatchObject({ type: 'upgradeDatabase', details: { upgradeFrom: 'v1.15.0', upgradeTo: 'v1.16.0' } });
    const later = await t.client.index('books').addDocuments([{ id: 3 }]);
    let seen = '';
    await until(async () => {
      const batches = (await t.raw('GET', '/batches')).body as { results: Array<{ progress: { steps: Array<{ currentStep: string }> } | null }> };
      seen = batches.results[0]?.progress?.steps.map((s) => s.currentStep).join(' > ') ?? '';
      return seen.includes('Upgrading index');
    });
    expect(seen).toMatch(/^processing tasks > upgrading user indexes > Upgrading index `(books|movies)`$/);
    expect((await task(t, later.taskUid)).status).toBe('enqueued');
    t.emulator.setOptions({ taskDelayMs: 0 });
    await t.client.tasks.waitForTask(later.taskUid);
    expect((await task(t, upgrade!.uid)).status).toBe('succeeded');
    expect((await task(t, later.taskUid)).status).toBe('succeeded');
  });

  it('cancelling the processing upgrade rolls every index back; tasks wait for the previous binary', async () => {
    const t = await seeded();
    t.emulator.setOptions({ taskDelayMs: 2_000 });
    t.emulator.upgrade.begin('1.15.0');
    const [upgrade] = await tasksOf(t, 'types=upgradeDatabase');
    await until(async () => (await task(t, upgrade!.uid)).status === 'processing');
    const cancel = (await t.raw('POST', '/tasks/cancel?types=upgradeDatabase')).body as { taskUid: number };
    t.emulator.setOptions({ taskDelayMs: 100 });
    await until(async () => (await task(t, cancel.taskUid)).status !== 'enqueued' && (await task(t, cancel.taskUid)).status !== 'processing');
    expect(await task(t, cancel.taskUid)).toMatchObject({ status: 'succeeded', details: { canceledTasks: 1 } });
    expect(await task(t, upgrade!.uid)).toMatchObject({ status: 'canceled', canceledBy: cancel.taskUid });
    // the task queue is back at v1.15.0: the v1.16 binary processes nothing more
    const blocked = await t.client.index('books').addDocuments([{ id: 9 }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await task(t, blocked.taskUid)).status).toBe('enqueued');
    t.emulator.upgrade.restart('1.15.0');
    await t.client.tasks.waitForTask(blocked.taskUid);
    expect(((await t.raw('GET', '/version')).body as { pkgVersion: string }).pkgVersion).toBe('1.15.0');
    expect((await t.client.index('movies').getDocuments()).results).toEqual([{ id: 2 }]);
  });

  it('a failed upgrade stops the scheduler; its cancelation runs after a restart and rolls back', async () => {
    const t = await seeded();
    t.emulator.upgrade.controls.failAfterIndexes = 1;
    t.emulator.upgrade.controls.restartAfterRollback = true;
    t.emulator.upgrade.begin('1.15.0');
    const [upgrade] = await tasksOf(t, 'types=upgradeDatabase');
    await until(async () => (await task(t, upgrade!.uid)).status === 'failed');
    expect((await task(t, upgrade!.uid)).error).toMatchObject({ code: 'internal', message: 'Planned failure for tests.' });
    const cancel = (await t.raw('POST', '/tasks/cancel?types=upgradeDatabase')).body as { taskUid: number };
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await task(t, cancel.taskUid)).status).toBe('enqueued');
    t.emulator.upgrade.restart();
    await t.client.tasks.waitForTask(cancel.taskUid);
    expect(await task(t, cancel.taskUid)).toMatchObject({ status: 'succeeded', details: { canceledTasks: 1 } });
    expect((await task(t, upgrade!.uid)).status).toBe('canceled');
    await until(async () => ((await t.raw('GET', '/version')).body as { pkgVersion: string }).pkgVersion === '1.15.0');
  });

  it('refuses the rollback once an index was written again after its upgrade (a retried upgrade)', async () => {
    const t = await seeded();
    t.emulator.upgrade.controls.failAfterIndexes = 1;
    t.emulator.upgrade.begin('1.15.0');
    const [upgrade] = await tasksOf(t, 'types=upgradeDatabase');
    await until(async () => (await task(t, upgrade!.uid)).status === 'failed');
    // restart: the failed upgrade is retried and fails again — `books` is committed a second time
    t.emulator.upgrade.controls.failAfterIndexes = 1;
    t.emulator.upgrade.restart();
    await until(async () => ((await t.raw('GET', '/batches?types=upgradeDatabase&statuses=failed')).body as { total: number }).total === 2);
    const cancel = (await t.raw('POST', '/tasks/cancel?types=upgradeDatabase')).body as { taskUid: number };
    t.emulator.upgrade.restart();
    await until(async () => (await task(t, cancel.taskUid)).status === 'failed');
    const failed = await task(t, cancel.taskUid);
    expect(failed.error).toMatchObject({ code: 'internal' });
    expect(failed.error!.message).toBe(
      'Failed to rollback for index `books`: cannot rollback to the requested version\n  - note: requested version is v1.15.0\n  - note: only possible to rollback to v1.16.0 ',
    );
    expect((await task(t, upgrade!.uid)).status).toBe('failed');
  });
});
