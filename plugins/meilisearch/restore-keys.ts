// API keys of a logical archive (extras/keys: metadata, never secrets) recreated with their uid. Meilisearch
// derives a key's value as HMAC-SHA256(master key, uid): under the same master key the recreated key answers with
// its old value, so applications keep working. Each key that cannot be recreated is said, with the reason.
// A dump's keys are recreated the same way; its instance-level settings are listed as skipped, with the reason.
import { z } from 'zod';
import type { ArchiveReader } from '../../src/storage/archive-types.ts';
import { GatewayError } from '../../src/errors.ts';
import { isEngineCode, throwIfCanceled, type KeyMetadata, type MeilisearchClient } from './client.ts';
import type { DumpSummary } from './dump/reader.ts';

const archivedKeys = z.object({
  keys: z.array(
    z.object({
      uid: z.string(),
      name: z.string().nullable(),
      description: z.string().nullable(),
      actions: z.array(z.string()),
      indexes: z.array(z.string()),
      expiresAt: z.string().nullable(),
    }),
  ),
});

export const meilisearchRestoreOptions = z.strictObject({
  /** Recreate the archive's API keys (same uid → same key value under the same master key). */
  keys: z.boolean().default(true),
  /** Apply the archive's instance configuration (experimental features, webhooks, network) before the indexes. */
  instance: z.boolean().default(true),
});

/** Whether this restore applies the archived instance configuration: a user's restore only, like keys. */
export function wantsInstance(options: Record<string, unknown> | undefined): boolean {
  return options !== undefined && meilisearchRestoreOptions.parse(options).instance;
}

/** Whether this restore recreates keys: only a user's restore (the core passes options), never a restore test. */
export function wantsKeys(options: Record<string, unknown> | undefined): boolean {
  return options !== undefined && meilisearchRestoreOptions.parse(options).keys;
}

export async function restoreArchivedKeys(client: MeilisearchClient, archive: ArchiveReader, signal: AbortSignal): Promise<string[]> {
  const raw = await archive.readExtra('keys');
  if (raw === undefined) return ['the archive holds no API keys (the backup could not list them): none recreated'];
  const parsed = archivedKeys.safeParse(raw);
  if (!parsed.success) throw new GatewayError('archive_invalid', `extras/keys is not a list of Meilisearch key metadata: ${parsed.error.message}`);
  return recreateKeys(client, parsed.data.keys, signal);
}

export async function recreateKeys(client: MeilisearchClient, keys: KeyMetadata[], signal: AbortSignal): Promise<string[]> {
  const warnings: string[] = [];
  let created = 0;
  for (const key of keys) {
    throwIfCanceled(signal);
    const label = `API key ${key.uid}${key.name ? ` ("${key.name}")` : ''}`;
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.now()) {
      warnings.push(`${label} not recreated: it expired at ${key.expiresAt} (Meilisearch refuses an expiry in the past)`);
      continue;
    }
    try {
      await client.createKey(key, signal);
      created++;
    } catch (error) {
      if (isEngineCode(error, 'api_key_already_exists')) warnings.push(`${label} not recreated: a key with this uid exists on the target already (left as it is)`);
      else if (error instanceof GatewayError && error.code === 'engine_auth_failed')
        warnings.push(`${label} not recreated: the engine key may not create keys (needs keys.create)`);
      else if (error instanceof GatewayError && error.code === 'engine_error') warnings.push(`${label} not recreated: ${error.message}`);
      else throw error;
    }
  }
  if (keys.length > 0) {
    warnings.unshift(`${created} of ${keys.length} API key(s) recreated with their uid: their values are the old ones only if the target runs with the same master key`);
  }
  return warnings;
}

/** A dump's keys recreated like an archive's; keys without uid (v4) and instance-level settings said, with the reason. */
export async function restoreDumpInstance(client: MeilisearchClient, summary: DumpSummary, signal: AbortSignal): Promise<string[]> {
  const warnings = summary.keys.length > 0 ? await recreateKeys(client, summary.keys, signal) : [];
  if (summary.keysWithoutUid > 0) {
    warnings.push(
      `${summary.keysWithoutUid} API key(s) of this dump (format ${summary.dumpVersion}) not recreated: they have no uid (before Meilisearch 0.28 key values were random), so no key could get its old value`,
    );
  }
  return [...warnings, ...skippedInstanceSettings(summary.instance)];
}

/** Instance-level settings of a dump, each with why the restore leaves the target's own as they are. */
export function skippedInstanceSettings(instance: DumpSummary['instance']): string[] {
  const skipped: string[] = [];
  const enabled = Object.entries(instance.experimentalFeatures ?? {}).filter(([, value]) => value === true);
  if (enabled.length > 0) {
    skipped.push(
      `experimental features enabled in the dump (${enabled.map(([name]) => name).join(', ')}) not applied: they are switches of the whole target instance, left as they are (PATCH /experimental-features sets them)`,
    );
  }
  const remotes = Object.keys((instance.network?.['remotes'] as Record<string, unknown> | undefined) ?? {});
  if (instance.network?.['self'] != null || remotes.length > 0) {
    skipped.push(
      `network settings of the dump (self ${JSON.stringify(instance.network?.['self'] ?? null)}, ${remotes.length} remote(s)) not applied: they describe the source's cluster (PATCH /network sets them when the target joins it)`,
    );
  }
  const webhooks = Object.keys((instance.webhooks?.['webhooks'] as Record<string, unknown> | undefined) ?? {});
  if (webhooks.length > 0) {
    skipped.push(
      `${webhooks.length} webhook(s) of the dump not applied: they would send the target's task notifications to the source's receivers, with their authorization headers (POST /webhooks registers them)`,
    );
  }
  return skipped;
}
