// Planning a restore: the backup's catalog and archive, the target's facts from its plugin, the names checked by
// the plugin's rules, and for another engine's plugin the mapping through the neutral description.
import type { Backup } from '../db/client.ts';
import type { EngineService } from '../catalog/engines.ts';
import type { StorageService } from '../catalog/storages.ts';
import { checkCollectionName, checkCollectionNames, validateCollectionName } from '../catalog/names.ts';
import { GatewayError } from '../errors.ts';
import { openArchiveReader } from '../storage/archive-reader.ts';
import type { ArchiveReader } from '../storage/archive-types.ts';
import type { StorageDriver } from '../storage/driver.ts';
import type { PrismaClient } from '../db/client.ts';
import { crossEnginePairs, withCrossEngineMapping } from './cross-engine-plan.ts';
import { normaliseCollections, onExistingOf, requireCapability, type StartRestoreRequest } from './job-requests.ts';
import { backupChain } from './restore-job.ts';
import { computeRestorePlan, type RestorePlan } from './restore-plan.ts';

export interface PlanningDeps {
  prisma: PrismaClient;
  engines: EngineService;
  storage: StorageDriver;
  storages?: StorageService;
}

/** The plan startRestore would execute for `backup`, without side effects (any scope may ask). */
export async function planBackupRestore(deps: PlanningDeps, backup: Backup, request: StartRestoreRequest, signal: AbortSignal): Promise<RestorePlan> {
  if (backup.status === 'DAMAGED' && !request.force) {
    throw new GatewayError('checksum_mismatch', `Backup "${backup.name}" is DAMAGED (a file is missing or changed); pass force: true to restore what is intact`, {
      details: { backupId: backup.id, damage: backup.damage },
    });
  }
  if (backup.status !== 'COMPLETE' && backup.status !== 'DAMAGED') {
    throw new GatewayError('backup_not_complete', `Backup "${backup.name}" is ${backup.status}; only COMPLETE backups can be restored`);
  }
  const engineId = request.engineId ?? backup.engineId;
  if (!engineId) throw new GatewayError('engine_not_found', `The engine of backup "${backup.name}" was removed; pass engineId`);
  const engine = await deps.engines.get(engineId);
  // Another engine's plugin: a logical backup crosses through the neutral description (cross-engine-plan.ts).
  const crossEngine = engine.plugin !== backup.plugin;
  if (crossEngine) crossEnginePairs(deps.engines, backup, engine);
  requireCapability(deps.engines.plugin(engine.plugin), backup.strategy === 'NATIVE' ? 'nativeRestore' : 'logicalRestore', `restore a ${backup.strategy.toLowerCase()} backup`);
  if (backup.parentId) await backupChain(deps.prisma, backup.id, request.force ?? false);
  const catalog = (await deps.prisma.backupCollection.findMany({ where: { backupId: backup.id } })).map((c) => ({
    name: c.name,
    documentCount: c.documentCount === null ? null : Number(c.documentCount),
    bytes: c.bytes === null ? null : Number(c.bytes),
  }));
  const plugin = deps.engines.plugin(engine.plugin);
  // A backup made outside the gateway whose collections the engine did not list: restored whole (or the named
  // collections, which the engine checks), where the plugin can.
  const unlisted = catalog.length === 0 && backup.origin === 'ENGINE' && plugin.restoresUnlistedBackups === true;
  // A catalog entry made before names were checked (or by an older gateway) must not reach the engine either.
  checkCollectionNames(
    plugin,
    catalog.map((c) => c.name),
    `backup "${backup.name}"`,
  );
  const rename = (request.rename ?? []).map(({ from, to }) => ({ from, to: checkCollectionName(plugin, to, 'rename.to') }));
  const suffix = request.suffix ? validateCollectionName(request.suffix) : null;
  const plan = await computeRestorePlan({
    // Another engine's version says nothing about what the target takes.
    backup: crossEngine ? { ...backup, engineVersion: null } : backup,
    engine,
    instance: deps.engines.instance(engine),
    catalog,
    collections: normaliseCollections(request.collections, plugin),
    rename,
    suffix,
    atomic: request.atomic ?? true,
    onExisting: onExistingOf(request),
    signal,
    checkName: (name, where) => checkCollectionName(plugin, name, where),
    unlisted,
    openArchive: () => openPlanArchive(deps, backup, request),
    ...(plugin.expandSelection
      ? {
          expand: (entry: string, renameTo: string | null) =>
            plugin.expandSelection!(
              entry,
              renameTo,
              catalog.map((c) => c.name),
            ),
        }
      : {}),
  });
  if (!crossEngine) return plan;
  const archive = await openArchiveReader({ storage: await archiveStorage(deps, backup, request), backupId: backup.id });
  return withCrossEngineMapping(deps.engines, archive, plan, backup.plugin, engine.plugin);
}

/** Where the backup's files are, with the caller's credentials for an external location. */
async function archiveStorage(deps: PlanningDeps, backup: Backup, request: StartRestoreRequest): Promise<StorageDriver> {
  if (!deps.storages) return deps.storage;
  return deps.storages.forBackup(backup, request.credentials ? deps.storages.sealCredentials(request.credentials) : null);
}

/** The backup's archive for the plan's facts (only its small files are read); null when it is not ours to open. */
async function openPlanArchive(deps: PlanningDeps, backup: Backup, request: StartRestoreRequest): Promise<ArchiveReader | null> {
  if (backup.strategy !== 'LOGICAL' || backup.origin === 'ENGINE') return null;
  try {
    return await openArchiveReader({ storage: await archiveStorage(deps, backup, request), backupId: backup.id });
  } catch {
    return null; // unreadable here (credentials, another location): the plugin plans from versions alone
  }
}
