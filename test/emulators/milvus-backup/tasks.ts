// milvus-backup's task manager and backup storage: async backup and restore tasks stepped by a timer through
// the stages of core/backup/task.go and core/restore (their progress: progress.ts).
// Tasks live in memory only (lost on restart); finished backups live in the "object storage" map.
import { randomUUID } from 'node:crypto';
import { answersBrief, hasSnapshotFeature, knowsFormat, type BackupFormat, type Generation } from './generations.ts';
import { copyCollection, type MilvusCollection, type MilvusModel } from './milvus.ts';

export type { BackupFormat, Generation } from './generations.ts';

/** Segments per collection in the emulated binlogs: copied one per step, so progress rises in steps. */
export const SEGMENTS_PER_COLLECTION = 4;
/** time.Time{}.Unix() in Go: what an unfinished task reports as end_time. */
export const GO_ZERO_UNIX = -62135596800;

export interface NS {
  db: string;
  name: string;
}

export interface StoredBackup {
  id: string;
  name: string;
  startMs: number;
  endMs: number;
  /** Milvus hybrid timestamp: physical ms << 18. */
  backupTimestamp: number;
  milvusVersion: string;
  collections: MilvusCollection[];
  databases: string[];
  size: number;
  metaSize: number;
  /** BackupInfo.format (v0.6): "" binlogs, "snapshot" exported snapshot bundles. */
  format: BackupFormat;
}

type CollStage = 'pending' | 'ddl' | 'ddlDone' | 'dmlPrepare' | 'dml' | 'dmlDone';

export interface BackupCollTask {
  ns: NS;
  stage: CollStage;
  /** Taken at DML prepare, like the segment listing. */
  snapshot: MilvusCollection | null;
  copiedSegments: number;
}

export interface BackupTask {
  id: string;
  name: string;
  state: 'initial' | 'database' | 'collection' | 'success' | 'fail';
  errorMessage: string;
  startMs: number;
  endMs: number | null;
  /** null = every collection of every database. */
  filter: Map<string, string[] | '*'> | null;
  colls: BackupCollTask[];
  /** CreateBackupRequest.format (v0.6), resolved against the Milvus version when the task starts. */
  requestedFormat: 'auto' | 'binlog' | 'snapshot';
  format: BackupFormat;
}

export interface RestoreCollTask {
  source: MilvusCollection;
  target: NS;
  state: 0 | 1 | 2 | 3;
  errorMessage: string;
  startMs: number;
  endMs: number | null;
  importProgress: number;
}

export interface RestoreTask {
  id: string;
  state: 0 | 1 | 2 | 3;
  errorMessage: string;
  startMs: number;
  endMs: number | null;
  dropExisting: boolean;
  /** skipCreateCollection: restore into existing targets. */
  skipCreate: boolean;
  /** metaOnly: create the targets, import nothing. */
  metaOnly: boolean;
  /** The format of the backup being restored. */
  format: BackupFormat;
  colls: RestoreCollTask[];
}

export class TaskBoard {
  /** Object storage: survives restart(). */
  readonly storage = new Map<string, StoredBackup>();
  backupTasks = new Map<string, BackupTask>();
  restoreTasks = new Map<string, RestoreTask>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #waiters = new Map<string, (() => void)[]>();

  readonly milvus: MilvusModel;
  readonly options: { generation: Generation; stepDelayMs: number };

  constructor(milvus: MilvusModel, options: { generation: Generation; stepDelayMs: number }) {
    this.milvus = milvus;
    this.options = options;
  }

  taskByName(name: string): BackupTask | undefined {
    return [...this.backupTasks.values()].reverse().find((task) => task.name === name);
  }

  startBackup(id: string, name: string, filter: Map<string, string[] | '*'> | null, requestedFormat: BackupTask['requestedFormat'] = 'auto'): BackupTask {
    const task: BackupTask = { id, name, state: 'initial', errorMessage: '', startMs: Date.now(), endMs: null, filter, colls: [], requestedFormat, format: '' };
    this.backupTasks.set(id, task);
    this.#schedule(id, () => this.#stepBackup(task));
    return task;
  }

