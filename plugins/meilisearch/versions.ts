// Which Meilisearch version does what: features the plugin adapts to instead of failing on.
import type { RestoreFacts, RestoreFactsRequest } from '../../src/engines/contract.ts';
import { compareVersions, majorOf } from '../../src/plugin.ts';
import { engineStatus, type MeilisearchClient } from './client.ts';
import { settingsNewerThan } from './dump/settings.ts';

/** The server's pkgVersion; null (with a warning) when the key may not read it. */
export async function readVersion(client: MeilisearchClient, signal: AbortSignal, warnings: string[]): Promise<string | null> {
  try {
    return await client.version(signal);
  } catch (error) {
    const status = engineStatus(error);
    if (status !== 401 && status !== 403) throw error;
    warnings.push('engine version unknown: the configured API key lacks the `version` action');
    return null;
  }
}

/** `retrieveVectors` on the documents routes is stable from v1.13 (experimental before). */
export function supportsRetrieveVectors(version: string | null): boolean {
  return atLeast(version, 1, 13);
}

/** `swap-indexes` accepts `rename: true` (move an index to a free name) from v1.18. */
export function supportsIndexRename(version: string | null): boolean {
  return atLeast(version, 1, 18);
}

/** Instance configuration routes: `/experimental-features` (v1.3), `/network` (v1.13), `/webhooks` (v1.17). */
export function instanceRoutesOf(version: string | null): { experimentalFeatures: boolean; network: boolean; networkWriteKeys: boolean; webhooks: boolean } {
  return { experimentalFeatures: atLeast(version, 1, 3), network: atLeast(version, 1, 13), networkWriteKeys: atLeast(version, 1, 19), webhooks: atLeast(version, 1, 17) };
}

/** `attributeRank` / `wordPosition` ranking rules (v1.36; the default rules use them from then on). */
export function supportsAttributeRank(version: string | null): boolean {
  return atLeast(version, 1, 36);
}

function atLeast(version: string | null, major: number, minor: number): boolean {
  const match = version === null ? null : /^v?(\d+)\.(\d+)/.exec(version);
  if (match === null) return false;
  const [actualMajor, actualMinor] = [Number(match[1]), Number(match[2])];
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

/** Restore plan facts: which targets exist, and whether this server can take a backup of `sourceVersion`. */
export async function restoreFacts(client: MeilisearchClient, request: RestoreFactsRequest, signal: AbortSignal): Promise<RestoreFacts> {
  const warnings: string[] = [];
  const engineVersion = await readVersion(client, signal, warnings);
  const existing = [];
  for (const name of request.targets) {
    if ((await client.getIndex(name, signal)) !== null) existing.push({ name, documentCount: await client.documentCount(name, signal) });
  }
  const refusals: string[] = [];
  const conversions: string[] = [];
  const [source, target] = [majorOf(request.sourceEngineVersion), majorOf(engineVersion)];
  if (target !== null && target < 1) refusals.push(`Meilisearch ${engineVersion} is too old: the gateway restores into Meilisearch 1.0 or newer`);
  if (source !== null && target !== null && source > target) {
    refusals.push(`the backup comes from Meilisearch ${request.sourceEngineVersion}, newer than the target's ${engineVersion}: its settings may not exist there`);
  } else if ((compareVersions(request.sourceEngineVersion, engineVersion) ?? 0) > 0) {
    conversions.push(...downgradeConversions(request.sourceEngineVersion, engineVersion));
    warnings.push(
      `the backup comes from Meilisearch ${request.sourceEngineVersion}, newer than the target's ${engineVersion}: settings and experimental features the target does not know are dropped (each one said in the restore's warnings)`,
    );
  }
  if (request.strategy === 'NATIVE' && source !== null && source < 1) {
    conversions.push(`settings of a Meilisearch ${request.sourceEngineVersion} dump are converted to the target's format (ranking rules, faceting)`);
  }
  if (request.strategy === 'NATIVE') {
    warnings.push(
      "the dump's API keys with a uid are recreated (same master key → same values; each key that cannot be is named); its tasks, network, webhooks and experimental features are skipped, each named with the reason",
    );
  }
  return { engineVersion, existing, conversions, refusals, warnings, canApply: false, atomicReplace: true };
}

/** What a restore from a newer Meilisearch into an older one drops or rewrites, listed in the plan. */
export function downgradeConversions(source: string | null, target: string | null): string[] {
  const out = settingsNewerThan(source, target).map((name) => `index setting \`${name}\` (newer than Meilisearch ${target}) is dropped where set`);
  if (supportsAttributeRank(source) && !supportsAttributeRank(target)) out.push('ranking rules `attributeRank` / `wordPosition` become `attribute` (Meilisearch < 1.36)');
  const [from, to] = [instanceRoutesOf(source), instanceRoutesOf(target)];
  if (from.webhooks && !to.webhooks) out.push('webhooks are not restored (no /webhooks before Meilisearch 1.17)');
  if (from.network && !to.network) out.push('the network topology is not restored (no /network before Meilisearch 1.13)');
  if (from.experimentalFeatures && !to.experimentalFeatures) out.push('experimental features are not restored (no /experimental-features before Meilisearch 1.3)');
  return out;
}
