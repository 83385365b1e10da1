// The MagnetoDB plugin: config schema, capabilities, and the live instance the core drives.
import { magnetodbNeutral } from './neutral.ts';
import { z } from 'zod';
import { probeHealth, strictConfig } from '../../src/plugin.ts';
import type { EngineCollectionInfo, EngineHealth, EngineInstance, EnginePlugin, PluginCreateContext } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { engineType, MagnetoDbClient } from './client.ts';
import { logicalBackup, type TransferOptions } from './backup.ts';
import { updatedAtAttributeConfig } from './incremental.ts';
import { nativeBackup } from './native-backup.ts';
import { logicalRestore, restoreFacts } from './restore.ts';
import { validateTableName } from './names.ts';

/** MagnetoDB exposes no server version; health reports the REST API version the plugin speaks and checked. */
export const MAGNETODB_API_VERSION = 'v1';

const configShape = {
  /** Base URL of the MagnetoDB API (the paste urlmap root), e.g. http://localhost:8480. */
  url: z.url({ protocol: /^https?$/ }),
  /** The project (tenant) id in /v1/data/{project_id}/…; must be the token's project. */
  projectId: z.string().min(1),
  /** Keystone token sent as X-Auth-Token. */
  token: z.string().min(1),
  /** Timeout of one HTTP request. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Longest wait for a table to become ACTIVE after create, or to be gone after delete. */
  tableTimeoutMs: z.number().int().positive().default(300_000),
  /** Items per scan request during a backup. */
  pageSize: z.number().int().min(1).max(10_000).default(1000),
  /** Items per batch_write_item during a restore: at most 25, MagnetoDB's write chunk (DynamoDB's limit). */
  batchSize: z.number().int().min(1).max(25).default(25),
  /** Retries of one batch while MagnetoDB leaves items unprocessed (or answers 429/503). */
  maxRetries: z.number().int().min(0).max(30).default(8),
  /** First backoff before a retry; doubled on each retry of the same batch, capped at 5 s. */
  retryBaseDelayMs: z.number().int().min(1).max(60_000).default(100),
  /** Count items with COUNT scans (a full read of each table) for listings and backup progress totals. */
  countItems: z.boolean().default(true),
  /**
   * Per table, the attribute holding each item's update time, which incremental backups select changed items
   * by: `"updated_at"` (an ISO-8601 UTC string, S) or `{ "attribute": "updated_ms", "format": "epochMillis" | "epochSeconds" | "iso8601" }`.
   */
  updatedAtAttribute: updatedAtAttributeConfig.optional(),
  /** An incremental backup takes the items stamped up to this long before the parent backup began (writer clocks, slow writes). */
  incrementalOverlapMs: z.number().int().min(0).max(86_400_000).default(0),
};

export const magnetodbConfig = strictConfig(configShape, 'MagnetoDB');

export type MagnetoDbConfig = z.infer<typeof magnetodbConfig>;

export const magnetodbPlugin = {
  name: 'magnetodb',
  apiVersion: 1,
  displayName: 'MagnetoDB',
  version: '0.1.0',
  config: magnetodbConfig,
  secretKeys: ['token'],
  capabilities: ['logicalBackup', 'logicalRestore', 'incrementalBackup', 'nativeBackup'],
  neutral: magnetodbNeutral,
  create(config: MagnetoDbConfig, _ctx: PluginCreateContext): EngineInstance {
    const client = new MagnetoDbClient({ url: config.url, projectId: config.projectId, token: config.token, timeoutMs: config.timeoutMs });
    const options: TransferOptions = {
      pageSize: config.pageSize,
      batchSize: config.batchSize,
      maxRetries: config.maxRetries,
      retryBaseDelayMs: config.retryBaseDelayMs,
      tableTimeoutMs: config.tableTimeoutMs,
      countItems: config.countItems,
      updatedAtAttribute: config.updatedAtAttribute,
      incrementalOverlapMs: config.incrementalOverlapMs,
    };
    return {
      health: (signal) => health(client, signal),
      listCollections: (signal) => listCollections(client, options, signal),
      logicalBackup: (request, archive, ctx) => logicalBackup(client, options, request, archive, ctx),
      logicalRestore: (request, archive, ctx) => logicalRestore(client, options, request, archive, ctx),
      restoreFacts: (request, signal) => restoreFacts(client, options, request, signal),
      // No nativeRestore: the management restore API only records a RESTORING row (see the README).
      nativeBackup: (request, sink, ctx) => nativeBackup(client, request, sink, ctx),
    };
  },
  validateCollectionName: validateTableName,
} satisfies EnginePlugin<typeof magnetodbConfig>;

/** Never throws: an unreachable engine or a refused token is a health state, not an error. */
async function health(client: MagnetoDbClient, signal: AbortSignal): Promise<EngineHealth> {
  return probeHealth(async () => {
    const status = await client.healthcheck(signal);
    if (status['API'] !== 'OK') return { ok: false, version: null, message: `MagnetoDB healthcheck: ${JSON.stringify(status)}` };
    // /healthcheck takes no token: one table listing proves the token and the project.
    await client.listTablesPage(1, null, signal);
    return { ok: true, version: MAGNETODB_API_VERSION, message: null };
  });
}

async function listCollections(client: MagnetoDbClient, options: TransferOptions, signal: AbortSignal): Promise<EngineCollectionInfo[]> {
  const collections: EngineCollectionInfo[] = [];
  for (const name of await client.listTableNames(signal)) {
    if (!options.countItems) {
      collections.push({ name, documentCount: null });
      continue;
    }
    try {
      collections.push({ name, documentCount: await client.countItems(name, signal) });
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'collection_not_found') continue; // deleted since it was listed
      // A table still CREATING or DELETING cannot be scanned (ValidationError): its count is unknown.
      if (engineType(error) !== 'ValidationError') throw error;
      collections.push({ name, documentCount: null });
    }
  }
  return collections;
}
