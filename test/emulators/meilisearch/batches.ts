// Batches (v1.12+): one batch per processing round, with `progress` while it runs (ProgressView:
// outer→inner steps and a percentage) and `null` once finished, plus aggregated details and stats.

import { rfc3339, rfc3339OrNull } from './rfc3339.ts';
import { isoDuration, type Details, type Task, type TaskType } from './tasks.ts';
import { CURRENT_MEILISEARCH_VERSION, hasFeature } from './versions.ts';

/** Step names of each task kind's progress enum, lower-cased into words (processing.rs). */
const KIND_STEPS: Record<TaskType, readonly string[]> = {
  documentAdditionOrUpdate: ['retrieving config', 'computing document changes', 'indexing'],
  documentEdition: ['retrieving config', 'computing document changes', 'indexing'],
  documentDeletion: ['retrieving config', 'delete documents', 'indexing'],
  settingsUpdate: ['retrieving and merging the settings', 'apply the settings'],
  indexCreation: ['creating the index'],
  indexUpdate: ['updating the index'],
  indexDeletion: ['deleting the index'],
  indexSwap: ['ensuring correctness of the swap', 'swapping the indexes'],
  taskCancelation: ['retrieving tasks', 'canceling upgrade', 'updating tasks'],
  taskDeletion: ['deleting tasks date time', 'deleting tasks metadata', 'deleting tasks', 'deleting batches'],
  dumpCreation: [
    'start the dump creation',
    'dump the api keys',
    'dump the chat completion settings',
    'dump the tasks',
    'dump the batches',
    'dump the indexes',
    'dump the experimental features',
    'compress the dump',
  ],
  snapshotCreation: [
    'start the snapshot creation',
    'snapshot the index scheduler',
    'snapshot the update files',
    'snapshot the indexes',
    'snapshot the api keys',
    'create the tarball',
  ],
  export: ['ensuring correctness of the target', 'exporting the settings', 'exporting the documents'],
  upgradeDatabase: ['upgrading the database'],
  indexCompaction: ['creating a temporary file', 'copying and compacting the index', 'computing stats', 'swapping the index'],
  networkTopologyChange: ['exporting documents'],
  dsrUpdate: ['updating dynamic search rules'],
  dsrClear: ['clearing dynamic search rules'],
};

export interface ProgressStep {
  currentStep: string;
  finished: number;
  total: number;
}

export interface Batch {
  uid: number;
  tasks: Task[];
  startedAt: Date;
  finishedAt: Date | null;
  batchStrategy: string;
  kind: TaskType;
  /** 0..1 through the processing time, drives the inner progress step while running. */
  fraction: number;
  /** Measured processing time in milliseconds (sub-millisecond precision) once finished. */
  durationMs?: number;
  /** Inner steps set by the batch itself (upgrade.ts: upgrade and rollback per index) instead of the kind's. */
  progressSteps?: ProgressStep[];
}

/** `Progress::as_progress_view`: percentage = Σ finished_i / (total_1 × … × total_i) × 100. */
export function progressView(batch: Batch): { steps: ProgressStep[]; percentage: number } | null {
  if (batch.finishedAt !== null) return null;
  const inner = KIND_STEPS[batch.kind];
  const current = Math.min(inner.length - 1, Math.floor(batch.fraction * inner.length));
  const steps: ProgressStep[] = [
    { currentStep: 'processing tasks', finished: 0, total: 2 },
    ...(batch.progressSteps ?? [{ currentStep: inner[current] ?? 'processing tasks', finished: current, total: inner.length }]),
  ];
  let percentage = 0;
  let factor = 1;
  for (const step of steps) {
    factor *= step.total;
    percentage += step.finished / factor;
  }
  return { steps, percentage: percentage * 100 };
}

/** `DetailsView::accumulate`: counters add up, the first string wins, filters join with `&`. */
function accumulate(into: Details, other: Details): void {
  for (const [key, value] of Object.entries(other)) {
    const current = into[key];
    if (current === undefined || current === null) into[key] = value;
    else if (value === null || value === undefined) continue;
    else if (typeof current === 'number' && typeof value === 'number') into[key] = current + value;
    else if (key === 'originalFilter' && typeof current === 'string' && typeof value === 'string') into[key] = `${current}&${value}`;
    else if (Array.isArray(current) && Array.isArray(value)) into[key] = [...current, ...value];
  }
}

/** Rust's `{:.2?}` of a Duration: `12.34µs`, `1.20ms`, `3.05s`. */
export function debugDuration(ms: number): string {
  if (ms < 0.001) return `${(ms * 1_000_000).toFixed(2)}ns`;
  if (ms < 1) return `${(ms * 1000).toFixed(2)}µs`;
  if (ms < 1000) return `${ms.toFixed(2)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

/** `Progress::accumulated_durations` of a finished batch: every step path with the time spent in it. */
function progressTrace(batch: Batch): Record<string, string> {
  const total = batch.durationMs ?? (batch.finishedAt ? batch.finishedAt.getTime() - batch.startedAt.getTime() : 0);
  const inner = KIND_STEPS[batch.kind];
  const trace: Record<string, string> = {};
  for (const step of inner) trace[`processing tasks > ${step}`] = debugDuration(total / inner.length);
  trace['processing tasks'] = debugDuration(total);
  return trace;
}

/** BatchView; `progressTrace` in the stats from v1.14, `batchStrategy` from v1.15. */
export function batchView(batch: Batch, version: string = CURRENT_MEILISEARCH_VERSION): Record<string, unknown> {
  const details: Details = {};
  const status: Record<string, number> = {};
  const types: Record<string, number> = {};
  const indexUids: Record<string, number> = {};
  for (const task of batch.tasks) {
    if (task.details) accumulate(details, task.details);
    status[task.status] = (status[task.status] ?? 0) + 1;
    types[task.content.type] = (types[task.content.type] ?? 0) + 1;
    if ('indexUid' in task.content) indexUids[task.content.indexUid] = (indexUids[task.content.indexUid] ?? 0) + 1;
  }
  return {
    uid: batch.uid,
    progress: progressView(batch),
    details,
    stats: {
      totalNbTasks: batch.tasks.length,
      status,
      types,
      indexUids,
      ...(hasFeature(version, 'progressTrace') && batch.finishedAt !== null ? { progressTrace: progressTrace(batch) } : {}),
    },
    duration: batch.finishedAt ? isoDuration(batch.durationMs ?? batch.finishedAt.getTime() - batch.startedAt.getTime()) : null,
    startedAt: rfc3339(batch.startedAt),
    finishedAt: rfc3339OrNull(batch.finishedAt),
    ...(hasFeature(version, 'batchStrategy') ? { batchStrategy: batch.batchStrategy } : {}),
  };
}
