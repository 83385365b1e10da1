// The NATIVE strategy: MagnetoDB's own management backup API (engine-api.md §4.7). As shipped it only
// records metadata — each backup row stays CREATING at location "location" forever and no data moves — so a
// native backup here holds that record and nothing else, and says so. There is no native restore: the
// management restore call records a RESTORING row just as uselessly.
import { Readable } from 'node:stream';
import type { JobContext, NativeArtifactSink, NativeBackupRequest, NativeBackupResult } from '../../src/engines/contract.ts';
import { existingTables } from './backup.ts';
import { throwIfCanceled, type MagnetoDbClient, type ManagementBackup } from './client.ts';

/** The strategy object sent with each management backup; MagnetoDB stores and echoes it. */
const STRATEGY = { type: 'full', format: 'native', location: 'internal' } as const;

export const NO_DATA_WARNING =
  'MagnetoDB\'s management backup API moves no data: it only recorded a backup row per table (status CREATING, location "location"), ' +
  'which MagnetoDB never completes. This backup holds no items and cannot be restored; take a LOGICAL backup to keep the data';

export async function nativeBackup(client: MagnetoDbClient, request: NativeBackupRequest, sink: NativeArtifactSink, ctx: JobContext): Promise<NativeBackupResult> {
  const { signal } = ctx;
  const tables = await selectTables(client, request.collections, signal);
  const records: Array<{ table: string; reused: boolean; backup: ManagementBackup }> = [];
  for (const [i, table] of tables.entries()) {
    throwIfCanceled(signal);
    ctx.progress({ phase: 'management backup', completed: i, total: tables.length, unit: 'tables', message: `recording a management backup of ${table}` });
    // The API has no idempotency key: a job run again (after a gateway restart) finds the row it made by the request id.
    const earlier = (await client.listManagementBackups(table, signal)).find((backup) => backup.strategy?.['request_id'] === request.requestId);
    const backup = earlier ?? (await client.createManagementBackup(table, { backup_name: request.name, strategy: { ...STRATEGY, request_id: request.requestId } }, signal));
    records.push({ table, reused: earlier !== undefined, backup });
    sink.addExternal({
      path: `${table}/${backup.backup_id}`,
      location: `magnetodb-management:${client.managementBackupPath(table, backup.backup_id)}`,
      bytes: null,
      description: `MagnetoDB management backup ${backup.backup_id} of table ${table}: status ${backup.status}, location ${JSON.stringify(backup.location ?? null)} — a metadata row only, no data`,
    });
  }
  ctx.progress({ phase: 'management backup', completed: tables.length, total: tables.length, unit: 'tables', message: 'writing management-backup.json' });
  const record = {
    api: 'POST /v1/management/{project_id}/tables/{table_name}/backups',
    note: NO_DATA_WARNING,
    strategy: STRATEGY,
    requestId: request.requestId,
    backups: records.map(({ table, reused, backup }) => ({ table, reused, answer: backup })),
  };
  await sink.writeFile('management-backup.json', Readable.from([Buffer.from(JSON.stringify(record, null, 2) + '\n')]));
  const reused = records.filter((entry) => entry.reused).map((entry) => entry.table);
  return {
    engineVersion: null,
    // What the backup holds: no item of any table.
    collections: tables.map((name) => ({ name, documentCount: 0, bytes: null })),
    warnings: [NO_DATA_WARNING, ...(reused.length > 0 ? [`reused the management backup row this job had already recorded for ${reused.join(', ')}`] : [])],
    // One row per table, all listed as external artifacts: there is no single id of the backup.
    externalId: null,
  };
}

/**
 * The management API checks nothing (it records a backup of any name); the plugin does: an unknown table is
 * collection_not_found before any row is recorded. null = every table.
 */
async function selectTables(client: MagnetoDbClient, selected: string[] | null, signal: AbortSignal): Promise<string[]> {
  if (selected === null) return client.listTableNames(signal);
  return (await existingTables(client, selected, signal)).map((table) => table.table_name);
}
