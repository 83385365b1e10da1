// Logical backup: every bucket (or the selected ones) read page by page over the API into the portable
// archive — one schema file with the bucket's settings, then its items as JSON lines.
import { GatewayError, type ArchiveWriter, type JobContext, type LogicalBackupRequest, type LogicalBackupResult } from 'backup-gateway/plugin';
import { throwIfCanceled, type BucketSummary, type TinyKvClient } from './client.ts';

/** What `collections/<bucket>/schema.json` holds: TinyKV's own settings answer, unmodified. */
export interface BucketSchema {
  name: string;
  settings: Record<string, unknown>;
}

export async function logicalBackup(
  client: TinyKvClient,
  options: { pageSize: number },
  request: LogicalBackupRequest,
  archive: ArchiveWriter,
  ctx: JobContext,
): Promise<LogicalBackupResult> {
  const { signal } = ctx;
  const { version } = await client.health(signal);
  const buckets = await selectBuckets(client, request.collections, signal);

  // The total is known up front (item counts at the start); writes during the backup may move it, so it
  // never goes below what has been read.
  const total = buckets.reduce((sum, bucket) => sum + bucket.items, 0);
  let completed = 0;
  const report = (message: string): void => ctx.progress({ phase: 'items', completed, total: Math.max(total, completed), unit: 'items', bytes: archive.bytesWritten, message });
  report(`${buckets.length} bucket(s) to back up`);

  for (const { name } of buckets) {
    throwIfCanceled(signal);
    const bucket = await client.getBucket(name, signal);
    if (bucket === null) throw new GatewayError('collection_not_found', `TinyKV bucket ${name} was deleted during the backup`);
    const schema: BucketSchema = { name, settings: bucket.settings };
    await archive.writeCollectionSchema(name, schema);

    const sink = archive.openDocuments(name);
    for (let after: string | null = null; ;) {
      throwIfCanceled(signal);
      const page = await client.readItems(name, after, options.pageSize, signal);
      if (page.items.length > 0) await sink.write(page.items);
      completed += page.items.length;
      report(`bucket ${name}`);
      if (page.next === null) break;
      after = page.next;
    }
    await sink.close();
  }
  return { engineVersion: version, warnings: [] };
}

/** Every bucket, or the selected ones; an unknown name fails before anything is written. */
async function selectBuckets(client: TinyKvClient, selected: string[] | null, signal: AbortSignal): Promise<BucketSummary[]> {
  const all = await client.listBuckets(signal);
  if (selected === null) return all;
  const byName = new Map(all.map((bucket) => [bucket.name, bucket]));
  const missing = selected.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new GatewayError('collection_not_found', `TinyKV bucket(s) not found: ${missing.join(', ')}`, { details: { collections: missing } });
  }
  return [...new Set(selected)].map((name) => byName.get(name)!);
}
