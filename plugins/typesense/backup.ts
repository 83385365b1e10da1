// Logical backup: collection schemas (minus server-only keys and masked credentials), every document through
// the streaming JSONL export (one batch in memory at a time), and the collections' satellites.

import type { ArchiveWriter } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalBackupRequest, LogicalBackupResult } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { selectNamed, totalOf, transferProgress } from '../../src/plugin.ts';
import { throwIfCanceled, type TypesenseClient } from './client.ts';
import { backupSatellites } from './satellites.ts';
import { collectionList, debugInfo, majorVersion, parseResponse, schemaForBackup, type CollectionSummary } from './schema.ts';

export interface TransferOptions {
  /** Documents per import request (restore) and per archive write (backup). */
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
  const collections = selectNamed(await listSummaries(client, signal), request.collections, (collection) => collection.name, 'Typesense collection(s)');
  const progress = transferProgress(
    ctx,
    totalOf(collections, (collection) => collection.num_documents),
    { bytes: () => archive.bytesWritten },
  );
  progress.report('documents', `${collections.length} collection(s) to back up`);

  for (const summary of collections) {
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
    for await (const batch of client.exportDocuments(summary.name, options.batchSize, signal)) {
      throwIfCanceled(signal);
      await sink.write(batch);
      progress.completed += batch.length;
      progress.report('documents', `collection ${summary.name}`);
    }
    await sink.close();
  }

  ctx.progress({ phase: 'satellites', completed: 0, total: null, unit: 'items', message: 'aliases, synonyms, overrides, stopwords, presets, keys' });
  const v30 = (majorVersion(engineVersion) ?? 0) >= 30;
  await backupSatellites({ client, signal, warnings, v30 }, archive, collections, request.collections === null);
  return { engineVersion, warnings };
}
