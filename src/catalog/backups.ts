// The backup catalog: listing, reading and deleting backups.
import type { Artifact, Backup, BackupCollection, BackupStatus, Prisma, PrismaClient } from '../db/client.ts';
import { GatewayError } from '../errors.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';
import type { StorageDriver } from '../storage/driver.ts';
import type { AuditLog } from './audit.ts';
import { wrapPluginError } from '../engines/plugin-call.ts';
import { isUuid, type EngineService } from './engines.ts';
import { importBackup, type ImportBackupRequest } from './import.ts';
import { hasServerBackups } from './sync.ts';

/** Prisma's paging arguments: how many rows, from which cursor, in which order. */
export interface CatalogPage {
  take: number;
  skip?: number;
  cursor?: { id: string };
  orderBy: Array<{ createdAt: 'desc' | 'asc' } | { id: 'desc' | 'asc' }>;
}

export class BackupService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly storage: StorageDriver,
    private readonly audit: AuditLog,
    private readonly engines: EngineService,
    /** The storage a backup lives in (registered and external locations); `storage` when absent. */
    private readonly storageFor?: (backup: Backup, sealedCredentials: string | null) => Promise<StorageDriver>,
  ) {}

  find(id: string): Promise<Backup | null> {
    return isUuid(id) ? this.prisma.backup.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  async get(id: string): Promise<Backup> {
    const backup = await this.find(id);
    if (!backup) throw new GatewayError('backup_not_found', `No backup with id "${id.slice(0, 64)}"`);
    return backup;
  }

  where(filter: { engineId?: string | null; status?: BackupStatus[] | null }): Prisma.BackupWhereInput {
    return {
      ...(filter.engineId ? { engineId: filter.engineId } : {}),
      // Deleted backups stay in the catalog for the record, but only show when asked for.
      status: filter.status && filter.status.length > 0 ? { in: filter.status } : { not: 'DELETED' },
    };
  }

  /** One page of `where` (the page's take/cursor/order come from the API's pagination) and the total count. */
  page(where: Prisma.BackupWhereInput, page: CatalogPage): Promise<[Backup[], number]> {
    return Promise.all([this.prisma.backup.findMany({ where, ...page }), this.prisma.backup.count({ where })]);
  }

  /** A backup's collections by name; `page` limits them to `take` after the name `after`. */
  collectionsOf(backupId: string, page?: { take: number; after?: string | null }): Promise<BackupCollection[]> {
    return this.prisma.backupCollection.findMany({
      where: { backupId, ...(page?.after ? { name: { gt: page.after } } : {}) },
      orderBy: { name: 'asc' },
      ...(page ? { take: page.take } : {}),
    });
  }

  collectionCount(backupId: string): Promise<number> {
    return this.prisma.backupCollection.count({ where: { backupId } });
  }

  /** A backup's files by path; `page` limits them to `take` after the path `after`. */
  artifactsOf(backupId: string, page?: { take: number; after?: string | null }): Promise<Artifact[]> {
    return this.prisma.artifact.findMany({
      where: { backupId, ...(page?.after ? { path: { gt: page.after } } : {}) },
      orderBy: { path: 'asc' },
      ...(page ? { take: page.take } : {}),
    });
  }

  artifactCount(backupId: string): Promise<number> {
    return this.prisma.artifact.count({ where: { backupId } });
  }

  /** Pinned backups are never deleted by retention. */
  async setPinned(id: string, pinned: boolean, actor: string): Promise<Backup> {
    const backup = await this.get(id);
    if (backup.status === 'DELETED') throw new GatewayError('backup_not_found', `Backup "${backup.name}" is deleted`);
    const updated = await this.prisma.backup.update({ where: { id: backup.id }, data: { pinned } });
    await this.audit.record(actor, pinned ? 'backup.pin' : 'backup.unpin', 'backup', backup.id);
    return updated;
  }

  /** Catalogs a backup file already on the gateway host, copying it into `target`. */
  import(target: { storage: StorageDriver; storageId: string | null; importDir: string | undefined }, request: ImportBackupRequest, actor: string): Promise<Backup> {
    return importBackup({ prisma: this.prisma, audit: this.audit, ...target }, request, actor);
  }

  /** A backup the engine keeps (milvus-backup) is deleted there first; one already gone there is fine. */
  private async deleteOnEngineSide(backup: Backup): Promise<void> {
    if (!backup.externalId || backup.origin === 'IMPORTED' || !backup.engineId || backup.status === 'MISSING') return;
    const engine = await this.engines.find(backup.engineId);
    if (!engine) return;
    const instance = this.engines.instance(engine);
    if (!hasServerBackups(instance)) return;
    try {
      await instance.deleteServerBackup(backup.externalId, AbortSignal.timeout(60_000));
    } catch (error) {
      // Already gone on the engine side: what the user asked for is done.
      if (error instanceof GatewayError && error.code === 'backup_not_found') return;
      throw wrapPluginError(engine.plugin, 'deleteServerBackup', error);
    }
  }

  /**
   * Removes the files, keeps the record as DELETED. Refused while a job still uses the backup (`jobId`: the DELETE
   * job doing this, which does not count). A backup in an external location needs its sealed credentials.
   */
  async delete(id: string, actor: string, options: { jobId?: string; sealedCredentials?: string | null } = {}): Promise<Backup> {
    const backup = await this.get(id);
    if (backup.status === 'DELETED') throw new GatewayError('backup_not_found', `Backup "${backup.name}" is already deleted`);
    const inUse = await this.prisma.job.findFirst({ where: { backupId: id, status: { in: ACTIVE_STATUSES }, ...(options.jobId ? { id: { not: options.jobId } } : {}) } });
    if (inUse) throw new GatewayError('backup_in_use', `Backup "${backup.name}" is used by ${inUse.kind.toLowerCase()} job ${inUse.id}; cancel it first`);
    const child = await this.prisma.backup.findFirst({ where: { parentId: id, status: { not: 'DELETED' } } });
    if (child) throw new GatewayError('backup_in_use', `Incremental backup "${child.name}" builds on "${backup.name}"; delete it first`);
    const storage = this.storageFor ? await this.storageFor(backup, options.sealedCredentials ?? null) : this.storage;
    await this.deleteOnEngineSide(backup);
    await storage.deleteBackup(id);
    const deleted = await this.prisma.backup.update({ where: { id }, data: { status: 'DELETED', deletedAt: new Date() } });
    await this.audit.record(actor, 'backup.delete', 'backup', id, { name: backup.name });
    return deleted;
  }
}
