// Native backup = a Meilisearch dump. v0.28+: `POST /dumps` is a task, followed to its end (with the
// batch's progress steps on v1.12+) and canceled with `POST /tasks/cancel`. Before v0.28: `POST /dumps`
// → `{uid, status}`, polled on `GET /dumps/:uid/status`. The finished `<dumpUid>.dump` is copied into
// gateway storage when the server's dumps folder is mounted (`dumpsDir`), else cataloged as external.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobContext, NativeArtifactSink, NativeBackupRequest, NativeBackupResult, NativeCollectionInfo } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { percentProgress, selectNamed, sleepOrCancel } from '../../src/plugin.ts';
import { canceledError, engineStatus, isEngineCode, throwIfCanceled, type MeilisearchClient } from './client.ts';
import { readDumpSummary } from './dump/reader.ts';
import { parseVersion } from './dump/settings.ts';
import { snapshotBackup } from './native-snapshot.ts';
import { readVersion } from './versions.ts';

export interface NativeOptions {
  /** The server's dumps folder as mounted on the gateway host; undefined = the dump stays on the server. */
  dumpsDir: string | undefined;
  /** The server's snapshots folder (--snapshot-dir) as mounted on the gateway host; undefined = the snapshot stays there. */
  snapshotsDir?: string | undefined;
  taskTimeoutMs: number;
}

export const POLL_MS = { first: 50, max: 1000 };
/** A dump is moved into the dumps folder before its task succeeds; a network mount may lag a little. */
const FILE_APPEAR_MS = 5000;

export async function nativeBackup(
  client: MeilisearchClient,
  options: NativeOptions,
  request: NativeBackupRequest,
  sink: NativeArtifactSink,
  ctx: JobContext,
): Promise<NativeBackupResult> {
  // backup option `native: "snapshot"`: `POST /snapshots` instead of a dump (native-snapshot.ts)
  if (request.options?.['native'] === 'snapshot') return snapshotBackup(client, options, request, sink, ctx);
  const warnings: string[] = [];
  const engineVersion = await readVersion(client, ctx.signal, warnings);
  await checkSelection(client, request.collections, ctx.signal, warnings);
  const legacy = isBefore(engineVersion, 0, 28);
  const dumpUid = legacy ? await legacyDump(client, options, ctx) : await taskDump(client, options, engineVersion, ctx);
  const fileName = `${dumpUid}.dump`;

  let collections: NativeCollectionInfo[];
  if (options.dumpsDir === undefined) {
    sink.addExternal({
      path: fileName,
      location: `meilisearch-server:dumps/${fileName}`,
      bytes: null,
      description: "Meilisearch dump in the server's dumps folder (--dump-dir); import it with --import-dump",
    });
    warnings.push(
      `the dump file ${fileName} stays on the Meilisearch server (no dumpsDir configured): it is not in gateway storage and this backup cannot be restored through the gateway`,
    );
    collections = await apiCollections(client, ctx.signal);
  } else {
    const path = join(options.dumpsDir, fileName);
    await copyDump(path, fileName, sink, ctx);
    collections = await dumpCollections(client, path, ctx.signal, warnings);
  }
  // The catalog lists what was asked for; the file itself still holds every index (said in the warnings).
  const selected = request.collections === null ? collections : collections.filter((collection) => request.collections!.includes(collection.name));
  return { engineVersion, collections: selected, warnings, externalId: dumpUid };
}

function isBefore(version: string | null, major: number, minor: number): boolean {
  const parsed = parseVersion(version);
  return parsed !== null && (parsed[0] < major || (parsed[0] === major && parsed[1] < minor));
}

/** A dump is always whole: a selection is only checked, and the backup says it holds everything. */
export async function checkSelection(client: MeilisearchClient, selected: string[] | null, signal: AbortSignal, warnings: string[]): Promise<void> {
  if (selected === null) return;
  selectNamed(await client.listIndexes(signal), selected, (index) => index.uid, 'Meilisearch index(es)');
  warnings.push('a Meilisearch dump always contains every index (and keys, tasks, instance settings): the file holds more than the selected indexes');
}

function alreadyInProgress(detail: string, cause?: unknown): GatewayError {
  return new GatewayError('job_already_in_progress', `A Meilisearch dump is already in progress: ${detail}`, cause === undefined ? undefined : { cause });
}

