// A logical backup job: the plugin writes the portable archive, the core finalizes the manifest and the catalog.
import type { Job, Prisma, PrismaClient } from '../db/client.ts';
import type { EngineInstance, JobContext } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';
import { createArchiveWriter } from '../storage/archive-writer.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { checkCollectionName, type NamedPlugin } from '../catalog/names.ts';
import { BackupJobInput } from './job-input.ts';
import { failBackup } from './backup-failure.ts';
import { callPlugin } from '../engines/plugin-call.ts';

export async function runBackupJob(
  deps: { prisma: PrismaClient; storage: StorageDriver; leaseOwner?: string; engines?: { plugin(name: string): NamedPlugin }; gzipLevel?: number },
  job: Job,
  plugin: string,
  instance: EngineInstance,
  ctx: JobContext,
): Promise<void> {
  const { prisma, storage } = deps;
  const input = BackupJobInput.parse(job.input);
  if (!job.backupId) throw new GatewayError('internal', `backup job ${job.id} has no backup record`);
  const backup = await prisma.backup.findUniqueOrThrow({ where: { id: job.backupId } });
  if (!instance.logicalBackup) throw new GatewayError('capability_not_supported', `The ${plugin} plugin has no logical backup`);
  const logicalBackup = instance.logicalBackup.bind(instance);

  const writer = createArchiveWriter({ storage, backupId: backup.id, ...(deps.gzipLevel === undefined ? {} : { gzipLevel: deps.gzipLevel }) });
  try {
    const startedAt = new Date();
    const result = await callPlugin(plugin, 'logicalBackup', ctx.signal, () =>
      logicalBackup({ collections: input.collections, changedSince: input.changedSince ?? null }, writer, ctx),
    );
    ctx.signal.throwIfAborted();
    ctx.progress({ phase: 'finalizing', completed: 0, total: null, unit: 'files', bytes: writer.bytesWritten, message: 'writing manifest' });
    const manifest = await writer.finalize({
      plugin,
      engineVersion: result.engineVersion,
      strategy: input.strategy,
      type: input.type,
      createdAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      warnings: result.warnings,
    });
    const named = deps.engines?.plugin(plugin) ?? { name: plugin };
    for (const collection of manifest.collections) checkCollectionName(named, collection.name, 'the engine listed');
    const files = writer.files();
    const fileCollection = new Map<string, string>();
    for (const collection of manifest.collections) {
      fileCollection.set(collection.schemaFile, collection.name);
      for (const file of collection.files) fileCollection.set(file.path, collection.name);
    }
    await prisma.$transaction(async (tx) => {
      await assertStillOwned(tx, job.id, deps.leaseOwner);
      await tx.backupCollection.createMany({
        data: manifest.collections.map((c) => ({
          backupId: backup.id,
          name: c.name,
          documentCount: BigInt(c.documentCount),
          bytes: BigInt(c.files.reduce((sum, f) => sum + f.bytes, 0)),
        })),
      });
      await tx.artifact.createMany({
        data: files.map((f) => ({
          backupId: backup.id,
          path: f.path,
          bytes: BigInt(f.bytes),
          sha256: f.sha256,
          collection: fileCollection.get(f.path) ?? null,
          encrypted: f.encrypted ?? false,
        })),
      });
      await tx.backup.update({
        where: { id: backup.id },
        data: {
          status: 'COMPLETE',
          completedAt: new Date(),
          engineVersion: result.engineVersion,
          sizeBytes: BigInt(files.reduce((sum, f) => sum + f.bytes, 0)),
          documentCount: BigInt(manifest.totals.documentCount),
          warnings: result.warnings,
          ...(manifest.encryption ? { encryption: { ...manifest.encryption } } : {}),
        },
      });
    });
  } catch (error) {
    await failBackup(prisma, backup.id, () => writer.abort());
    throw error;
  }
}

/**
 * A replica that stalled past its lease may find its job already ended (and its files removed) by another:
 * it must not mark the backup COMPLETE then. The row lock holds until the catalog rows are written.
 */
export async function assertStillOwned(tx: Prisma.TransactionClient, jobId: string, leaseOwner: string | undefined): Promise<void> {
  if (leaseOwner === undefined) return;
  const owned = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT "id" FROM "Job"
     WHERE "id" = ${jobId} AND "leaseOwner" = ${leaseOwner} AND "status" IN ('RUNNING'::"JobStatus", 'CANCELING'::"JobStatus")
     FOR UPDATE`;
  if (owned.length === 0) throw new GatewayError('interrupted', `job ${jobId} lost its lease before it finished; another replica ended it`);
}
