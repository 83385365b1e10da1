// Dumpless upgrades (v1.13+): the state of the engine's `upgradeDatabase` task, and the rollback Meilisearch
// offers — cancelling the enqueued, processing or failed upgrade task rolls every index back while the
// `taskCancelation` task is processed; the running binary then processes nothing more until the previous
// version is started on the rolled-back database. When an index was written after its upgrade, the
// cancelation fails ("cannot rollback to the requested version") and Meilisearch must be restarted to retry
// the upgrade instead.
import type { EngineCollectionInfo, JobContext } from '../../src/engines/contract.ts';
import type { EngineUpgradeProgress, EngineUpgradeStatus, UpgradeRollbackResult } from '../../src/plugin.ts';
import { GatewayError, sleepOrCancel } from '../../src/plugin.ts';
import { canceledError, engineStatus, isEngineCode, type MeilisearchClient, type TaskState } from './client.ts';

const POLL_MS = 100;
const bare = (version: unknown): string | null => (typeof version === 'string' ? version.replace(/^v/, '') : null);
const none: EngineUpgradeStatus = { state: 'NONE', from: null, to: null, taskUid: null, progress: null, error: null };

/** The innermost step of the task's batch while it runs (`Upgrading index \`books\``, 1 of 3). */
async function progressOf(client: MeilisearchClient, task: TaskState, signal: AbortSignal): Promise<EngineUpgradeProgress | null> {
  if (task.status !== 'processing' || task.batchUid === null) return null;
  const batch = await client.getBatchProgress(task.batchUid, signal);
  const step = batch?.steps[batch.steps.length - 1];
  if (!batch || !step) return null;
  return { step: step.currentStep, completed: step.finished, total: step.total, percentage: batch.percentage };
}

/** Whether a cancelation's filter (`details.originalFilter`) can match the upgrade task; other criteria are assumed to. */
function cancelsUpgrade(cancelation: TaskState, upgradeUid: number): boolean {
  const filter = new URLSearchParams(String(cancelation.details?.originalFilter ?? '').replace(/^\?/, ''));
  const listed = (name: string, value: string): boolean => {
    const raw = filter.get(name);
    return raw === null || raw === '*' || raw.split(',').includes(value);
  };
  // an index filter never matches an instance-wide task such as the upgrade
  const indexUids = filter.get('indexUids');
  return (indexUids === null || indexUids === '*') && listed('uids', String(upgradeUid)) && listed('types', 'upgradeDatabase');
}

/** A cancelation registered after the upgrade task, not ended yet, that matches it: it is rolling the upgrade back. */
async function pendingCancelation(client: MeilisearchClient, upgradeUid: number, signal: AbortSignal): Promise<TaskState | null> {
  const uids = await client.taskUids({ types: ['taskCancelation'], statuses: ['enqueued', 'processing'], limit: 20 }, signal);
  for (const uid of uids) {
    if (uid <= upgradeUid) break;
    const task = await client.getTask(uid, signal);
    if (cancelsUpgrade(task, upgradeUid)) return task;
  }
  return null;
}

