// The task queue: what each task carries, how it is shown (TaskView / SummarizedTaskView) and how
// the task filters of GET /tasks, POST /tasks/cancel and DELETE /tasks select tasks.

import { rfc3339, rfc3339OrNull } from './rfc3339.ts';
import type { MeiliErrorBody } from './errors.ts';
import type { ExportContent } from './export.ts';
import type { Settings } from './settings.ts';
import type { Doc } from './state.ts';
import { hasFeature } from './versions.ts';

/** `Kind` of the current version, in enum order (quoted by the "is not a valid task type" message). */
export const TASK_TYPES = [
  'documentAdditionOrUpdate',
  'documentEdition',
  'documentDeletion',
  'settingsUpdate',
  'indexCreation',
  'indexDeletion',
  'indexUpdate',
  'indexSwap',
  'taskCancelation',
  'taskDeletion',
  'dumpCreation',
  'snapshotCreation',
  'export',
  'upgradeDatabase',
  'indexCompaction',
  'networkTopologyChange',
  'dsrUpdate',
  'dsrClear',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** The task types a given version knows (`indexCompaction` 1.23, `networkTopologyChange` 1.30, `dsr*` 1.50). */
export function taskTypesOf(version: string): TaskType[] {
  return TASK_TYPES.filter((type) => {
    if (type === 'indexCompaction') return hasFeature(version, 'indexCompaction');
    if (type === 'networkTopologyChange') return hasFeature(version, 'networkTopologyChange');
    if (type === 'dsrUpdate' || type === 'dsrClear') return hasFeature(version, 'dsrTasks');
    return true;
  });
}

export const TASK_STATUSES = ['enqueued', 'processing', 'succeeded', 'failed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface IndexSwap {
  indexes: [string, string];
  /** Only sent (and accepted) from v1.18. */
  rename?: boolean;
}

/** What a task will do when processed (the engine's `KindWithContent`). */
export type TaskContent =
  | {
      type: 'documentAdditionOrUpdate';
      indexUid: string;
      method: 'replace' | 'update';
      documents: Doc[] | null;
      primaryKey: string | undefined;
      allowIndexCreation: boolean;
      /** `skipCreation=true` (v1.31+): documents whose id is not in the index are ignored. */
      skipCreation?: boolean;
    }
  | { type: 'documentDeletion'; indexUid: string; op: 'ids'; ids: string[] }
  | { type: 'documentDeletion'; indexUid: string; op: 'filter'; filter: unknown }
  | { type: 'documentDeletion'; indexUid: string; op: 'clear' }
  | { type: 'settingsUpdate'; indexUid: string; patch: Settings; isDeletion: boolean; allowIndexCreation: boolean }
  | { type: 'indexCreation'; indexUid: string; primaryKey: string | null }
  | { type: 'indexUpdate'; indexUid: string; primaryKey: string | null; newIndexUid?: string }
  | { type: 'indexCompaction'; indexUid: string }
  | { type: 'indexDeletion'; indexUid: string }
  | { type: 'indexSwap'; swaps: IndexSwap[] }
  | { type: 'taskCancelation'; matched: number[]; query: string }
  | { type: 'taskDeletion'; matched: number[]; query: string }
  | { type: 'dumpCreation' }
  | { type: 'snapshotCreation' }
  // dumpless upgrade (upgrade.ts): `from` is the database version before the upgrade
  | { type: 'upgradeDatabase'; from: string }
  | ExportContent;

export type Details = Record<string, unknown>;

export interface Task {
  uid: number;
  batchUid: number | null;
  status: TaskStatus;
  content: TaskContent;
  canceledBy: number | null;
  details: Details | null;
  error: MeiliErrorBody | null;
  enqueuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Measured processing time (sub-millisecond), when known; dates only have millisecond precision. */
  durationMs?: number;
  /** `customMetadata` query parameter of the request that enqueued it (v1.26+). */
  customMetadata?: string;
}

export function indexUidOf(content: TaskContent): string | null {
  return 'indexUid' in content ? content.indexUid : null;
}

/** Every index a task touches (swaps touch both sides). */
export function indexesOf(content: TaskContent): string[] {
  if (content.type === 'indexSwap') return content.swaps.flatMap((s) => s.indexes);
  const uid = indexUidOf(content);
  return uid === null ? [] : [uid];
}

/** ISO-8601 duration as `serialize_duration` writes it (`PT0.025872S`, `P1DT2.5S`), microsecond precision. */
export function isoDuration(ms: number): string | null {
  if (ms < 0) return null;
  const micros = Math.round(ms * 1000);
  const totalSeconds = Math.floor(micros / 1_000_000);
  const days = Math.floor(totalSeconds / 86400);
  const secs = totalSeconds - days * 86400;
  const subMicros = micros - totalSeconds * 1_000_000;
  let out = 'P';
  if (days !== 0) out += `${days}D`;
  if (secs !== 0 || subMicros !== 0 || days === 0) {
    if (subMicros === 0) out += `T${secs}S`;
    else if (subMicros % 1000 === 0) out += `T${secs}.${String(subMicros / 1000).padStart(3, '0')}S`;
    else out += `T${secs}.${String(subMicros).padStart(6, '0')}S`;
  }
  return out;
}

export function taskView(task: Task): Record<string, unknown> {
  const view: Record<string, unknown> = {
    uid: task.uid,
    batchUid: task.batchUid,
    indexUid: indexUidOf(task.content),
    status: task.status,
    type: task.content.type,
    canceledBy: task.canceledBy,
  };
  // `details` is skipped entirely when the task has none (snapshotCreation)
  if (task.details !== null) view.details = task.details;
  view.error = task.error;
  view.duration = task.startedAt && task.finishedAt ? isoDuration(task.durationMs ?? task.finishedAt.getTime() - task.startedAt.getTime()) : null;
  view.enqueuedAt = rfc3339(task.enqueuedAt);
  view.startedAt = rfc3339OrNull(task.startedAt);
  view.finishedAt = rfc3339OrNull(task.finishedAt);
  if (task.customMetadata !== undefined) view.customMetadata = task.customMetadata;
  return view;
}

export function summarizedTaskView(task: Task): Record<string, unknown> {
  return {
    taskUid: task.uid,
    indexUid: indexUidOf(task.content),
    status: task.status,
    type: task.content.type,
    enqueuedAt: rfc3339(task.enqueuedAt),
    ...(task.customMetadata === undefined ? {} : { customMetadata: task.customMetadata }),
  };
}

/** `Details::to_failed`: counters a failed or canceled task did not reach become 0. */
export function failedDetails(task: Task): Details | null {
  if (task.details === null) return null;
  const d = { ...task.details };
  switch (task.content.type) {
    case 'documentAdditionOrUpdate':
      d.indexedDocuments = 0;
      break;
    case 'documentDeletion':
    case 'indexDeletion':
      d.deletedDocuments = 0;
      break;
    case 'taskCancelation':
      d.canceledTasks = 0;
      break;
    case 'taskDeletion':
      d.deletedTasks = 0;
      break;
    default:
      break;
  }
  return d;
}

/** A parsed task filter; `null` in a list means `*` (no restriction). */
export interface TaskFilter {
  uids?: number[] | null;
  batchUids?: number[] | null;
  canceledBy?: number[] | null;
  types?: TaskType[] | null;
  statuses?: TaskStatus[] | null;
  indexUids?: string[] | null;
  afterEnqueuedAt?: Date | null;
  beforeEnqueuedAt?: Date | null;
  afterStartedAt?: Date | null;
  beforeStartedAt?: Date | null;
  afterFinishedAt?: Date | null;
  beforeFinishedAt?: Date | null;
}

/** True when no criterion is set (`*` counts as set, as in `TaskDeletionOrCancelationQuery::is_empty`). */
export function isEmptyFilter(filter: TaskFilter): boolean {
  return Object.values(filter).every((v) => v === undefined);
}

const inList = <T>(list: T[] | null | undefined, value: T): boolean => list === undefined || list === null || list.includes(value);

/** Dates are exclusive bounds, like the engine's `Bound::Excluded`. */
function inRange(date: Date | null, after: Date | null | undefined, before: Date | null | undefined): boolean {
  if (!after && !before) return true;
  if (date === null) return false;
  if (after && date.getTime() <= after.getTime()) return false;
  if (before && date.getTime() >= before.getTime()) return false;
  return true;
}

export function matchesFilter(task: Task, filter: TaskFilter): boolean {
  if (!inList(filter.uids, task.uid)) return false;
  if (filter.batchUids && (task.batchUid === null || !filter.batchUids.includes(task.batchUid))) return false;
  if (filter.canceledBy && (task.canceledBy === null || !filter.canceledBy.includes(task.canceledBy))) return false;
  if (!inList(filter.types, task.content.type)) return false;
  if (!inList(filter.statuses, task.status)) return false;
  // with an index filter, kinds not tied to exactly one index (swaps, dumps…) never match
  if (filter.indexUids) {
    const uid = indexUidOf(task.content);
    if (uid === null || !filter.indexUids.includes(uid)) return false;
  }
  return (
    inRange(task.enqueuedAt, filter.afterEnqueuedAt, filter.beforeEnqueuedAt) &&
    inRange(task.startedAt, filter.afterStartedAt, filter.beforeStartedAt) &&
    inRange(task.finishedAt, filter.afterFinishedAt, filter.beforeFinishedAt)
  );
}

export class TaskQueue {
  private readonly tasks = new Map<number, Task>();
  private nextUid = 0;

  register(content: TaskContent, details: Details | null): Task {
    const task: Task = {
      uid: this.nextUid++,
      batchUid: null,
      status: 'enqueued',
      content,
      canceledBy: null,
      details,
      error: null,
      enqueuedAt: new Date(),
      startedAt: null,
      finishedAt: null,
    };
    this.tasks.set(task.uid, task);
    return task;
  }

  get(uid: number): Task | undefined {
    return this.tasks.get(uid);
  }

  delete(uid: number): void {
    this.tasks.delete(uid);
  }

  /** Oldest first. */
  all(): Task[] {
    return [...this.tasks.values()];
  }

  enqueued(): Task[] {
    return this.all().filter((t) => t.status === 'enqueued');
  }
}
