// nativeBackup: milvus-backup's async create, keyed by the job's request id so a retried job picks up its own
// task instead of starting a second one, then get_backup polling until the task ends. milvus-backup cannot
// cancel: a canceled job waits for the task to end, deletes what it produced, and only then reports the cancel.
import type { JobContext, NativeArtifactSink, NativeBackupRequest, NativeBackupResult, NativeCollectionInfo } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { BackupStateCode, canceledError, engineCode, engineMessage, type BackupState, type CreateBackupBody, type MilvusBackupClient } from './client.ts';
import { milvusBackupOptions } from './options.ts';
import { dbCollections, displayName, parseNamespace, validateBackupName } from './names.ts';
import { isShutdown, pause, percentProgress, type PercentReporter } from '../../src/plugin.ts';
import { detectServer, formatFields, formatOf, type ServerFacts } from './generations.ts';

export interface PollOptions {
  pollIntervalMs: number;
  taskTimeoutMs: number;
}

const ROWS_UNKNOWN = 'milvus-backup v0.5.10+ does not report row counts: document counts are unknown';

/** CreateBackupRequest switches from the job's options: RBAC, meta-only (both spellings: v0.5.9 and v0.5.10+), format (v0.6). */
function backupFlags(request: NativeBackupRequest, server: ServerFacts): Partial<CreateBackupBody> {
  const options = milvusBackupOptions.parse(request.options ?? {});
  return {
    ...(options.rbac ? { rbac: true } : {}),
    ...(options.metaOnly ? { meta_only: true, strategy: 'meta_only' as const } : {}),
    ...formatFields(server.tool, options.format),
  };
}

export async function nativeBackup(
  client: MilvusBackupClient,
  options: PollOptions,
  request: NativeBackupRequest,
  sink: NativeArtifactSink,
  ctx: JobContext,
): Promise<NativeBackupResult> {
  validateBackupName(request.name);
  const selection = request.collections === null ? null : dbCollections(request.collections);
  if (ctx.signal.aborted) throw canceledError(ctx.signal);
  // The task id is the job's request id: recorded with the progress, a restarted gateway follows the same task.
  const report = percentProgress(ctx, request.requestId);
  const server = await detectServer(client, ctx.signal);
  const flags = backupFlags(request, server);
  ctx.logger.info('milvus-backup server', { tool: server.tool, milvusVersion: server.milvusVersion });

  const earlier = await findEarlierRun(client, request, ctx);
  let final = earlier?.state === BackupStateCode.SUCCESS ? earlier : null;
  const running = earlier !== null && (earlier.state === BackupStateCode.INITIAL || earlier.state === BackupStateCode.EXECUTING);
  // Stored before the create: a crash right after it still finds the task by the request id on the next run.
  await ctx.recordEngineTask?.(request.requestId);
  if (final === null && !running) {
    try {
      await client.createBackup({ backup_name: request.name, async: true, ...(selection === null ? {} : { db_collections: selection }), ...flags }, request.requestId, ctx.signal);
    } catch (error) {
      throw refineCreateError(error, request.name);
    }
    ctx.logger.info('milvus-backup create accepted', { backup: request.name, requestId: request.requestId });
  }
  final ??= await waitForBackup(client, options, request, ctx, report);
  report('complete', 100, { bytes: final.bytes });

  const warnings: string[] = [];
  const collections = resultCollections(final, request, warnings);
  sink.addExternal({
    path: request.name,
    location: `milvus-backup:${request.name}`,
    bytes: final.bytes,
    description: `milvus-backup backup "${request.name}" of ${collections.length} collection(s), kept in milvus-backup's object storage`,
  });
  const engineFormat = formatOf(server, final, milvusBackupOptions.parse(request.options ?? {}).format);
  return { engineVersion: final.milvusVersion ?? server.milvusVersion, engineFormat, collections, warnings, externalId: request.name };
}

/**
 * A retry of this job: its task is still known (running, finished or failed — a failed one is simply created
 * again), or its backup already exists (done). A backup of that name made by anyone else is a conflict.
 */
