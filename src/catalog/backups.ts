// The backup catalog: listing, reading and deleting backups.
import type { Backup, BackupStatus, Prisma, PrismaClient } from '../db/client.ts';
import { GatewayError } from '../errors.ts';
import type { StorageDriver } from '../storage/driver.ts';
import type { AuditLog } from './audit.ts';
import { isUuid } from './engines.ts';

export class BackupService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly storage: StorageDriver,
    private readonly audit: AuditLog,
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

  /** Removes the files, keeps the record as DELETED. Refused while a job still uses the backup. */
  async delete(id: string, actor: string): Promise<Backup> {
    const backup = await this.get(id);
    if (backup.status === 'DELETED') throw new GatewayError('backup_not_found', `Backup "${backup.name}" is already deleted`);
    const inUse = await this.prisma.job.findFirst({ where: { backupId: id, status: { in: ['QUEUED', 'RUNNING', 'CANCELING'] } } });
    if (inUse) throw new GatewayError('backup_in_use', `Backup "${backup.name}" is used by ${inUse.kind.toLowerCase()} job ${inUse.id}; cancel it first`);
    await this.storage.deleteBackup(id);
    const deleted = await this.prisma.backup.update({ where: { id }, data: { status: 'DELETED', deletedAt: new Date() } });
    await this.audit.record(actor, 'backup.delete', 'backup', id, { name: backup.name });
    return deleted;
  }
}
