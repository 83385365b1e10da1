// The contract every engine plugin passes (like unstorage's testDriver): each plugin's test file calls
// describeEnginePluginContract with a way to start its engine (emulator or real) and to seed/inspect it.
// Public: external plugins import it from `backup-gateway/testing` (src/testing/index.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EngineInstance, EnginePlugin } from '../engines/contract.ts';
import { parsePluginConfig } from '../engines/plugin-config.ts';
import { instanceFaults, pluginFaults } from '../engines/plugin-validation.ts';
import {
  createTempStorage,
  createTestJob,
  openBackupSession,
  progressProblems,
  runBackup,
  runNativeBackup,
  runNativeRestore,
  runRestore,
  settleAfterCancel,
  watchUnhandledRejections,
  type TempStorage,
} from './harness.ts';
import { countingSession, expectGatewayError, furthestProgress, itUnless, rejection } from './contract-support.ts';

export interface SeedCollection {
  name: string;
  /** Every document has a string `id`, the collection's key. */
  documents: Record<string, unknown>[];
  /** Engine-native settings/schema extras; undefined = engine defaults. */
  settings?: unknown;
}

export interface CollectionDump {
  /** Sorted by `id`. */
  documents: Record<string, unknown>[];
  settings: unknown;
}

/** What a plugin's test provides about one running engine; all engine-specific knowledge lives here. */
export interface ContractEngine {
  /** A valid plugin config pointing at this engine. */
  config: unknown;
  /** Creates (or replaces) each collection with `id` as key, the settings, then the documents; waits until searchable. */
  seed(collections: SeedCollection[]): Promise<void>;
  dump(name: string): Promise<CollectionDump>;
  /** Deletes the collection; no error when missing. */
  drop(name: string): Promise<void>;
  /** Every collection name on the engine. */
  list(): Promise<string[]>;
  /** Slows the engine down (document reads, task processing) so cancel tests catch it mid-way. */
  setSlow(on: boolean): void | Promise<void>;
  stop(): Promise<void>;
}

export interface EnginePluginContractOptions {
  plugin: EnginePlugin;
  startEngine(): Promise<ContractEngine>;
  /** Engine-native settings with non-default values that must survive a round trip. */
  sampleSettings?: unknown;
  /** Config of an engine that does not answer; default: start an engine and stop it. */
  unreachableConfig?: () => unknown | Promise<unknown>;
  /** Documents seeded for the cancel tests (default 2000). */
  cancelDocumentCount?: number;
  /**
   * Contract parts that do not apply to this engine, each with its reason: the suite skips them and shows the
   * reason in the skipped test's title. (Parts tied to a capability are skipped by the capability list.)
   */
  notApplicable?: {
    /** listCollections does not report the engine's live collections (e.g. milvus-backup cannot list them). */
    liveCollections?: string;
    /** An atomic logical restore cannot replace an existing collection (the engine has no rename or swap). */
    atomicReplace?: string;
  };
}

export function makeDocuments(count: number, variant = 'v1'): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `doc-${String(i + 1).padStart(6, '0')}`,
    title: `${variant} title ${i + 1}`,
    rank: i + 1,
    tags: [variant, i % 2 === 0 ? 'even' : 'odd'],
    nested: { shelf: i % 7, label: `shelf ${i % 7}` },
  }));
}

