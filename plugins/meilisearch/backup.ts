// Logical backup: index list, primary keys, full settings and every document (with stored embeddings)
// read over the API and streamed page by page into the portable archive.
import type { ArchiveWriter } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalBackupRequest, LogicalBackupResult } from '../../src/engines/contract.ts';
import { forEachConcurrently, isRecord, readAhead, selectNamed, totalOf, transferProgress } from '../../src/plugin.ts';
import { engineStatus, throwIfCanceled, type MeilisearchClient } from './client.ts';
import { readVersion, supportsRetrieveVectors } from './versions.ts';
import { describeChange, indexChange, markIndex } from './changes.ts';
import { backupInstance } from './instance.ts';
import type { DocumentLines } from './document-page.ts';

/** Indexes read at once. */
const INDEXES_AT_ONCE = 2;

/** Reads of one index before a backup settles for a warning that it changed while read. */
export const READ_ATTEMPTS = 3;

export interface TransferOptions {
  pageSize: number;
  batchSize: number;
  taskTimeoutMs: number;
}

/** What `collections/<uid>/schema.json` holds. */
export interface MeilisearchIndexSchema {
  uid: string;
  primaryKey: string | null;
  settings: Record<string, unknown>;
  /** Settings paths whose masked secret was removed (e.g. "embedders.default.apiKey"). */
  secretsRemoved?: string[];
}

export async function logicalBackup(
  client: MeilisearchClient,
  options: TransferOptions,
  request: LogicalBackupRequest,
  archive: ArchiveWriter,
  ctx: JobContext,
): Promise<LogicalBackupResult> {
  const { signal } = ctx;
  const warnings: string[] = [];
  const engineVersion = await readVersion(client, signal, warnings);
  const indexes = selectNamed(await client.listIndexes(signal), request.collections, (index) => index.uid, 'Meilisearch index(es)');
  const counts = [];
  for (const index of indexes) counts.push(await client.documentCount(index.uid, signal));

  const vectors = { retrieve: true, certain: supportsRetrieveVectors(engineVersion) };
  const progress = transferProgress(
    ctx,
    totalOf(counts, (count) => count),
    { bytes: () => archive.bytesWritten },
  );
  progress.report('documents', `${indexes.length} index(es) to back up`);

  // A few indexes side by side: the engine, gzip (zlib thread pool) and this thread overlap.
  await forEachConcurrently(indexes, INDEXES_AT_ONCE, async (index) => {
    throwIfCanceled(signal);
    const settings = await client.getSettings(index.uid, signal);
    const secretsRemoved = removeMaskedSecrets(settings);
    for (const path of secretsRemoved) {
      warnings.push(`index ${index.uid}: ${path} is masked by Meilisearch and was not backed up; re-supply it on the restored index`);
    }
    const schema: MeilisearchIndexSchema = { uid: index.uid, primaryKey: index.primaryKey, settings, ...(secretsRemoved.length > 0 ? { secretsRemoved } : {}) };
    await archive.writeCollectionSchema(index.uid, schema);

    // Read until a read saw no write to the index (changes.ts), at most READ_ATTEMPTS times; then warn.
    for (let attempt = 1; ; attempt++) {
      const mark = await markIndex(client, index.uid, signal);
      const read = await readDocuments(client, options, archive, index.uid, vectors, ctx, warnings, (count) => {
        progress.completed += count;
        progress.report('documents', `index ${index.uid}`);
      });
      const change = await indexChange(client, index.uid, mark, read, signal);
      if (!change.changed) break;
      if (attempt >= READ_ATTEMPTS || archive.discardDocuments === undefined) {
        warnings.push(describeChange(index.uid, change, attempt));
        ctx.logger.warn('index changed during backup', { index: index.uid, ...change, attempts: attempt });
        break;
      }
      ctx.logger.info('index changed during backup; reading it again', { index: index.uid, ...change, attempt });
      await archive.discardDocuments(index.uid);
      // Progress never goes back: the documents to read again are added to the total instead.
      progress.grow(change.documentsAfter);
      progress.report('documents', `index ${index.uid} changed while read (${change.writeTasks ?? 'unknown'} write task(s)); reading it again`);
    }
  });

  await backupKeys(client, archive, signal, warnings);
  await backupInstance(client, archive, engineVersion, signal, warnings);
  return { engineVersion, warnings };
}

