// The Milvus plugin: drives milvus-backup (the tool Milvus users run to back up into object storage) over its
// REST API. Backups stay in milvus-backup's storage and are cataloged as external artifacts.
import { z } from 'zod';
import { strictConfig } from '../../src/plugin.ts';
import { expandSelection, validateBackupName, validateCollectionName } from './names.ts';
import type { EngineInstance, EnginePlugin, PluginCreateContext } from '../../src/engines/contract.ts';
import { nativeBackup } from './backup.ts';
import { deleteServerBackup, health, listCollections, listServerBackups } from './inventory.ts';
import { MilvusBackupClient } from './client.ts';
import { nativeRestore, restoreFacts, type MilvusRestoreRequest } from './restore.ts';
import { milvusBackupOptions, milvusRestoreOptions } from './options.ts';

const configShape = {
  /** Base URL of the milvus-backup server (`milvus-backup server`, default port 8080), e.g. http://localhost:8080. */
  url: z.url({ protocol: /^https?$/ }),
  /** Timeout of one HTTP request. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Pause between two get_backup / get_restore polls. */
  pollIntervalMs: z.number().int().min(10).max(60_000).default(1000),
  /** Longest wait for one backup or restore task (milvus-backup has no timeout of its own for a stuck task). */
  taskTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(6 * 3600_000),
};

export const milvusConfig = strictConfig(configShape, 'Milvus');

export type MilvusConfig = z.infer<typeof milvusConfig>;

/** Contract parts that do not apply to Milvus, with the reason the shared suite shows when it skips them. */
export const milvusNotApplicable = {
  liveCollections: 'milvus-backup has no API listing live Milvus collections: listCollections reports the collections found in its backups',
} as const;

export const milvusPlugin = {
  name: 'milvus',
  apiVersion: 1,
  displayName: 'Milvus (milvus-backup)',
  version: '0.1.0',
  config: milvusConfig,
  secretKeys: [],
  capabilities: ['nativeBackup', 'nativeRestore', 'serverBackups'],
  // Documents never pass through the gateway: milvus-backup's own backup is the only kind there is.
  defaultStrategy: 'NATIVE',
  backupOptions: milvusBackupOptions,
  restoreOptions: milvusRestoreOptions,
  restoresUnlistedBackups: true,
  checkNativeBackupName: validateBackupName,
  validateCollectionName,
  expandSelection,
  create(config: MilvusConfig, _ctx: PluginCreateContext): EngineInstance {
    const client = new MilvusBackupClient({ url: config.url, timeoutMs: config.timeoutMs });
    const poll = { pollIntervalMs: config.pollIntervalMs, taskTimeoutMs: config.taskTimeoutMs };
    return {
      health: (signal) => health(client, signal),
      listCollections: (signal) => listCollections(client, signal),
      nativeBackup: (request, sink, ctx) => nativeBackup(client, poll, request, sink, ctx),
      nativeRestore: (request, backup, ctx) => nativeRestore(client, poll, request as MilvusRestoreRequest, backup, ctx),
      restoreFacts: (request, signal) => restoreFacts(client, request, signal),
      listServerBackups: (signal) => listServerBackups(client, signal),
      deleteServerBackup: (externalId, signal) => deleteServerBackup(client, externalId, signal),
    };
  },
} satisfies EnginePlugin<typeof milvusConfig>;
