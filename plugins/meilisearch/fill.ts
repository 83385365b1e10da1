// Fills one index: primary key, settings, then documents (from a logical archive or a dump) through a
// small pipeline of engine tasks (a few batches enqueued ahead while earlier ones index).
import type { JobContext } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import type { DocumentProgress } from '../../src/plugin.ts';
import { isEngineCode, throwIfCanceled, type MeilisearchClient } from './client.ts';
import type { TransferOptions } from './backup.ts';

/** Batches enqueued ahead of the one being indexed: enough to keep Meilisearch busy, little memory. */
const MAX_TASKS_IN_FLIGHT = 3;

export interface FillTarget {
  source: string;
  target: string;
  primaryKey: string | null;
  settings: Record<string, unknown>;
}

/** The kit's restore progress (restoreProgress): running count against the planned total. */
export type RestoreProgress = DocumentProgress;

export interface FillContext {
  client: MeilisearchClient;
  options: TransferOptions;
  ctx: JobContext;
  progress: RestoreProgress;
  warnings: string[];
}

/** Where an index's documents come from, in batches. */
export type DocumentBatches = AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>;

/**
 * `create`: `uid` is a fresh staging index. `replace`: `uid` is the live target, created when missing,
 * emptied when present. Every enqueued task uid is added to `enqueued` (when given) so a caller can cancel them.
 * Returns the number of documents indexed.
 */
export async function fillIndex(
  fill: FillContext,
  item: FillTarget,
  uid: string,
  mode: 'create' | 'replace',
  enqueued: Set<number> | null,
  batches: DocumentBatches,
): Promise<number> {
  const { client, options, ctx } = fill;
  const { signal } = ctx;
  const track = (taskUid: number): number => (enqueued?.add(taskUid), taskUid);
  const wait = async (taskUid: number): Promise<void> => waitSucceeded(client, options, signal, taskUid, item.target);

  const existing = mode === 'replace' ? await client.getIndex(uid, signal) : null;
  if (existing === null) {
    await wait(track(await client.createIndex(uid, item.primaryKey, signal)));
  } else {
    await wait(track(await client.deleteAllDocuments(uid, signal)));
    if (item.primaryKey !== null && existing.primaryKey !== item.primaryKey) {
      await wait(track(await client.setPrimaryKey(uid, item.primaryKey, signal)));
    }
  }
  await wait(track(await enqueueSettings(fill, item, uid)));
  fill.progress.report('documents', `index ${item.target}`);

  let documentCount = 0;
  const inFlight: { taskUid: number; documents: number }[] = [];
  const settleOldest = async (): Promise<void> => {
    const batch = inFlight.shift()!;
    await wait(batch.taskUid);
    documentCount += batch.documents;
    fill.progress.completed += batch.documents;
    fill.progress.report('documents', `index ${item.target}`);
  };
  for await (const documents of batches) {
    throwIfCanceled(signal);
    if (documents.length === 0) continue;
    inFlight.push({ taskUid: track(await client.addDocuments(uid, documents, item.primaryKey, signal)), documents: documents.length });
    if (inFlight.length >= MAX_TASKS_IN_FLIGHT) await settleOldest();
  }
  while (inFlight.length > 0) await settleOldest();
  return documentCount;
}

/**
 * Applies the archived settings. A setting this server does not know (archive from a newer
 * Meilisearch) is dropped with a warning rather than failing the whole restore.
 */
async function enqueueSettings(fill: FillContext, item: FillTarget, uid: string): Promise<number> {
  const settings = { ...item.settings };
  for (;;) {
    try {
      return await fill.client.updateSettings(uid, settings, fill.ctx.signal);
    } catch (error) {
      const gated = isEngineCode(error, 'feature_not_enabled') ? featureGatedSetting(error as Error) : null;
      if (gated !== null && gated in settings) {
        // `chat` / `foreignKeys` need an experimental feature the target has off; a default value loses nothing
        if (!isDefaultGatedSetting(gated, settings[gated])) {
          fill.warnings.push(`index ${item.target}: setting \`${gated}\` needs an experimental feature that is off on this Meilisearch and was not restored`);
        }
        delete settings[gated];
        continue;
      }
      const field = isEngineCode(error, 'bad_request') ? unknownField(error as Error) : null;
      if (field === null || !(field in settings)) throw error;
      delete settings[field];
      fill.warnings.push(`index ${item.target}: setting \`${field}\` is not supported by this Meilisearch and was not restored`);
    }
  }
}

/** `setting \`chat\` in the index settings requires enabling …` (validate_settings) → `chat`. */
function featureGatedSetting(error: Error): string | null {
  return /setting `([^`]+)` in the index settings/.exec(error.message)?.[1] ?? null;
}

/** What every index of a v1.16+ / v1.39+ instance holds before anyone sets it (dumps always carry them). */
function isDefaultGatedSetting(name: string, value: unknown): boolean {
  if (name === 'foreignKeys') return Array.isArray(value) && value.length === 0;
  if (name !== 'chat' || typeof value !== 'object' || value === null) return false;
  const chat = value as { description?: unknown; searchParameters?: unknown };
  const params = chat.searchParameters;
  return (chat.description ?? '') === '' && (params === undefined || (typeof params === 'object' && params !== null && Object.keys(params).length === 0));
}

function unknownField(error: Error): string | null {
  return /Unknown field `([^`]+)`/.exec(error.message)?.[1] ?? null;
}

/** Waits for a task; anything but `succeeded` becomes `restore_failed` carrying the engine's error. */
export async function waitSucceeded(client: MeilisearchClient, options: TransferOptions, signal: AbortSignal, taskUid: number, label: string): Promise<void> {
  const task = await client.waitForTask(taskUid, { signal, timeoutMs: options.taskTimeoutMs });
  if (task.status === 'succeeded') return;
  const reason = task.error === null ? task.status : `${task.error.message} (${task.error.code})`;
  throw new GatewayError('restore_failed', `Meilisearch ${task.type} task ${task.uid} for ${label} ${task.status}: ${reason}`, {
    details: { taskUid: task.uid, engineCode: task.error?.code ?? null },
  });
}
