// Fills one ACTIVE table from the archive: batch_write_item in batches of at most 25 items, a few batches
// in flight, unprocessed items (and 429/503 answers) retried with exponential backoff — each retry logged
// and reported as a `retrying` progress phase, so it shows in the job's events. Writes of one key land in
// archive order: an incremental chain streams the base layer then each increment, and a newer version of
// an item must not be overwritten by an older one still in flight or waiting for a retry.
import type { ArchiveReader } from '../../src/storage/archive-types.ts';
import type { JobContext } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import type { DocumentProgress } from '../../src/plugin.ts';
import { engineStatus, sleepOrCancel, throwIfCanceled, typedItem, type MagnetoDbClient, type TypedItem } from './client.ts';
import type { TransferOptions } from './backup.ts';

const WRITES_IN_FLIGHT = 4;
const MAX_BACKOFF_MS = 5000;

/** The kit's restore progress (restoreProgress): running count against the planned total. */
export type RestoreProgress = DocumentProgress;

export interface FillContext {
  client: MagnetoDbClient;
  options: TransferOptions;
  archive: ArchiveReader;
  ctx: JobContext;
  progress: RestoreProgress;
}

/** Writes every archived item of `source` into `target`; returns how many were written. */
export async function fillTable(fill: FillContext, source: string, target: string, keys: string[]): Promise<number> {
  const { signal } = fill.ctx;
  const pending = new Set<Promise<void>>();
  /** Key of each item being written (retries included) → its batch: a later item with that key waits for it. */
  const writing = new Map<string, Promise<void>>();
  const failures: unknown[] = [];
  let written = 0;
  const track = (batchKeys: string[], write: Promise<number>): void => {
    const settled: Promise<void> = write
      .then((count) => {
        written += count;
      })
      .catch((error: unknown) => {
        failures.push(error);
      })
      .finally(() => {
        pending.delete(settled);
        for (const key of batchKeys) if (writing.get(key) === settled) writing.delete(key);
      });
    pending.add(settled);
    for (const key of batchKeys) writing.set(key, settled);
  };
  try {
    for await (const documents of fill.archive.readDocuments(source, fill.options.batchSize)) {
      if (failures.length > 0) break;
      throwIfCanceled(signal);
      if (documents.length === 0) continue;
      const batch = newestPerKey(
        documents.map((document) => archivedItem(document, source, keys)),
        keys,
      );
      const earlier = new Set(batch.keys.flatMap((key) => writing.get(key) ?? []));
      if (earlier.size > 0) await Promise.all(earlier);
      if (failures.length > 0) break;
      track(batch.keys, writeBatch(fill, target, batch.items));
      while (pending.size >= WRITES_IN_FLIGHT && failures.length === 0) await Promise.race(pending);
    }
  } finally {
    // Never leave a write running behind the caller's back (it may be about to delete the table).
    await Promise.allSettled(pending);
  }
  if (failures.length > 0) throw failures[0];
  return written;
}

/**
 * MagnetoDB refuses two operations on one key in a batch: when a batch holds a key twice, its last item
 * (the newest in archive order) is the one written. Keys are compared as MagnetoDB spelled them.
 */
function newestPerKey(items: TypedItem[], keys: string[]): { items: TypedItem[]; keys: string[] } {
  const byKey = new Map<string, TypedItem>();
  for (const item of items) {
    const key = JSON.stringify(keys.map((name) => item[name]));
    byKey.delete(key);
    byKey.set(key, item);
  }
  return { items: [...byKey.values()], keys: [...byKey.keys()] };
}

function archivedItem(document: unknown, source: string, keys: string[]): TypedItem {
  const parsed = typedItem.safeParse(document);
  if (!parsed.success || keys.some((key) => parsed.data[key] === undefined)) {
    throw new GatewayError('archive_invalid', `An item of ${source} in the backup is not a MagnetoDB item with its key attributes (${keys.join(', ')})`);
  }
  return parsed.data;
}

/** One batch, resent until MagnetoDB has processed every item or the retries are used up. */
async function writeBatch(fill: FillContext, table: string, items: TypedItem[]): Promise<number> {
  const { client, options, ctx, progress } = fill;
  let batch = items;
  for (let retry = 0; ; retry++) {
    let unprocessed: TypedItem[];
    try {
      unprocessed = await client.batchWriteItem(table, batch, ctx.signal);
    } catch (error) {
      // Rate limit (RequestQuotaExceeded) or ServiceUnavailable: nothing was written, the whole batch waits.
      const status = engineStatus(error);
      if (status === 400 && error instanceof GatewayError) {
        // The items themselves were refused (e.g. a type that no longer matches the schema): retrying cannot help.
        throw new GatewayError('restore_failed', `MagnetoDB refused items of table ${table}: ${error.message}`, { cause: error, details: { ...error.details, table } });
      }
      if (status !== 429 && status !== 503) throw error;
      unprocessed = batch;
    }
    const done = batch.length - unprocessed.length;
    if (done > 0) {
      progress.completed += done;
      progress.report('items', `table ${table}`);
    }
    if (unprocessed.length === 0) return items.length;
    if (retry >= options.maxRetries) {
      throw new GatewayError('restore_failed', `MagnetoDB left ${unprocessed.length} item(s) of table ${table} unprocessed after ${options.maxRetries} retries`, {
        details: { table, unprocessed: unprocessed.length },
      });
    }
    const delayMs = Math.min(options.retryBaseDelayMs * 2 ** retry, MAX_BACKOFF_MS);
    const message = `table ${table}: ${unprocessed.length} of ${batch.length} item(s) unprocessed by batch_write_item; retry ${retry + 1}/${options.maxRetries} in ${delayMs} ms`;
    ctx.logger.warn(message, { table, unprocessed: unprocessed.length, retry: retry + 1, delayMs });
    progress.report('retrying', message);
    await sleepOrCancel(delayMs, ctx.signal);
    batch = unprocessed;
  }
}
