// Logical backup: index list, primary keys, full settings and every document (with stored embeddings)
// read over the API and streamed page by page into the portable archive.
import type { ArchiveWriter } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalBackupRequest, LogicalBackupResult } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { engineStatus, throwIfCanceled, type IndexInfo, type MeilisearchClient } from './client.ts';
import { readVersion, supportsRetrieveVectors } from './versions.ts';
import { describeChange, indexChange, markIndex } from './changes.ts';
import { backupInstance } from './instance.ts';

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
  const indexes = await selectIndexes(client, request.collections, signal);

  let total = 0;
  for (const index of indexes) total += await client.documentCount(index.uid, signal);

  const vectors = { retrieve: true, certain: supportsRetrieveVectors(engineVersion) };
  let completed = 0;
  const report = (message: string): void =>
    ctx.progress({ phase: 'documents', completed, total: Math.max(total, completed), unit: 'documents', bytes: archive.bytesWritten, message });
  report(`${indexes.length} index(es) to back up`);

  for (const index of indexes) {
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
        completed += count;
        report(`index ${index.uid}`);
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
      total += change.documentsAfter;
      report(`index ${index.uid} changed while read (${change.writeTasks ?? 'unknown'} write task(s)); reading it again`);
    }
  }

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
  const fetchFrom = (offset: number) => {
    const pending = fetchPage(client, uid, offset, options.pageSize, vectors, signal, warnings);
    pending.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
    return pending;
  };
  // The next page is read while the current one is compressed and written: engine and disk work at once.
  let next = fetchFrom(0);
  let offset = 0;
  for (;;) {
    throwIfCanceled(signal);
    const page = await next;
    offset += page.length;
    const more = page.length >= options.pageSize;
    if (more) next = fetchFrom(offset);
    if (page.length > 0) await sink.write(page);
    onPage(page.length);
    if (!more) break;
  }
  await sink.close();
  return offset;
}

/** Every index, or the selected ones; an unknown name fails before anything is written. */
async function selectIndexes(client: MeilisearchClient, selected: string[] | null, signal: AbortSignal): Promise<IndexInfo[]> {
  const all = await client.listIndexes(signal);
  if (selected === null) return all;
  const byUid = new Map(all.map((index) => [index.uid, index]));
  const missing = selected.filter((uid) => !byUid.has(uid));
  if (missing.length > 0) {
    throw new GatewayError('collection_not_found', `Meilisearch index(es) not found: ${missing.join(', ')}`, { details: { collections: missing } });
  }
  return [...new Set(selected)].map((uid) => byUid.get(uid)!);
}

async function fetchPage(
  client: MeilisearchClient,
  uid: string,
  offset: number,
  limit: number,
  vectors: { retrieve: boolean; certain: boolean },
  signal: AbortSignal,
  warnings: string[],
): Promise<Record<string, unknown>[]> {
  try {
    return await client.getDocuments(uid, { offset, limit, retrieveVectors: vectors.retrieve }, signal);
  } catch (error) {
    if (!vectors.retrieve || vectors.certain || engineStatus(error) !== 400) throw error;
    vectors.retrieve = false;
    warnings.push(`this Meilisearch does not return stored embeddings (retrieveVectors refused: ${(error as Error).message}); they are regenerated on restore`);
    return await client.getDocuments(uid, { offset, limit, retrieveVectors: false }, signal);
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
