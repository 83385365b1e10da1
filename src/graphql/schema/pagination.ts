import { GatewayError } from '../../errors.ts';
import type { ObjectRef } from '@pothos/core';
import { builder, type GatewaySchemaTypes } from '../builder.ts';

export const MAX_PAGE_SIZE = 500;
/** Lists inside one object (a backup's collections and files): pages of up to this many, by name. */
export const MAX_ITEM_PAGE = 1000;
export const DEFAULT_ITEM_PAGE = 100;

export function itemPageSize(first: number | null | undefined): number {
  const take = first ?? DEFAULT_ITEM_PAGE;
  if (!Number.isInteger(take) || take < 1 || take > MAX_ITEM_PAGE) throw new GatewayError('invalid_input', `first must be between 1 and ${MAX_ITEM_PAGE}`);
  return take;
}

export const PageInfoRef = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/** Prisma arguments for a newest-first page after the row whose id is `after`. */
export function pageArgs(first: number | null | undefined, after: string | null | undefined) {
  const take = first ?? 50;
  if (!Number.isInteger(take) || take < 1 || take > MAX_PAGE_SIZE) {
    throw new GatewayError('invalid_input', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return {
    take: take + 1,
    orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }],
    ...(after ? { cursor: { id: after }, skip: 1 } : {}),
  };
}

/** `totalCount`: the number, or a function the totalCount field calls only when a query selects it. */
export function toConnection<T extends { id: string }>(rows: T[], first: number | null | undefined, totalCount: number | (() => Promise<number>)) {
  const take = first ?? 50;
  const nodes = rows.slice(0, take);
  return { nodes, totalCount, pageInfo: { hasNextPage: rows.length > take, endCursor: nodes.at(-1)?.id ?? null } };
}

export interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number | (() => Promise<number>);
}

/** `<Name>Connection { nodes pageInfo totalCount }` for a node type. */
export function connectionType<T>(name: string, node: ObjectRef<PothosSchemaTypes.ExtendDefaultTypes<GatewaySchemaTypes>, T>) {
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      nodes: t.field({ type: [node], resolve: (c) => c.nodes }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (c) => c.pageInfo }),
      totalCount: t.int({ resolve: (c) => (typeof c.totalCount === 'function' ? c.totalCount() : c.totalCount) }),
    }),
  });
}
