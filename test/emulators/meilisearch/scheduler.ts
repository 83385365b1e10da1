// The index scheduler: picks the next batch with the engine's priorities (taskCancelation >
// taskDeletion > snapshotCreation > dumpCreation > oldest enqueued task), processes it after the
// configured delay, and records batches. One index task per batch (the engine auto-batches; this
// emulator processes tasks one at a time, in uid order within each priority).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch } from './batches.ts';
import { MeiliError } from './errors.ts';
import { runExport, type ExportContent } from './export.ts';
import { runIndexTask, runSwap } from './operations.ts';
import type { IndexStore } from './state.ts';
import type { EmulatorUpgrade } from './upgrade.ts';
import { failedDetails, indexesOf, type IndexSwap, type Task, type TaskQueue, type TaskType } from './tasks.ts';

export interface SchedulerTiming {
  taskDelayMs: number;
}

/** `YYYYMMDD-HHMMSSmmm` in UTC, the dump file name. */
export function dumpUid(at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}${p(at.getUTCMilliseconds(), 3)}`;
}

export class Scheduler {
  readonly batches = new Map<number, Batch>();
  private nextBatchUid = 0;
  private current: { batch: Batch; abort: AbortController } | null = null;
  private running = false;
  private closed = false;
  /** Writes the dump file of a dumpCreation task being processed (dumps.ts); a throw fails the task. */
  onDumpCreation: ((dumpUid: string, task: Task, startedAt: Date) => void) | null = null;
  /** Dumpless upgrade and its rollback (upgrade.ts). */
  upgrade: EmulatorUpgrade | null = null;
  /** Writes the snapshot file of a snapshotCreation batch (server.ts); a throw fails the task. */
  onSnapshotCreation: ((startedAt: Date) => void) | null = null;

  constructor(
    private readonly queue: TaskQueue,
    private readonly indexes: IndexStore,
    private readonly timing: SchedulerTiming,
  ) {}

  close(): void {
    this.closed = true;
    this.current?.abort.abort();
  }

  /** Starts processing if idle; called after every registration. */
  wake(): void {
    if (this.running || this.closed) return;
    this.running = true;
    // let the HTTP response that enqueued the task go out first
    setImmediate(() => void this.loop());
  }

  /** The batch being processed (shown with a progress object). */
  get processingBatch(): Batch | null {
    return this.current?.batch ?? null;
  }

  /** A cancelation matching the processing task aborts it (`must_stop_processing`). */
  abortIfProcessing(matched: ReadonlySet<number>): void {
    if (this.current && this.current.batch.tasks.some((t) => matched.has(t.uid))) this.current.abort.abort();
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.closed || this.upgrade?.down) return;
        const next = this.pickNext();
        if (!next) return;
        await this.processBatch(next.tasks, next.strategy);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }

  private pickNext(): { tasks: Task[]; strategy: string } | null {
    const enqueued = this.queue.enqueued();
    if (enqueued.length === 0 && !this.upgrade?.pendingTasks().length) return null;
    const ofType = (type: TaskType) => enqueued.filter((t) => t.content.type === type);
    const single = (task: Task) => ({
      tasks: [task],
      strategy: `created batch containing only task with id ${task.uid} of type \`${task.content.type}\` that cannot be batched with any other task.`,
    });
    const all = (tasks: Task[], type: TaskType) => ({
      tasks,
      strategy: `stopped after the last task of type \`${type}\` because they cannot be batched with tasks of any other type.`,
    });

    const cancelations = ofType('taskCancelation');
    if (cancelations.length > 0) return single(cancelations[cancelations.length - 1]!);
    // upgrade.ts: every enqueued or failed upgrade task, before anything else
    const upgrades = this.upgrade?.pendingTasks() ?? [];
    if (upgrades.length > 0) return all(upgrades, 'upgradeDatabase');
    const deletions = ofType('taskDeletion');
    if (deletions.length > 0) return all(deletions, 'taskDeletion');
    const snapshots = ofType('snapshotCreation');
    if (snapshots.length > 0) return all(snapshots, 'snapshotCreation');
    const dumps = ofType('dumpCreation');
    if (dumps.length > 0) return single(dumps[0]!);

    const task = enqueued[0]!;
    if (task.content.type === 'indexSwap') return single(task);
    const index = indexesOf(task.content)[0] ?? '';
    const more = enqueued.some((t) => t !== task && indexesOf(t.content).includes(index));
    return { tasks: [task], strategy: more ? 'batched up to configured batch limit of 1 tasks' : `batched all enqueued tasks for index \`${index}\`` };
  }

  private async processBatch(tasks: Task[], strategy: string): Promise<void> {
    const first = tasks[0]!;
    const batch: Batch = { uid: this.nextBatchUid++, tasks, startedAt: new Date(), finishedAt: null, batchStrategy: strategy, kind: first.content.type, fraction: 0 };
    const abort = new AbortController();
    const clock = performance.now();
    this.current = { batch, abort };
    for (const task of tasks) {
      task.status = 'processing';
      task.batchUid = batch.uid;
      task.startedAt = batch.startedAt;
    }

    // a cancelation is not delayed: the engine processes it right away
    let aborted: boolean;
    let failure: MeiliError | null = null;
    try {
      if (first.content.type === 'upgradeDatabase' && this.upgrade) aborted = !(await this.upgrade.process(batch, abort.signal));
      else if (first.content.type === 'taskCancelation') aborted = (await this.upgrade?.beforeCancelation(first, batch, abort.signal), false);
      else aborted = !(await this.wait(batch, abort.signal));
    } catch (error) {
      if (!(error instanceof MeiliError)) throw error;
      [aborted, failure] = [false, error];
    }
    this.current = null;
    if (aborted) {
      // The engine drops the aborted batch unwritten: the tasks are enqueued again and the batch uid
      // is reused by the cancelation that follows.
      for (const task of tasks) {
        task.status = 'enqueued';
        task.batchUid = null;
        task.startedAt = null;
      }
      this.nextBatchUid--;
      return;
    }

    // iterate a copy: a cancelation appends the tasks it cancels to this batch
    if (failure) for (const task of tasks) this.fail(task, failure);
    else if (first.content.type === 'export') await this.runExport(first, first.content, batch, abort.signal);
    else for (const task of [...tasks]) this.run(task, batch);
    if (first.content.type !== 'taskCancelation') this.upgrade?.indexWritten(tasks.flatMap((t) => indexesOf(t.content)));
    batch.finishedAt = new Date();
    batch.durationMs = performance.now() - clock;
    for (const task of batch.tasks) {
      task.batchUid = batch.uid;
      task.startedAt = batch.startedAt;
      task.finishedAt = batch.finishedAt;
      task.durationMs = batch.durationMs;
    }
    this.batches.set(batch.uid, batch);
  }

  /**
   * Spends `taskDelayMs` "processing", advancing the progress steps; false when aborted. The delay is
   * re-read on every tick so `setOptions` also shortens or lengthens the task in flight.
   */
  private async wait(batch: Batch, signal: AbortSignal): Promise<boolean> {
    const start = Date.now();
    for (;;) {
      const ms = this.timing.taskDelayMs;
      const elapsed = Date.now() - start;
      if (elapsed >= ms) break;
      batch.fraction = elapsed / ms;
      try {
        await sleep(Math.min(10, ms - elapsed), undefined, { signal });
      } catch {
        return false;
      }
    }
    return !signal.aborted;
  }

  private fail(task: Task, failure: MeiliError): void {
    task.status = 'failed';
    task.error = failure.toBody();
    task.details = failedDetails(task);
  }

  private run(task: Task, batch: Batch): void {
    try {
      task.details = this.execute(task, batch);
      task.status = 'succeeded';
      task.error = null;
    } catch (error) {
      // an emulator bug must not stop the queue: the engine reports a crash as an internal task error
      const failure =
        error instanceof MeiliError
          ? error
          : new MeiliError('internal', `An unexpected crash occurred when processing the task: ${error instanceof Error ? error.message : String(error)}`);
      this.fail(task, failure);
    }
    // the update file is deleted once processed
    if (task.content.type === 'documentAdditionOrUpdate') task.content.documents = null;
  }

  /** An export talks to another instance, so it is the one task processed asynchronously. */
  private async runExport(task: Task, content: ExportContent, batch: Batch, signal: AbortSignal): Promise<void> {
    try {
      task.details = await runExport(this.indexes, content, batch, signal);
      task.status = 'succeeded';
    } catch (error) {
      task.status = 'failed';
      task.error = (error instanceof MeiliError ? error : new MeiliError('internal', String(error))).toBody();
    }
  }

  private execute(task: Task, batch: Batch): Task['details'] {
    const content = task.content;
    switch (content.type) {
      case 'taskCancelation':
        return { ...task.details, canceledTasks: this.cancel(content.matched, task.uid, batch) };
      case 'taskDeletion':
        return { ...task.details, deletedTasks: this.deleteTasks(content.matched) };
      case 'dumpCreation': {
        const uid = dumpUid(batch.startedAt);
        this.onDumpCreation?.(uid, task, batch.startedAt);
        return { dumpUid: uid };
      }
      case 'snapshotCreation':
        // one file for the whole batch of snapshot tasks (the engine writes it once per batch)
        if (batch.tasks[0] === task) this.onSnapshotCreation?.(batch.startedAt);
        return null;
      case 'upgradeDatabase':
      case 'export':
        return task.details;
      case 'indexSwap':
        runSwap(this.indexes, content.swaps);
        this.renameInPastTasks(task.uid, content.swaps);
        return task.details;
      default:
        return runIndexTask(this.indexes, content, task.details);
    }
  }

  /** Cancels matched enqueued tasks (including an aborted, re-enqueued one) into this batch. */
  private cancel(matched: readonly number[], cancelUid: number, batch: Batch): number {
    let canceled = 0;
    for (const uid of matched) {
      const task = this.queue.get(uid);
      if (!task || task.status !== 'enqueued') continue;
      task.status = 'canceled';
      task.canceledBy = cancelUid;
      task.details = failedDetails(task);
      if (task.content.type === 'documentAdditionOrUpdate') task.content.documents = null;
      batch.tasks.push(task);
      canceled++;
    }
    return canceled;
  }

  /** Deletes finished matched tasks, then batches left without any task. */
  private deleteTasks(matched: readonly number[]): number {
    let deleted = 0;
    for (const uid of matched) {
      const task = this.queue.get(uid);
      if (!task || task.status === 'enqueued' || task.status === 'processing') continue;
      this.queue.delete(uid);
      deleted++;
    }
    for (const [uid, batch] of this.batches) {
      batch.tasks = batch.tasks.filter((t) => this.queue.get(t.uid) === t);
      if (batch.tasks.length === 0) this.batches.delete(uid);
    }
    return deleted;
  }

  /** `swap_index_uid_in_task`: earlier tasks of the swapped indexes now name the other index. */
  private renameInPastTasks(swapUid: number, swaps: readonly IndexSwap[]): void {
    for (const {
      indexes: [lhs, rhs],
      rename,
    } of swaps) {
      for (const task of this.queue.all()) {
        if (task.uid >= swapUid || !('indexUid' in task.content)) continue;
        if (task.content.indexUid === lhs) task.content.indexUid = rhs;
        else if (task.content.indexUid === rhs && !rename) task.content.indexUid = lhs;
      }
    }
  }
}
