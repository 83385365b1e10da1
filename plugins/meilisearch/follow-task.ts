// Follows one long engine task (a snapshot, an export) to its end, its batch's progress (v1.12+) reported as the
// job's progress in percent; a failed or canceled task is an `engine_error` with Meilisearch's message and code.
import type { JobContext } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { percentProgress, sleepOrCancel } from '../../src/plugin.ts';
import type { MeilisearchClient, TaskState } from './client.ts';
import { POLL_MS, batchProgress } from './native-backup.ts';

export interface FollowedTask {
  /** The task's name in messages: "snapshot", "export". */
  what: string;
  /** Phase while the engine works without batch progress, and once the task succeeded. */
  working: string;
  done: string;
}

export async function followTask(client: MeilisearchClient, taskTimeoutMs: number, taskUid: number, names: FollowedTask, ctx: JobContext): Promise<TaskState> {
  const deadline = Date.now() + taskTimeoutMs;
  const report = percentProgress(ctx);
  for (let interval = POLL_MS.first; ; interval = Math.min(interval * 2, POLL_MS.max)) {
    const task = await client.getTask(taskUid, ctx.signal);
    if (task.status === 'succeeded') {
      report(names.done, 100, { message: `${names.what} task ${taskUid}` });
      return task;
    }
    if (task.status === 'failed' || task.status === 'canceled') {
      const reason = task.error === null ? task.status : `${task.error.message} (${task.error.code})`;
      throw new GatewayError('engine_error', `Meilisearch ${names.what} task ${taskUid} ${task.status}: ${reason}`, { details: { taskUid, engineCode: task.error?.code ?? null } });
    }
    const progress = task.status === 'processing' && task.batchUid !== null ? await batchProgress(client, task.batchUid, ctx) : null;
    const step = progress?.steps.at(-1);
    report(step?.currentStep ?? (task.status === 'enqueued' ? 'enqueued' : names.working), progress ? Math.min(99, progress.percentage) : 0, {
      message: progress ? progress.steps.map((s) => `${s.currentStep} ${s.finished}/${s.total}`).join(' › ') : `${names.what} task ${taskUid} ${task.status}`,
    });
    if (Date.now() + interval > deadline) {
      throw new GatewayError('engine_timeout', `Meilisearch ${names.what} task ${taskUid} still ${task.status} after ${taskTimeoutMs} ms`, { details: { taskUid } });
    }
    await sleepOrCancel(interval, ctx.signal);
  }
}