async function findEarlierRun(client: MilvusBackupClient, request: NativeBackupRequest, ctx: JobContext): Promise<BackupState | null> {
  const task = await client.getBackupById(request.requestId, ctx.signal);
  if (task !== null) {
    ctx.logger.info('milvus-backup already has the task of this job', { requestId: request.requestId, state: task.state });
    return task;
  }
  const existing = (await client.listBackups(ctx.signal)).find((backup) => backup.name === request.name);
  if (existing === undefined) return null;
  if (existing.id === request.requestId) return existing;
  throw new GatewayError('name_already_taken', `milvus-backup already has a backup named "${request.name}" (made by another request)`, {
    details: { name: request.name },
  });
}

function refineCreateError(error: unknown, name: string): unknown {
  if (!(error instanceof GatewayError)) return error;
  const message = engineMessage(error);
  if (engineCode(error) === 400 && /name/i.test(message)) return new GatewayError('invalid_name', error.message, { cause: error, details: error.details });
  if (/already exist|existing task/i.test(message)) {
    return new GatewayError('name_already_taken', `milvus-backup already has a backup or task named "${name}": ${message}`, { cause: error, details: error.details });
  }
  return error;
}

/** Polls until the task ends. After a cancel it keeps polling (without the job's signal), then cleans up. */
async function waitForBackup(client: MilvusBackupClient, options: PollOptions, request: NativeBackupRequest, ctx: JobContext, report: PercentReporter): Promise<BackupState> {
  const deadline = Date.now() + options.taskTimeoutMs;
  let drain: AbortSignal | null = null;
  let initialPolls = 0;
  for (;;) {
    if (drain === null && isShutdown(ctx.signal)) {
      ctx.logger.info('gateway shutting down: the milvus-backup task goes on; the job is followed again after the restart', { requestId: request.requestId });
      throw canceledError(ctx.signal);
    }
    if (drain === null && ctx.signal.aborted) {
      ctx.logger.warn('cancel requested: milvus-backup cannot cancel, waiting for its task to end to delete the backup', { backup: request.name });
      drain = AbortSignal.timeout(options.taskTimeoutMs);
    }
    const signal = drain ?? ctx.signal;
    let state: BackupState | null;
    try {
      state = (await client.getBackupById(request.requestId, signal)) ?? (await afterLostTask(client, request, signal));
    } catch (error) {
      if (drain === null && ctx.signal.aborted) continue;
      if (drain !== null) ctx.logger.error('lost track of the milvus-backup task after a cancel; the backup may remain', { backup: request.name, error: String(error) });
      throw drain !== null ? canceledError(ctx.signal) : error;
    }
    if (state.state === BackupStateCode.FAIL || state.state === BackupStateCode.TIMEOUT) {
      if (drain !== null) throw canceledError(ctx.signal);
      throw taskFailure(request.name, state);
    }
    if (state.state === BackupStateCode.SUCCESS) {
      if (drain === null) return state;
      await deleteAfterCancel(client, request.name, drain, ctx);
      throw canceledError(ctx.signal);
    }
    if (state.state === BackupStateCode.INITIAL && ++initialPolls > 1) {
      try {
        await checkNotTaken(client, request, signal);
      } catch (error) {
        if (drain === null && ctx.signal.aborted) continue;
        // After a cancel, a task that will never start has nothing to clean up.
        throw drain === null ? error : canceledError(ctx.signal);
      }
    }
    if (drain === null)
      report(state.state === BackupStateCode.INITIAL ? 'initializing' : state.progress <= 5 ? 'preparing' : 'copying collections', state.progress, {
        bytes: state.bytes || null,
        message: `milvus-backup task ${request.requestId}`,
      });
    if (Date.now() > deadline) {
      const message = `milvus-backup backup "${request.name}" still at ${state.progress}% after ${options.taskTimeoutMs} ms (task ${request.requestId})`;
      if (drain === null) throw new GatewayError('engine_timeout', message);
      ctx.logger.error('gave up waiting for the task of a canceled backup; the backup may remain', { backup: request.name, message });
      throw canceledError(ctx.signal);
    }
    await pause(options.pollIntervalMs, drain === null ? ctx.signal : null);
  }
}