async function taskDump(client: MeilisearchClient, options: NativeOptions, version: string | null, ctx: JobContext): Promise<string> {
  const { signal } = ctx;
  const pendingFilter = { types: ['dumpCreation'], statuses: ['enqueued', 'processing'] };
  const pending = await client.findTasks(pendingFilter, signal);
  if (pending.length > 0) throw alreadyInProgress(`task ${pending.join(', ')}`);
  const taskUid = await client.createDump(signal);
  // Two requests may have passed the check at once: the older dump task wins, ours is withdrawn.
  const older = (await client.findTasks(pendingFilter, signal)).filter((uid) => uid < taskUid);
  if (older.length > 0) {
    await cancelTask(client, options, taskUid, ctx);
    throw alreadyInProgress(`task ${older.join(', ')}`);
  }
  try {
    return await followDumpTask(client, options, taskUid, !isBefore(version, 1, 12), ctx);
  } catch (error) {
    if (signal.aborted) {
      await cancelTask(client, options, taskUid, ctx);
      throw canceledError(signal);
    }
    throw error;
  }
}

async function followDumpTask(client: MeilisearchClient, options: NativeOptions, taskUid: number, batches: boolean, ctx: JobContext): Promise<string> {
  const deadline = Date.now() + options.taskTimeoutMs;
  const percent = percentProgress(ctx);
  const report = (phase: string, completed: number, message: string) => percent(phase, completed, { message });
  for (let interval = POLL_MS.first; ; interval = Math.min(interval * 2, POLL_MS.max)) {
    const task = await client.getTask(taskUid, ctx.signal);
    if (task.status === 'succeeded') {
      const dumpUid = task.details?.['dumpUid'];
      if (typeof dumpUid !== 'string') throw new GatewayError('engine_error', `Meilisearch dump task ${taskUid} succeeded without a dumpUid`);
      report('dump created', 100, `dump ${dumpUid}`);
      return dumpUid;
    }
    if (task.status === 'failed' || task.status === 'canceled') {
      const reason = task.error === null ? task.status : `${task.error.message} (${task.error.code})`;
      throw new GatewayError('engine_error', `Meilisearch dump task ${taskUid} ${task.status}: ${reason}`, { details: { taskUid, engineCode: task.error?.code ?? null } });
    }
    if (task.status === 'enqueued') report('enqueued', 0, `dump task ${taskUid} waits in the task queue`);
    else {
      const progress = batches && task.batchUid !== null ? await batchProgress(client, task.batchUid, ctx) : null;
      const step = progress?.steps.at(-1);
      if (progress && step) {
        report(step.currentStep, Math.min(99, Math.floor(progress.percentage)), progress.steps.map((s) => `${s.currentStep} ${s.finished}/${s.total}`).join(' › '));
      } else report('creating the dump', 0, `dump task ${taskUid} is processing`);
    }
    if (Date.now() + interval > deadline) {
      throw new GatewayError('engine_timeout', `Meilisearch dump task ${taskUid} still ${task.status} after ${options.taskTimeoutMs} ms`, { details: { taskUid } });
    }
    await sleepOrCancel(interval, ctx.signal);
  }
}

/** The batch's progress, or null when the server cannot show it (no batches route, or no permission). */
export async function batchProgress(client: MeilisearchClient, batchUid: number, ctx: JobContext) {
  try {
    return await client.getBatchProgress(batchUid, ctx.signal);
  } catch (error) {
    const status = engineStatus(error);
    if (status === null || status >= 500) throw error;
    ctx.logger.debug('batch progress unavailable', { batchUid, error: (error as Error).message });
    return null;
  }
}

/** Cancels our dump task on its own signal (the job's may be aborted); a failure is logged, not thrown. */
export async function cancelTask(client: MeilisearchClient, options: NativeOptions, taskUid: number, ctx: JobContext): Promise<void> {
  const signal = AbortSignal.timeout(Math.min(options.taskTimeoutMs, 60_000));
  try {
    const cancel = await client.cancelTasks({ uids: [taskUid] }, signal);
    await client.waitForTask(cancel, { signal, timeoutMs: options.taskTimeoutMs });
  } catch (error) {
    ctx.logger.error('could not cancel the Meilisearch dump task', { taskUid, error: (error as Error).message });
  }
}

