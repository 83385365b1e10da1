// nativeRestore: milvus-backup's async restore of a server-side backup (bulk import into Milvus), renamed by a
// collection suffix or a rename map, then get_restore polling. Existing target collections are dropped only
// when the request asks for it; milvus-backup cannot cancel a restore, so a cancel only stops the watching.
import { randomUUID } from 'node:crypto';
import type { JobContext, LogicalRestoreRequest, LogicalRestoreResult, NativeBackupHandle, RestoreFacts, RestoreFactsRequest } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { failIfMissing, pause, percentProgress, restoreItems, type PercentReporter } from '../../src/plugin.ts';
import type { PollOptions } from './backup.ts';
import { BackupStateCode, canceledError, type MilvusBackupClient, type RestoreBody, type RestoreState } from './client.ts';
import { dbCollections, displayName, isWholeDatabase, parseNamespace, restorePlan } from './names.ts';
import { milvusRestoreOptions, type MilvusRestoreOptions } from './options.ts';
import { detectServer, formatRefusals } from './generations.ts';

/** The restore request plus the opt-in the contract does not carry yet: replace existing target collections. */
export type MilvusRestoreRequest = LogicalRestoreRequest & { dropExisting?: boolean };

const ROWS_UNKNOWN = 'the backup does not record row counts (milvus-backup v0.5.10+): documentCount 0 means unknown';
const NOT_ATOMIC = 'milvus-backup restores are not atomic: collections are created under their target names and filled by bulk import';

export async function nativeRestore(
  client: MilvusBackupClient,
  options: PollOptions,
  request: MilvusRestoreRequest,
  backup: NativeBackupHandle,
  ctx: JobContext,
): Promise<LogicalRestoreResult> {
  if (request.mode === 'apply') {
    throw new GatewayError('capability_not_supported', 'milvus-backup restores whole collections: it cannot apply a backup on top of existing ones');
  }
  const name = backup.externalId ?? backup.external.find((artifact) => artifact.location.startsWith('milvus-backup:'))?.path;
  if (name === undefined) throw new GatewayError('backup_not_found', 'this native backup names no milvus-backup backup');
  const known = new Map(backup.collections.map((collection) => [collection.name, collection]));
  const items = restoreItems(request);
  // `db.*` (a backup whose catalog lists nothing, else the core restores the listed members) goes as a whole database.
  const wholeDatabases = items.filter((item) => isWholeDatabase(item.source)).map((item) => item.source);
  failIfMissing(
    items.map((item) => item.source).filter((collection) => known.size > 0 && !known.has(collection) && !isWholeDatabase(collection)),
    `milvus-backup backup "${name}": collection(s)`,
  );

  if (backup.engineFormat === 'snapshot') {
    // The plan refused this already; checked again against the server as it is now (it may have been swapped).
    const { refusals } = formatRefusals({ format: 'snapshot', milvusVersion: backup.engineVersion }, await detectServer(client, ctx.signal));
    if (refusals.length > 0) throw new GatewayError('restore_refused', refusals.join('; '), { details: { engineFormat: 'snapshot' } });
  }
  const restoreOptions = milvusRestoreOptions.parse(request.options ?? {});
  if (request.dropExisting === true && restoreOptions.skipCreateCollection) {
    throw new GatewayError('invalid_input', 'dropExisting and skipCreateCollection exclude each other: one drops the target collections, the other restores into them');
  }
  const plan = restorePlan(
    items.map((item) => item.source),
    Object.fromEntries(items.map((item) => [item.source, item.target])),
  );
  // A job re-queued after a gateway restart follows the restore task its first run started (JobContext.engineTask).
  const resumed = ctx.engineTask?.startsWith('gateway_restore_') ? ctx.engineTask : null;
  const taskId = resumed ?? `gateway_restore_${randomUUID().replaceAll('-', '')}`;
  const body: RestoreBody = {
    backup_name: name,
    async: true,
    id: taskId,
    // No selection (a backup made outside the gateway whose collections were never listed): all of it.
    ...(plan.collectionNames.length === 0 ? {} : wholeDatabases.length > 0 ? { db_collections: dbCollections(plan.collectionNames) } : { collection_names: plan.collectionNames }),
    ...(plan.suffix === null ? {} : { collection_suffix: plan.suffix }),
    ...(plan.renames === null ? {} : { collection_renames: plan.renames }),
    ...(request.dropExisting === true ? { dropExistCollection: true } : {}),
    ...restoreFlags(restoreOptions),
  };
  if (ctx.signal.aborted) throw canceledError(ctx.signal);
  const report = percentProgress(ctx, taskId);
  // Stored before the request, so a crash right after it still leaves the next run the task to follow.
  await ctx.recordEngineTask?.(taskId);
  if (resumed === null) {
    await client.restore(body, ctx.signal);
    ctx.logger.info('milvus-backup restore accepted', { backup: name, task: taskId });
  } else ctx.logger.info('following the milvus-backup restore task this job started before the gateway restarted', { backup: name, task: taskId });

  const final = await waitForRestore(client, options, name, taskId, ctx, report);
  if (items.length === 0 || wholeDatabases.length > 0) {
    const targets = final.targets.map((target) => displayName(parseNamespace(target)));
    const what = items.length === 0 ? 'every collection' : `every collection of ${wholeDatabases.join(', ')}`;
    return {
      collections: targets.map((target) => ({ source: target, target, documentCount: 0 })),
      warnings: [
        `restored ${what} of milvus-backup backup "${name}" (made outside the gateway; its collections were not listed): ${targets.join(', ') || 'none reported'}`,
        ROWS_UNKNOWN,
      ],
    };
  }
  return {
    collections: items.map(({ source }) => ({
      source,
      target: plan.targets.get(source) ?? source,
      documentCount: known.get(source)?.documentCount ?? 0,
    })),
    warnings: [...(request.atomic ? [NOT_ATOMIC] : []), ...(items.some(({ source }) => known.get(source)?.documentCount == null) ? [ROWS_UNKNOWN] : [])],
  };
}

