// The Meilisearch plugin: config schema, capabilities, and the live instance the core drives.
import { meilisearchNeutral } from './neutral.ts';
import { z } from 'zod';
import { probeHealth, strictConfig } from '../../src/plugin.ts';
import type { EngineHealth, EngineInstance, EnginePlugin, PluginCreateContext } from '../../src/engines/contract.ts';
import { MeilisearchClient } from './client.ts';
import { logicalBackup } from './backup.ts';
import { logicalRestore } from './restore.ts';
import { meilisearchRestoreOptions } from './restore-keys.ts';
import { nativeBackup } from './native-backup.ts';
import { inspectDumpFile, nativeRestore } from './native-restore.ts';
import { validateIndexUid } from './names.ts';
import { restoreFacts } from './versions.ts';
import { rollbackUpgrade, upgradeStatus } from './upgrade.ts';
import { copyToEngine, copyUnavailable } from './copy.ts';

const configShape = {
  /** Base URL of the Meilisearch server, e.g. http://localhost:7700. */
  url: z.url({ protocol: /^https?$/ }),
  /** Master key or an API key with the actions the gateway needs. */
  apiKey: z.string().min(1).optional(),
  /** Timeout of one HTTP request. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Longest wait for one engine task (index creation, a document batch, a swap). */
  taskTimeoutMs: z.number().int().positive().default(600_000),
  /** Documents fetched per request during a backup. */
  pageSize: z.number().int().min(1).max(10_000).default(1000),
  /** Documents sent per addition task during a restore. */
  batchSize: z.number().int().min(1).max(100_000).default(5000),
  /** The server's dumps folder (--dump-dir) as mounted on the gateway host: native backups are copied from it. */
  dumpsDir: z.string().min(1).optional(),
  /** The server's snapshots folder (--snapshot-dir) as mounted on the gateway host: snapshots are copied from it. */
  snapshotsDir: z.string().min(1).optional(),
};

/** `startBackup(input: { options })` of a native backup: a dump (default) or a snapshot. */
export const meilisearchBackupOptions = z.strictObject({
  native: z.enum(['dump', 'snapshot']).default('dump'),
});

export const meilisearchConfig = strictConfig(configShape, 'Meilisearch');

export type MeilisearchConfig = z.infer<typeof meilisearchConfig>;

export const meilisearchPlugin = {
  name: 'meilisearch',
  apiVersion: 1,
  displayName: 'Meilisearch',
  version: '0.1.0',
  config: meilisearchConfig,
  secretKeys: ['apiKey'],
  capabilities: ['logicalBackup', 'logicalRestore', 'nativeBackup', 'nativeRestore', 'importBackup'],
  neutral: meilisearchNeutral,
  awaitsSetSwap: true,
  backupOptions: meilisearchBackupOptions,
  restoreOptions: meilisearchRestoreOptions,
  create(config: MeilisearchConfig, _ctx: PluginCreateContext): EngineInstance {
    const client = new MeilisearchClient({ url: config.url, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
    const options = { pageSize: config.pageSize, batchSize: config.batchSize, taskTimeoutMs: config.taskTimeoutMs };
    const native = { dumpsDir: config.dumpsDir, snapshotsDir: config.snapshotsDir, taskTimeoutMs: config.taskTimeoutMs };
    return {
      health: (signal) => health(client, signal),
      async listCollections(signal) {
        const collections = [];
        for (const index of await client.listIndexes(signal)) {
          collections.push({ name: index.uid, documentCount: await client.documentCount(index.uid, signal) });
        }
        return collections;
      },
      logicalBackup: (request, archive, ctx) => logicalBackup(client, options, request, archive, ctx),
      logicalRestore: (request, archive, ctx) => logicalRestore(client, options, request, archive, ctx),
      nativeBackup: (request, sink, ctx) => nativeBackup(client, native, request, sink, ctx),
      nativeRestore: (request, backup, ctx) => nativeRestore(client, options, request, backup, ctx),
      restoreFacts: (request, signal) => restoreFacts(client, request, signal),
      upgradeStatus: (signal) => upgradeStatus(client, signal),
      nativeCopyUnavailable: () => (config.dumpsDir === undefined ? 'no dumpsDir configured: the gateway cannot copy the dump' : null),
      rollbackUpgrade: (ctx) => rollbackUpgrade(client, ctx),
      copyUnavailable: (signal) => copyUnavailable(client, signal),
      copyToEngine: (request, ctx) => copyToEngine(client, { timeoutMs: config.timeoutMs, taskTimeoutMs: config.taskTimeoutMs }, request, ctx),
      listStaging: async (prefix, signal) => (await client.listIndexes(signal)).map((index) => index.uid).filter((uid) => uid.startsWith(prefix)),
      async dropCollection(name, signal) {
        const task = await client.waitForTask(await client.deleteIndex(name, signal), { signal, timeoutMs: options.taskTimeoutMs });
        if (task.status === 'failed' && task.error?.code !== 'index_not_found') throw new Error(`deleting index ${name} failed: ${task.error?.message}`);
      },
    };
  },
  inspectBackupFile: (file, signal) => inspectDumpFile(file, signal),
  validateCollectionName: validateIndexUid,
} satisfies EnginePlugin<typeof meilisearchConfig>;

/** Never throws: an unreachable engine is a health state, not an error. */
async function health(client: MeilisearchClient, signal: AbortSignal): Promise<EngineHealth> {
  return probeHealth(async () => {
    const status = await client.health(signal);
    if (status !== 'available') return { ok: false, version: null, message: `Meilisearch status: ${status}` };
    // A key without the `version` action still proves the engine is up.
    const version = await probeHealth(async () => ({ ok: true, version: await client.version(signal), message: null }), 'version unavailable: ');
    return { ...version, ok: true };
  });
}
