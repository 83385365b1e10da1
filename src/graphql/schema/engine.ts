import type { Engine } from '../../db/client.ts';
import type { EngineCollectionInfo, EngineHealth, EngineNodeHealth } from '../../engines/contract.ts';
import { toGatewayError } from '../../errors.ts';
import type { StagingLeftover } from '../../jobs/staging-cleanup.ts';
import { builder } from '../builder.ts';
import { actorOf, memoized, type GraphQLContext } from '../context.ts';
import { DEFAULT_ITEM_PAGE, itemPageSize } from './pagination.ts';

/** Engine calls made while answering a query get this long. */
const QUERY_ENGINE_TIMEOUT_MS = 10_000;

const EngineNodeHealthRef = builder.objectRef<EngineNodeHealth>('EngineNodeHealth').implement({
  fields: (t) => ({
    node: t.exposeString('node', { description: "The node's base URL, as configured" }),
    ok: t.exposeBoolean('ok', { description: 'The node answered its health check and the configured key works on it' }),
    version: t.exposeString('version', { nullable: true, description: 'The version the node reports; null when it did not answer' }),
    message: t.exposeString('message', { nullable: true, description: 'Why the node is not healthy; null when it is' }),
  }),
});

const EngineHealthRef = builder.objectRef<EngineHealth>('EngineHealth').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    version: t.exposeString('version', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    nodes: t.field({
      type: [EngineNodeHealthRef],
      nullable: true,
      description:
        'Each node of an engine configured with several (a cluster); ok above is true only when every node is. Null for single-node engines of plugins that do not report nodes',
      resolve: (health) => health.nodes ?? null,
    }),
  }),
});

const EngineCollectionRef = builder.objectRef<EngineCollectionInfo & { lockedBy: string | null }>('EngineCollection').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    documentCount: t.float({ nullable: true, resolve: (c) => c.documentCount }),
    locked: t.boolean({
      description: 'Being written by a restore (MAINTENANCE): other jobs on it are refused with table_locked',
      resolve: (c) => c.lockedBy !== null,
    }),
    lockedBy: t.exposeID('lockedBy', { nullable: true, description: 'The restore job holding the lock' }),
  }),
});

const StagingLeftoverRef = builder.objectRef<StagingLeftover>('StagingLeftover').implement({
  description: "A restore's working copy left on the engine that the gateway could not drop (yet)",
  fields: (t) => ({
    name: t.exposeString('name'),
    jobId: t.exposeID('jobId', { nullable: true, description: 'The restore job it belonged to' }),
    reason: t.exposeString('reason'),
  }),
});

/** The engine's collections by name, listed once per request. */
function listedCollections(ctx: GraphQLContext, engine: Engine): Promise<EngineCollectionInfo[]> {
  return memoized(ctx, `collections:${engine.id}`, async () => {
    const listed = await ctx.gateway.engines.instance(engine).listCollections(AbortSignal.timeout(QUERY_ENGINE_TIMEOUT_MS));
    return [...listed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

export const EngineRef = builder.objectRef<Engine>('Engine').implement({
  description: 'A registered engine connection. Secrets in config are redacted.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    plugin: t.exposeString('plugin'),
    config: t.field({ type: 'JSON', resolve: (engine, _args, ctx) => ctx.gateway.engines.publicConfig(engine) }),
    createdAt: t.field({ type: 'DateTime', resolve: (engine) => engine.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (engine) => engine.updatedAt }),
    health: t.field({
      type: EngineHealthRef,
      resolve: (engine, _args, ctx) =>
        memoized(ctx, `health:${engine.id}`, async () => {
          try {
            return await ctx.gateway.engines.instance(engine).health(AbortSignal.timeout(QUERY_ENGINE_TIMEOUT_MS));
          } catch (error) {
            return { ok: false, version: null, message: toGatewayError(error, 'engine_unreachable').message };
          }
        }),
    }),
    stagingLeftovers: t.field({
      type: [StagingLeftoverRef],
      description: 'Staging copies of restores no longer running that are still on the engine (the gateway drops them at start and after each restore)',
      // Asked once per engine per request, however many aliases name it (issue 13.11).
      resolve: (engine, _args, ctx) => memoized(ctx, `staging:${engine.id}`, () => ctx.gateway.staging.leftovers(engine, AbortSignal.timeout(QUERY_ENGINE_TIMEOUT_MS))),
    }),
    // Paged like a backup's collections: an engine may hold 100k indexes and one query may name it under many
    // aliases; the engine is listed once per request (issue 13.11).
    collections: t.field({
      type: [EngineCollectionRef],
      args: { first: t.arg.int({ defaultValue: DEFAULT_ITEM_PAGE }), after: t.arg.string() },
      resolve: async (engine, { first, after }, ctx) => {
        const take = itemPageSize(first);
        const [collections, locked] = await Promise.all([listedCollections(ctx, engine), ctx.gateway.jobs.lockedCollections(engine.id)]);
        const start = after == null ? 0 : collections.findIndex((c) => c.name > after);
        const page = start < 0 ? [] : collections.slice(start, start + take);
        return page.map((c) => ({ ...c, lockedBy: locked.get(c.name) ?? null }));
      },
    }),
    collectionCount: t.int({
      description: 'How many collections the engine lists now',
      resolve: async (engine, _args, ctx) => (await listedCollections(ctx, engine)).length,
    }),
  }),
});

builder.queryFields((t) => ({
  engines: t.field({ type: [EngineRef], resolve: (_root, _args, ctx) => ctx.gateway.engines.list() }),
  engine: t.field({
    type: EngineRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.gateway.engines.find(String(args.id)),
  }),
}));

const RegisterEngineInput = builder.inputType('RegisterEngineInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    plugin: t.string({ required: true }),
    config: t.field({ type: 'JSON', required: true }),
  }),
});

const UpdateEngineInput = builder.inputType('UpdateEngineInput', {
  fields: (t) => ({
    name: t.string(),
    config: t.field({ type: 'JSON', description: 'The whole config (secrets included); replaces the stored one' }),
  }),
});

builder.mutationFields((t) => ({
  registerEngine: t.field({
    type: EngineRef,
    args: { input: t.arg({ type: RegisterEngineInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.gateway.engines.register({ ...input, config: input.config }, actorOf(ctx)),
  }),
  updateEngine: t.field({
    type: EngineRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateEngineInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.gateway.engines.update(String(id), input, actorOf(ctx)),
  }),
  removeEngine: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.gateway.engines.remove(String(id), actorOf(ctx)),
  }),
}));
