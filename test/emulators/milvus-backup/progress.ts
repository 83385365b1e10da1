// milvus-backup's progress formulas: internal/taskmgr/backup.go and restore.go (v0.5.16), and v0.5.9's
// copied/total bytes ratio of the listed segments (core/meta/backup_meta_manager.go GetFullMeta).
import { SEGMENTS_PER_COLLECTION, type BackupCollTask, type BackupTask, type Generation, type RestoreCollTask, type RestoreTask } from './tasks.ts';

export function collProgress(coll: BackupCollTask): number {
  switch (coll.stage) {
    case 'pending':
      return 1;
    case 'ddl':
      return 5;
    case 'ddlDone':
      return 10;
    case 'dmlPrepare':
      return 15;
    case 'dml':
      return Math.trunc((coll.copiedSegments / SEGMENTS_PER_COLLECTION) * 100 * 0.85) + 15;
    case 'dmlDone':
      return 100;
  }
}

/** BackupTask.Progress() of v0.5.16, or v0.5.9's copied/total bytes of the listed segments. */
export function backupProgress(task: BackupTask, generation: Generation): number {
  if (generation === 'v0.5.9') {
    const listed = task.colls.filter((coll) => coll.snapshot !== null);
    const total = listed.reduce((sum, coll) => sum + coll.snapshot!.bytes, 0);
    const copied = listed.reduce((sum, coll) => sum + (coll.snapshot!.bytes * coll.copiedSegments) / SEGMENTS_PER_COLLECTION, 0);
    return total === 0 ? 0 : Math.trunc((copied / total) * 100);
  }
  switch (task.state) {
    case 'initial':
      return 1;
    case 'database':
      return 5;
    case 'collection': {
      const sum = task.colls.reduce((total, coll) => total + collProgress(coll), 0);
      return Math.trunc((sum / task.colls.length) * 0.95) + 5;
    }
    case 'success':
      return 100;
    case 'fail':
      return 0;
  }
}

export function restoreCollProgress(coll: RestoreCollTask): number {
  if (coll.state === 2) return 100;
  if (coll.source.bytes === 0) return 1;
  return Math.max(1, coll.importProgress);
}

/** RestoreTask.Progress(): the size-weighted mean of the collection tasks, at least 1; 100 on success. */
export function restoreProgress(task: RestoreTask): number {
  if (task.state === 2) return 100;
  const total = task.colls.reduce((sum, coll) => sum + coll.source.bytes, 0);
  if (total === 0) return 1;
  const restored = task.colls.reduce((sum, coll) => sum + Math.trunc((coll.source.bytes * restoreCollProgress(coll)) / 100), 0);
  return Math.max(1, Math.trunc((restored / total) * 100));
}
