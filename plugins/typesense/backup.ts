// Logical backup: collection schemas (minus server-only keys and masked credentials), every document through
// the streaming JSONL export (one batch in memory at a time), and the collections' satellites.

import type { ArchiveWriter } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalBackupRequest, LogicalBackupResult } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { forEachConcurrently, prefetchNext, selectNamed, totalOf, transferProgress } from '../../src/plugin.ts';
import { throwIfCanceled, type TypesenseClient } from './client.ts';
import { backupSatellites } from './satellites.ts';
import { collectionList, debugInfo, majorVersion, parseResponse, schemaForBackup, type CollectionSummary } from './schema.ts';

export interface TransferOptions {
  /** Documents per import request (restore); the most documents per archive write (backup). */
  batchSize: number;
  importTimeoutMs: number;
  importAction: 'create' | 'upsert';
  modelApiKeys: Record<string, string>;
  /** An export that skipped documents it could not read (v30 writes an error line instead): fail the backup, or keep it with a warning. */
  onExportError: 'fail' | 'warn';
}

/** Error lines quoted in a warning or an error, at most. */
const FIRST_EXPORT_ERRORS = 5;
/** Collections exported at once. */
const COLLECTIONS_AT_ONCE = 2;
/** Export bytes handed to the archive at a time. */
const EXPORT_BLOCK_BYTES = 256 * 1024;

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
  const collections = selectNamed(await listSummaries(client, signal), request.collections, (collection) => collection.name, 'Typesense collection(s)');
  const progress = transferProgress(
    ctx,
    totalOf(collections, (collection) => collection.num_documents),
    { bytes: () => archive.bytesWritten },
  );
  progress.report('documents', `${collections.length} collection(s) to back up`);

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
    const embedded: string[] = [];
    let exported = 0;
    // The export is already JSON lines: its bytes go to the archive as they are, only counted (error lines apart).
    for await (const block of prefetchNext(client.exportLines(summary.name, EXPORT_BLOCK_BYTES, signal, (line) => embedded.push(line), options.batchSize))) {
      throwIfCanceled(signal);
      await sink.writeJsonLines(block.data, block.lines);
      progress.completed += block.lines;
      exported += block.lines;
      progress.report('documents', `collection ${summary.name}`);
    }
    await sink.close();
    if (embedded.length > 0) warnings.push(exportErrors(summary.name, exported, embedded, options.onExportError));
  });

  ctx.progress({ phase: 'satellites', completed: 0, total: null, unit: 'items', message: 'aliases, synonyms, overrides, stopwords, presets, keys' });
  const v30 = (majorVersion(engineVersion) ?? 0) >= 30;
  await backupSatellites({ client, signal, warnings, v30 }, archive, collections, request.collections === null);
  return { engineVersion, warnings };
}

/**
 * A v30 export goes on past a document it cannot read and writes an error line in its place: the backup is
 * short by that many documents. Never silent: the job fails (`onExportError: fail`, the default) or warns.
 */
function exportErrors(collection: string, exported: number, embedded: string[], policy: TransferOptions['onExportError']): string {
  const first = embedded.slice(0, FIRST_EXPORT_ERRORS).map((line) => line.slice(0, 300));
  const message = `collection ${collection}: the export skipped ${embedded.length} document(s) it could not read (${exported} exported); first errors: ${first.join(' | ')}`;
  if (policy === 'fail') {
    throw new GatewayError('engine_error', `Typesense ${message}. Set onExportError: "warn" to keep such a backup`, {
      details: { collection, skipped: embedded.length, exported, firstErrors: first },
    });
  }
  return `${message}; the backup misses them`;
}