/** RestoreBackupRequest switches: restoreIndex is always said (true by default: the backup's index definitions are rebuilt). */
function restoreFlags(options: MilvusRestoreOptions): Partial<RestoreBody> {
  return {
    restoreIndex: options.restoreIndex,
    ...(options.useAutoIndex ? { useAutoIndex: true } : {}),
    ...(options.metaOnly ? { metaOnly: true } : {}),
    ...(options.skipCreateCollection ? { skipCreateCollection: true } : {}),
    ...(options.rbac ? { rbac: true } : {}),
    ...(options.bucketName !== undefined && options.path !== undefined ? { bucket_name: options.bucketName, path: options.path } : {}),
  };
}

async function waitForRestore(client: MilvusBackupClient, options: PollOptions, name: string, taskId: string, ctx: JobContext, report: PercentReporter): Promise<RestoreState> {
  const deadline = Date.now() + options.taskTimeoutMs;
  for (;;) {
    let state: RestoreState | null;
    try {
      state = await client.getRestore(taskId, ctx.signal);
    } catch (error) {
      if (ctx.signal.aborted) throw restoreCanceled(ctx.signal, taskId);
      throw error;
    }
    if (state === null) {
      throw new GatewayError(
        'engine_error',
        `milvus-backup no longer knows restore task ${taskId} of backup "${name}": the server probably restarted (its tasks live in memory), or the gateway stopped before the restore was sent; the restore may be partly applied`,
      );
    }
    if (state.state === BackupStateCode.SUCCESS) {
      report('complete', 100);
      return state;
    }
    if (state.state === BackupStateCode.FAIL || state.state === BackupStateCode.TIMEOUT) throw restoreFailure(name, state);
    if (ctx.signal.aborted) throw restoreCanceled(ctx.signal, taskId);
    report(state.state === BackupStateCode.INITIAL ? 'initializing' : 'restoring', state.progress, { message: `milvus-backup restore task ${taskId}` });
    if (Date.now() > deadline) {
      throw new GatewayError('engine_timeout', `milvus-backup restore of "${name}" still at ${state.progress}% after ${options.taskTimeoutMs} ms (task ${taskId})`);
    }
    await pause(options.pollIntervalMs, ctx.signal);
    if (ctx.signal.aborted) throw restoreCanceled(ctx.signal, taskId);
  }
}

function restoreCanceled(signal: AbortSignal, taskId: string): GatewayError {
  return new GatewayError('job_canceled', `Restore canceled, but milvus-backup cannot cancel a restore: its task ${taskId} keeps running on the server and may have completed`, {
    cause: signal.reason,
    details: { restoreTask: taskId },
  });
}

function restoreFailure(name: string, state: RestoreState): GatewayError {
  const reason = state.errorMessage ?? 'no error message';
  const hint = /already exist/i.test(reason) ? ' (restore under new names, or ask to drop the existing collections)' : '';
  return new GatewayError('restore_failed', `milvus-backup restore of "${name}" failed: ${reason}${hint}`, {
    details: { engineMessage: reason, engineState: state.state },
  });
}

/**
 * Restore plan facts. milvus-backup cannot see live collections, so existence is unknown: a target that exists
 * makes milvus-backup refuse the restore, unless overwrite asks it to drop existing ones first. The backup's
 * format decides whether this server can take it at all (generations.ts formatRefusals).
 */
export async function restoreFacts(client: MilvusBackupClient, request: RestoreFactsRequest, signal: AbortSignal): Promise<RestoreFacts> {
  const facts: RestoreFacts = {
    engineVersion: null,
    existing: null,
    conversions: [],
    refusals: [],
    warnings: request.atomic ? [NOT_ATOMIC] : [],
    canApply: false,
    atomicReplace: false,
  };
  let server;
  try {
    server = await detectServer(client, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    facts.warnings.push(
      `milvus-backup could not be asked what it runs (${error instanceof Error ? error.message : String(error)}): the backup format was not checked against the target`,
    );
    return facts;
  }
  const verdict = formatRefusals({ format: request.sourceEngineFormat ?? null, milvusVersion: request.sourceEngineVersion }, server);
  return { ...facts, engineVersion: server.milvusVersion, refusals: verdict.refusals, warnings: [...facts.warnings, ...verdict.warnings] };
}