export function describeEnginePluginContract(options: EnginePluginContractOptions): void {
  const { plugin } = options;

  describe(`engine plugin contract: ${plugin.name}`, () => {
    const prefix = `ct${randomBytes(3).toString('hex')}_`;
    const name = (suffix: string): string => `${prefix}${suffix}`;
    let engine: ContractEngine;
    let instance: EngineInstance;
    let temp: TempStorage;
    const unhandled = watchUnhandledRejections();
    const ours = async (): Promise<string[]> => (await engine.list()).filter((uid) => uid.startsWith(prefix)).sort();
    const has = (...capabilities: string[]): boolean => capabilities.every((capability) => (plugin.capabilities as readonly string[]).includes(capability));
    const lacking = (...capabilities: string[]): string | null =>
      has(...capabilities) ? null : `${plugin.name} does not declare ${capabilities.filter((c) => !has(c)).join(' + ')}`;

    beforeAll(async () => {
      temp = await createTempStorage();
      engine = await options.startEngine();
      instance = plugin.create(plugin.config.parse(engine.config), { logger: createTestJob().ctx.logger });
    });

    afterAll(async () => {
      unhandled.stop();
      for (const uid of (await engine?.list().catch(() => [])) ?? []) {
        if (uid.startsWith(prefix)) await engine.drop(uid);
      }
      if (instance?.listServerBackups !== undefined && instance.deleteServerBackup !== undefined) {
        const leftovers = await instance.listServerBackups(AbortSignal.timeout(10_000)).catch(() => []);
        for (const backup of leftovers.filter((b) => b.name.startsWith(prefix))) {
          await instance.deleteServerBackup(backup.externalId, AbortSignal.timeout(10_000)).catch(() => undefined);
        }
      }
      await instance?.close?.();
      await engine?.stop();
      await temp?.cleanup();
    });

    const logical = has('logicalBackup', 'logicalRestore');
    const itLogical = itUnless(lacking('logicalBackup', 'logicalRestore'));
    const itNative = itUnless(lacking('nativeBackup', 'nativeRestore'));
    const itServerBackups = itUnless(lacking('nativeBackup', 'serverBackups'));
    const itLiveCollections = itUnless(options.notApplicable?.liveCollections ?? null);

    it('passes the checks the gateway runs when it loads a plugin, and implements every capability it declares', () => {
      // The same checks stop a gateway whose GATEWAY_PLUGINS names a package that fails them.
      expect(pluginFaults(plugin)).toEqual([]);
      expect(instanceFaults(plugin, instance)).toEqual([]);
    });

    it('has a strict config schema, and an unknown key fails with the valid keys listed', () => {
      const validKeys = Object.keys(plugin.config.shape);
      expect(plugin.config.safeParse(engine.config).success).toBe(true);
      const result = plugin.config.safeParse({ ...(engine.config as object), notAConfigKey: true });
      expect(result.success).toBe(false);
      const issue = result.error!.issues.find((candidate) => candidate.code === 'unrecognized_keys');
      expect(issue, 'unknown key must be an unrecognized_keys issue').toBeDefined();
      expect((issue as z.core.$ZodIssueUnrecognizedKeys).keys).toContain('notAConfigKey');
      // What users see: the core's validation message.
      let thrown: unknown;
      try {
        parsePluginConfig(plugin, { ...(engine.config as object), notAConfigKey: true });
      } catch (error) {
        thrown = error;
      }
      expectGatewayError(thrown, 'invalid_engine_config');
      for (const key of [...validKeys, 'notAConfigKey']) expect((thrown as Error).message).toContain(key);
      for (const key of plugin.secretKeys) expect(validKeys).toContain(key);
    });

    it('reports health with the engine version', async () => {
      const health = await instance.health(AbortSignal.timeout(10_000));
      expect(health.ok).toBe(true);
      expect(typeof health.version).toBe('string');
    });

    itLiveCollections('lists collections with their document counts', async () => {
      await engine.seed([{ name: name('listed'), documents: makeDocuments(12) }]);
      const collections = await instance.listCollections(AbortSignal.timeout(10_000));
      expect(collections).toContainEqual({ name: name('listed'), documentCount: 12 });
    });

    itLogical('round-trips documents and settings through backup and atomic restore', async () => {
      const [plain, tuned] = [name('plain'), name('tuned')];
      await engine.seed([
        { name: plain, documents: makeDocuments(250) },
        { name: tuned, documents: makeDocuments(40, 'tuned'), settings: options.sampleSettings },
      ]);
      const before = { plain: await engine.dump(plain), tuned: await engine.dump(tuned) };

      const backupJob = createTestJob();
      const backup = await runBackup(plugin, instance, temp.storage, { collections: [plain, tuned] }, backupJob);
      expect(backup.manifest.collections.map((c) => [c.name, c.documentCount]).sort()).toEqual([
        [plain, 250],
        [tuned, 40],
      ]);
      expect(progressProblems(backupJob.updates)).toEqual([]);
      expect(backupJob.updates.length).toBeGreaterThan(0);

      await engine.drop(plain);
      await engine.drop(tuned);
      const restoreJob = createTestJob();
      const restored = await runRestore(instance, temp.storage, backup.backupId, { collections: [plain, tuned], rename: {}, atomic: true }, restoreJob);
      expect(restored.collections.map((c) => [c.source, c.target, c.documentCount]).sort()).toEqual([
        [plain, plain, 250],
        [tuned, tuned, 40],
      ]);
      expect(progressProblems(restoreJob.updates)).toEqual([]);
      expect(restoreJob.updates.length).toBeGreaterThan(0);

      expect(await engine.dump(plain)).toEqual(before.plain);
      expect(await engine.dump(tuned)).toEqual(before.tuned);
      expect(await ours()).toEqual([name('listed'), plain, tuned].sort());
    });

    itLogical('backs up every collection when none is selected, and only the selected ones otherwise', async () => {
      const [one, two] = [name('all1'), name('all2')];
      await engine.seed([
        { name: one, documents: makeDocuments(3) },
        { name: two, documents: makeDocuments(5) },
      ]);
      const everything = await runBackup(plugin, instance, temp.storage, { collections: null });
      const names = everything.manifest.collections.map((c) => c.name);
      expect(names).toEqual(expect.arrayContaining([one, two]));
      const selected = await runBackup(plugin, instance, temp.storage, { collections: [two] });
      expect(selected.manifest.collections.map((c) => c.name)).toEqual([two]);
    });

    itLogical('restores under a new name and leaves the source collection alone', async () => {
      const [source, copy] = [name('source'), name('copy')];
      await engine.seed([{ name: source, documents: makeDocuments(30), settings: options.sampleSettings }]);
      const before = await engine.dump(source);
      const backup = await runBackup(plugin, instance, temp.storage, { collections: [source] });
      await engine.seed([{ name: source, documents: makeDocuments(2, 'changed') }]);
      const changed = await engine.dump(source);

      const result = await runRestore(instance, temp.storage, backup.backupId, { collections: [source], rename: { [source]: copy }, atomic: true });
      expect(result.collections).toEqual([{ source, target: copy, documentCount: 30 }]);
      expect(await engine.dump(copy)).toEqual(before);
      expect(await engine.dump(source)).toEqual(changed);
    });

    for (const atomic of [true, false]) {
      const itReplace = atomic && options.notApplicable?.atomicReplace !== undefined ? itUnless(options.notApplicable.atomicReplace) : itLogical;
      itReplace(`${atomic ? 'atomic' : 'non-atomic'} restore over an existing collection leaves exactly the archived data`, async () => {
        const target = name(atomic ? 'atomic' : 'direct');
        await engine.seed([{ name: target, documents: makeDocuments(60), settings: options.sampleSettings }]);
        const archived = await engine.dump(target);
        const backup = await runBackup(plugin, instance, temp.storage, { collections: [target] });
        await engine.seed([{ name: target, documents: makeDocuments(90, 'newer') }]);
        const collectionsBefore = await ours();

        await runRestore(instance, temp.storage, backup.backupId, { collections: [target], rename: {}, atomic });
        expect(await engine.dump(target)).toEqual(archived);
        expect(await ours()).toEqual(collectionsBefore);
      });
    }

    itLogical('honours cancel during a backup, stopping before it has read every document', async () => {
      const big = name('cancelbackup');
      const total = options.cancelDocumentCount ?? 2000;
      await engine.seed([{ name: big, documents: makeDocuments(total) }]);
      const { session } = openBackupSession(temp.storage);
      const job = createTestJob();
      job.cancelWhen(() => true);
      await engine.setSlow(true);
      try {
        let written = 0;
        const counted = countingSession(session, (documents) => (written += documents));
        const outcome = await settleAfterCancel(instance.logicalBackup!({ collections: [big] }, counted, job.ctx), job);
        expect(job.canceledAt, 'the plugin reported no progress before finishing').not.toBeNull();
        expectGatewayError(outcome.error, 'job_canceled');
        expect(written, 'documents archived before the backup ended').toBeLessThan(total);
        expect(furthestProgress(job), 'documents read before the backup ended').toBeLessThan(total);
      } finally {
        await engine.setSlow(false);
        await session.abort();
      }
    });

    itLogical('honours cancel during a restore, stopping before it has written every document, keeping the live collection and no staging copy', async () => {
      const target = name('cancelrestore');
      const total = options.cancelDocumentCount ?? 2000;
      await engine.seed([{ name: target, documents: makeDocuments(total) }]);
      const backup = await runBackup(plugin, instance, temp.storage, { collections: [target] });
      await engine.seed([{ name: target, documents: makeDocuments(7, 'live') }]);
      const live = await engine.dump(target);
      const collectionsBefore = await ours();

      const job = createTestJob();
      job.cancelWhen(() => true);
      await engine.setSlow(true);
      try {
        const restore = runRestore(instance, temp.storage, backup.backupId, { collections: [target], rename: {}, atomic: true }, job);
        const outcome = await settleAfterCancel(restore, job);
        expect(job.canceledAt, 'the plugin reported no progress before finishing').not.toBeNull();
        expectGatewayError(outcome.error, 'job_canceled');
        expect(furthestProgress(job), 'documents written before the restore ended').toBeLessThan(total);
      } finally {
        await engine.setSlow(false);
      }
      expect(await engine.dump(target)).toEqual(live);
      expect(await ours()).toEqual(collectionsBefore);
    });

    itLogical('fails with collection_not_found for an unknown collection before writing anything', async () => {
      const { session } = openBackupSession(temp.storage);
      try {
        const error = await rejection(instance.logicalBackup!({ collections: [name('missing')] }, session, createTestJob().ctx));
        expectGatewayError(error, 'collection_not_found');
        expect(session.files()).toEqual([]);
      } finally {
        await session.abort();
      }
    });

    it('fails with engine_unreachable when the engine does not answer, and health says so without throwing', async () => {
      let config: unknown;
      if (options.unreachableConfig !== undefined) {
        config = await options.unreachableConfig();
      } else {
        const gone = await options.startEngine();
        config = gone.config;
        await gone.stop();
      }
      const dead = plugin.create(plugin.config.parse(config), { logger: createTestJob().ctx.logger });
      const health = await dead.health(AbortSignal.timeout(10_000));
      expect(health.ok).toBe(false);
      expect(health.message).toBeTruthy();
      expectGatewayError(await rejection(dead.listCollections(AbortSignal.timeout(10_000))), 'engine_unreachable');
      if (logical) {
        const { session } = openBackupSession(temp.storage);
        try {
          expectGatewayError(await rejection(dead.logicalBackup!({ collections: null }, session, createTestJob().ctx)), 'engine_unreachable');
        } finally {
          await session.abort();
        }
      }
      if (has('nativeBackup')) {
        const request = { collections: null, name: name('unreachable'), requestId: randomUUID() };
        expectGatewayError(await rejection(runNativeBackup(plugin, dead, temp.storage, request)), 'engine_unreachable');
      }
      if (has('serverBackups')) {
        expectGatewayError(await rejection(dead.listServerBackups!(AbortSignal.timeout(10_000))), 'engine_unreachable');
      }
    });

    itNative('round-trips collections through a native backup and a restore under new names, leaving the sources alone', async () => {
      const [one, two] = [name('native1'), name('native2')];
      await engine.seed([
        { name: one, documents: makeDocuments(30) },
        { name: two, documents: makeDocuments(12, 'two'), settings: options.sampleSettings },
      ]);
      const before = { one: await engine.dump(one), two: await engine.dump(two) };

      const backupJob = createTestJob();
      const backup = await runNativeBackup(plugin, instance, temp.storage, { collections: [one, two], name: name('nb_roundtrip'), requestId: randomUUID() }, backupJob);
      expect(backup.result.collections.map((c) => c.name).sort()).toEqual([one, two].sort());
      expect(backup.manifest.files.length + backup.manifest.external.length, 'a native backup copies files or references the engine side').toBeGreaterThan(0);
      expect(progressProblems(backupJob.updates)).toEqual([]);
      expect(backupJob.updates.length).toBeGreaterThan(0);

      const [oneCopy, twoCopy] = [name('native1_copy'), name('native2_copy')];
      const restoreJob = createTestJob();
      const request = { collections: [one, two], rename: { [one]: oneCopy, [two]: twoCopy }, atomic: false };
      const restored = await runNativeRestore(instance, temp.storage, backup.backupId, request, restoreJob);
      expect(restored.collections.map((c) => [c.source, c.target]).sort()).toEqual([
        [one, oneCopy],
        [two, twoCopy],
      ]);
      expect(progressProblems(restoreJob.updates)).toEqual([]);
      expect(restoreJob.updates.length).toBeGreaterThan(0);

      expect(await engine.dump(oneCopy)).toEqual(before.one);
      expect(await engine.dump(twoCopy)).toEqual(before.two);
      expect(await engine.dump(one)).toEqual(before.one);
      expect(await ours()).toEqual(expect.arrayContaining([one, two, oneCopy, twoCopy]));
    });

    itServerBackups('lists a native backup among the server backups, and deletes it there', async () => {
      const collection = name('serverside');
      await engine.seed([{ name: collection, documents: makeDocuments(5) }]);
      const backup = await runNativeBackup(plugin, instance, temp.storage, { collections: [collection], name: name('nb_server'), requestId: randomUUID() });
      const externalId = backup.result.externalId;
      expect(externalId, 'a server-side backup has an external id').toBeTruthy();

      const listed = await instance.listServerBackups!(AbortSignal.timeout(10_000));
      expect(listed.map((b) => b.externalId)).toContain(externalId);
      await instance.deleteServerBackup!(externalId!, AbortSignal.timeout(10_000));
      expect((await instance.listServerBackups!(AbortSignal.timeout(10_000))).map((b) => b.externalId)).not.toContain(externalId);
      expectGatewayError(await rejection(instance.deleteServerBackup!(externalId!, AbortSignal.timeout(10_000))), 'backup_not_found');
    });

    it('raised no unhandled promise rejections', () => {
      expect(unhandled.rejections).toEqual([]);
    });
  });
}
