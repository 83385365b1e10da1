// The catalog at scale: filters (engine, status, strategy, type, date range), a search by name, id prefix or
// label (`key=value`), a sort, and numbered pages (offset), so the dashboard can page thousands of backups both
// ways. The cursor-paged `backups` list stays what scripts use.
import type { Backup, BackupStatus, BackupStrategy, BackupType, Prisma, PrismaClient } from '../db/client.ts';
import { GatewayError } from '../errors.ts';

export const BACKUP_SORTS = ['NEWEST', 'OLDEST', 'NAME', 'LARGEST', 'MOST_DOCUMENTS'] as const;
export type BackupSort = (typeof BACKUP_SORTS)[number];
export const MAX_SEARCH_OFFSET = 1_000_000;
const TEXT_MAX = 200;
const STATUSES = new Set<string>(['PENDING', 'COMPLETE', 'FAILED', 'DELETED', 'MISSING', 'DAMAGED']);

export interface BackupSearchFilter {
  engineId?: string | null;
  status?: string[] | null;
  strategy?: BackupStrategy | null;
  type?: BackupType | null;
  text?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export function backupSearchWhere(filter: BackupSearchFilter | null | undefined): Prisma.BackupWhereInput {
  const and: Prisma.BackupWhereInput[] = [];
  const statuses = filter?.status ?? [];
  for (const status of statuses) if (!STATUSES.has(status)) throw new GatewayError('invalid_input', `status "${status.slice(0, 32)}" is not a BackupStatus`);
  // Deleted backups stay in the catalog for the record, but only show when asked for (as in `backups`).
  and.push({ status: statuses.length > 0 ? { in: statuses as BackupStatus[] } : { not: 'DELETED' } });
  if (filter?.engineId) and.push({ engineId: filter.engineId });
  if (filter?.strategy) and.push({ strategy: filter.strategy });
  if (filter?.type) and.push({ type: filter.type });
  if (filter?.createdAfter) and.push({ createdAt: { gte: filter.createdAfter } });
  if (filter?.createdBefore) and.push({ createdAt: { lt: filter.createdBefore } });
  const text = filter?.text?.trim();
  if (text) {
    if (text.length > TEXT_MAX) throw new GatewayError('invalid_input', `text may be at most ${TEXT_MAX} characters`);
    const label = /^([^=\s]+)=(.*)$/.exec(text);
    and.push(
      label ? { labels: { path: [label[1]!], equals: label[2]! } } : { OR: [{ name: { contains: text, mode: 'insensitive' } }, { id: { startsWith: text.toLowerCase() } }] },
    );
  }
  return { AND: and };
}

function orderBy(sort: BackupSort): Prisma.BackupOrderByWithRelationInput[] {
  switch (sort) {
    case 'OLDEST':
      return [{ createdAt: 'asc' }, { id: 'asc' }];
    case 'NAME':
      return [{ name: 'asc' }, { id: 'asc' }];
    case 'LARGEST':
      return [{ sizeBytes: { sort: 'desc', nulls: 'last' } }, { id: 'asc' }];
    case 'MOST_DOCUMENTS':
      return [{ documentCount: { sort: 'desc', nulls: 'last' } }, { id: 'asc' }];
    case 'NEWEST':
      return [{ createdAt: 'desc' }, { id: 'desc' }];
  }
}

/** One page of the filtered, sorted catalog and the filter's total. */
export async function searchBackups(
  prisma: PrismaClient,
  query: { filter?: BackupSearchFilter | null; sort: BackupSort; first: number; offset: number; maxPage: number },
): Promise<{ rows: Backup[]; totalCount: number }> {
  const { first, offset } = query;
  if (!Number.isInteger(first) || first < 1 || first > query.maxPage) throw new GatewayError('invalid_input', `first must be between 1 and ${query.maxPage}`);
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_SEARCH_OFFSET) throw new GatewayError('invalid_input', `offset must be between 0 and ${MAX_SEARCH_OFFSET}`);
  const where = backupSearchWhere(query.filter);
  const [rows, totalCount] = await Promise.all([prisma.backup.findMany({ where, orderBy: orderBy(query.sort), skip: offset, take: first }), prisma.backup.count({ where })]);
  return { rows, totalCount };
}
