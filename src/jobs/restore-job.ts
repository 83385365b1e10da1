// A restore job: the core opens the backup (checksums verified while reading), the plugin writes the engine.
// Logical backups go to logicalRestore; native ones (a dump, a server-side backup) to nativeRestore.
import type { Job, PrismaClient } from '../db/client.ts';
import type { EngineInstance, EnginePlugin, JobContext, LogicalRestoreRequest } from '../engines/contract.ts';
import { convertForPlan } from './cross-engine-plan.ts';
import { setSwapBarrier } from './set-barrier.ts';
import { GatewayError } from '../errors.ts';
import { openArchiveReader } from '../storage/archive-reader.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { openChainReader } from '../storage/chain-reader.ts';
import { openNativeBackup } from '../storage/native-sink.ts';
import { engineSideHandle } from '../catalog/engine-backup-handle.ts';
import { RestoreJobInput } from './job-input.ts';
import { callPlugin } from '../engines/plugin-call.ts';
import { plannedItems, recheckPlan } from './restore-plan.ts';

export async function runRestoreJob(
  deps: { prisma: PrismaClient; storage: StorageDriver; engines?: { plugin(name: string): EnginePlugin } },
  job: Job,
  plugin: string,
  instance: EngineInstance,
  ctx: JobContext,
): Promise<string[]> {
  const input = RestoreJobInput.parse(job.input);
  if (!job.backupId) throw new GatewayError('backup_not_found', `restore job ${job.id} names no backup`);
  const backup = await deps.prisma.backup.findUniqueOrThrow({ where: { id: job.backupId } });
  const request: LogicalRestoreRequest = {
    collections: input.collections,
    rename: input.rename,
    atomic: input.atomic,
    dropExisting: input.dropExisting ?? false,
    jobId: job.id,
    ...(input.options ? { options: input.options } : {}),
    ...(input.holdSwap ? { beforeSwap: setSwapBarrier(deps.prisma, job) } : {}),
  };
  if (input.plan) {
    // Execute exactly the recorded plan: its items (with staging names made from this job's id), after checking
    // that no target planned as new has appeared since.
    request.items = plannedItems(input.plan, job.id);
    if (input.plan.onExisting === 'APPLY') request.mode = 'apply';
    ctx.progress({ phase: 'checking plan', completed: 0, total: null, unit: 'documents' });
    const engine = await deps.prisma.engine.findUniqueOrThrow({ where: { id: input.plan.engineId } });
    await recheckPlan(input.plan, engine, instance, ctx.signal);
  }
  ctx.progress({ phase: 'opening backup', completed: 0, total: null, unit: 'documents' });

  if (backup.strategy === 'NATIVE') {
    if (!instance.nativeRestore) throw new GatewayError('capability_not_supported', `The ${plugin} plugin cannot restore native backups`);
    const nativeRestore = instance.nativeRestore.bind(instance);
    // Made outside the gateway (found by catalog sync): nothing in gateway storage, the catalog entry says it all.
    const handle = backup.origin === 'ENGINE' ? await engineSideHandle(deps.prisma, backup) : await openNativeBackup({ storage: deps.storage, backupId: backup.id });
    const result = await callPlugin(plugin, 'nativeRestore', ctx.signal, () => nativeRestore(request, handle, ctx));
    return result.warnings;
  }
  if (!instance.logicalRestore) throw new GatewayError('capability_not_supported', `The ${plugin} plugin has no logical restore`);
  const logicalRestore = instance.logicalRestore.bind(instance);
  // A DAMAGED layer got here only through a forced start; its files are still checked while read.
  const chain = await backupChain(deps.prisma, backup.id, true);
  const stored = chain.length > 1 ? await openChainReader(deps.storage, chain) : await openArchiveReader({ storage: deps.storage, backupId: backup.id });
  if (!input.plan?.crossEngine) return (await callPlugin(plugin, 'logicalRestore', ctx.signal, () => logicalRestore(request, stored, ctx))).warnings;
  // Into another engine: the target plugin reads the archive converted through the neutral description.
  if (!deps.engines) throw new GatewayError('internal', 'a cross-engine restore needs the plugin registry');
  ctx.progress({ phase: 'mapping', completed: 0, total: null, unit: 'documents', message: `${backup.plugin} → ${plugin}` });
  const converted = await convertForPlan(deps.engines, stored, input.plan, backup.plugin, plugin);
  const result = await callPlugin(plugin, 'logicalRestore', ctx.signal, () => logicalRestore(request, converted.archive, ctx));
  return [...result.warnings, `${converted.report.converted} document(s) converted from ${backup.plugin}`, ...converted.report.warnings()];
}

/** Backup ids from the FULL base to this one; refused when a layer is not COMPLETE. */
export async function backupChain(prisma: PrismaClient, backupId: string, allowDamaged = false): Promise<string[]> {
  const chain: string[] = [];
  for (let id: string | null = backupId; id;) {
    if (chain.includes(id) || chain.length > 1000) throw new GatewayError('archive_invalid', `backup chain of ${backupId} loops or is too long`);
    const layer: { id: string; status: string; parentId: string | null; name: string } | null = await prisma.backup.findUnique({
      where: { id },
      select: { id: true, status: true, parentId: true, name: true },
    });
    if (!layer || (layer.status !== 'COMPLETE' && !(allowDamaged && layer.status === 'DAMAGED'))) {
      throw new GatewayError('backup_not_complete', `backup ${id} in the incremental chain of ${backupId} is ${layer?.status ?? 'gone'}; the chain cannot be restored`);
    }
    chain.unshift(layer.id);
    id = layer.parentId;
  }
  return chain;
}
