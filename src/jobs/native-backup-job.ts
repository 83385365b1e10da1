// A native backup job: the engine's own mechanism runs; the core catalogs copied files and external references.
import type { Job, PrismaClient } from '../db/client.ts';
import type { EngineInstance, JobContext } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { createNativeSink } from '../storage/native-sink.ts';
import { recordNativeBackup } from '../catalog/native-records.ts';
import { checkCollectionName, type NamedPlugin } from '../catalog/names.ts';
import { BackupJobInput } from './job-input.ts';
import { failBackup } from './backup-failure.ts';
import { callPlugin } from '../engines/plugin-call.ts';

export async function runNativeBackupJob(
  deps: {
    prisma: PrismaClient;
    storage: StorageDriver;
    engines?: { plugin(name: string): NamedPlugin };
    /** True when this run was interrupted but the job is queued again to follow its engine task: the backup stays PENDING. */
    resumes?: () => boolean;
  },
  job: Job,
  plugin: string,
  instance: EngineInstance,
  ctx: JobContext,
): Promise<void> {
  const { prisma, storage } = deps;
  const input = BackupJobInput.parse(job.input);
  if (!job.backupId) throw new GatewayError('internal', `backup job ${job.id} has no backup record`);
  if (!instance.nativeBackup) throw new GatewayError('capability_not_supported', `The ${plugin} plugin has no native backup`);
  const nativeBackup = instance.nativeBackup.bind(instance);
  const backup = await prisma.backup.findUniqueOrThrow({ where: { id: job.backupId } });
  const sink = createNativeSink({ storage, backupId: backup.id });
  try {
    const startedAt = new Date().toISOString();
    const result = await callPlugin(plugin, 'nativeBackup', ctx.signal, () =>
      nativeBackup({ collections: input.collections, name: backup.name, requestId: job.id, ...(input.options ? { options: input.options } : {}) }, sink, ctx),
    );
    ctx.signal.throwIfAborted();
    const named = deps.engines?.plugin(plugin) ?? { name: plugin };
    for (const collection of result.collections) checkCollectionName(named, collection.name, 'the engine listed');
    const manifest = await sink.finalize({ plugin, ...result, createdAt: startedAt, finishedAt: new Date().toISOString() });
    await recordNativeBackup(prisma, backup.id, manifest, sink.files());
  } catch (error) {
    if (deps.resumes?.()) throw error;
    await failBackup(prisma, backup.id, () => sink.abort());
    throw error;
  }
}
