// Read-only views over the catalog for people: protection per engine and the searchable backup list.
// The GraphQL layer asks these (resolvers never hold Prisma queries).
import type { PrismaClient } from '../db/client.ts';
import { searchBackups, type BackupSearchFilter, type BackupSort } from './backup-search.ts';
import { readProtectionStatus, type ProtectionStatus } from './protection.ts';

export class CatalogReports {
  constructor(private readonly prisma: PrismaClient) {}

  protection(now = new Date()): Promise<ProtectionStatus> {
    return readProtectionStatus(this.prisma, now);
  }

  searchBackups(query: { filter?: BackupSearchFilter | null; sort: BackupSort; first: number; offset: number; maxPage: number }) {
    return searchBackups(this.prisma, query);
  }
}