async function legacyDump(client: MeilisearchClient, options: NativeOptions, ctx: JobContext): Promise<string> {
  const { signal } = ctx;
  let dump;
  try {
    dump = await client.createLegacyDump(signal);
  } catch (error) {
    if (isEngineCode(error, 'dump_already_processing', 'dump_already_in_progress') || engineStatus(error) === 409)
      throw alreadyInProgress('the server refused a second dump', error);
    throw error;
  }
  const deadline = Date.now() + options.taskTimeoutMs;
  ctx.progress({ phase: 'creating the dump', completed: 0, total: null, unit: 'percent', message: `dump ${dump.uid} in progress` });
  for (let interval = POLL_MS.first; ; interval = Math.min(interval * 2, POLL_MS.max)) {
    if (dump.status === 'done') break;
    if (dump.status === 'failed') {
      throw new GatewayError('engine_error', `Meilisearch dump ${dump.uid} failed: ${dump.error ?? 'no reason given'}`, {
        details: { dumpUid: dump.uid, engineCode: 'dump_process_failed' },
      });
    }
    if (Date.now() + interval > deadline) throw new GatewayError('engine_timeout', `Meilisearch dump ${dump.uid} still in progress after ${options.taskTimeoutMs} ms`);
    try {
      await sleepOrCancel(interval, signal);
    } catch (error) {
      // Servers before v0.28 cannot stop a dump: it finishes on the server side.
      ctx.logger.warn('canceled; Meilisearch before v0.28 cannot cancel a dump, it completes on the server', { dumpUid: dump.uid });
      throw error;
    }
    dump = await client.legacyDumpStatus(dump.uid, signal);
  }
  percentProgress(ctx)('dump created', 100, { message: `dump ${dump.uid}` });
  return dump.uid;
}

export async function copyDump(path: string, fileName: string, sink: NativeArtifactSink, ctx: JobContext): Promise<void> {
  const size = await waitForFile(path, ctx.signal);
  let copied = 0;
  let reported = 0;
  const report = () => ctx.progress({ phase: 'copy dump', completed: copied, total: size, unit: 'bytes', bytes: copied, message: fileName });
  report();
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of createReadStream(path, { signal: ctx.signal }) as AsyncIterable<Buffer>) {
        copied += chunk.length;
        if (copied - reported >= 4 * 1024 * 1024) {
          reported = copied;
          report();
        }
        yield chunk;
      }
    } catch (error) {
      throwIfCanceled(ctx.signal);
      throw new GatewayError('storage_error', `Cannot read the dump ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  await sink.writeFile(fileName, chunks());
  throwIfCanceled(ctx.signal);
  report();
}

async function waitForFile(path: string, signal: AbortSignal): Promise<number> {
  const deadline = Date.now() + FILE_APPEAR_MS;
  for (;;) {
    try {
      const info = await stat(path);
      if (info.isFile()) return info.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new GatewayError('storage_error', `Cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (Date.now() > deadline) {
      throw new GatewayError('file_not_found', `The dump finished but ${path} does not exist: is dumpsDir the server's dumps folder (--dump-dir)?`, { details: { path } });
    }
    await sleepOrCancel(100, signal);
  }
}

/** The indexes as the dump holds them; falls back to the live list when the file cannot be read. */
async function dumpCollections(client: MeilisearchClient, path: string, signal: AbortSignal, warnings: string[]): Promise<NativeCollectionInfo[]> {
  try {
    const summary = await readDumpSummary(path, signal);
    return summary.indexes.map((index) => ({ name: index.uid, documentCount: index.documentCount, bytes: index.documentBytes }));
  } catch (error) {
    if (!(error instanceof GatewayError) || error.code !== 'invalid_backup_file') throw error;
    warnings.push(`the copied dump could not be read by the gateway (${error.message}); index list taken from the server`);
    return apiCollections(client, signal);
  }
}

export async function apiCollections(client: MeilisearchClient, signal: AbortSignal): Promise<NativeCollectionInfo[]> {
  const collections: NativeCollectionInfo[] = [];
  for (const index of await client.listIndexes(signal)) {
    collections.push({ name: index.uid, documentCount: await client.documentCount(index.uid, signal), bytes: null });
  }
  return collections;
}
