// Logical restore over the API. Atomic (default): every collection is filled into a staging index and
// all of them are swapped in with one `swap-indexes` task, so readers never see a half restore;
// cancel or failure drops the staging indexes and leaves the live ones untouched. Selection, targets, staging
// names and progress totals come from the core's plan (restore-kit); this file knows only Meilisearch.
import { z } from 'zod';
import type { ArchiveReader } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalRestoreRequest, LogicalRestoreResult } from '../../src/engines/contract.ts';
import { archivedItems, restoreProgress, stagingOf, totalOf } from '../../src/plugin.ts';
import { GatewayError } from '../../src/errors.ts';
import { readVersion, supportsIndexRename } from './versions.ts';
import { fillIndex, waitSucceeded, type FillContext, type FillTarget, type RestoreProgress } from './fill.ts';
import type { TransferOptions } from './backup.ts';
import { throwIfCanceled, type MeilisearchClient } from './client.ts';
import { restoreArchivedKeys, wantsInstance, wantsKeys } from './restore-keys.ts';
import { settingsForTarget } from './dump/settings.ts';
import { restoreInstance } from './instance.ts';

const indexSchemaFile = z.looseObject({
  uid: z.string(),
  primaryKey: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  secretsRemoved: z.array(z.string()).optional(),
});

export interface RestoreItem extends FillTarget {
  source: string;
  target: string;
  expectedDocuments: number;
  staging?: string;
  /** Set by the fill: documents indexed. */
  documentCount?: number;
}

/**
 * Fills every item into `indexOf(item)` (ask it right before filling an item: in atomic mode it records the
 * staging index as started, for the rollback) and sets `item.documentCount`.
 */
export type FillItems = (fill: FillContext, indexOf: (item: RestoreItem) => string, mode: 'create' | 'replace', enqueued: Set<number> | null) => Promise<void>;

export interface RestoreRun {
  client: MeilisearchClient;
  options: TransferOptions;
  ctx: JobContext;
  /** The target's version (null when unknown): decides between swap `rename` and an empty target. */
  engineVersion: string | null;
  warnings: string[];
}

export async function logicalRestore(
  client: MeilisearchClient,
  options: TransferOptions,
  request: LogicalRestoreRequest,
  archive: ArchiveReader,
  ctx: JobContext,
): Promise<LogicalRestoreResult> {
  const warnings: string[] = [];
  const engineVersion = await readVersion(client, ctx.signal, warnings);
  const items = await readItems(request, archive, engineVersion, warnings);
  // Instance-level first: features gate settings (chat, foreignKeys) the indexes are about to receive.
  if (wantsInstance(request.options)) warnings.push(...(await restoreInstance(client, archive, engineVersion, ctx.signal)));
  const restored = await restoreItems({ client, options, ctx, engineVersion, warnings }, items, request, async (fill, indexOf, mode, enqueued) => {
    for (const item of items) {
      item.documentCount = await fillIndex(fill, item, indexOf(item), mode, enqueued, archive.readDocuments(item.source, options.batchSize));
    }
  });
  // Instance-level, after the indexes are in place: keys (same uid → same value under the same master key).
  if (wantsKeys(request.options)) restored.warnings.push(...(await restoreArchivedKeys(client, archive, ctx.signal)));
  return restored;
}

/**
 * Restores planned items, from whatever source `fillItems` reads. Atomic: staging indexes + one swap,
 * rolled back on cancel or failure. Not atomic: straight into the targets.
 */
export async function restoreItems(run: RestoreRun, items: RestoreItem[], request: LogicalRestoreRequest, fillItems: FillItems): Promise<LogicalRestoreResult> {
  const { client, options, ctx, warnings } = run;
  const renameSupported = supportsIndexRename(run.engineVersion);
  const progress: RestoreProgress = restoreProgress(
    ctx,
    totalOf(items, (item) => item.expectedDocuments),
  );
  const fill: FillContext = { client, options, ctx, progress, warnings };

  if (!request.atomic) {
    const enqueued = new Set<number>();
    try {
      await fillItems(fill, (item) => item.target, 'replace', enqueued);
    } catch (error) {
      // Non-atomic: what is already indexed stays; only our pending work is stopped.
      if (enqueued.size > 0) await cleanup(client, options, ctx, [], { uids: [...enqueued] });
      throw error;
    }
    return result(items, warnings);
  }

  const state: CommitState = { createdTargets: [], swap: 'none', swapTaskUid: null };
  const staged: string[] = [];
  for (const item of items) item.staging = stagingOf(request, item);
  const started = (item: RestoreItem): string => {
    if (!staged.includes(item.staging!)) staged.push(item.staging!);
    return item.staging!;
  };
  try {
    await fillItems(fill, started, 'create', null);
    // A backup set's members swap only when every one of them is filled (a refusal rolls this one back).
    await request.beforeSwap?.(ctx.signal);
    progress.report('swap', `swapping ${items.length} index(es) in`);
    const leftovers = await commit(client, options, ctx, items, renameSupported, state);
    await cleanup(client, options, ctx, leftovers, null);
  } catch (error) {
    if (swapOutcomeUnknown(state, error)) {
      // The swap may or may not have happened: deleting either side could delete the only good copy.
      ctx.logger.error('restore swap outcome unknown; staging indexes left for inspection', { swapTask: state.swapTaskUid, indexes: staged });
      throw error;
    }
    const drop = [...staged, ...state.createdTargets];
    await cleanup(client, options, ctx, drop, { indexUids: drop });
    throw error;
  }
  return result(items, warnings);
}

