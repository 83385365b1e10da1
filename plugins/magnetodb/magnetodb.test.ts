// The MagnetoDB plugin against the in-process emulator: the shared contract, then what is specific to
// MagnetoDB (typed values, LSIs, unprocessed items, no swap for atomic restores, auth and errors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator, type MagnetoDbEmulatorOptions } from '../../test/emulators/magnetodb/server.ts';
import type { TypedItem } from '../../test/emulators/magnetodb/test-helpers.ts';
import { describeEnginePluginContract, makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { createTempStorage, createTestJob, openBackupSession, progressProblems, runBackup, runRestore, settleAfterCancel, type TempStorage } from '../../test/contract/harness.ts';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import { GatewayError } from '../../src/errors.ts';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { magnetodbPlugin, type MagnetoDbConfig } from './index.ts';
import { magnetoDbTestEngine, sampleSettings, type MagnetoDbTestEngine } from './test/engine.ts';

const PROJECT = 'gateway-tests';
const SLOW = { scanDelayMs: 60, writeDelayMs: 60 };
const FAST = { scanDelayMs: 0, writeDelayMs: 0 };

type EmulatedEngine = MagnetoDbTestEngine & { emulator: MagnetoDbEmulator };

async function startEngine(options: MagnetoDbEmulatorOptions = {}, config: Partial<MagnetoDbConfig> = {}): Promise<EmulatedEngine> {
  const emulator = await startMagnetoDbEmulator({ createDelayMs: 10, ...options });
  const engine = magnetoDbTestEngine({
    url: emulator.url,
    token: emulator.token,
    projectId: PROJECT,
    // Small pages so a few hundred items already take several scans; fast retries.
    config: { url: emulator.url, projectId: PROJECT, token: emulator.token, pageSize: 100, retryBaseDelayMs: 5, ...config },
    setSlow: (on) => emulator.setOptions(on ? SLOW : FAST),
    stop: () => emulator.close(),
  });
  return Object.assign(engine, { emulator });
}

function pluginFor(config: unknown): EngineInstance {
  return magnetodbPlugin.create(magnetodbPlugin.config.parse(config), { logger: createTestJob().ctx.logger });
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

/** A forum table with a range key and a local secondary index, like MagnetoDB's own samples. */
const THREADS = {
  attribute_definitions: [
    { attribute_name: 'forum', attribute_type: 'S' },
    { attribute_name: 'subject', attribute_type: 'S' },
    { attribute_name: 'posted', attribute_type: 'N' },
  ],
  key_schema: [
    { attribute_name: 'forum', key_type: 'HASH' },
    { attribute_name: 'subject', key_type: 'RANGE' },
  ],
  local_secondary_indexes: [
    {
      index_name: 'by_posted',
      key_schema: [
        { attribute_name: 'forum', key_type: 'HASH' },
        { attribute_name: 'posted', key_type: 'RANGE' },
      ],
      projection: { projection_type: 'INCLUDE', non_key_attributes: ['score'] },
    },
  ],
};

function thread(i: number): TypedItem {
  return {
    forum: { S: `forum-${i % 3}` },
    subject: { S: `subject ${String(i).padStart(4, '0')}` },
    posted: { N: `${1_700_000_000_000 + i}` },
    score: { N: i % 2 === 0 ? '1.10' : '-0.000123' },
    views: { N: `${12_345_678_901_234_567_890n + BigInt(i)}` },
    avatar: { B: Buffer.from([0, 255, i % 256, 7]).toString('base64') },
    tags: { SS: ['b', 'a', `t${i % 5}`] },
    ratings: { NS: ['10', '2.5', `${i}`] },
    blobs: { BS: ['AQ==', 'Ag=='] },
    counters: { SNM: { likes: `${i}`, shares: '0.5' } },
  };
}

async function seedThreads(engine: MagnetoDbTestEngine, table: string, count: number): Promise<void> {
  await engine.http.dropTable(table);
  await engine.http.createTable({ table_name: table, ...THREADS });
  await engine.http.waitActive(table);
  await engine.http.putItems(
    table,
    Array.from({ length: count }, (_, i) => thread(i)),
  );
}

describeEnginePluginContract({
  plugin: magnetodbPlugin,
  startEngine: () => startEngine(),
  sampleSettings,
  notApplicable: { atomicReplace: 'MagnetoDB has no table rename or swap: an atomic restore over a live table is refused with invalid_input (tested below)' },
});

describe('magnetodb plugin specifics', () => {
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

  it('round-trips typed values exactly and the schema with its LSI: backup, drop, restore', async () => {
    await seedThreads(engine, 'threads', 240);
    const schema = await engine.schema('threads');
    const items = await engine.items('threads');
    expect(items).toHaveLength(240);

    const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['threads'] });
    expect(backup.manifest.collections).toMatchObject([{ name: 'threads', documentCount: 240 }]);
    const archive = await openArchiveReader({ storage: temp.storage, backupId: backup.backupId });
    expect(await archive.readCollectionSchema('threads')).toMatchObject({
      table_name: 'threads',
      key_schema: THREADS.key_schema,
      local_secondary_indexes: THREADS.local_secondary_indexes,
    });
    const stored: TypedItem[] = [];
    for await (const batch of archive.readDocuments('threads', 100)) stored.push(...(batch as TypedItem[]));
    const first = stored.find((item) => item['subject']!['S'] === 'subject 0000')!;
    // Typed and exact in the archive: numbers stay strings, big integers are not rounded, sets are sets.
    expect(first).toEqual({ ...thread(0), tags: { SS: ['a', 'b', 't0'] }, ratings: { NS: ['0', '2.5', '10'] }, views: { N: '12345678901234567890' } });

    await engine.drop('threads');
    const restored = await runRestore(instance, temp.storage, backup.backupId, { collections: ['threads'], rename: {}, atomic: true });
    expect(restored.collections).toEqual([{ source: 'threads', target: 'threads', documentCount: 240 }]);
    expect(await engine.schema('threads')).toEqual(schema);
    expect(await engine.items('threads')).toEqual(items);
    // The LSI works on the restored table.
    const byPosted = await engine.http.data('threads', 'query', {
      index_name: 'by_posted',
      key_conditions: { forum: { comparison_operator: 'EQ', attribute_value_list: [{ S: 'forum-1' }] } },
      scan_index_forward: false,
      limit: 1,
    });
    expect(byPosted.items[0].posted).toEqual({ N: `${1_700_000_000_000 + 238}` });
  });

  it('restores under a new name, leaving the source table alone', async () => {
    await seedThreads(engine, 'threads_src', 60);
    const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['threads_src'] });
    await engine.http.putItems('threads_src', [{ ...thread(999), subject: { S: 'only live' } }]);
    const live = await engine.items('threads_src');

    const result = await runRestore(instance, temp.storage, backup.backupId, { collections: ['threads_src'], rename: { threads_src: 'threads_copy' }, atomic: true });
    expect(result.collections).toEqual([{ source: 'threads_src', target: 'threads_copy', documentCount: 60 }]);
    expect(await engine.schema('threads_copy')).toEqual(await engine.schema('threads_src'));
    expect(await engine.items('threads_copy')).toEqual(live.filter((item) => item['subject']!['S'] !== 'only live'));
    expect(await engine.items('threads_src')).toEqual(live);
  });

  it('lands every item when MagnetoDB leaves some unprocessed, with each retry logged and in the progress', async () => {
    await seedThreads(engine, 'loaded', 300);
    const items = await engine.items('loaded');
    const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['loaded'] });
    await engine.drop('loaded');
    const before = engine.emulator.stats();

    engine.emulator.setOptions({ unprocessedRate: 0.3 });
    const job = createTestJob();
    try {
      await runRestore(instance, temp.storage, backup.backupId, { collections: ['loaded'], rename: {}, atomic: true }, job);
    } finally {
      engine.emulator.setOptions({ unprocessedRate: 0 });
    }
    expect(await engine.items('loaded')).toEqual(items);
    const stats = engine.emulator.stats();
    expect(stats.unprocessedReturned).toBeGreaterThan(before.unprocessedReturned);
    expect(Math.max(...stats.batchWriteSizes.slice(before.batchWriteSizes.length))).toBe(25);

    const retries = job.updates.filter((update) => update.phase === 'retrying');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]!.message).toMatch(/^table loaded: \d+ of \d+ item\(s\) unprocessed by batch_write_item; retry 1\/8 in 5 ms$/);
    expect(job.logs.filter((log) => log.level === 'warn' && log.message.includes('unprocessed'))).toHaveLength(retries.length);
    expect(progressProblems(job.updates)).toEqual([]);
    expect(job.updates.filter((update) => update.phase === 'items').at(-1)).toMatchObject({ completed: 300, total: 300, unit: 'items' });
  });

  it('fails with restore_failed when items stay unprocessed past maxRetries, and drops the table it created', async () => {
    await seedThreads(engine, 'stuck', 30);
    const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['stuck'] });
    await engine.drop('stuck');
    engine.emulator.setOptions({ unprocessedRate: 1 });
    try {
      const error = await failure(
        runRestore(pluginFor({ ...(engine.config as object), maxRetries: 2 }), temp.storage, backup.backupId, { collections: ['stuck'], rename: {}, atomic: true }),
      );
      expect(error.code).toBe('restore_failed');
      expect(error.message).toContain('unprocessed after 2 retries');
    } finally {
      engine.emulator.setOptions({ unprocessedRate: 0 });
    }
    expect(await engine.list()).not.toContain('stuck');
  });

  it('refuses an atomic restore over an existing table with invalid_input, touching nothing', async () => {
    await seedThreads(engine, 'occupied', 20);
    const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['occupied'] });
    await engine.http.putItems('occupied', [{ ...thread(500), subject: { S: 'newer' } }]);
    const live = await engine.items('occupied');
    const tables = await engine.list();

    const error = await failure(runRestore(instance, temp.storage, backup.backupId, { collections: ['occupied'], rename: {}, atomic: true }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('occupied');
    expect(error.message).toContain('atomic: false');
    expect(await engine.items('occupied')).toEqual(live);
    expect(await engine.list()).toEqual(tables);

    // Non-atomic: dropped, re-created from the archived schema, filled: exactly the archived items.
    await runRestore(instance, temp.storage, backup.backupId, { collections: ['occupied'], rename: {}, atomic: false });
    expect(await engine.items('occupied')).toEqual(live.filter((item) => item['subject']!['S'] !== 'newer'));
  });

  it('waits for a table still being deleted instead of calling it existing', async () => {
    await seedThreads(engine, 'recycled', 10);
    const items = await engine.items('recycled');
    const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['recycled'] });
    engine.emulator.setOptions({ createDelayMs: 200 });
    try {
      await engine.http.call('DELETE', `/v1/data/${PROJECT}/tables/recycled`);
      expect((await engine.http.describe('recycled'))['table_status']).toBe('DELETING');
      await runRestore(instance, temp.storage, backup.backupId, { collections: ['recycled'], rename: {}, atomic: true });
    } finally {
      engine.emulator.setOptions({ createDelayMs: 10 });
    }
    expect(await engine.items('recycled')).toEqual(items);
  });

  it('turns items MagnetoDB refuses into restore_failed and drops the table it created', async () => {
    const { backupId, session } = openBackupSession(temp.storage);
    await session.writeCollectionSchema('refused', {
      table_name: 'refused',
      attribute_definitions: [
        { attribute_name: 'id', attribute_type: 'S' },
        { attribute_name: 'amount', attribute_type: 'N' },
      ],
      key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
      local_secondary_indexes: [],
    });
    const sink = session.openDocuments('refused');
    await sink.write([
      { id: { S: 'fine' }, amount: { N: '1' } },
      { id: { S: 'wrong' }, amount: { S: 'one' } },
    ]);
    await sink.close();
    const now = new Date().toISOString();
    await session.finalize({ plugin: 'magnetodb', engineVersion: null, strategy: 'LOGICAL', type: 'FULL', createdAt: now, finishedAt: now, warnings: [] });

    const error = await failure(runRestore(instance, temp.storage, backupId, { collections: ['refused'], rename: {}, atomic: true }));
    expect(error.code).toBe('restore_failed');
    expect(error.details).toMatchObject({ status: 400, engineType: 'ValidationError', table: 'refused' });
    expect(error.message).toContain("Attribute: 'amount' of type: 'S' doesn't match table schema expected attribute type: 'N'");
    expect(await engine.list()).not.toContain('refused');
  });

  it('drops the table it created when a restore is canceled halfway', async () => {
    await seedThreads(engine, 'halfway', 400);
    const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['halfway'] });
    await engine.drop('halfway');
    engine.emulator.setOptions({ writeDelayMs: 40 });
    const writesBefore = engine.emulator.stats().batchWriteSizes.length;
    let writesAtCancel = -1;
    const job = createTestJob();
    job.cancelWhen((update) => {
      if (update.phase !== 'items' || update.completed < 50) return false;
      writesAtCancel = engine.emulator.stats().batchWriteSizes.length;
      return true;
    });
    try {
      const outcome = await settleAfterCancel(runRestore(instance, temp.storage, backup.backupId, { collections: ['halfway'], rename: {}, atomic: true }, job), job);
      expect((outcome.error as GatewayError).code).toBe('job_canceled');
      // Nothing new is sent after the cancel: only the writes already in flight (the plugin keeps at most 4) may
      // still land, so the restore stops well short of the 400 items.
      const writes = engine.emulator.stats().batchWriteSizes;
      expect(writesAtCancel).toBeGreaterThan(writesBefore);
      expect(writes.length - writesAtCancel).toBeLessThanOrEqual(4);
      expect(writes.slice(writesBefore).reduce((sum, size) => sum + size, 0)).toBeLessThan(400);
    } finally {
      engine.emulator.setOptions({ writeDelayMs: 0 });
    }
    expect(await engine.list()).not.toContain('halfway');
  });

  it('maps a wrong token to engine_auth_failed, and health says so without throwing', async () => {
    const wrong = pluginFor({ ...(engine.config as object), token: 'not-the-token' });
    const error = await failure(wrong.listCollections(AbortSignal.timeout(5000)));
    expect(error.code).toBe('engine_auth_failed');
    expect(error.details).toMatchObject({ status: 401 });
    expect(error.message).not.toContain('not-the-token');
    const health = await wrong.health(AbortSignal.timeout(5000));
    expect(health).toMatchObject({ ok: false, version: null });
    expect(health.message).toContain('token was refused');
    const { session } = openBackupSession(temp.storage);
    try {
      expect((await failure(wrong.logicalBackup!({ collections: null }, session, createTestJob().ctx))).code).toBe('engine_auth_failed');
    } finally {
      await session.abort();
    }
  });

  it('maps an unknown table to collection_not_found, naming every missing one', async () => {
    await seedThreads(engine, 'present', 3);
    const { session } = openBackupSession(temp.storage);
    try {
      const error = await failure(instance.logicalBackup!({ collections: ['present', 'absent1', 'absent2'] }, session, createTestJob().ctx));
      expect(error.code).toBe('collection_not_found');
      expect(error.details).toMatchObject({ collections: ['absent1', 'absent2'] });
      expect(session.files()).toEqual([]);
    } finally {
      await session.abort();
    }
  });

  it('reports health with the API version and lists a table still being created without a count', async () => {
    expect(await instance.health(AbortSignal.timeout(5000))).toEqual({ ok: true, version: 'v1', message: null });
    engine.emulator.setOptions({ createDelayMs: 3000 });
    try {
      await engine.http.createTable({ table_name: 'nascent', ...THREADS });
      const listed = await instance.listCollections(AbortSignal.timeout(5000));
      expect(listed).toContainEqual({ name: 'nascent', documentCount: null });
      // A whole-engine backup skips it, saying so.
      const backup = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: null });
      expect(backup.manifest.collections.map((c) => c.name)).not.toContain('nascent');
      expect(backup.result.warnings).toContain('table nascent was skipped: it is CREATING, not ACTIVE');
    } finally {
      engine.emulator.setOptions({ createDelayMs: 10 });
    }
    const uncounted = pluginFor({ ...(engine.config as object), countItems: false });
    expect(await uncounted.listCollections(AbortSignal.timeout(5000))).toContainEqual({ name: 'present', documentCount: null });
  });

  it('maps a slow answer to engine_timeout', async () => {
    await engine.seed([{ name: 'slowpoke', documents: makeDocuments(5) }]);
    engine.emulator.setOptions({ scanDelayMs: 1000 });
    const { session } = openBackupSession(temp.storage);
    try {
      const error = await failure(pluginFor({ ...(engine.config as object), timeoutMs: 200 }).logicalBackup!({ collections: ['slowpoke'] }, session, createTestJob().ctx));
      expect(error.code).toBe('engine_timeout');
    } finally {
      engine.emulator.setOptions({ scanDelayMs: 0 });
      await session.abort();
    }
  });

  it('validates its config: batch size at most 25, updatedAtAttribute per table', () => {
    const base = { url: 'http://localhost:8480', projectId: 'p', token: 't' };
    expect(magnetodbPlugin.config.parse(base)).toMatchObject({ batchSize: 25, pageSize: 1000, maxRetries: 8, countItems: true });
    expect(magnetodbPlugin.config.safeParse({ ...base, batchSize: 26 }).success).toBe(false);
    expect(magnetodbPlugin.config.safeParse({ ...base, updatedAtAttribute: { orders: 'updated_at' } }).success).toBe(true);
    expect(magnetodbPlugin.config.safeParse({ ...base, updatedAtAttribute: { orders: 'bad name!' } }).success).toBe(false);
    expect(magnetodbPlugin.config.safeParse({ url: 'http://localhost:8480', projectId: 'p' }).success).toBe(false);
  });
});
