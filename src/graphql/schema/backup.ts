import type { Artifact, Backup, BackupCollection } from '../../db/client.ts';
import { GatewayError } from '../../errors.ts';
import { isUuid } from '../../catalog/engines.ts';
import { syncEngineBackups, type SyncResult } from '../../catalog/sync.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { EngineRef } from './engine.ts';
import { connectionType, DEFAULT_ITEM_PAGE, itemPageSize, pageArgs, toConnection } from './pagination.ts';
import { StorageCredentialsInput } from './storage.ts';

export const BackupStrategyEnum = builder.enumType('BackupStrategy', { values: ['NATIVE', 'LOGICAL'] as const });
export const BackupTypeEnum = builder.enumType('BackupType', { values: ['FULL', 'INCREMENTAL'] as const });
const BackupStatusEnum = builder.enumType('BackupStatus', { values: ['PENDING', 'COMPLETE', 'FAILED', 'DELETED', 'MISSING', 'DAMAGED'] as const });
const BackupOriginEnum = builder.enumType('BackupOrigin', {
  values: ['GATEWAY', 'IMPORTED', 'ENGINE'] as const,
  description: 'GATEWAY: made by a job here; IMPORTED: from a file by importBackup; ENGINE: made by the engine tooling, found by syncEngineBackups',
});

const BackupCollectionRef = builder.objectRef<BackupCollection>('BackupCollection').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    documentCount: t.float({ nullable: true, resolve: (c) => toNumber(c.documentCount) }),
    bytes: t.field({ type: 'BigInt', nullable: true, resolve: (c) => c.bytes }),
  }),
});

const ArtifactRef = builder.objectRef<Artifact>('Artifact').implement({
  fields: (t) => ({
    path: t.exposeString('path'),
    bytes: t.field({ type: 'BigInt', resolve: (a) => a.bytes }),
    sha256: t.exposeString('sha256'),
    collection: t.exposeString('collection', { nullable: true }),
    external: t.exposeBoolean('external', { description: 'Stays on the engine side; then sha256 is empty and location says where' }),
    location: t.exposeString('location', { nullable: true }),
    encrypted: t.exposeBoolean('encrypted', { description: 'Stored age-encrypted; bytes and sha256 are of the stored bytes' }),
  }),
});

export const BackupRef = builder.objectRef<Backup>('Backup');

BackupRef.implement({
  description: 'A catalog entry: one backup, its collections and its files',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    engine: t.field({
      type: EngineRef,
      nullable: true,
      resolve: (b, _args, ctx) => (b.engineId ? ctx.gateway.engines.find(b.engineId) : null),
    }),
    plugin: t.exposeString('plugin'),
    strategy: t.field({ type: BackupStrategyEnum, resolve: (b) => b.strategy }),
    type: t.field({ type: BackupTypeEnum, resolve: (b) => b.type }),
    status: t.field({ type: BackupStatusEnum, resolve: (b) => b.status }),
    origin: t.field({ type: BackupOriginEnum, resolve: (b) => b.origin }),
    externalId: t.exposeString('externalId', { nullable: true, description: "The engine's own id of a native backup" }),
    parent: t.field({
      type: BackupRef,
      nullable: true,
      description: 'INCREMENTAL backups: the backup this one builds on; a restore replays the chain',
      resolve: (b, _args, ctx) => (b.parentId ? ctx.gateway.backups.find(b.parentId) : null),
    }),
    changedSince: t.field({ type: 'DateTime', nullable: true, description: 'INCREMENTAL backups hold the items changed after this instant', resolve: (b) => b.changedSince }),
    sizeBytes: t.field({ type: 'BigInt', nullable: true, resolve: (b) => b.sizeBytes }),
    documentCount: t.float({ nullable: true, resolve: (b) => toNumber(b.documentCount) }),
    // Paged: a backup may hold 100k collections, and one query may ask for it under many aliases (issue 13.11).
    collections: t.field({
      type: [BackupCollectionRef],
      description: 'Collections by name, a page at a time',
      args: { first: t.arg.int({ defaultValue: DEFAULT_ITEM_PAGE }), after: t.arg.string() },
      resolve: (b, { first, after }, ctx) => ctx.gateway.backups.collectionsOf(b.id, { take: itemPageSize(first), after }),
    }),
    collectionCount: t.int({ description: 'How many collections the backup holds', resolve: (b, _args, ctx) => ctx.gateway.backups.collectionCount(b.id) }),
    artifacts: t.field({
      type: [ArtifactRef],
      description: 'Files by path, a page at a time',
      args: { first: t.arg.int({ defaultValue: DEFAULT_ITEM_PAGE }), after: t.arg.string() },
      resolve: (b, { first, after }, ctx) => ctx.gateway.backups.artifactsOf(b.id, { take: itemPageSize(first), after }),
    }),
    artifactCount: t.int({ description: 'How many files the backup has', resolve: (b, _args, ctx) => ctx.gateway.backups.artifactCount(b.id) }),
    location: t.exposeString('location'),
    engineVersion: t.exposeString('engineVersion', { nullable: true }),
    engineFormat: t.exposeString('engineFormat', {
      nullable: true,
      description: "The engine's own format of a native backup when it writes several (milvus-backup 0.6: binlog or snapshot); null when unknown",
    }),
    formatVersion: t.exposeInt('formatVersion'),
    labels: t.field({ type: 'JSON', nullable: true, resolve: (b) => b.labels }),
    warnings: t.stringList({ resolve: (b) => b.warnings }),
    createdAt: t.field({ type: 'DateTime', resolve: (b) => b.createdAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (b) => b.completedAt }),
    verifiedAt: t.field({ type: 'DateTime', nullable: true, resolve: (b) => b.verifiedAt }),
  }),
});

