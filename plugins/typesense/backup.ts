// Logical backup: collection schemas (minus server-only keys and masked credentials), every document through
// the streaming JSONL export (one batch in memory at a time), and the collections' satellites.

import type { ArchiveWriter } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalBackupRequest, LogicalBackupResult } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { forEachConcurrently } from '../../src/plugin.ts';
import { throwIfCanceled, type TypesenseClient } from './client.ts';
import { backupSatellites } from './satellites.ts';
import { collectionList, debugInfo, majorVersion, parseResponse, schemaForBackup, type CollectionSummary } from './schema.ts';

/** Collections exported at once. */
const COLLECTIONS_AT_ONCE = 2;
/** Export bytes handed to the archive at a time. */
const EXPORT_BLOCK_BYTES = 256 * 1024;

export interface TransferOptions {
  /** Documents per import request (restore). */
  batchSize: number;
  importTimeoutMs: number;
  importAction: 'create' | 'upsert';
  modelApiKeys: Record<string, string>;
}

export async function readEngineVersion(client: TypesenseClient, signal: AbortSignal): Promise<string | null> {
  return parseResponse(debugInfo, await client.debug(signal), 'debug').version ?? null;
}

export async function listSummaries(client: TypesenseClient, signal: AbortSignal): Promise<CollectionSummary[]> {
  return parseResponse(collectionList, await client.listCollections(signal), 'collections');
}

export async function logicalBackup(
  client: TypesenseClient,
  options: TransferOptions,
  request: LogicalBackupRequest,
  archive: ArchiveWriter,
  ctx: JobContext,
): Promise<LogicalBackupResult> {
  const { signal } = ctx;
  if (request.changedSince != null) {
    // Typesense keeps no modification time per document: every backup is full.
    throw new GatewayError('incremental_not_supported', 'Typesense cannot tell which documents changed since a point in time; take a FULL backup');
  }
  const warnings: string[] = [];
  const engineVersion = await readEngineVersion(client, signal);
  const collections = selectCollections(await listSummaries(client, signal), request.collections);
  const total = collections.reduce((sum, collection) => sum + (collection.num_documents ?? 0), 0);

  let completed = 0;
  const report = (message: string): void =>
    ctx.progress({ phase: 'documents', completed, total: Math.max(total, completed), unit: 'documents', bytes: archive.bytesWritten, message });
  report(`${collections.length} collection(s) to back up`);

  // A few collections side by side: the engine, gzip (zlib thread pool) and this thread overlap.
  await forEachConcurrently(collections, COLLECTIONS_AT_ONCE, async (summary) => {
    throwIfCanceled(signal);
    const file = schemaForBackup(summary);
    for (const secret of file.secretsRemoved ?? []) {
      warnings.push(
        `collection ${summary.name}: field ${secret.field} (${secret.model}) has its ${secret.credential} masked by Typesense; ` +
          `it is not in the backup — re-supply it on restore (engine config modelApiKeys)`,
      );
    }
    await archive.writeCollectionSchema(summary.name, file);
    const sink = archive.openDocuments(summary.name);
    // The export is already JSON lines: its bytes go to the archive as they are, only counted.
    for await (const block of readAhead(client.exportLines(summary.name, EXPORT_BLOCK_BYTES, signal))) {
      throwIfCanceled(signal);
      await sink.writeJsonLines(block.data, block.lines);
      completed += block.lines;
      report(`collection ${summary.name}`);
    }
    await sink.close();
  });

  ctx.progress({ phase: 'satellites', completed: 0, total: null, unit: 'items', message: 'aliases, synonyms, overrides, stopwords, presets, keys' });
  const v30 = (majorVersion(engineVersion) ?? 0) >= 30;
  await backupSatellites({ client, signal, warnings, v30 }, archive, collections, request.collections === null);
  return { engineVersion, warnings };
}

/**
 * Yields the items of `source` while it already reads the next one: the export keeps flowing from the socket
 * while the archive takes a block, instead of pausing the engine's stream at every write.
 */
async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done === true) return;
      next = source.next();
      yield current.value;
    }
  } finally {
    next.catch(() => undefined); // settled by return() below, or already consumed
    await source.return(undefined);
  }
}

/** Every collection, or the selected ones; an unknown name fails before anything is written. */
function selectCollections(all: CollectionSummary[], selected: string[] | null): CollectionSummary[] {
  if (selected === null) return all;
  const byName = new Map(all.map((collection) => [collection.name, collection]));
  const missing = selected.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new GatewayError('collection_not_found', `Typesense collection(s) not found: ${missing.join(', ')}`, { details: { collections: missing } });
  }
  return [...new Set(selected)].map((name) => byName.get(name)!);
}
