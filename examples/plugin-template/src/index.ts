// The TinyKV plugin: what the gateway reads about it (name, config schema, capabilities) and the live
// instance it drives. The package's entry: `export default` is what GATEWAY_PLUGINS loads.
import { z, type EngineHealth, type EngineInstance, type EnginePlugin, type PluginCreateContext } from 'backup-gateway/plugin';
import { logicalBackup } from './backup.ts';
import { TinyKvClient } from './client.ts';
import { logicalRestore } from './restore.ts';

export const tinykvConfig = z.strictObject({
  /** Base URL of the TinyKV server, e.g. http://127.0.0.1:7400. */
  url: z.url({ protocol: /^https?$/ }),
  /** Bearer token, when the server requires one. */
  token: z.string().min(1).optional(),
  /** Timeout of one HTTP request. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Items read per request during a backup. */
  pageSize: z.number().int().min(1).max(10_000).default(500),
  /** Items written per request during a restore. */
  batchSize: z.number().int().min(1).max(10_000).default(500),
});

export type TinyKvConfig = z.infer<typeof tinykvConfig>;

export const tinykvPlugin = {
  name: 'tinykv',
  apiVersion: 1,
  displayName: 'TinyKV (plugin template)',
  version: '0.1.0',
  config: tinykvConfig,
  secretKeys: ['token'],
  capabilities: ['logicalBackup', 'logicalRestore'],
  create(config: TinyKvConfig, _ctx: PluginCreateContext): EngineInstance {
    const client = new TinyKvClient({ url: config.url, token: config.token, timeoutMs: config.timeoutMs });
    return {
      health: (signal) => health(client, signal),
      async listCollections(signal) {
        return (await client.listBuckets(signal)).map((bucket) => ({ name: bucket.name, documentCount: bucket.items }));
      },
      logicalBackup: (request, archive, ctx) => logicalBackup(client, { pageSize: config.pageSize }, request, archive, ctx),
      logicalRestore: (request, archive, ctx) => logicalRestore(client, { batchSize: config.batchSize }, request, archive, ctx),
      // Lets the core drop the scratch buckets of a restore test (verifyBackup); an absent bucket is fine.
      dropCollection: (name, signal) => client.deleteBucket(name, signal),
    };
  },
} satisfies EnginePlugin<typeof tinykvConfig>;

export default tinykvPlugin;

/** Never throws: an unreachable engine is a health state, not an error. */
async function health(client: TinyKvClient, signal: AbortSignal): Promise<EngineHealth> {
  try {
    const answer = await client.health(signal);
    return { ok: answer.status === 'ok', version: answer.version, message: answer.status === 'ok' ? null : `TinyKV status: ${answer.status}` };
  } catch (error) {
    return { ok: false, version: null, message: error instanceof Error ? error.message : String(error) };
  }
}
