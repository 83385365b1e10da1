// JSON bodies as milvus-backup's Go structs serialise them: proto field names, numeric enums, `omitempty`
// dropping zero values except the fields scripts/gen_proto.sh un-omits (data, state_code, progress, size,
// meta_size, has_index). v0.5.16 answers with BackupInfoBrief / BackupSummary; v0.5.9 with the full BackupInfo.
import type { MilvusCollection } from './milvus.ts';
import { backupProgress, restoreCollProgress, restoreProgress } from './progress.ts';
import { answersBrief, knowsFormat } from './generations.ts';
import { GO_ZERO_UNIX, SEGMENTS_PER_COLLECTION, type BackupTask, type Generation, type RestoreTask, type StoredBackup } from './tasks.ts';

type Json = Record<string, unknown>;

/** Go's `omitempty`: false, 0, "", nil and empty slices/maps vanish — except the `always` fields. */
export function omitEmpty(value: Json, always: readonly string[] = []): Json {
  const out: Json = {};
  for (const [key, field] of Object.entries(value)) {
    const empty =
      field === undefined ||
      field === null ||
      field === false ||
      field === 0 ||
      field === '' ||
      (Array.isArray(field) && field.length === 0) ||
      (typeof field === 'object' && !Array.isArray(field) && Object.keys(field as object).length === 0);
    if (!empty || always.includes(key)) out[key] = field ?? null;
  }
  return out;
}

const seconds = (ms: number | null): number => (ms === null ? GO_ZERO_UNIX : Math.trunc(ms / 1000));

export function backupStateCode(task: BackupTask): number {
  return { initial: 0, database: 1, collection: 1, success: 2, fail: 3 }[task.state];
}

function collectionBrief(collection: MilvusCollection, backup: { id: string; backupTimestamp: number; startMs: number }): Json {
  return omitEmpty(
    {
      id: `${backup.id}_${collection.id}`,
      collection_id: collection.id,
      db_name: collection.db,
      collection_name: collection.name,
      schema: collection.schema,
      shards_num: collection.shards,
      backup_timestamp: backup.backupTimestamp,
      size: collection.bytes,
      has_index: false,
      load_state: 'NotLoad',
      backup_physical_timestamp: Math.trunc(backup.startMs / 1000),
    },
    ['size', 'has_index'],
  );
}

/** v0.5.9's CollectionBackupInfo: the brief fields plus task state and the partition/segment tree. */
function collectionFull(collection: MilvusCollection, backup: { id: string; backupTimestamp: number; startMs: number }, copiedSegments: number): Json {
  const share = (total: number, i: number): number =>
    i < SEGMENTS_PER_COLLECTION - 1 ? Math.floor(total / SEGMENTS_PER_COLLECTION) : total - Math.floor(total / SEGMENTS_PER_COLLECTION) * (SEGMENTS_PER_COLLECTION - 1);
  const partitionId = collection.id + 1;
  const segments = Array.from({ length: SEGMENTS_PER_COLLECTION }, (_, i) =>
    omitEmpty(
      {
        segment_id: collection.id + 10 + i,
        collection_id: collection.id,
        partition_id: partitionId,
        num_of_rows: share(collection.rows, i),
        size: share(collection.bytes, i),
        backuped: i < copiedSegments,
      },
      ['size'],
    ),
  );
  const done = copiedSegments >= SEGMENTS_PER_COLLECTION;
  return {
    ...collectionBrief(collection, backup),
    state_code: done ? 2 : 1,
    progress: Math.trunc((copiedSegments / SEGMENTS_PER_COLLECTION) * 100),
    partition_backups: [
      omitEmpty({ partition_id: partitionId, partition_name: '_default', collection_id: collection.id, segment_backups: segments, size: collection.bytes }, ['size']),
    ],
  };
}

function storedFields(stored: StoredBackup, collections: Json[]): Json {
  return {
    name: stored.name,
    backup_timestamp: stored.backupTimestamp,
    collection_backups: collections,
    size: stored.size,
    milvus_version: stored.milvusVersion,
    database_backups: stored.databases.map((db, i) => ({ db_name: db, db_id: 1 + i })),
  };
}