/** The plan's items with their archived schema (primary key, settings). */
async function readItems(request: LogicalRestoreRequest, archive: ArchiveReader, engineVersion: string | null, warnings: string[]): Promise<RestoreItem[]> {
  const items: RestoreItem[] = [];
  for (const { source, target, staging, backupDocuments, schema } of await archivedItems(request, archive, indexSchemaFile, 'Meilisearch index schema')) {
    for (const path of schema.secretsRemoved ?? []) {
      warnings.push(`index ${target}: ${path} was not in the backup (masked by Meilisearch); set it again on the index`);
    }
    // Settings the target's version predates are dropped (and said); ranking rules are rewritten for it.
    const converted = settingsForTarget(schema.settings, 'V6', engineVersion);
    for (const warning of converted.warnings) warnings.push(`index ${target}: ${warning}`);
    items.push({ source, target, staging: staging ?? undefined, expectedDocuments: backupDocuments, primaryKey: schema.primaryKey, settings: converted.settings });
  }
  return items;
}

interface CommitState {
  /** Empty targets created for the swap on servers without `rename`; dropped on rollback. */
  createdTargets: string[];
  swap: 'none' | 'requesting' | 'enqueued';
  swapTaskUid: number | null;
}

/** Only a refused request or a failed/canceled swap task proves the live indexes were not swapped. */
function swapOutcomeUnknown(state: CommitState, error: unknown): boolean {
  const code = error instanceof GatewayError ? error.code : null;
  if (state.swap === 'none') return false;
  if (state.swap === 'requesting') return code !== 'engine_error' && code !== 'collection_not_found';
  return code !== 'restore_failed';
}

/**
 * One swap task for every collection (all or nothing). A target that does not exist yet is renamed
 * into place (v1.18+ `rename`) or, on older servers, created empty first so both sides of the swap exist.
 * Once the swap is enqueued the job signal is no longer honoured: the commit runs to its end.
 * Returns the indexes left holding the replaced data.
 */
async function commit(
  client: MeilisearchClient,
  options: TransferOptions,
  ctx: JobContext,
  items: { target: string; staging?: string; primaryKey: string | null }[],
  rename: boolean,
  state: CommitState,
): Promise<string[]> {
  const swaps: { indexes: [string, string]; rename: boolean }[] = [];
  const leftovers: string[] = [];
  for (const item of items) {
    const staging = item.staging!;
    const exists = (await client.getIndex(item.target, ctx.signal)) !== null;
    if (!exists && rename) {
      swaps.push({ indexes: [staging, item.target], rename: true });
      continue;
    }
    if (!exists) {
      state.createdTargets.push(item.target);
      await waitSucceeded(client, options, ctx.signal, await client.createIndex(item.target, item.primaryKey, ctx.signal), item.target);
    }
    swaps.push({ indexes: [item.target, staging], rename: false });
    leftovers.push(staging);
  }
  throwIfCanceled(ctx.signal);
  const commitSignal = AbortSignal.timeout(options.taskTimeoutMs);
  state.swap = 'requesting';
  state.swapTaskUid = await client.swapIndexes(swaps, commitSignal);
  state.swap = 'enqueued';
  await waitSucceeded(client, options, commitSignal, state.swapTaskUid, items.map((item) => item.target).join(', '));
  return leftovers;
}

/**
 * Cancels our pending engine tasks, then deletes the given indexes and waits until they are gone.
 * Runs on its own signal (the job's may be aborted); a cleanup failure is logged, never hides the cause.
 */
async function cleanup(
  client: MeilisearchClient,
  options: TransferOptions,
  ctx: JobContext,
  indexes: string[],
  cancelFilter: { indexUids?: string[]; uids?: number[] } | null,
): Promise<void> {
  const signal = AbortSignal.timeout(Math.min(options.taskTimeoutMs, 60_000));
  try {
    if (cancelFilter !== null) await client.waitForTask(await client.cancelTasks(cancelFilter, signal), { signal, timeoutMs: options.taskTimeoutMs });
    const deletions = [];
    for (const uid of indexes) deletions.push(await client.deleteIndex(uid, signal));
    for (const taskUid of deletions) {
      const task = await client.waitForTask(taskUid, { signal, timeoutMs: options.taskTimeoutMs });
      if (task.status === 'failed' && task.error?.code !== 'index_not_found') {
        ctx.logger.error('could not delete a restore index', { task: task.uid, error: task.error?.message });
      }
    }
  } catch (error) {
    ctx.logger.error('restore cleanup failed; indexes may be left behind', { indexes, error: error instanceof Error ? error.message : String(error) });
  }
}

function result(items: { source: string; target: string; documentCount?: number }[], warnings: string[]): LogicalRestoreResult {
  return { collections: items.map(({ source, target, documentCount }) => ({ source, target, documentCount: documentCount ?? 0 })), warnings };
}
