// searchBackups: the catalog filtered, searched, sorted and paged by number for the dashboard
// (src/catalog/backup-search.ts). Descriptions sit beside the fields so this file stands alone.
import type { Backup } from '../../db/client.ts';
import { BACKUP_SORTS, type BackupSort } from '../../catalog/backup-search.ts';
import { builder } from '../builder.ts';
import { BackupRef, BackupStrategyEnum, BackupTypeEnum } from './backup.ts';
import { MAX_PAGE_SIZE, PageInfoRef } from './pagination.ts';

const BackupSortEnum = builder.enumType('BackupSort', {
  description: 'The order of searchBackups',
  values: {
    NEWEST: { description: 'Newest first (default)' },
    OLDEST: { description: 'Oldest first' },
    NAME: { description: 'By name, A to Z' },
    LARGEST: { description: 'Largest first (unknown sizes last)' },
    MOST_DOCUMENTS: { description: 'Most documents first (unknown counts last)' },
  } satisfies Record<BackupSort, unknown>,
});

const BackupSearchInput = builder.inputType('BackupSearchInput', {
  description: 'What searchBackups returns; every field narrows the list, none = every backup that is not DELETED',
  fields: (t) => ({
    engineId: t.id({ description: 'Only backups of this engine' }),
    status: t.stringList({ description: 'Only backups in these statuses (BackupStatus names); DELETED ones show only when asked for' }),
    strategy: t.field({ type: BackupStrategyEnum, description: 'Only LOGICAL or NATIVE backups' }),
    type: t.field({ type: BackupTypeEnum, description: 'Only FULL or INCREMENTAL backups' }),
    text: t.string({ description: 'Name contains (any case), id starts with, or `key=value` for a label' }),
    createdAfter: t.field({ type: 'DateTime', description: 'Only backups created at or after this instant' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Only backups created before this instant' }),
  }),
});

interface BackupSearchPage {
  nodes: Backup[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const BackupSearchConnectionRef = builder.objectRef<BackupSearchPage>('BackupSearchConnection').implement({
  description: 'One numbered page of searchBackups',
  fields: (t) => ({
    nodes: t.field({ type: [BackupRef], description: 'The backups of this page, in the asked order', resolve: (c) => c.nodes }),
    pageInfo: t.field({ type: PageInfoRef, description: 'Whether a later page exists', resolve: (c) => c.pageInfo }),
    totalCount: t.exposeInt('totalCount', { description: 'Backups matching the filter, over all pages' }),
  }),
});

builder.queryField('searchBackups', (t) =>
  t.field({
    type: BackupSearchConnectionRef,
    description: 'The catalog filtered, searched and sorted, one numbered page at a time (offset + first)',
    args: {
      filter: t.arg({ type: BackupSearchInput, description: 'What to return' }),
      sort: t.arg({ type: BackupSortEnum, defaultValue: 'NEWEST', description: 'The order' }),
      first: t.arg.int({ defaultValue: 50, description: `Page size, 1–${MAX_PAGE_SIZE}` }),
      offset: t.arg.int({ defaultValue: 0, description: 'Backups to skip: (page − 1) × first' }),
    },
    resolve: async (_root, args, ctx) => {
      const first = args.first ?? 50;
      const offset = args.offset ?? 0;
      const filter = args.filter ? { ...args.filter, engineId: args.filter.engineId ? String(args.filter.engineId) : null } : null;
      const sort = (BACKUP_SORTS as readonly string[]).includes(args.sort ?? '') ? (args.sort as BackupSort) : 'NEWEST';
      const { rows, totalCount } = await ctx.gateway.reports.searchBackups({ filter, sort, first, offset, maxPage: MAX_PAGE_SIZE });
      return { nodes: rows, totalCount, pageInfo: { hasNextPage: offset + rows.length < totalCount, endCursor: rows.at(-1)?.id ?? null } };
    },
  }),
);