/** pbconv.NewBackupInfoBrief(task, backup, metaSize): either part may be missing. */
export function backupBrief(task: BackupTask | undefined, stored: StoredBackup | undefined, generation: Generation = 'v0.5.16'): Json {
  let brief: Json = { state_code: 0, progress: 0, size: 0, meta_size: stored?.metaSize ?? 0 };
  if (task !== undefined) {
    brief = {
      ...brief,
      id: task.id,
      name: task.name,
      state_code: backupStateCode(task),
      errorMessage: task.errorMessage,
      start_time: seconds(task.startMs),
      end_time: seconds(task.endMs),
      progress: backupProgress(task, 'v0.5.16'),
    };
  }
  if (stored !== undefined)
    brief = {
      ...brief,
      ...storedFields(
        stored,
        stored.collections.map((c) => collectionBrief(c, stored)),
      ),
    };
  // v0.6 pbconv.NewBackupInfoBrief copies BackupInfo.format ("" for binlogs, dropped by omitempty).
  if (knowsFormat(generation) && stored !== undefined) brief = { ...brief, format: stored.format };
  return omitEmpty(brief, ['state_code', 'progress', 'size', 'meta_size']);
}

/** v0.5.9's full BackupInfo of a task still in the meta manager (times in ms, progress = copied bytes ratio). */
export function backupInfoFromTask(task: BackupTask, milvusVersion: string, stored: StoredBackup | undefined): Json {
  const listed = task.colls.filter((coll) => coll.snapshot !== null);
  const timing = { id: task.id, backupTimestamp: stored?.backupTimestamp ?? 0, startMs: task.startMs };
  return omitEmpty(
    {
      id: task.id,
      state_code: backupStateCode(task),
      errorMessage: task.errorMessage,
      start_time: task.startMs,
      end_time: task.endMs ?? 0,
      progress: backupProgress(task, 'v0.5.9'),
      name: task.name,
      backup_timestamp: stored?.backupTimestamp ?? 0,
      collection_backups: listed.map((coll) => collectionFull(coll.snapshot!, timing, coll.copiedSegments)),
      size: listed.reduce((sum, coll) => sum + coll.snapshot!.bytes, 0),
      milvus_version: milvusVersion,
      database_backups: stored === undefined ? [] : storedFields(stored, []).database_backups,
      meta_size: stored?.metaSize ?? 0,
    },
    ['state_code', 'progress', 'size', 'meta_size'],
  );
}

/** v0.5.9's full BackupInfo read back from storage. */
export function backupInfoFromStorage(stored: StoredBackup): Json {
  const collections = stored.collections.map((c) => collectionFull(c, stored, SEGMENTS_PER_COLLECTION));
  return omitEmpty(
    { id: stored.id, state_code: 2, start_time: stored.startMs, end_time: stored.endMs, progress: 100, ...storedFields(stored, collections), meta_size: stored.metaSize },
    ['state_code', 'progress', 'size', 'meta_size'],
  );
}

export function backupSummary(stored: StoredBackup): Json {
  return omitEmpty({ id: stored.id, name: stored.name, size: stored.size, milvus_version: stored.milvusVersion }, ['size']);
}

/** pbconv.RestoreTaskViewToResp — the same in both generations. */
export function restoreTaskResponse(task: RestoreTask): Json {
  return omitEmpty(
    {
      id: task.id,
      state_code: task.state,
      errorMessage: task.errorMessage,
      start_time: seconds(task.startMs),
      end_time: seconds(task.endMs),
      progress: restoreProgress(task),
      collection_restore_tasks: task.colls.map((coll) =>
        omitEmpty(
          {
            state_code: coll.state,
            errorMessage: coll.errorMessage,
            start_time: seconds(coll.startMs),
            end_time: seconds(coll.endMs),
            progress: restoreCollProgress(coll),
            target_db_name: coll.target.db,
            target_collection_name: coll.target.name,
          },
          ['state_code', 'progress'],
        ),
      ),
    },
    ['state_code', 'progress'],
  );
}

/** What get_backup's `data` holds for each generation. */
export function getBackupData(generation: Generation, task: BackupTask | undefined, stored: StoredBackup | undefined, milvusVersion: string): Json {
  if (answersBrief(generation)) return backupBrief(task, task?.state === 'success' ? stored : undefined, generation);
  return task === undefined ? backupInfoFromStorage(stored!) : backupInfoFromTask(task, milvusVersion, task.state === 'success' ? stored : undefined);
}
