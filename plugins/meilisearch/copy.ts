// Copy to another instance (copyEngine): `POST /export` (Meilisearch 1.16+, routes/export.rs) makes the source
// engine send each selected index — primary key, settings, documents (optionally filtered) — straight to the
// target engine over HTTP. The export task's batch progress is the job's progress. The engine does not wait for
// the tasks it enqueued on the target, so the copy then waits for them, and counts what arrived.
import { z } from 'zod';
import type { EngineCopyRequest, EngineCopyResult, JobContext } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { isShutdown, percentProgress } from '../../src/plugin.ts';
import { canceledError, engineStatus, MeilisearchClient } from './client.ts';
import { parseVersion } from './dump/settings.ts';
import { followTask } from './follow-task.ts';
import { cancelTask, checkSelection } from './native-backup.ts';
import { readVersion } from './versions.ts';

/** The first version with `POST /export`. */
export const EXPORT_SINCE: readonly [number, number] = [1, 16];

export interface CopyOptions {
  timeoutMs: number;
  taskTimeoutMs: number;
}

/** `JobContext.engineTask` of a copy: the export task it follows. */
const EXPORT_TASK = /^meilisearch-export-task-(\d+)$/;

/** The part of the target's config the copy uses (the core hands over the whole parsed config). */
const targetConfig = z.looseObject({ url: z.string(), apiKey: z.string().optional(), timeoutMs: z.number().optional() });

/** Why this engine cannot export, or null; a version hidden from the key is left to the export call itself. */
export async function copyUnavailable(client: MeilisearchClient, signal: AbortSignal): Promise<string | null> {
  const version = await readVersion(client, signal, []);
  const parsed = parseVersion(version);
  if (parsed === null) return null;
  const [major, minor] = EXPORT_SINCE;
  if (parsed[0] > major || (parsed[0] === major && parsed[1] >= minor)) return null;
  return `Meilisearch ${version} has no POST /export (Meilisearch ${major}.${minor}+): back up and restore into the other engine instead`;
}

export async function copyToEngine(client: MeilisearchClient, options: CopyOptions, request: EngineCopyRequest, ctx: JobContext): Promise<EngineCopyResult> {
  const { signal } = ctx;
  const unavailable = await copyUnavailable(client, signal);
  if (unavailable !== null) throw new GatewayError('capability_not_supported', unavailable);
  const target = targetConfig.parse(request.target);
  const targetClient = new MeilisearchClient({ url: target.url, apiKey: target.apiKey, timeoutMs: target.timeoutMs ?? options.timeoutMs });
  await checkSelection(client, request.collections, signal, []);
  const uids = request.collections ?? (await client.listIndexes(signal)).map((index) => index.uid);
  if (uids.length === 0) return { collections: [], warnings: ['the source engine has no index: nothing was copied'] };

  percentProgress(ctx)('export requested', 0, { message: `${uids.length} index(es) to ${target.url}` });
  // a `filter: null` is refused by the engine (Filter::from_json wants a string or an array): left out instead
  const perIndex = { ...(request.filter === null ? {} : { filter: request.filter }), overrideSettings: true };
  const indexes = Object.fromEntries(uids.map((uid) => [uid, perIndex]));
  // a run queued again after a gateway restart follows the export task its first run started (the engine kept it going)
  const resumed = EXPORT_TASK.exec(ctx.engineTask ?? '');
  let taskUid: number;
  if (resumed) taskUid = Number(resumed[1]);
  else {
    taskUid = await requestExport(client, { url: target.url, ...(target.apiKey === undefined ? {} : { apiKey: target.apiKey }), indexes }, signal);
    await ctx.recordEngineTask?.(`meilisearch-export-task-${taskUid}`);
  }
  try {
    await followTask(client, options.taskTimeoutMs, taskUid, { what: 'export', working: 'exporting', done: 'exported' }, ctx);
  } catch (error) {
    if (signal.aborted) {
      // a shutdown leaves the export running for the next run to follow; a cancel or a timeout stops it
      if (!isShutdown(signal)) await cancelTask(client, { dumpsDir: undefined, taskTimeoutMs: options.taskTimeoutMs }, taskUid, ctx);
      throw canceledError(signal);
    }
    throw await explainFailure(error, targetClient, target.url, signal);
  }
  await awaitTargetTasks(targetClient, options, uids, ctx);
  const collections = [];
  for (const uid of uids) collections.push({ name: uid, documentCount: await targetClient.documentCount(uid, signal) });
  return { collections, warnings: [] };
}

async function requestExport(client: MeilisearchClient, body: Parameters<MeilisearchClient['createExport']>[0], signal: AbortSignal): Promise<number> {
  try {
    return await client.createExport(body, signal);
  } catch (error) {
    // a server that hides its version from the key and predates the route
    if (engineStatus(error) === 404) throw new GatewayError('capability_not_supported', 'This Meilisearch has no POST /export (Meilisearch 1.16+)', { cause: error });
    throw error;
  }
}

/** A failed export whose target does not answer is the target's fault: said with `engine_unreachable`. */
async function explainFailure(error: unknown, targetClient: MeilisearchClient, url: string, signal: AbortSignal): Promise<unknown> {
  if (!(error instanceof GatewayError) || error.code !== 'engine_error') return error;
  const reachable = await targetClient.health(signal).then(
    () => true,
    () => false,
  );
  if (reachable) return error;
  return new GatewayError('engine_unreachable', `The target Meilisearch at ${url} does not answer: ${error.message}`, { details: error.details });
}

/** Waits for the tasks the export enqueued on the target; a failed one fails the copy. */
async function awaitTargetTasks(targetClient: MeilisearchClient, options: CopyOptions, uids: string[], ctx: JobContext): Promise<void> {
  const pending = (await targetClient.taskUids({ indexUids: uids, statuses: ['enqueued', 'processing'] }, ctx.signal)).reverse();
  for (const [i, taskUid] of pending.entries()) {
    ctx.progress({ phase: 'target indexing', completed: i, total: pending.length, unit: 'tasks', message: `target task ${taskUid}` });
    const task = await targetClient.waitForTask(taskUid, { signal: ctx.signal, timeoutMs: options.taskTimeoutMs });
    if (task.status === 'failed') {
      throw new GatewayError('engine_error', `The target Meilisearch failed task ${taskUid} (${task.type}) of the copy: ${task.error?.message ?? 'no reason given'}`, {
        details: { taskUid, engineCode: task.error?.code ?? null },
      });
    }
  }
  ctx.progress({ phase: 'target indexed', completed: pending.length, total: pending.length, unit: 'tasks', message: `${pending.length} target task(s) done` });
}
