// Which Meilisearch version does what: features the plugin adapts to instead of failing on.
import { engineStatus, type MeilisearchClient } from './client.ts';

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

function atLeast(version: string | null, major: number, minor: number): boolean {
  const match = version === null ? null : /^v?(\d+)\.(\d+)/.exec(version);
  if (match === null) return false;
  const [actualMajor, actualMinor] = [Number(match[1]), Number(match[2])];
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}
