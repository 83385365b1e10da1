// upgradeStatus against the emulator's dumpless upgrade: each state, and which cancelations count as a rollback.
import { Meilisearch } from 'meilisearch';
import { afterEach, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../../test/emulators/meilisearch/server.ts';
import { meilisearchPlugin } from './index.ts';

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let emulator: MeilisearchEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function setUp(version: string) {
  emulator = await startMeilisearchEmulator({ version });
  await new Meilisearch({ host: emulator.url })
    .index('books')
    .addDocuments([{ id: 1 }])
    .waitTask();
  const instance = meilisearchPlugin.create(meilisearchPlugin.config.parse({ url: emulator.url }), { logger });
  const status = () => instance.upgradeStatus!(AbortSignal.timeout(5_000));
  return { emulator, status };
}

const cancel = async (e: MeilisearchEmulator, query: string) => ((await (await fetch(`${e.url}/tasks/cancel?${query}`, { method: 'POST' })).json()) as { taskUid: number }).taskUid;

describe('Meilisearch upgradeStatus', () => {
  it('is NONE without an upgrade task, then follows a failed upgrade and only the cancelations that match it', async () => {
    const { emulator: e, status } = await setUp('1.16.0');
    expect(await status()).toEqual({ state: 'NONE', from: null, to: null, taskUid: null, progress: null, error: null });
    e.upgrade.controls.failAfterIndexes = 0;
    e.upgrade.begin('1.15.0');
    for (let i = 0; i < 200 && (await status()).state !== 'FAILED'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await status()).toMatchObject({ state: 'FAILED', from: '1.15.0', to: '1.16.0', taskUid: 1, error: 'Planned failure for tests.' });
    // the scheduler is down: cancelations wait; one on an index cannot match the upgrade
    await cancel(e, 'indexUids=books');
    await cancel(e, 'types=documentAdditionOrUpdate');
    expect((await status()).state).toBe('FAILED');
    await cancel(e, 'uids=1');
    expect((await status()).state).toBe('ROLLING_BACK');
  });

  it('reports a rolled-back database as ROLLING_BACK until the previous version runs, then ROLLED_BACK', async () => {
    const { emulator: e, status } = await setUp('1.16.0');
    e.setOptions({ taskDelayMs: 2_000 });
    e.upgrade.begin('1.15.0');
    for (let i = 0; i < 200 && (await status()).state !== 'PROCESSING'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await status()).toMatchObject({ state: 'PROCESSING', progress: { step: 'Upgrading index `books`', completed: 0, total: 1 } });
    e.setOptions({ taskDelayMs: 0 });
    const uid = await cancel(e, 'types=upgradeDatabase');
    for (let i = 0; i < 200; i++) {
      const task = (await (await fetch(`${e.url}/tasks/${uid}`)).json()) as { status: string };
      if (task.status === 'succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await status()).toMatchObject({ state: 'ROLLING_BACK', error: 'the database is rolled back to v1.15.0: start Meilisearch v1.15.0 on it' });
    e.upgrade.restart('1.15.0');
    expect(await status()).toMatchObject({ state: 'ROLLED_BACK', from: '1.15.0', to: '1.16.0' });
  });
});
