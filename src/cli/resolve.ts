// Names or ids: the CLI accepts an engine's or a backup's name wherever it takes its id (like velero and
// milvus-backup, which address backups by name).
import type { GatewayClient } from './client.ts';
import { CliError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolveEngineId(client: GatewayClient, nameOrId: string): Promise<string> {
  const { engines } = await client.request<{ engines: Array<{ id: string; name: string }> }>('{ engines { id name } }');
  const match = engines.find((e) => e.name === nameOrId) ?? (UUID.test(nameOrId) ? engines.find((e) => e.id === nameOrId.toLowerCase()) : undefined);
  if (!match) {
    const known = engines.map((e) => e.name).join(', ') || 'none registered';
    throw new CliError('engine_not_found', `No engine named or with id "${nameOrId}" (engines: ${known})`);
  }
  return match.id;
}

interface BackupPage {
  nodes: Array<{ id: string; name: string; createdAt: string; engine: { name: string } | null }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * A backup by id, or by name among the catalog's backups (deleted ones included only by id). A name two backups
 * share is refused with their ids, so the user picks one.
 */
export async function resolveBackupId(client: GatewayClient, nameOrId: string): Promise<string> {
  if (UUID.test(nameOrId)) return nameOrId.toLowerCase();
  const matches: Array<{ id: string; createdAt: string; engine: { name: string } | null }> = [];
  let after: string | null = null;
  // The API has no name filter: walk the catalog a page at a time.
  for (;;) {
    const { backups }: { backups: BackupPage } = await client.request<{ backups: BackupPage }>(
      'query($after: String) { backups(first: 500, after: $after) { nodes { id name createdAt engine { name } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    matches.push(...backups.nodes.filter((b) => b.name === nameOrId));
    if (!backups.pageInfo.hasNextPage || !backups.pageInfo.endCursor) break;
    after = backups.pageInfo.endCursor;
  }
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new CliError('backup_not_found', `No backup named or with id "${nameOrId}"`);
  const listed = matches.map((b) => `  ${b.id}  ${b.engine?.name ?? '-'}  ${b.createdAt}`).join('\n');
  throw new CliError('backup_name_ambiguous', `${matches.length} backups are named "${nameOrId}"; give one of their ids:\n${listed}`);
}
