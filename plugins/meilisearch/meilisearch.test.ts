// The Meilisearch plugin against the in-process emulator: the shared contract, then what is
// specific to Meilisearch (settings, primary keys, masked secrets, keys, swap, versions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../../test/emulators/meilisearch/server.ts';
import { describeEnginePluginContract, makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { createTempStorage, createTestJob, openBackupSession, runBackup, runRestore, settleAfterCancel, type TempStorage } from '../../test/contract/harness.ts';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import { GatewayError } from '../../src/errors.ts';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { meilisearchPlugin, type MeilisearchConfig } from './index.ts';
import { startFaultProxy } from '../../test/faults/fault-proxy.ts';
import { meilisearchTestEngine, sampleSettings, type MeilisearchTestEngine } from './test/engine.ts';

const MASTER_KEY = 'contract-master-key-0123456789';
const SLOW = { taskDelayMs: 40, documentsDelayMs: 40 };
const FAST = { taskDelayMs: 0, documentsDelayMs: 0 };

type EmulatorOptions = Parameters<typeof startMeilisearchEmulator>[0];

type EmulatedEngine = MeilisearchTestEngine & { emulator: MeilisearchEmulator };

async function startEngine(options: EmulatorOptions = {}, config: Partial<MeilisearchConfig> = {}): Promise<EmulatedEngine> {
  const emulator = await startMeilisearchEmulator({ masterKey: MASTER_KEY, ...options });
  const engine = meilisearchTestEngine({
    url: emulator.url,
    apiKey: MASTER_KEY,
    // Small pages and batches so a few hundred documents already take several requests and tasks.
    config: { url: emulator.url, apiKey: MASTER_KEY, pageSize: 100, batchSize: 250, dumpsDir: emulator.dumpsDir, ...config },
    setSlow: (on) => emulator.setOptions(on ? SLOW : FAST),
    stop: () => emulator.close(),
  });
  return Object.assign(engine, { emulator });
}

function pluginFor(config: unknown): EngineInstance {
  return meilisearchPlugin.create(meilisearchPlugin.config.parse(config), { logger: createTestJob().ctx.logger });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}

describeEnginePluginContract({ plugin: meilisearchPlugin, startEngine: () => startEngine(), sampleSettings });

describe('meilisearch plugin specifics', () => {
  let engine: EmulatedEngine;
  let instance: EngineInstance;
  let temp: TempStorage;

  beforeAll(async () => {
    temp = await createTempStorage();
    engine = await startEngine();
    instance = pluginFor(engine.config);
  });
  afterAll(async () => {
    await engine?.stop();
    await temp?.cleanup();
  });

  it('keeps non-default settings and a primary key other than id', async () => {
    const documents = makeDocuments(20).map((document, i) => ({ ...document, sku: `sku-${i}` }));
    await engine.seedIndex('products', 'sku', documents, sampleSettings);
    const before = await engine.dump('products');
    const backup = await runBackup(meilisearchPlugin, instance, temp.storage, { collections: ['products'] });
    await engine.drop('products');

    await runRestore(instance, temp.storage, backup.backupId, { collections: ['products'], rename: {}, atomic: true });
    expect((await engine.sdk.getRawIndex('products')).primaryKey).toBe('sku');
    const after = await engine.dump('products');
    expect(after).toEqual(before);
    expect(after.settings).toMatchObject({ rankingRules: sampleSettings.rankingRules, faceting: { maxValuesPerFacet: 42 }, searchCutoffMs: 150 });
  });

  it('does not store masked embedder API keys, warns on backup and restore, and keeps stored vectors', async () => {
    const settings = {
      embedders: {
        manual: { source: 'userProvided' as const, dimensions: 3 },
        remote: { source: 'openAi' as const, apiKey: 'sk-this-is-a-very-secret-openai-key', dimensions: 3 },
      },
    };
    const documents = [{ id: 'v1', title: 'vector', _vectors: { manual: [0.1, 0.2, 0.3], remote: [0.3, 0.2, 0.1] } }];
    await engine.seedIndex('vectors', 'id', documents, settings);

    const backup = await runBackup(meilisearchPlugin, instance, temp.storage, { collections: ['vectors'] });
    expect(backup.result.warnings.join('\n')).toContain('embedders.remote.apiKey');
    const archive = await openArchiveReader({ storage: temp.storage, backupId: backup.backupId });
    const schema = JSON.stringify(await archive.readCollectionSchema('vectors'));
    expect(schema).not.toContain('XXX');
    expect(schema).not.toContain('sk-this');
    expect(schema).toContain('secretsRemoved');
    const stored: unknown[] = [];
    for await (const batch of archive.readDocuments('vectors', 10)) stored.push(...batch);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toHaveProperty('_vectors.manual');

    await engine.drop('vectors');
    const restored = await runRestore(instance, temp.storage, backup.backupId, { collections: ['vectors'], rename: {}, atomic: true });
    expect(restored.warnings.join('\n')).toContain('embedders.remote.apiKey');
  });

  it('keeps API keys metadata without the secret key values', async () => {
    const created = await engine.sdk.createKey({ name: 'reader', description: 'read only', actions: ['search'], indexes: ['*'], expiresAt: null });
    const backup = await runBackup(meilisearchPlugin, instance, temp.storage, { collections: null });
    const archive = await openArchiveReader({ storage: temp.storage, backupId: backup.backupId });
    const extra = (await archive.readExtra('keys')) as { keys: Record<string, unknown>[] };
    const reader = extra.keys.find((key) => key['uid'] === created.uid);
    expect(reader).toMatchObject({ name: 'reader', description: 'read only', actions: ['search'], indexes: ['*'], expiresAt: null });
    const secrets = (await engine.sdk.getKeys()).results.map((key) => key.key);
    const text = JSON.stringify(extra);
    for (const secret of [...secrets, MASTER_KEY]) expect(text).not.toContain(secret);
    for (const key of extra.keys) expect(key).not.toHaveProperty('key');
  });

  it('records a warning instead of failing when the API key may not list keys', async () => {
    await engine.seed([{ name: 'limited', documents: makeDocuments(3) }]);
    const limited = await engine.sdk.createKey({
      description: 'backup without keys.get',
      actions: ['indexes.get', 'settings.get', 'documents.get', 'stats.get', 'version'],
      indexes: ['*'],
      expiresAt: null,
    });
    const limitedPlugin = pluginFor({ ...(engine.config as object), apiKey: limited.key });
    const backup = await runBackup(meilisearchPlugin, limitedPlugin, temp.storage, { collections: ['limited'] });
    expect(backup.result.warnings.join('\n')).toMatch(/keys metadata not backed up/);
    expect(backup.manifest.collections.map((c) => c.name)).toEqual(['limited']);
  });

  it('keeps the old data readable in the target until the atomic swap', async () => {
    await engine.seed([{ name: 'swapped', documents: makeDocuments(600, 'archived') }]);
    const backup = await runBackup(meilisearchPlugin, instance, temp.storage, { collections: ['swapped'] });
    await engine.seed([{ name: 'swapped', documents: [{ id: 'old-marker', title: 'old' }] }]);

    const observations: { count: number; marker: boolean; staging: boolean }[] = [];
    let done = false;
    const observe = (async () => {
      while (!done) {
        const page = await engine.sdk.index('swapped').getDocuments({ limit: 1000 });
        const staging = (await engine.list()).some((uid) => /^__gwstage_[0-9a-f]{32}_swapped$/.test(uid));
        observations.push({ count: page.results.length, marker: page.results.some((d) => d['id'] === 'old-marker'), staging });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await engine.setSlow(true);
    try {
      await runRestore(instance, temp.storage, backup.backupId, { collections: ['swapped'], rename: {}, atomic: true });
    } finally {
      done = true;
      await observe;
      await engine.setSlow(false);
    }
    // Every read saw either the whole old index or the whole restored one, never a mix.
    for (const seen of observations)
      expect([
        { count: 1, marker: true },
        { count: 600, marker: false },
      ]).toContainEqual({ count: seen.count, marker: seen.marker });
    expect(observations.some((seen) => seen.staging && seen.marker)).toBe(true);
    const final = await engine.dump('swapped');
    expect(final.documents).toHaveLength(600);
    expect((await engine.list()).filter((uid) => uid.startsWith('__gwstage_'))).toEqual([]);
  });

  it('restores straight into the target without a staging index when not atomic', async () => {
    await engine.seed([{ name: 'direct', documents: makeDocuments(300) }]);
    const archived = await engine.dump('direct');
    const backup = await runBackup(meilisearchPlugin, instance, temp.storage, { collections: ['direct'] });
    await engine.drop('direct');
    const listings: Promise<string[]>[] = [];
    const job = createTestJob();
    job.ctx.progress = (update) => {
      job.updates.push(update);
      listings.push(engine.list());
    };
    await runRestore(instance, temp.storage, backup.backupId, { collections: ['direct'], rename: {}, atomic: false }, job);
    expect(await engine.dump('direct')).toEqual(archived);
    const seen = (await Promise.all(listings)).flat();
    expect(listings.length).toBeGreaterThan(1);
    expect(seen.filter((uid) => uid.startsWith('__gwstage_'))).toEqual([]);
  });

  it('backs up only the selected indexes', async () => {
    await engine.seed([
      { name: 'pick-a', documents: makeDocuments(4) },
      { name: 'pick-b', documents: makeDocuments(6) },
      { name: 'pick-c', documents: makeDocuments(8) },
    ]);
    const backup = await runBackup(meilisearchPlugin, instance, temp.storage, { collections: ['pick-c', 'pick-a'] });
    expect(backup.manifest.collections.map((c) => [c.name, c.documentCount]).sort()).toEqual([
      ['pick-a', 4],
      ['pick-c', 8],
    ]);
  });

  it('turns a failed engine task into restore_failed and drops the staging index', async () => {
    const { backupId, session } = openBackupSession(temp.storage);
    await session.writeCollectionSchema('broken', { uid: 'broken', primaryKey: 'id', settings: {} });
    const sink = session.openDocuments('broken');
    await sink.write([{ id: 'fine' }, { id: 'not a valid id!' }]);
    await sink.close();
    const now = new Date().toISOString();
    await session.finalize({ plugin: 'meilisearch', engineVersion: null, strategy: 'LOGICAL', type: 'FULL', createdAt: now, finishedAt: now, warnings: [] });
    await engine.seed([{ name: 'broken', documents: [{ id: 'live' }] }]);

    const error = await failure(runRestore(instance, temp.storage, backupId, { collections: ['broken'], rename: {}, atomic: true }));
    expect(error.code).toBe('restore_failed');
    expect(error.details?.['engineCode']).toBe('invalid_document_id');
    expect((await engine.dump('broken')).documents).toEqual([{ id: 'live' }]);
    expect((await engine.list()).filter((uid) => uid.startsWith('__gwstage_'))).toEqual([]);
  });

  it('skips a setting the server does not know, with a warning', async () => {
    const { backupId, session } = openBackupSession(temp.storage);
    await session.writeCollectionSchema('future', { uid: 'future', primaryKey: 'id', settings: { stopWords: ['of'], settingFromTheFuture: true } });
    const sink = session.openDocuments('future');
    await sink.write([{ id: 'one' }]);
    await sink.close();
    const now = new Date().toISOString();
    await session.finalize({ plugin: 'meilisearch', engineVersion: '9.0.0', strategy: 'LOGICAL', type: 'FULL', createdAt: now, finishedAt: now, warnings: [] });

    const result = await runRestore(instance, temp.storage, backupId, { collections: ['future'], rename: {}, atomic: true });
    expect(result.warnings.join('\n')).toContain('settingFromTheFuture');
    expect((await engine.dump('future')).settings).toMatchObject({ stopWords: ['of'] });
  });

  it('maps a wrong or missing API key to engine_auth_failed with the engine code, like every plugin', async () => {
    const error = await failure(pluginFor({ ...(engine.config as object), apiKey: 'wrong-key' }).listCollections(AbortSignal.timeout(5000)));
    expect(error.code).toBe('engine_auth_failed');
    expect(error.details).toMatchObject({ engineCode: 'invalid_api_key', status: 403 });
    const { apiKey: _apiKey, ...withoutKey } = engine.config as Record<string, unknown>;
    const missing = await failure(pluginFor(withoutKey).listCollections(AbortSignal.timeout(5000)));
    expect(missing.code).toBe('engine_auth_failed');
    expect(missing.details).toMatchObject({ engineCode: 'missing_authorization_header', status: 401 });
  });

  it('maps a slow answer to engine_timeout', async () => {
    const slow = await startEngine({ documentsDelayMs: 1000 }, { timeoutMs: 200 });
    const { session } = openBackupSession(temp.storage);
    try {
      await slow.seed([{ name: 'slow', documents: makeDocuments(5) }]);
      const error = await failure(pluginFor(slow.config).logicalBackup!({ collections: ['slow'] }, session, createTestJob().ctx));
      expect(error.code).toBe('engine_timeout');
    } finally {
      await session.abort();
      await slow.stop();
    }
  });

  it('aborts an in-flight document read when canceled', async () => {
    const sluggish = await startEngine();
    // The plugin reads through a proxy that never answers a documents read: the job can only end if the read is aborted.
    const proxy = await startFaultProxy(sluggish.emulator.url);
    const { session } = openBackupSession(temp.storage);
    try {
      await sluggish.seed([{ name: 'sluggish', documents: makeDocuments(5) }]);
      const job = createTestJob();
      proxy.setPlan((request) => {
        if (!/\/documents/.test(request.path)) return { kind: 'pass' };
        setImmediate(() => job.cancel()); // canceled once the read is in flight
        return { kind: 'hang' };
      });
      const plugin = pluginFor({ ...(sluggish.config as object), url: proxy.url, timeoutMs: 600_000 });
      const outcome = await settleAfterCancel(plugin.logicalBackup!({ collections: ['sluggish'] }, session, job.ctx), job);
      expect(outcome.error).toBeInstanceOf(GatewayError);
      expect((outcome.error as GatewayError).code).toBe('job_canceled');
      expect(proxy.log.filter((entry) => /\/documents/.test(entry.path)).map((entry) => entry.fault)).toEqual(['hang']);
    } finally {
      await session.abort();
      await proxy.close();
      await sluggish.stop();
    }
  });

  it('stops waiting for a slow engine task when canceled and still drops the staging index', async () => {
    const sluggish = await startEngine();
    try {
      await sluggish.seed([{ name: 'waited', documents: makeDocuments(50) }]);
      const sluggishPlugin = pluginFor(sluggish.config);
      const backup = await runBackup(meilisearchPlugin, sluggishPlugin, temp.storage, { collections: ['waited'] });
      await sluggish.seed([{ name: 'waited', documents: makeDocuments(3, 'live') }]);
      const live = await sluggish.dump('waited');
      // A task now takes longer than the test may run: the first staging task only ends if the plugin cancels it.
      sluggish.emulator.setOptions({ taskDelayMs: 600_000 });
      const job = createTestJob();
      const restore = settleAfterCancel(runRestore(sluggishPlugin, temp.storage, backup.backupId, { collections: ['waited'], rename: {}, atomic: true }, job), job);
      const stagingTasks = async () => (await sluggish.sdk.tasks.getTasks({ limit: 100 })).results.filter((task) => task.indexUid?.startsWith('__gwstage_'));
      let waitedOn: number | undefined;
      await until(async () => (waitedOn = (await stagingTasks()).find((task) => task.status === 'processing')?.uid) !== undefined);
      job.cancel();
      // The plugin cancels the task it was waiting for; then its cleanup (the staging index's deletion) may run at full speed.
      await until(async () => (await sluggish.sdk.tasks.getTask(waitedOn!)).status === 'canceled');
      sluggish.emulator.setOptions({ taskDelayMs: 0 });
      const outcome = await restore;
      expect((outcome.error as GatewayError).code).toBe('job_canceled');
      expect(await sluggish.dump('waited')).toEqual(live);
      expect((await sluggish.list()).filter((uid) => uid.startsWith('__gwstage_'))).toEqual([]);
    } finally {
      sluggish.emulator.setOptions({ taskDelayMs: 0 });
      await sluggish.stop();
    }
  });

  for (const version of ['1.12.0', '1.18.0']) {
    it(`restores into a new index name atomically on v${version}`, async () => {
      const old = await startEngine({ version });
      try {
        await old.seed([{ name: 'src', documents: makeDocuments(120) }]);
        const archived = await old.dump('src');
        const oldPlugin = pluginFor(old.config);
        const backup = await runBackup(meilisearchPlugin, oldPlugin, temp.storage, { collections: ['src'] });
        expect(backup.result.engineVersion).toBe(version);
        await runRestore(oldPlugin, temp.storage, backup.backupId, { collections: ['src'], rename: { src: 'fresh' }, atomic: true });
        expect(await old.dump('fresh')).toEqual(archived);
        expect((await old.list()).sort()).toEqual(['fresh', 'src']);
      } finally {
        await old.stop();
      }
    });
  }

  it('adds documents with their primary key and waits for every task', async () => {
    await engine.seed([{ name: 'counted', documents: makeDocuments(777) }]);
    const backup = await runBackup(meilisearchPlugin, instance, temp.storage, { collections: ['counted'] });
    await engine.drop('counted');
    const job = createTestJob();
    const result = await runRestore(instance, temp.storage, backup.backupId, { collections: ['counted'], rename: {}, atomic: true }, job);
    expect(result.collections).toEqual([{ source: 'counted', target: 'counted', documentCount: 777 }]);
    expect((await engine.sdk.index('counted').getStats()).numberOfDocuments).toBe(777);
    const documentsProgress = job.updates.filter((update) => update.phase === 'documents');
    expect(documentsProgress.at(-1)).toMatchObject({ completed: 777, total: 777, unit: 'documents' });
  });
});

/** Polls `check` until it holds (the test's own timeout guards against a hang). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
