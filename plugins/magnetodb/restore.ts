// Logical restore: create each table (original or new name) from its archived schema, wait for ACTIVE,
// then fill it. MagnetoDB has no rename, alias or swap, so a filled staging table could never take the
// live table's place: an atomic restore only ever creates tables that do not exist yet, and deletes every
// table it created on cancel or failure. Replacing an existing table needs atomic: false (drop, re-create, fill).
// mode 'apply' writes the archive's items on top of an existing table (created when missing), deleting nothing.
// An incremental chain arrives as one archive (base layer, then each increment) and is restored like any other.
import { z } from 'zod';
import type { ArchiveReader } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalRestoreRequest, LogicalRestoreResult, RestoreFacts, RestoreFactsRequest } from '../../src/engines/contract.ts';
import { archivedItems, dropEach, restoreProgress, totalOf, withRollback } from '../../src/plugin.ts';
import { GatewayError } from '../../src/errors.ts';
import { throwIfCanceled, type MagnetoDbClient } from './client.ts';
import type { TransferOptions } from './backup.ts';
import { fillTable, type FillContext, type RestoreProgress } from './fill.ts';
import { definitionFromSchema, keyAttributes, TABLE_NAME, tableSchemaFile } from './table-schema.ts';

interface RestorePlan {
  source: string;
  target: string;
  schema: z.infer<typeof tableSchemaFile>;
  exists: boolean;
  documentCount: number;
  expected: number;
}

export async function logicalRestore(
  client: MagnetoDbClient,
  options: TransferOptions,
  request: LogicalRestoreRequest,
  archive: ArchiveReader,
  ctx: JobContext,
): Promise<LogicalRestoreResult> {
  const { signal } = ctx;
  const plans = await planRestore(request, archive);
  const progress: RestoreProgress = restoreProgress(
    ctx,
    totalOf(plans, (plan) => plan.expected),
    'items',
  );
  progress.report('tables', `restoring ${plans.length} table(s)`);
  for (const plan of plans) {
    throwIfCanceled(signal);
    const live = await client.findTable(plan.target, signal);
    // A table already being deleted is as good as gone: wait for it instead of calling it existing.
    if (live?.table_status === 'DELETING') await client.dropTable(plan.target, { timeoutMs: options.tableTimeoutMs, signal });
    plan.exists = live !== null && live.table_status !== 'DELETING';
  }
  const apply = request.mode === 'apply';
  const existing = plans.filter((plan) => plan.exists).map((plan) => plan.target);
  if (request.atomic && !apply && existing.length > 0) {
    throw new GatewayError(
      'invalid_input',
      `MagnetoDB cannot replace an existing table atomically (it has no table rename or swap): ${existing.join(', ')} already exist(s). ` +
        'Restore under a new name, drop the table first, or restore with atomic: false to drop and re-create it in place.',
      { details: { collections: existing } },
    );
  }

  const fill: FillContext = { client, options, archive, ctx, progress };
  const created: string[] = [];
  // Non-atomic: what was written stays, as asked. Atomic: every table of this restore goes; none existed before.
  await withRollback(
    ctx,
    async () => {
      for (const plan of plans) {
        throwIfCanceled(signal);
        if (plan.exists && apply) {
          await client.waitUntilActive(plan.target, { timeoutMs: options.tableTimeoutMs, signal });
          progress.report('items', `table ${plan.target}: writing the archived items on top of the live table`);
          plan.documentCount = await fillTable(fill, plan.source, plan.target, keyAttributes(plan.schema));
          continue;
        }
        if (plan.exists) {
          progress.report('tables', `dropping the live table ${plan.target} to replace it (non-atomic restore)`);
          await client.dropTable(plan.target, { timeoutMs: options.tableTimeoutMs, signal });
        }
        progress.report('tables', `creating table ${plan.target}`);
        await client.createTable(definitionFromSchema(plan.schema, plan.target), signal);
        created.push(plan.target);
        await client.waitUntilActive(plan.target, { timeoutMs: options.tableTimeoutMs, signal });
        progress.report('items', `table ${plan.target}`);
        plan.documentCount = await fillTable(fill, plan.source, plan.target, keyAttributes(plan.schema));
      }
    },
    async () => {
      const timeoutMs = Math.min(options.tableTimeoutMs, 60_000);
      if (request.atomic) await dropEach(ctx, created, (table, signal) => client.dropTable(table, { timeoutMs, signal }), timeoutMs);
    },
  );
  return {
    collections: plans.map(({ source, target, documentCount }) => ({ source, target, documentCount })),
    warnings: [],
  };
}

async function planRestore(request: LogicalRestoreRequest, archive: ArchiveReader): Promise<RestorePlan[]> {
  const plans: RestorePlan[] = [];
  for (const { source, target, backupDocuments, schema } of await archivedItems(request, archive, tableSchemaFile, 'MagnetoDB table schema')) {
    if (!TABLE_NAME.test(target)) {
      throw new GatewayError('invalid_name', `"${target.slice(0, 64)}" is not a MagnetoDB table name: 3–255 characters of letters, digits, "_", "." and "-"`);
    }
    plans.push({ source, target, schema, exists: false, documentCount: 0, expected: backupDocuments });
  }
  return plans;
}

/** Restore plan facts: which target tables exist (with item counts when counting is on); no versions to compare. */
export async function restoreFacts(client: MagnetoDbClient, options: TransferOptions, request: RestoreFactsRequest, signal: AbortSignal): Promise<RestoreFacts> {
  const existing = [];
  for (const name of request.targets) {
    const live = TABLE_NAME.test(name) ? await client.findTable(name, signal) : null;
    if (live !== null && live.table_status !== 'DELETING') existing.push({ name, documentCount: options.countItems ? await client.countItems(name, signal) : null });
  }
  // No rename or swap: an existing table is replaced only in place (atomic: false). APPLY writes on top.
  return { engineVersion: null, existing, conversions: [], refusals: [], warnings: [], canApply: true, atomicReplace: false };
}
