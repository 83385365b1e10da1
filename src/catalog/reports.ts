// Read-only views over the catalog for people: protection per engine and the searchable backup list.
// The GraphQL layer asks these (resolvers never hold Prisma queries).
import type { Job, PrismaClient } from '../db/client.ts';
import { searchBackups, type BackupSearchFilter, type BackupSort } from './backup-search.ts';
import { readProtectionStatus, type ProtectionStatus } from './protection.ts';

export class CatalogReports {
  constructor(private readonly prisma: PrismaClient) {}

  protection(now = new Date()): Promise<ProtectionStatus> {
    return readProtectionStatus(this.prisma, now);
  }

  /** The VERIFY jobs of a backup, newest first: its verification history (outcome, when, the error code). */
  verificationsOf(backupId: string, take: number): Promise<Job[]> {
    return this.prisma.job.findMany({ where: { backupId, kind: 'VERIFY' }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take });
  }

  searchBackups(query: { filter?: BackupSearchFilter | null; sort: BackupSort; first: number; offset: number; maxPage: number }) {
    return searchBackups(this.prisma, query);
  }
}
