// Dumpless upgrade (v1.13+), written from meilisearch/meilisearch's index-scheduler: `upgrade/mod.rs`
// (the task queue is moved to the binary's version at start-up and an `upgradeDatabase` task is
// registered), `scheduler/process_upgrade.rs` (indexes upgraded one by one with progress steps; the
// rollback), `create_batch.rs` (cancelations first, then every enqueued or failed upgrade task, and
// nothing else while the task queue's version differs from the binary's), `process_batch.rs`
// `cancel_matched_tasks` (cancelling one upgrade task cancels every enqueued or failed one and rolls
// every index back) and milli's `Index::rollback` (LMDB keeps one previous snapshot: an index written
// again after its upgrade can no longer go back).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch } from './batches.ts';
import type { Engine } from './engine.ts';
import { MeiliError } from './errors.ts';
import type { IndexState } from './state.ts';
import type { Task } from './tasks.ts';

/** Test controls of an emulated upgrade (`emulator.upgrade`). */
export interface UpgradeControls {
  /** The next upgrade run fails with `internal` after upgrading this many indexes; reset after use. */
  failAfterIndexes: number | null;
  /** After a rollback, "restart" on the previous binary: /version reports it and tasks run again. */
  restartAfterRollback: boolean;
}

/** Per index: the version in its main database and in LMDB's previous snapshot (`PREV_SNAPSHOT`). */
interface IndexVersions {
  current: string;
  previous: string | null;
}

/** Why the scheduler processes nothing until the instance is restarted. */
export type SchedulerDown = 'upgrade_failed' | 'version_mismatch' | null;

const v = (version: string): string => `v${version}`;
const DEFAULT_CONTROLS: UpgradeControls = { failAfterIndexes: null, restartAfterRollback: false };

export class EmulatorUpgrade {
  readonly controls: UpgradeControls = { ...DEFAULT_CONTROLS };
  /** The index scheduler's own version (the task queue's); the VERSION file follows it. */
  schedulerVersion: string;
  down: SchedulerDown = null;
  private readonly versions = new WeakMap<IndexState, IndexVersions>();

  constructor(private readonly engine: Engine) {
    this.schedulerVersion = engine.options.version;
  }

  private get binaryVersion(): string {
    return this.engine.options.version;
  }

  private versionsOf(index: IndexState): IndexVersions {
    let found = this.versions.get(index);
    if (!found) {
      found = { current: this.binaryVersion, previous: null };
      this.versions.set(index, found);
    }
    return found;
  }

  /**
   * The instance (re)starts on the current binary (or on `binaryVersion`) with a database at `from`: every existing index is
   * at `from`, the task queue is moved to the binary's version and an `upgradeDatabase` task is
   * registered, as `upgrade_index_scheduler` does.
   */
  begin(from: string, binaryVersion?: string): void {
    if (binaryVersion !== undefined) this.engine.options.version = binaryVersion;
    for (const name of this.engine.indexes.names()) this.versions.set(this.engine.indexes.get(name)!, { current: from, previous: null });
    this.schedulerVersion = this.binaryVersion;
    this.down = null;
    this.engine.enqueue({ type: 'upgradeDatabase', from }, { upgradeFrom: v(from), upgradeTo: v(this.binaryVersion) });
  }

  /** A process restart on the same binary, or on `version`: the scheduler runs again (a failed upgrade is retried). */
  restart(version?: string): void {
    if (version !== undefined) this.engine.options.version = version;
    this.down = this.schedulerVersion === this.binaryVersion ? null : 'version_mismatch';
    this.engine.scheduler.wake();
  }

  /** Upgrade tasks the next batch must process: every enqueued or failed one. */
  pendingTasks(): Task[] {
    return this.engine.queue.all().filter((t) => t.content.type === 'upgradeDatabase' && (t.status === 'enqueued' || t.status === 'failed'));
  }

  /** Any task processed on an index commits a write: LMDB's previous snapshot is now the current version. */
  indexWritten(uids: readonly string[]): void {
    for (const uid of uids) {
      const index = this.engine.indexes.get(uid);
      if (!index) continue;
      const versions = this.versionsOf(index);
      versions.previous = versions.current;
    }
  }

  /** Waits `taskDelayMs / steps` while `step` is shown; false when the batch is aborted. */
  private async spend(steps: number, signal: AbortSignal): Promise<boolean> {
    const ms = this.engine.options.taskDelayMs / Math.max(1, steps);
    try {
      if (ms > 0) await sleep(ms, undefined, { signal });
    } catch {
      return false;
    }
    return !signal.aborted;
  }