const BackupConnectionRef = connectionType('Backup', BackupRef);

builder.queryFields((t) => ({
  backup: t.field({
    type: BackupRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.gateway.backups.find(String(id)),
  }),
  backups: t.field({
    type: BackupConnectionRef,
    args: {
      engineId: t.arg.id(),
      status: t.arg({ type: [BackupStatusEnum] }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      if (args.after && !isUuid(args.after)) throw new GatewayError('invalid_input', 'after is not a cursor from this list');
      const where = ctx.gateway.backups.where({ engineId: args.engineId ? String(args.engineId) : null, status: args.status });
      const [rows, totalCount] = await ctx.gateway.backups.page(where, pageArgs(args.first, args.after));
      return toConnection(rows, args.first, totalCount);
    },
  }),
}));

const ImportBackupInput = builder.inputType('ImportBackupInput', {
  fields: (t) => ({
    plugin: t.string({ required: true }),
    path: t.string({ required: true, description: 'A file on the gateway host, inside GATEWAY_IMPORT_DIR' }),
    name: t.string(),
  }),
});

const SyncResultRef = builder.objectRef<SyncResult>('SyncResult').implement({
  fields: (t) => ({
    found: t.exposeInt('found', { description: 'Backups the engine side holds' }),
    imported: t.exposeInt('imported', { description: 'New catalog entries for backups made outside the gateway' }),
    missing: t.exposeInt('missing', { description: 'Catalog entries whose backup vanished on the engine side' }),
    restored: t.exposeInt('restored', { description: 'MISSING entries whose backup is back' }),
  }),
});

builder.mutationFields((t) => ({
  deleteBackup: t.field({
    type: BackupRef,
    description:
      'Removes the backup files (and the server-side backup for engines that keep them); the catalog keeps the record as DELETED. Runs as a DELETE job (events, subscriptions, webhooks) and answers when it has ended',
    args: { id: t.arg.id({ required: true }), credentials: t.arg({ type: StorageCredentialsInput, description: 'For a backup in an external location' }) },
    resolve: (_root, { id, credentials }, ctx) =>
      ctx.gateway.deleteBackup(String(id), actorOf(ctx), credentials ? { sealedCredentials: ctx.gateway.storages.sealCredentials(credentials) } : {}),
  }),
  importBackup: t.field({
    type: BackupRef,
    description: 'Catalogs a backup file already on the gateway host (e.g. a Meilisearch .dump), copying it into storage',
    args: { input: t.arg({ type: ImportBackupInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      // Into the default storage location, like a new backup.
      const target = await ctx.gateway.storages.target(null);
      return ctx.gateway.backups.import(
        { storage: target.driver, storageId: target.storageId, importDir: ctx.gateway.config.importDir },
        { plugin: ctx.gateway.engines.plugin(input.plugin), path: input.path, name: input.name },
        actorOf(ctx),
      );
    },
  }),
  syncEngineBackups: t.field({
    type: SyncResultRef,
    description: 'Reconciles the catalog with the backups an engine keeps on its side',
    args: { engineId: t.arg.id({ required: true }) },
    resolve: async (_root, { engineId }, ctx) => {
      const engine = await ctx.gateway.engines.get(String(engineId));
      return syncEngineBackups(ctx.gateway, engine, actorOf(ctx));
    },
  }),
}));

function toNumber(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}
