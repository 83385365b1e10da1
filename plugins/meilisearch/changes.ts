// Writes to an index while a backup reads it. Documents are paged with offsets (the only order every
// Meilisearch version serves without changing the index's settings: filtering or sorting on the primary key
// needs it filterable/sortable), so a deletion between two pages shifts later documents below the next offset
// and they are skipped. The backup therefore marks the task queue before reading an index and, after, counts
// the write tasks on that index that succeeded in between; a non-zero count (or document counts that do not
// match what was read) means the copy may be wrong, and the index is read again.
import { engineStatus, type MeilisearchClient } from './client.ts';

/** Task types that change an index's documents. */
export const WRITE_TASK_TYPES = ['documentAdditionOrUpdate', 'documentDeletion', 'documentEdition', 'indexDeletion', 'indexSwap', 'indexUpdate'];

export interface IndexMark {
  /** Newest task uid of the instance when the read started (-1: none); later write tasks on the index count. */
  newestTaskUid: number;
  /** Write tasks on the index still enqueued or processing then: they count once they have succeeded. */
  pending: number[];
  documentCount: number;
}

export interface IndexChange {
  /** Write tasks on the index that succeeded while it was read; null when the key may not read tasks. */
  writeTasks: number | null;
  documentsBefore: number;
  documentsAfter: number;
  documentsRead: number;
  changed: boolean;
}

/** null `newestTaskUid`-less mark when tasks cannot be read (key without `tasks.get`): counts only. */
export async function markIndex(client: MeilisearchClient, uid: string, signal: AbortSignal): Promise<IndexMark | { documentCount: number; tasks: false }> {
  try {
    const [newest] = await client.taskUids({ limit: 1 }, signal);
    const pending = await client.taskUids({ indexUids: [uid], statuses: ['enqueued', 'processing'], types: WRITE_TASK_TYPES }, signal);
    return { newestTaskUid: newest ?? -1, pending, documentCount: await client.documentCount(uid, signal) };
  } catch (error) {
    const status = engineStatus(error);
    if (status !== 401 && status !== 403) throw error;
    return { documentCount: await client.documentCount(uid, signal), tasks: false };
  }
}

export async function indexChange(
  client: MeilisearchClient,
  uid: string,
  mark: IndexMark | { documentCount: number; tasks: false },
  documentsRead: number,
  signal: AbortSignal,
): Promise<IndexChange> {
  let writeTasks: number | null = null;
  if (!('tasks' in mark)) {
    const later = await client.taskUids({ indexUids: [uid], statuses: ['succeeded'], types: WRITE_TASK_TYPES }, signal, mark.newestTaskUid);
    const finished = mark.pending.length === 0 ? [] : await client.taskUids({ uids: mark.pending, statuses: ['succeeded'] }, signal);
    writeTasks = later.length + finished.length;
  }
  const documentsAfter = await client.documentCount(uid, signal);
  const changed = (writeTasks ?? 0) > 0 || documentsAfter !== mark.documentCount || documentsRead !== documentsAfter;
  return { writeTasks, documentsBefore: mark.documentCount, documentsAfter, documentsRead, changed };
}

export function describeChange(uid: string, change: IndexChange, attempts: number): string {
  const tasks = change.writeTasks === null ? 'write tasks unknown (the API key may not read tasks)' : `${change.writeTasks} write task(s)`;
  return (
    `index ${uid} changed during backup: ${tasks} in the last of ${attempts} read(s); ${change.documentsRead} document(s) read, ` +
    `the index held ${change.documentsBefore} before and ${change.documentsAfter} after — the copy may miss or repeat documents`
  );
}