/**
 * v0.5.10+ accepts an async create whose name appeared in storage meanwhile (e.g. from the CLI) and leaves the
 * task at INITIAL forever: a task still INITIAL is checked against the list.
 */
async function checkNotTaken(client: MilvusBackupClient, request: NativeBackupRequest, signal: AbortSignal): Promise<void> {
  const other = (await client.listBackups(signal)).find((backup) => backup.name === request.name && backup.id !== request.requestId);
  if (other !== undefined) {
    throw new GatewayError(
      'name_already_taken',
      `milvus-backup already has a backup named "${request.name}" (made meanwhile by another request); its task for this job will never start`,
      {
        details: { name: request.name },
      },
    );
  }
}

/**
 * The server no longer knows the task (it restarted): v0.5.9 reads the backup by name from storage; v0.5.10+
 * answers an empty brief for names it has no task for, so the backup list is what tells whether it finished.
 */
async function afterLostTask(client: MilvusBackupClient, request: NativeBackupRequest, signal: AbortSignal): Promise<BackupState> {
  const byName = await client.getBackupByName(request.name, signal);
  if (byName !== null && byName.id === request.requestId && byName.state === BackupStateCode.SUCCESS) return byName;
  const listed = (await client.listBackups(signal)).find((backup) => backup.name === request.name);
  if (listed !== undefined && (listed.id === null || listed.id === request.requestId)) return { ...listed, state: BackupStateCode.SUCCESS, progress: 100 };
  throw new GatewayError(
    'engine_error',
    `milvus-backup no longer knows task ${request.requestId} and has no backup "${request.name}": the server probably restarted while the backup ran (its tasks live in memory); start the backup again`,
    { details: { requestId: request.requestId } },
  );
}

function taskFailure(name: string, state: BackupState): GatewayError {
  const reason = state.errorMessage ?? 'no error message';
  const details = { engineMessage: reason, engineState: state.state };
  if (/collection .* not found/i.test(reason)) return new GatewayError('collection_not_found', `milvus-backup backup "${name}" failed: ${reason}`, { details });
  if (/already exist/i.test(reason)) return new GatewayError('name_already_taken', `milvus-backup backup "${name}" failed: ${reason}`, { details });
  const what = state.state === BackupStateCode.TIMEOUT ? 'timed out' : 'failed';
  return new GatewayError('engine_error', `milvus-backup backup "${name}" ${what}: ${reason}`, { details });
}

async function deleteAfterCancel(client: MilvusBackupClient, name: string, signal: AbortSignal, ctx: JobContext): Promise<void> {
  try {
    await client.deleteBackup(name, signal);
    ctx.logger.info('deleted the backup the canceled job produced', { backup: name });
  } catch (error) {
    ctx.logger.error('could not delete the backup of a canceled job; delete it with `milvus-backup delete`', { backup: name, error: String(error) });
  }
}

function resultCollections(final: BackupState, request: NativeBackupRequest, warnings: string[]): NativeCollectionInfo[] {
  if (final.collections !== null) {
    const collections = final.collections.map((c) => ({ name: displayName({ db: c.db, collection: c.collection }), documentCount: c.rows, bytes: c.bytes }));
    if (collections.some((c) => c.documentCount === null)) warnings.push(ROWS_UNKNOWN);
    return collections.sort((a, b) => a.name.localeCompare(b.name));
  }
  // Finished while the server restarted: v0.5.10+ then only lists names and total sizes.
  warnings.push('milvus-backup restarted during the backup: per-collection sizes and row counts are unknown');
  if (request.collections === null) return [];
  return request.collections.map((name) => ({ name: displayName(parseNamespace(name)), documentCount: null, bytes: null }));
}
