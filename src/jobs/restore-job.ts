// A logical restore job: the core opens the archive (checksums verified while reading), the plugin writes the engine.
import type { Job } from '../db/client.ts';
import type { EngineInstance, JobContext } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';
import { openArchiveReader } from '../storage/archive-reader.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { RestoreJobInput } from './job-input.ts';
import { callPlugin } from './plugin-call.ts';

export async function runRestoreJob(
  deps: { storage: StorageDriver },
  job: Job,
  plugin: string,
  instance: EngineInstance,
  ctx: JobContext,
): Promise<string[]> {
  const input = RestoreJobInput.parse(job.input);
  if (!job.backupId) throw new GatewayError('backup_not_found', `restore job ${job.id} names no backup`);
  if (!instance.logicalRestore) throw new GatewayError('capability_not_supported', `The ${plugin} plugin has no logical restore`);
  const logicalRestore = instance.logicalRestore.bind(instance);
  ctx.progress({ phase: 'opening archive', completed: 0, total: null, unit: 'documents' });
  const archive = await openArchiveReader({ storage: deps.storage, backupId: job.backupId });
  const result = await callPlugin(plugin, 'logicalRestore', ctx.signal, () =>
    logicalRestore({ collections: input.collections, rename: input.rename, atomic: input.atomic }, archive, ctx),
  );
  return result.warnings;
}
