// The Typesense plugin: config schema, capabilities, and the live instance the core drives.
import { z } from 'zod';
import type { EngineHealth, EngineInstance, EnginePlugin, PluginCreateContext } from '../../src/engines/contract.ts';
import { listSummaries, logicalBackup, readEngineVersion } from './backup.ts';
import { TypesenseClient } from './client.ts';
import { listStaging, logicalRestore, restoreFacts } from './restore.ts';
import { nativeBackup } from './snapshot.ts';
import { validateCollectionName } from './names.ts';

const configShape = {
  /** Base URL of one Typesense node, e.g. http://localhost:8108. */
  url: z.url({ protocol: /^https?$/ }),
  /** The admin key (`--api-key`) or a key with the actions the gateway needs. */
  apiKey: z.string().min(1),
  /** Timeout of one ordinary request; for exports, the longest silence between two chunks. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Timeout of one import batch (imports are synchronous and may embed documents). */
  importTimeoutMs: z.number().int().positive().default(600_000),
  /** Timeout of `POST /operations/snapshot`; never retried (a retry would hit "Another snapshot is in progress"). */
  snapshotTimeoutMs: z.number().int().positive().default(3_600_000),
  /** Directory on the Typesense server under which native snapshots are written (required for them). */
  snapshotPath: z.string().min(1).optional(),
  /** The same directory as the gateway sees it (a mount); set to copy snapshots into gateway storage. */
  snapshotDir: z.string().min(1).optional(),
  /** Documents per import request during a restore. */
  batchSize: z.number().int().min(1).max(100_000).default(1000),
  /** `create` fails on documents whose id already exists in the target; `upsert` replaces them. */
  importAction: z.enum(['create', 'upsert']).default('create'),
  /** API keys of remote embedding models by model name (e.g. "openai/text-embedding-3-small"): Typesense masks them, so a restore needs them re-supplied. */
  modelApiKeys: z.record(z.string(), z.string().min(1)).optional(),
};

const validKeys = Object.keys(configShape).join(', ');

export const typesenseConfig = z
  .strictObject(configShape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown Typesense config key(s): ${issue.keys.join(', ')}. Valid keys: ${validKeys}` : undefined),
  })
  .refine((config) => config.snapshotDir === undefined || config.snapshotPath !== undefined, {
    message: 'snapshotDir is the gateway-side path of snapshotPath: set snapshotPath too',
    path: ['snapshotDir'],
  });

export type TypesenseConfig = z.infer<typeof typesenseConfig>;

export const typesensePlugin = {
  name: 'typesense',
  apiVersion: 1,
  displayName: 'Typesense',
  version: '0.1.0',
  config: typesenseConfig,
  secretKeys: ['apiKey', 'modelApiKeys'],
  capabilities: ['logicalBackup', 'logicalRestore', 'nativeBackup'],
  create(config: TypesenseConfig, _ctx: PluginCreateContext): EngineInstance {
    const client = new TypesenseClient({ url: config.url, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
    const transfer = {
      batchSize: config.batchSize,
      importTimeoutMs: config.importTimeoutMs,
      importAction: config.importAction,
      modelApiKeys: config.modelApiKeys ?? {},
    };
    const snapshot = { snapshotPath: config.snapshotPath, snapshotDir: config.snapshotDir, snapshotTimeoutMs: config.snapshotTimeoutMs };
    return {
      health: (signal) => health(client, signal),
      async listCollections(signal) {
        return (await listSummaries(client, signal)).map((c) => ({ name: c.name, documentCount: c.num_documents ?? null }));
      },
      logicalBackup: (request, archive, ctx) => logicalBackup(client, transfer, request, archive, ctx),
      logicalRestore: (request, archive, ctx) => logicalRestore(client, transfer, request, archive, ctx),
      restoreFacts: (request, signal) => restoreFacts(client, request, signal),
      listStaging: (prefix, signal) => listStaging(client, prefix, signal),
      nativeBackup: (request, sink, ctx) => nativeBackup(client, snapshot, request, sink, ctx),
      async dropCollection(name, signal) {
        await client.dropCollection(name, signal);
      },
    };
  },
  validateCollectionName,
} satisfies EnginePlugin<typeof typesenseConfig>;

/** Never throws: an unreachable engine or a refused key is a health state, not an error. */
async function health(client: TypesenseClient, signal: AbortSignal): Promise<EngineHealth> {
  try {
    const { ok } = (await client.health(signal)) as { ok?: unknown };
    if (ok !== true) return { ok: false, version: null, message: 'Typesense /health answered ok: false' };
    // /health needs no key; /debug proves the configured key works and tells the version.
    return { ok: true, version: await readEngineVersion(client, signal), message: null };
  } catch (error) {
    return { ok: false, version: null, message: error instanceof Error ? error.message : String(error) };
  }
}