/** Newest upgradeDatabase task; none before v1.13, whose task filter rejects the type (and before v0.25, no /tasks). */
async function newestUpgradeTask(client: MeilisearchClient, signal: AbortSignal): Promise<number | undefined> {
  try {
    return (await client.taskUids({ types: ['upgradeDatabase'], limit: 1 }, signal))[0];
  } catch (error) {
    if (isEngineCode(error, 'invalid_task_types') || engineStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function upgradeStatus(client: MeilisearchClient, signal: AbortSignal): Promise<EngineUpgradeStatus> {
  const uid = await newestUpgradeTask(client, signal);
  if (uid === undefined) return none;
  const task = await client.getTask(uid, signal);
  const base = { from: bare(task.details?.upgradeFrom), to: bare(task.details?.upgradeTo), taskUid: task.uid };
  if (task.status === 'succeeded') return { ...none, ...base };
  const canceler = task.status === 'canceled' ? null : await pendingCancelation(client, task.uid, signal);
  if (canceler) return { ...base, state: 'ROLLING_BACK', progress: await progressOf(client, canceler, signal), error: null };
  if (task.status === 'canceled') {
    // rolled back; until the previous binary runs the current one processes no task
    const version = await client.version(signal);
    if (base.from !== null && bare(version) !== base.from) {
      return { ...base, state: 'ROLLING_BACK', progress: null, error: `the database is rolled back to v${base.from}: start Meilisearch v${base.from} on it` };
    }
    return { ...base, state: 'ROLLED_BACK', progress: null, error: null };
  }
  if (task.status === 'failed') return { ...base, state: 'FAILED', progress: null, error: task.error?.message ?? 'the upgrade failed' };
  if (task.status === 'processing') return { ...base, state: 'PROCESSING', progress: await progressOf(client, task, signal), error: null };
  return { ...base, state: 'ENQUEUED', progress: null, error: null };
}

/** Follows the cancelation task to its end, reporting each rollback step as the job's phase. */
async function followCancelation(client: MeilisearchClient, cancelUid: number, failedUpgrade: boolean, ctx: JobContext): Promise<TaskState> {
  for (;;) {
    const task = await client.getTask(cancelUid, ctx.signal);
    if (task.status === 'succeeded' || task.status === 'failed' || task.status === 'canceled') return task;
    const progress = await progressOf(client, task, ctx.signal);
    if (progress) ctx.progress({ phase: progress.step, completed: progress.completed, total: progress.total, unit: 'indexes' });
    else if (task.status === 'enqueued') {
      ctx.progress({
        phase: 'waiting for the cancelation',
        completed: 0,
        total: null,
        unit: 'indexes',
        // `stop_scheduler_forever`: after a failed upgrade nothing is processed until a restart
        message: failedUpgrade ? 'Meilisearch processes no task after a failed upgrade: restart it (same binary) to run the rollback' : null,
      });
    }
    await sleepOrCancel(POLL_MS, ctx.signal);
  }
}

/** Polls GET /version until the previous version answers (the operator starts it on the rolled-back data). */
async function waitForVersion(client: MeilisearchClient, from: string, ctx: JobContext): Promise<string> {
  for (;;) {
    const version = await client.version(ctx.signal).catch((error: unknown) => {
      if (ctx.signal.aborted) throw canceledError(ctx.signal);
      if (error instanceof GatewayError && (error.code === 'engine_unreachable' || error.code === 'engine_timeout')) return null; // restarting
      throw error;
    });
    if (version !== null && bare(version) === from) return version;
    ctx.progress({
      phase: `waiting for Meilisearch v${from}`,
      completed: 0,
      total: null,
      unit: 'steps',
      message: `the database is rolled back to v${from}; Meilisearch ${version === null ? 'is not answering' : `v${bare(version)} answers`}: start v${from} on it`,
    });
    await sleepOrCancel(POLL_MS, ctx.signal);
  }
}

export async function rollbackUpgrade(client: MeilisearchClient, ctx: JobContext): Promise<UpgradeRollbackResult> {
  const status = await upgradeStatus(client, ctx.signal);
  if (status.state === 'NONE' || status.state === 'ROLLED_BACK' || status.taskUid === null || status.from === null || status.to === null) {
    throw new GatewayError('no_engine_upgrade', `No Meilisearch upgrade to roll back (upgrade state ${status.state})`);
  }
  const { from, to, taskUid } = status;
  ctx.progress({ phase: 'canceling upgrade', completed: 0, total: null, unit: 'indexes', message: `upgrade task ${taskUid}: v${from} → v${to}` });
  const existing = await pendingCancelation(client, taskUid, ctx.signal);
  const cancelUid = existing?.uid ?? (await client.cancelTasks({ uids: [taskUid] }, ctx.signal));
  const cancelation = await followCancelation(client, cancelUid, status.state === 'FAILED', ctx);
  if (cancelation.status === 'failed') {
    const reason = cancelation.error?.message ?? 'the rollback failed';
    throw new GatewayError(
      'upgrade_rollback_impossible',
      `Meilisearch cannot roll the upgrade v${from} → v${to} back: ${reason.trim()}. Meilisearch requires a restart (same v${to} binary) to retry the upgrade`,
      { details: { taskUid, cancelationTaskUid: cancelUid, from, to } },
    );
  }
  const upgrade = await client.getTask(taskUid, ctx.signal);
  if (upgrade.status !== 'canceled')
    throw new GatewayError('engine_error', `Upgrade task ${taskUid} is ${upgrade.status} after the cancelation ${cancelUid}; nothing was rolled back`);

  const engineVersion = await waitForVersion(client, from, ctx);
  const collections: EngineCollectionInfo[] = [];
  const indexes = await client.listIndexes(ctx.signal);
  for (const [i, index] of indexes.entries()) {
    ctx.progress({ phase: `checking index \`${index.uid}\``, completed: i, total: indexes.length, unit: 'indexes' });
    collections.push({ name: index.uid, documentCount: await client.documentCount(index.uid, ctx.signal) });
  }
  return { from, to, engineVersion: bare(engineVersion) ?? engineVersion, collections };
}