/** Pages through one index's documents into the archive; returns how many were written. */
async function readDocuments(
  client: MeilisearchClient,
  options: TransferOptions,
  archive: ArchiveWriter,
  uid: string,
  vectors: { retrieve: boolean; certain: boolean },
  ctx: JobContext,
  warnings: string[],
  onPage: (count: number) => void,
): Promise<number> {
  const { signal } = ctx;
  const sink = archive.openDocuments(uid);
  let read = 0;
  const pages = readAhead(
    0,
    (offset) => fetchPage(client, uid, offset, options.pageSize, vectors, signal, warnings),
    (page, offset) => (page.count >= options.pageSize ? offset + page.count : undefined),
  );
  for await (const page of pages) {
    throwIfCanceled(signal);
    read += page.count;
    // The page's documents as the engine wrote them, one per line: never parsed (document-page.ts).
    if (page.count > 0) await sink.writeJsonLines(page.lines, page.count);
    onPage(page.count);
  }
  await sink.close();
  return read;
}

async function fetchPage(
  client: MeilisearchClient,
  uid: string,
  offset: number,
  limit: number,
  vectors: { retrieve: boolean; certain: boolean },
  signal: AbortSignal,
  warnings: string[],
): Promise<DocumentLines> {
  // Indexes are read side by side: another one may have turned retrieveVectors off meanwhile.
  const retrieve = vectors.retrieve;
  try {
    return await client.getDocumentLines(uid, { offset, limit, retrieveVectors: retrieve }, signal);
  } catch (error) {
    if (!retrieve || vectors.certain || engineStatus(error) !== 400) throw error;
    if (!vectors.retrieve) return await client.getDocumentLines(uid, { offset, limit, retrieveVectors: false }, signal);
    vectors.retrieve = false;
    warnings.push(`this Meilisearch does not return stored embeddings (retrieveVectors refused: ${(error as Error).message}); they are regenerated on restore`);
    return await client.getDocumentLines(uid, { offset, limit, retrieveVectors: false }, signal);
  }
}

/**
 * Meilisearch masks embedder API keys on GET ("XXX...", "sk-XXX..."): storing the mask as if it
 * were the key would break a restore silently, so the field is removed and reported instead.
 */
export function removeMaskedSecrets(settings: Record<string, unknown>): string[] {
  const removed: string[] = [];
  const embedders = settings['embedders'];
  if (!isRecord(embedders)) return removed;
  for (const [name, embedder] of Object.entries(embedders)) {
    if (!isRecord(embedder)) continue;
    if (typeof embedder['apiKey'] === 'string') {
      delete embedder['apiKey'];
      removed.push(`embedders.${name}.apiKey`);
    }
    // Composite embedders nest one embedder for search and one for indexing.
    for (const part of ['searchEmbedder', 'indexingEmbedder']) {
      const nested = embedder[part];
      if (isRecord(nested) && typeof nested['apiKey'] === 'string') {
        delete nested['apiKey'];
        removed.push(`embedders.${name}.${part}.apiKey`);
      }
    }
  }
  return removed;
}

async function backupKeys(client: MeilisearchClient, archive: ArchiveWriter, signal: AbortSignal, warnings: string[]): Promise<void> {
  try {
    const keys = await client.listKeys(signal);
    await archive.writeExtra('keys', { keys });
  } catch (error) {
    const status = engineStatus(error);
    if (status !== 401 && status !== 403) throw error;
    warnings.push(`API keys metadata not backed up: the engine refused to list keys (${(error as Error).message})`);
  }
}