  /**
   * `process_upgrade`: each user index is upgraded in its own write transaction, with the progress
   * steps `upgrading user indexes` → ``Upgrading index `uid` ``. Returns false when aborted (the
   * scheduler re-enqueues the tasks); throws the task's error on failure.
   */
  async process(batch: Batch, signal: AbortSignal): Promise<boolean> {
    const names = this.engine.indexes.names();
    const failAfter = this.controls.failAfterIndexes;
    this.controls.failAfterIndexes = null;
    for (const [i, name] of names.entries()) {
      batch.progressSteps = [
        { currentStep: 'upgrading user indexes', finished: 0, total: 2 },
        { currentStep: `Upgrading index \`${name}\``, finished: i, total: names.length },
      ];
      if (!(await this.spend(names.length, signal))) return false;
      if (failAfter === i) return this.fail();
      const index = this.engine.indexes.get(name);
      if (!index) continue;
      // milli's upgrade writes the index version on every run, so a retried upgrade commits again
      const versions = this.versionsOf(index);
      versions.previous = versions.current;
      versions.current = this.binaryVersion;
    }
    if (failAfter !== null && failAfter >= names.length) return this.fail();
    batch.progressSteps = [{ currentStep: 'upgrading dsr index', finished: 1, total: 2 }];
    return true;
  }

  private fail(): never {
    // `Error::DatabaseUpgrade` stops the scheduler until a restart (`stop_scheduler_forever`)
    this.down = 'upgrade_failed';
    throw new MeiliError('internal', 'Planned failure for tests.');
  }

  /**
   * Before a cancelation runs: when it matches an upgrade task, every enqueued or failed upgrade task
   * is cancelled with it (added to its matched set) and, when the latest one targets this binary,
   * the database is rolled back — task queue version first, then each index (``Rollbacking index `uid` ``),
   * then the VERSION file. A failed rollback throws (the cancelation fails, the scheduler stops).
   */
  async beforeCancelation(task: Task, batch: Batch, signal: AbortSignal): Promise<void> {
    if (task.content.type !== 'taskCancelation') return;
    const matched = new Set(task.content.matched);
    const upgrades = this.engine.queue.all().filter((t) => t.content.type === 'upgradeDatabase');
    if (!upgrades.some((t) => matched.has(t.uid))) return;
    const toCancel = upgrades.filter((t) => t.status === 'enqueued' || t.status === 'failed');
    if (toCancel.length === 0) return;
    batch.progressSteps = [{ currentStep: 'canceling upgrade', finished: 1, total: 4 }];
    const latest = toCancel[toCancel.length - 1]!;
    if (latest.content.type === 'upgradeDatabase' && latest.details?.upgradeTo === v(this.binaryVersion)) await this.rollback(latest.content.from, batch, signal);
    for (const upgrade of toCancel) {
      // the scheduler cancels enqueued tasks only: a failed upgrade task becomes cancellable here
      upgrade.status = 'enqueued';
      if (!matched.has(upgrade.uid)) task.content.matched.push(upgrade.uid);
    }
  }

  private async rollback(from: string, batch: Batch, signal: AbortSignal): Promise<void> {
    this.schedulerVersion = from;
    this.down = 'version_mismatch';
    const names = this.engine.indexes.names();
    for (const [i, name] of names.entries()) {
      batch.progressSteps = [
        { currentStep: 'canceling upgrade', finished: 1, total: 4 },
        { currentStep: `Rollbacking index \`${name}\``, finished: i, total: names.length },
      ];
      await this.spend(names.length, signal);
      const index = this.engine.indexes.get(name);
      if (!index) continue;
      const versions = this.versionsOf(index);
      if (versions.current === from) continue; // NoRollback
      if (versions.previous !== from) {
        const possible = versions.previous === null ? 'an unknown version' : v(versions.previous);
        throw new MeiliError(
          'internal',
          `Failed to rollback for index \`${name}\`: cannot rollback to the requested version\n  - note: requested version is ${v(from)}\n  - note: only possible to rollback to ${possible} `,
        );
      }
      versions.current = from;
    }
    batch.progressSteps = [{ currentStep: 'updating tasks', finished: 3, total: 4 }];
    if (this.controls.restartAfterRollback) setImmediate(() => this.restart(from));
  }
}
