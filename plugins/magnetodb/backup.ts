// Logical backup: describe each table for its schema, then scan it page by page (exclusive_start_key →
// last_evaluated_key) and stream the typed items, exactly as MagnetoDB returns them, into the archive.
// An incremental backup (`changedSince`) scans with a scan_filter on each table's update-time attribute.
import type { ArchiveWriter } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalBackupRequest, LogicalBackupResult } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { failIfMissing, readAhead, transferProgress } from '../../src/plugin.ts';
import { throwIfCanceled, type MagnetoDbClient, type ScanPage, type TableDescription, type TypedItem } from './client.ts';
import { changeFilter, resolveChangeTracking, type ChangeFilter, type UpdatedAtSetting } from './incremental.ts';
import { schemaFromDescription } from './table-schema.ts';

export interface TransferOptions {
  pageSize: number;
  batchSize: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  tableTimeoutMs: number;
  countItems: boolean;
  /** Per table, the attribute holding each item's update time (incremental backups). */
  updatedAtAttribute: Record<string, UpdatedAtSetting> | undefined;
  /** How far before `changedSince` an incremental backup starts taking items (writer clock skew, slow writes). */
  incrementalOverlapMs: number;
}

export async function logicalBackup(
  client: MagnetoDbClient,
  options: TransferOptions,
  request: LogicalBackupRequest,
  archive: ArchiveWriter,
  ctx: JobContext,
): Promise<LogicalBackupResult> {
  const { signal } = ctx;
  const warnings: string[] = [];
  const tables = await selectTables(client, request.collections, signal, warnings);
  const changes = incrementalFilters(tables, options, request.changedSince ?? null, warnings);

  let total: number | null = null;
  if (options.countItems) {
    total = 0;
    for (const [i, table] of tables.entries()) {
      const name = table.table_name;
      const change = changes.get(name);
      ctx.progress({ phase: 'counting', completed: i, total: tables.length, unit: 'tables', message: `counting ${change ? 'changed ' : ''}items of ${name}` });
      total += await client.countItems(name, signal, change?.filter ?? null);
      if (change !== undefined) {
        const untracked = await client.countItems(name, signal, change.missing);
        if (untracked > 0) warnings.push(`table ${name}: ${untracked} item(s) have no ${change.attribute} attribute; no incremental backup captures them, only a FULL one`);
      }
    }
  }

  const progress = transferProgress(ctx, total, { unit: 'items', bytes: () => archive.bytesWritten });
  progress.report('items', `${tables.length} table(s) to back up`);

  for (const table of tables) {
    throwIfCanceled(signal);
    const name = table.table_name;
    await archive.writeCollectionSchema(name, schemaFromDescription(table));
    const sink = archive.openDocuments(name);
    const filter = changes.get(name)?.filter ?? null;
    // A filtered page may come back short or empty with a marker: MagnetoDB filters the `limit` items it read.
    const pages = readAhead<TypedItem | null, ScanPage>(
      null,
      (start) => client.scan(name, { limit: options.pageSize, exclusiveStartKey: start, filter }, signal),
      (page) => page.lastEvaluatedKey ?? undefined,
    );
    for await (const page of pages) {
      throwIfCanceled(signal);
      if (page.items.length > 0) await sink.write(page.items);
      progress.completed += page.items.length;
      progress.report('items', `table ${name}`);
    }
    await sink.close();
  }
  return { engineVersion: null, warnings };
}

/**
 * The scan_filter of each table for an incremental backup (none for a full one); `incremental_not_supported`
 * before anything is written when a table has no update-time attribute configured.
 */
function incrementalFilters(tables: TableDescription[], options: TransferOptions, changedSince: string | null, warnings: string[]): Map<string, ChangeFilter> {
  const filters = new Map<string, ChangeFilter>();
  if (changedSince === null) return filters;
  for (const tracking of resolveChangeTracking(tables, options.updatedAtAttribute)) {
    filters.set(tracking.table, changeFilter(tracking, changedSince, options.incrementalOverlapMs));
  }
  if (filters.size > 0) {
    const overlap = options.incrementalOverlapMs > 0 ? ` minus an overlap of ${options.incrementalOverlapMs} ms` : '';
    warnings.push(
      `incremental since ${changedSince}${overlap}: holds only the ${[...filters.values()].map((filter) => filter.description).join('; ')}. ` +
        'Items deleted since then are not captured (a restore of the chain brings them back), and the times are those the writers stamped',
    );
  }
  return filters;
}

/** The named tables, each once; `collection_not_found` naming every missing one, before anything is written. */
export async function existingTables(client: MagnetoDbClient, names: readonly string[], signal: AbortSignal): Promise<TableDescription[]> {
  const tables: TableDescription[] = [];
  const missing: string[] = [];
  for (const name of new Set(names)) {
    const table = await client.findTable(name, signal);
    if (table === null) missing.push(name);
    else tables.push(table);
  }
  failIfMissing(missing, 'MagnetoDB table(s)');
  return tables;
}

/**
 * Every ACTIVE table, or the selected ones; an unknown name fails before anything is written.
 * Tables still being created or deleted hold nothing to back up (and cannot be scanned).
 */
async function selectTables(client: MagnetoDbClient, selected: string[] | null, signal: AbortSignal, warnings: string[]): Promise<TableDescription[]> {
  if (selected === null) {
    const tables: TableDescription[] = [];
    for (const name of await client.listTableNames(signal)) {
      const table = await client.findTable(name, signal);
      if (table === null) continue; // deleted since it was listed
      if (table.table_status === 'ACTIVE') tables.push(table);
      else warnings.push(`table ${name} was skipped: it is ${table.table_status}, not ACTIVE`);
    }
    return tables;
  }
  const tables = await existingTables(client, selected, signal);
  const inactive = tables.filter((table) => table.table_status !== 'ACTIVE');
  if (inactive.length > 0) {
    const states = inactive.map((table) => `${table.table_name} is ${table.table_status}`).join(', ');
    throw new GatewayError('engine_error', `MagnetoDB can only scan ACTIVE tables: ${states}`);
  }
  return tables;
}
