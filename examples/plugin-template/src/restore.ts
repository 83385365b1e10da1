// Logical restore over the API. Atomic (the default): each bucket is filled into a staging bucket and all of
// them are renamed over their targets in one engine call, so readers never see a half restore; cancel or
// failure drops the staging buckets and leaves the live ones untouched.
import { randomBytes } from 'node:crypto';
import { GatewayError, z, type ArchiveReader, type JobContext, type LogicalRestoreRequest, type LogicalRestoreResult } from 'backup-gateway/plugin';
import { throwIfCanceled, type TinyKvClient, type TinyKvItem } from './client.ts';

const bucketSchemaFile = z.object({ name: z.string(), settings: z.record(z.string(), z.unknown()) });
const archivedItem = z.object({ key: z.string(), value: z.unknown() });

interface RestoreItem {
  source: string;
  target: string;
  settings: Record<string, unknown>;
  expected: number;
  restored: number;
}

/** How long rollback calls may take once the job's own signal has fired. */
const ROLLBACK_TIMEOUT_MS = 10_000;

export async function logicalRestore(
  client: TinyKvClient,
  options: { batchSize: number },
  request: LogicalRestoreRequest,
  archive: ArchiveReader,
  ctx: JobContext,
): Promise<LogicalRestoreResult> {
  const { signal } = ctx;
  const items = await planRestore(request, archive);
  const total = items.reduce((sum, item) => sum + item.expected, 0);
  let completed = 0;
  const report = (phase: string, message: string): void => ctx.progress({ phase, completed, total: Math.max(total, completed), unit: 'items', message });

  const fill = async (item: RestoreItem, bucket: string): Promise<void> => {
    await client.createBucket(bucket, item.settings, signal);
    for await (const batch of archive.readDocuments(item.source, options.batchSize)) {
      throwIfCanceled(signal);
      await client.writeItems(
        bucket,
        batch.map((line) => toItem(line, item.source)),
        signal,
      );
      item.restored += batch.length;
      completed += batch.length;
      report('items', `bucket ${item.target}`);
    }
  };
  report('items', `${items.length} bucket(s) to restore`);

  if (!request.atomic) {
    // Straight into the target: readers see it empty, then filling up.
    for (const item of items) {
      await client.deleteBucket(item.target, signal);
      await fill(item, item.target);
    }
    return result(items);
  }

  const suffix = `__restore_${randomBytes(4).toString('hex')}`;
  const staged: string[] = [];
  try {
    for (const item of items) {
      const staging = `${item.target}${suffix}`;
      staged.push(staging);
      await fill(item, staging);
    }
    throwIfCanceled(signal);
    report('swap', `renaming ${items.length} staging bucket(s) over their targets`);
    await client.rename(
      items.map((item) => ({ from: `${item.target}${suffix}`, to: item.target })),
      signal,
    );
  } catch (error) {
    // The job's signal may have fired: roll back with a signal of our own. A staging bucket that was already
    // renamed is simply gone (deleteBucket ignores that); live buckets are never touched here.
    const rollback = AbortSignal.timeout(ROLLBACK_TIMEOUT_MS);
    for (const bucket of staged) {
      await client.deleteBucket(bucket, rollback).catch((cleanupError: unknown) => {
        ctx.logger.error('could not drop a staging bucket after a failed restore', { bucket, error: String(cleanupError) });
      });
    }
    throw error;
  }
  return result(items);
}

async function planRestore(request: LogicalRestoreRequest, archive: ArchiveReader): Promise<RestoreItem[]> {
  const items: RestoreItem[] = [];
  for (const source of request.collections) {
    const entry = archive.manifest.collections.find((collection) => collection.name === source);
    if (entry === undefined) throw new GatewayError('collection_not_found', `Bucket ${source} is not in backup ${archive.manifest.backupId}`);
    const schema = bucketSchemaFile.safeParse(await archive.readCollectionSchema(source));
    if (!schema.success) throw new GatewayError('archive_invalid', `collections/${source}/schema.json is not a TinyKV bucket schema: ${schema.error.message}`);
    items.push({ source, target: request.rename[source] ?? source, settings: schema.data.settings, expected: entry.documentCount, restored: 0 });
  }
  return items;
}

function toItem(line: unknown, bucket: string): TinyKvItem {
  const parsed = archivedItem.safeParse(line);
  if (!parsed.success || parsed.data.value === undefined) throw new GatewayError('archive_invalid', `bucket ${bucket}: an archived line is not a {key, value} item`);
  return { key: parsed.data.key, value: parsed.data.value };
}

function result(items: RestoreItem[]): LogicalRestoreResult {
  return { collections: items.map((item) => ({ source: item.source, target: item.target, documentCount: item.restored })), warnings: [] };
}