  startRestore(
    id: string,
    colls: { source: MilvusCollection; target: NS }[],
    dropExisting: boolean,
    flags: { skipCreate?: boolean; metaOnly?: boolean; format?: BackupFormat } = {},
  ): RestoreTask {
    const now = Date.now();
    const task: RestoreTask = {
      id,
      state: 0,
      errorMessage: '',
      startMs: now,
      endMs: null,
      dropExisting,
      skipCreate: flags.skipCreate ?? false,
      metaOnly: flags.metaOnly ?? false,
      format: flags.format ?? '',
      colls: colls.map((coll) => ({ ...coll, state: 0, errorMessage: '', startMs: now, endMs: null, importProgress: 0 })),
    };
    this.restoreTasks.set(id, task);
    this.#schedule(id, () => this.#stepRestore(task));
    return task;
  }

  /** Resolves when the task has ended (sync create/restore), or never for a task that stopped moving. */
  ended(id: string): Promise<void> {
    return new Promise((resolve) => this.#waiters.set(id, [...(this.#waiters.get(id) ?? []), resolve]));
  }

  /** A backup written straight to storage, as `milvus-backup create` from the CLI does. */
  store(name: string, collections: MilvusCollection[], id: string = randomUUID(), startMs: number = Date.now(), format?: BackupFormat): StoredBackup {
    const now = Date.now();
    const backup: StoredBackup = {
      id,
      name,
      startMs,
      endMs: now,
      backupTimestamp: startMs * 2 ** 18,
      milvusVersion: this.milvus.version,
      collections: collections.map(copyCollection),
      databases: [...new Set(collections.map((c) => c.db))],
      size: collections.reduce((sum, c) => sum + c.bytes, 0),
      metaSize: 1024 + collections.length * 768,
      format: format ?? this.#autoFormat(),
    };
    this.storage.set(name, backup);
    return backup;
  }

  /** A restart: every task and timer is gone; storage and Milvus stay. */
  dropTasks(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.backupTasks = new Map();
    this.restoreTasks = new Map();
  }

  #schedule(id: string, step: () => boolean): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (step()) this.#schedule(id, step);
      else {
        for (const resolve of this.#waiters.get(id) ?? []) resolve();
        this.#waiters.delete(id);
      }
    }, this.options.stepDelayMs);
    this.#timers.add(timer);
  }

  /** One step of core/backup/task.go; returns whether the task goes on. */
  #stepBackup(task: BackupTask): boolean {
    if (task.state === 'initial') {
      if (this.storage.has(task.name)) {
        // v0.5.10+: prepare()'s error is only logged by the async goroutine; the task stays INITIAL forever.
        if (answersBrief(this.options.generation)) return false;
        return this.#failBackup(task, `backup with name ${task.name} already exist`);
      }
      const format = this.#resolveFormat(task.requestedFormat);
      if (format === null) return this.#failBackup(task, 'backup: the snapshot format needs a milvus 3.0 or newer server');
      task.format = format;
      task.state = 'database';
      return true;
    }
    if (task.state === 'database') {
      const selected = this.#select(task);
      if (typeof selected === 'string') return this.#failBackup(task, selected);
      task.colls = selected.map((ns) => ({ ns, stage: 'pending', snapshot: null, copiedSegments: 0 }));
      task.state = 'collection';
      return true;
    }
    for (const coll of task.colls) {
      const problem = this.#stepColl(coll);
      if (problem !== null) return this.#failBackup(task, problem);
    }
    if (task.colls.every((coll) => coll.stage === 'dmlDone')) {
      this.store(
        task.name,
        task.colls.map((coll) => coll.snapshot!),
        task.id,
        task.startMs,
        task.format,
      );
      task.state = 'success';
      task.endMs = Date.now();
      return false;
    }
    return true;
  }

  /** Moves one collection a stage on; returns an error message when its collection vanished meanwhile. */
  #stepColl(coll: BackupCollTask): string | null {
    const next: Record<CollStage, CollStage> = { pending: 'ddl', ddl: 'ddlDone', ddlDone: 'dmlPrepare', dmlPrepare: 'dml', dml: 'dml', dmlDone: 'dmlDone' };
    if (coll.stage === 'ddlDone') {
      coll.snapshot = this.milvus.get(coll.ns.db, coll.ns.name) ?? null;
      if (coll.snapshot === null) return `backup: list segments: collection ${coll.ns.db}.${coll.ns.name} not found`;
    }
    if (coll.stage === 'dml') {
      coll.copiedSegments += 1;
      if (coll.copiedSegments >= SEGMENTS_PER_COLLECTION) coll.stage = 'dmlDone';
      return null;
    }
    coll.stage = next[coll.stage];
    return null;
  }

  /** listDBAndNSS: everything, or the filter with an existence check per named collection. */
  #select(task: BackupTask): NS[] | string {
    if (task.filter === null) return this.milvus.collections().map((c) => ({ db: c.db, name: c.name }));
    const selected: NS[] = [];
    for (const [db, colls] of task.filter) {
      if (colls === '*') {
        selected.push(...this.milvus.collections(db).map((c) => ({ db, name: c.name })));
        continue;
      }
      for (const name of colls) {
        if (!this.milvus.has(db, name)) return `backup: filter collection ${db}.${name} not found in milvus`;
        selected.push({ db, name });
      }
    }
    return selected;
  }

  /** The format a backup made now is written in: v0.6's auto picks snapshots on Milvus 3.0+, older tools only write binlogs. */
  #autoFormat(): BackupFormat {
    return knowsFormat(this.options.generation) && hasSnapshotFeature(this.milvus.version) ? 'snapshot' : '';
  }

  /** core/backup/task.go resolveFormat (v0.6); null = snapshot asked of a pre-3.0 Milvus. */
  #resolveFormat(requested: BackupTask['requestedFormat']): BackupFormat | null {
    if (!knowsFormat(this.options.generation) || requested === 'binlog') return '';
    if (requested === 'snapshot') return hasSnapshotFeature(this.milvus.version) ? 'snapshot' : null;
    return this.#autoFormat();
  }

  #failBackup(task: BackupTask, message: string): false {
    task.state = 'fail';
    task.errorMessage = message;
    task.endMs = Date.now();
    return false;
  }

  /** One step of a restore: create the targets, then import the binlogs a quarter at a time. */
  #stepRestore(task: RestoreTask): boolean {
    if (task.state === 0) {
      task.state = 1;
      // core/restore/task.go privateExecute (v0.6): checked once, before any collection is touched.
      if (task.format === 'snapshot' && knowsFormat(this.options.generation) && !hasSnapshotFeature(this.milvus.version)) {
        Object.assign(task, { state: 3, errorMessage: 'restore: a snapshot format backup needs a milvus 3.0 or newer server', endMs: Date.now() });
        return false;
      }
      for (const coll of task.colls) {
        const exists = this.milvus.has(coll.target.db, coll.target.name);
        if (task.skipCreate) {
          if (!exists) {
            const message = `restore: collection not found, database ${coll.target.db} collection ${coll.target.name}`;
            Object.assign(coll, { state: 3, errorMessage: message, endMs: Date.now() });
            Object.assign(task, { state: 3, errorMessage: message, endMs: Date.now() });
            return false;
          }
          coll.state = 1;
          continue;
        }
        if (exists && !task.dropExisting) {
          const message = `restore: collection already exist, database ${coll.target.db} collection ${coll.target.name}`;
          Object.assign(coll, { state: 3, errorMessage: message, endMs: Date.now() });
          Object.assign(task, { state: 3, errorMessage: message, endMs: Date.now() });
          return false;
        }
        if (exists) this.milvus.drop(coll.target.db, coll.target.name);
        this.milvus.create({ db: coll.target.db, name: coll.target.name, rows: 0, bytes: 0, ...(coll.source.documents ? { documents: [] } : {}) });
        coll.state = 1;
      }
      return true;
    }
    for (const coll of task.colls.filter((c) => c.state === 1)) {
      coll.importProgress = Math.min(100, coll.importProgress + 25);
      if (coll.importProgress === 100) {
        // A v0.5 tool reading a snapshot-format meta finds no partition/segment binlogs: nothing to import.
        const binlogs = task.format === '' || knowsFormat(this.options.generation);
        if (!task.metaOnly && binlogs) this.milvus.restore(coll.source, coll.target);
        Object.assign(coll, { state: 2, endMs: Date.now() });
      }
    }
    if (task.colls.every((coll) => coll.state === 2)) {
      Object.assign(task, { state: 2, endMs: Date.now() });
      return false;
    }
    return true;
  }
}
