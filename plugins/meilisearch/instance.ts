// Instance configuration of a logical backup (extras/instance): experimental features, webhooks and the
// network topology — what a current Meilisearch holds outside its indexes and a restore needs so that
// settings gated by a feature (chat, foreignKeys) apply and notifications keep flowing. Each part is read
// only where the version has its route; the restore applies what the target's version knows and says
// what it drops. Webhook Authorization values are masked by the engine: removed and reported.
import { z } from 'zod';
import type { ArchiveReader, ArchiveWriter } from '../../src/storage/archive-types.ts';
import { GatewayError } from '../../src/errors.ts';
import { engineStatus, throwIfCanceled, type MeilisearchClient } from './client.ts';
import { instanceRoutesOf } from './versions.ts';

const webhookSchema = z.looseObject({ uuid: z.string().optional(), isEditable: z.boolean().optional(), url: z.string(), headers: z.record(z.string(), z.string()).default({}) });
const remoteSchema = z.looseObject({ url: z.string(), searchApiKey: z.string().nullable().optional(), writeApiKey: z.string().nullable().optional() });
const networkSchema = z.looseObject({
  self: z.string().nullable().optional(),
  remotes: z.record(z.string(), remoteSchema).default({}),
  shards: z.record(z.string(), z.looseObject({ remotes: z.array(z.string()) })).optional(),
});

export const instanceConfigSchema = z.object({
  experimentalFeatures: z.record(z.string(), z.boolean().nullable()).nullable(),
  webhooks: z.array(webhookSchema.pick({ url: true, headers: true })).nullable(),
  network: networkSchema.nullable(),
});
export type InstanceConfig = z.infer<typeof instanceConfigSchema>;

/** Reads what the version has; a route the key may not read is a warning, not a failed backup. */
export async function backupInstance(client: MeilisearchClient, archive: ArchiveWriter, version: string | null, signal: AbortSignal, warnings: string[]): Promise<void> {
  const routes = instanceRoutesOf(version);
  const config: InstanceConfig = { experimentalFeatures: null, webhooks: null, network: null };
  const read = async <T>(what: string, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await run();
    } catch (error) {
      const status = engineStatus(error);
      if (status !== 401 && status !== 403 && status !== 400) throw error;
      warnings.push(`${what} not backed up: ${(error as Error).message}`);
      return null;
    }
  };
  if (routes.experimentalFeatures) {
    config.experimentalFeatures = await read('experimental features', async () =>
      z.record(z.string(), z.boolean().nullable()).parse(await client.getInstance('experimental-features', signal)),
    );
  }
  if (routes.webhooks) {
    const listed = await read('webhooks', async () => z.object({ results: z.array(webhookSchema) }).parse(await client.getInstance('webhooks', signal)).results);
    config.webhooks =
      listed === null
        ? null
        : listed
            .filter((webhook) => webhook.isEditable !== false)
            .map((webhook) => {
              const headers = { ...webhook.headers };
              for (const name of Object.keys(headers)) {
                if (name.toLowerCase() !== 'authorization') continue;
                delete headers[name];
                warnings.push(`webhook ${webhook.url}: its ${name} header is masked by Meilisearch and was not backed up; set it again after a restore`);
              }
              return { url: webhook.url, headers };
            });
  }
  // /network answers only with the `network` feature on; off means there is no topology to keep
  if (routes.network && config.experimentalFeatures?.['network'] === true) {
    config.network = await read('network', async () => networkSchema.parse(await client.getInstance('network', signal)));
  }
  await archive.writeExtra('instance', config);
}

/** Applies the archived configuration the target's version knows; returns what was dropped or skipped. */
export async function restoreInstance(client: MeilisearchClient, archive: ArchiveReader, version: string | null, signal: AbortSignal): Promise<string[]> {
  const raw = await archive.readExtra('instance');
  if (raw === undefined) return [];
  const parsed = instanceConfigSchema.safeParse(raw);
  if (!parsed.success) throw new GatewayError('archive_invalid', `extras/instance is not a Meilisearch instance configuration: ${parsed.error.message}`);
  const config = parsed.data;
  const routes = instanceRoutesOf(version);
  const warnings: string[] = [];
  throwIfCanceled(signal);

  const wanted = Object.entries(config.experimentalFeatures ?? {}).filter(([, on]) => on !== null && on !== false);
  if (wanted.length > 0 && !routes.experimentalFeatures) {
    warnings.push(`experimental features ${wanted.map(([name]) => name).join(', ')} not restored: Meilisearch ${version ?? 'of unknown version'} has no /experimental-features`);
  } else if (wanted.length > 0) {
    const known = z.record(z.string(), z.unknown()).parse(await client.getInstance('experimental-features', signal));
    const patch = Object.fromEntries(wanted.filter(([name]) => name in known));
    for (const [name] of wanted.filter(([n]) => !(n in known))) warnings.push(`experimental feature ${name} not restored: Meilisearch ${version ?? ''} does not have it`);
    if (Object.keys(patch).length > 0) await client.writeInstance('PATCH', 'experimental-features', patch, signal);
  }

  if (config.webhooks !== null && config.webhooks.length > 0) {
    if (!routes.webhooks) warnings.push(`${config.webhooks.length} webhook(s) not restored: Meilisearch ${version ?? 'of unknown version'} has no /webhooks (v1.17+)`);
    else {
      const existing = z.object({ results: z.array(webhookSchema) }).parse(await client.getInstance('webhooks', signal)).results;
      for (const webhook of config.webhooks) {
        if (existing.some((other) => other.url === webhook.url)) {
          warnings.push(`webhook ${webhook.url} not recreated: the target has a webhook with this URL already`);
          continue;
        }
        await client.writeInstance('POST', 'webhooks', webhook, signal);
      }
    }
  }

  if (config.network !== null && (config.network.self != null || Object.keys(config.network.remotes).length > 0)) {
    if (!routes.network) warnings.push(`the network topology was not restored: Meilisearch ${version ?? 'of unknown version'} has no /network (v1.13+)`);
    else {
      const remotes = Object.fromEntries(
        Object.entries(config.network.remotes).map(([name, r]) => [name, { url: r.url, searchApiKey: r.searchApiKey ?? null, writeApiKey: r.writeApiKey ?? null }]),
      );
      // `writeApiKey` exists from v1.19; an older target keeps url + searchApiKey
      if (!routes.networkWriteKeys) for (const remote of Object.values(remotes)) delete (remote as { writeApiKey?: unknown }).writeApiKey;
      await client.writeInstance('PATCH', 'network', { self: config.network.self ?? null, remotes }, signal);
    }
  }
  return warnings;
}
