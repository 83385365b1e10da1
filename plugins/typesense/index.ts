// The Typesense plugin: config schema, capabilities, and the live instance the core drives.
import { typesenseNeutral } from './neutral.ts';
import { z } from 'zod';
import { probeHealth, strictConfig } from '../../src/plugin.ts';
import type { EngineHealth, EngineInstance, EnginePlugin, PluginCreateContext } from '../../src/engines/contract.ts';
import { listSummaries, logicalBackup, readEngineVersion } from './backup.ts';
import { TypesenseClient } from './client.ts';
import { listStaging, logicalRestore, restoreFacts } from './restore.ts';
import { nativeBackup } from './snapshot.ts';
import { validateCollectionName } from './names.ts';

/** One node as the official client takes it (`nodes: [{host, port, protocol}]`). */
const nodeShape = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  protocol: z.enum(['http', 'https']),
  /** A path prefix when Typesense sits behind a proxy, e.g. "/typesense". */
  path: z
    .string()
    .regex(/^(\/[^/?#]+)*\/?$/)
    .optional(),
});

const configShape = {
  /** Base URL of one Typesense node, e.g. http://localhost:8108 (or `nodes`). */
  url: z.url({ protocol: /^https?$/ }).optional(),
  /** The admin key (`--api-key`) or a key with the actions the gateway needs. */
  apiKey: z.string().min(1),
  /** Every node of a cluster, like the official client: requests go to the first that answers; health and snapshots cover each. */
  nodes: z.array(nodeShape).min(1).max(32).optional(),
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
  /** The node a native backup snapshots (`host:port` or its URL); default: each node in turn, one artifact per node. */
  snapshotNode: z.string().min(1).optional(),
  /** Documents per import request during a restore, and the most per archive write during a backup. */
  batchSize: z.number().int().min(1).max(100_000).default(1000),
  /** `create` fails on documents whose id already exists in the target; `upsert` replaces them. */
  importAction: z.enum(['create', 'upsert']).default('create'),
  /** An export that skipped documents it could not read (v30 error lines): `fail` the backup (default) or keep it with a `warn`ing. */
  onExportError: z.enum(['fail', 'warn']).default('fail'),
  /** API keys of remote embedding models by model name (e.g. "openai/text-embedding-3-small"): Typesense masks them, so a restore needs them re-supplied. */
  modelApiKeys: z.record(z.string(), z.string().min(1)).optional(),
};

export const typesenseConfig = strictConfig(configShape, 'Typesense')
  .refine((config) => (config.url === undefined) !== (config.nodes === undefined), {
    message: 'give url (one node) or nodes (a cluster): exactly one of them',
    path: ['url'],
  })
  .refine((config) => config.snapshotDir === undefined || config.snapshotPath !== undefined, {
    message: 'snapshotDir is the gateway-side path of snapshotPath: set snapshotPath too',
    path: ['snapshotDir'],
  })
  .refine((config) => config.snapshotNode === undefined || findNode(nodeUrls(config), config.snapshotNode) !== null, {
    message: 'snapshotNode names none of the nodes (give host:port or the node URL)',
    path: ['snapshotNode'],
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
  neutral: typesenseNeutral,
  awaitsSetSwap: true,
  create(config: TypesenseConfig, _ctx: PluginCreateContext): EngineInstance {
    const client = new TypesenseClient({ nodes: nodeUrls(config), apiKey: config.apiKey, timeoutMs: config.timeoutMs });
    const transfer = {
      batchSize: config.batchSize,
      importTimeoutMs: config.importTimeoutMs,
      importAction: config.importAction,
      modelApiKeys: config.modelApiKeys ?? {},
      onExportError: config.onExportError,
    };
    const snapshot = {
      snapshotPath: config.snapshotPath,
      snapshotDir: config.snapshotDir,
      snapshotTimeoutMs: config.snapshotTimeoutMs,
      nodes: config.snapshotNode === undefined ? client.nodes : [findNode(client.nodes, config.snapshotNode)!],
    };
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
      nativeCopyUnavailable: () => (config.snapshotPath === undefined ? 'no snapshotPath configured for snapshots' : null),
      async dropCollection(name, signal) {
        await client.dropCollection(name, signal);
      },
    };
  },
  validateCollectionName,
} satisfies EnginePlugin<typeof typesenseConfig>;

/** Never throws: an unreachable engine or a refused key is a health state, not an error. Every node is asked. */
async function health(client: TypesenseClient, signal: AbortSignal): Promise<EngineHealth> {
  const nodes = await Promise.all(client.nodes.map(async (url) => ({ node: url, ...(await nodeHealth(client.forNode(url), signal)) })));
  if (nodes.length === 1) return { ok: nodes[0]!.ok, version: nodes[0]!.version, message: nodes[0]!.message, nodes };
  const down = nodes.filter((node) => !node.ok);
  const message = down.length === 0 ? null : `${down.length} of ${nodes.length} node(s) not healthy: ${down.map((node) => `${node.node}: ${node.message}`).join('; ')}`;
  return { ok: down.length === 0, version: nodes.find((node) => node.version !== null)?.version ?? null, message, nodes };
}

async function nodeHealth(client: TypesenseClient, signal: AbortSignal): Promise<Omit<EngineHealth, 'nodes'>> {
  return probeHealth(async () => {
    const { ok } = (await client.health(signal)) as { ok?: unknown };
    if (ok !== true) return { ok: false, version: null, message: 'Typesense /health answered ok: false' };
    // /health needs no key; /debug proves the configured key works and tells the version.
    return { ok: true, version: await readEngineVersion(client, signal), message: null };
  });
}

/** The nodes' base URLs: `url`, or each of `nodes` as the official client builds it. */
export function nodeUrls(config: { url?: string | undefined; nodes?: Array<z.infer<typeof nodeShape>> | undefined }): string[] {
  if (config.nodes === undefined) return config.url === undefined ? [] : [config.url.replace(/\/+$/, '')];
  return config.nodes.map((node) => {
    const host = node.host.includes(':') && !node.host.startsWith('[') ? `[${node.host}]` : node.host;
    return `${node.protocol}://${host}:${node.port}${(node.path ?? '').replace(/\/+$/, '')}`;
  });
}

/** The node `name` designates: its URL, or `host:port`. */
function findNode(urls: string[], name: string): string | null {
  const wanted = name.replace(/\/+$/, '');
  return urls.find((url) => url === wanted || new URL(url).host === wanted) ?? null;
}
