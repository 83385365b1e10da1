import { BUILTIN_STORAGE_ID, type StorageView } from '../../catalog/storages.ts';
import { type ReconcileMissing, type ReconcileOrphan, type ReconcileResult } from '../../lifecycle/reconcile.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';

const StorageKindEnum = builder.enumType('StorageKind', { values: ['LOCAL', 'S3'] as const });

export const StorageRef = builder.objectRef<StorageView>('Storage').implement({
  description: `A storage location for backup files. Credentials are sealed at rest and never returned. The built-in local storage ($GATEWAY_DATA_DIR/backups) has id "${BUILTIN_STORAGE_ID}".`,
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.field({ type: StorageKindEnum, resolve: (s) => s.kind }),
    url: t.exposeString('url', { description: 's3://bucket/prefix/ or file:///folder' }),
    endpoint: t.exposeString('endpoint', { nullable: true }),
    region: t.exposeString('region', { nullable: true }),
    forcePathStyle: t.exposeBoolean('forcePathStyle', { nullable: true }),
    encrypted: t.boolean({ description: 'New files are age-encrypted to the recipients', resolve: (s) => s.recipients.length > 0 }),
    recipients: t.exposeStringList('recipients', { description: 'age recipients (public keys)' }),
    isDefault: t.exposeBoolean('isDefault', { description: 'New backups go here unless a job names another location' }),
    builtIn: t.exposeBoolean('builtIn'),
    hasCredentials: t.exposeBoolean('hasCredentials'),
    createdAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.createdAt }),
  }),
});

export const StorageCredentialsInput = builder.inputType('StorageCredentialsInput', {
  description: 'S3 credentials; write-only',
  fields: (t) => ({
    accessKeyId: t.string({ required: true }),
    secretAccessKey: t.string({ required: true }),
    sessionToken: t.string(),
  }),
});

export const ExternalLocationInput = builder.inputType('ExternalLocationInput', {
  description: 'A location for one job only (the MagnetoDB spec\'s "external"): URL + credentials, never stored in clear',
  fields: (t) => ({
    url: t.string({ required: true, description: 's3://bucket/prefix' }),
    endpoint: t.string({ description: 'S3-compatible server, e.g. http://minio:9000; AWS when omitted' }),
    region: t.string(),
    forcePathStyle: t.boolean(),
    credentials: t.field({ type: StorageCredentialsInput, required: true }),
    recipients: t.stringList({ description: 'age recipients to encrypt this backup to' }),
  }),
});

const RegisterStorageInput = builder.inputType('RegisterStorageInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    url: t.string({ required: true, description: 's3://bucket/prefix or file:///absolute/folder' }),
    endpoint: t.string(),
    region: t.string(),
    forcePathStyle: t.boolean(),
    credentials: t.field({ type: StorageCredentialsInput }),
    recipients: t.stringList({ description: 'age recipients: files written here are encrypted to them' }),
    isDefault: t.boolean({ defaultValue: false }),
  }),
});

const UpdateStorageInput = builder.inputType('UpdateStorageInput', {
  fields: (t) => ({
    name: t.string(),
    credentials: t.field({ type: StorageCredentialsInput }),
    recipients: t.stringList({ description: 'Replaces the recipients; affects files written from now on' }),
    isDefault: t.boolean(),
  }),
});

const ReconcileMissingRef = builder.objectRef<ReconcileMissing>('ReconcileMissing').implement({
  fields: (t) => ({
    backupId: t.exposeID('backupId'),
    backupName: t.exposeString('backupName'),
    path: t.exposeString('path'),
    problem: t.exposeString('problem', { description: 'missing or size_mismatch' }),
    expectedBytes: t.field({ type: 'BigInt', resolve: (m) => m.expectedBytes }),
    foundBytes: t.field({ type: 'BigInt', nullable: true, resolve: (m) => m.foundBytes }),
  }),
});

const ReconcileOrphanRef = builder.objectRef<ReconcileOrphan>('ReconcileOrphan').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Relative to the location: <backupId>/<path>' }),
    bytes: t.field({ type: 'BigInt', resolve: (o) => o.bytes }),
    backupId: t.exposeString('backupId', { nullable: true }),
    reason: t.exposeString('reason', { description: 'no_catalog_entry, backup_deleted, backup_failed, not_in_backup, or not_a_backup_file (never deleted)' }),
  }),
});

const ReconcileResultRef = builder.objectRef<ReconcileResult>('ReconcileResult').implement({
  fields: (t) => ({
    storageId: t.exposeID('storageId'),
    objects: t.exposeInt('objects', { description: 'Objects found in storage' }),
    checkedBackups: t.exposeInt('checkedBackups'),
    missing: t.field({ type: [ReconcileMissingRef], resolve: (r) => r.missing }),
    damagedBackups: t.exposeIDList('damagedBackups', { description: 'Backups marked DAMAGED by this run' }),
    orphans: t.field({ type: [ReconcileOrphanRef], resolve: (r) => r.orphans }),
    deletedOrphans: t.exposeInt('deletedOrphans'),
  }),
});

builder.queryFields((t) => ({
  storages: t.field({ type: [StorageRef], resolve: (_root, _args, ctx) => ctx.gateway.storages.list() }),
  storage: t.field({ type: StorageRef, nullable: true, args: { id: t.arg.id({ required: true }) }, resolve: (_root, { id }, ctx) => ctx.gateway.storages.find(String(id)) }),
}));

builder.mutationFields((t) => ({
  registerStorage: t.field({
    type: StorageRef,
    description: 'Registers a storage location after checking it can be reached; credentials are sealed and never returned',
    args: { input: t.arg({ type: RegisterStorageInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.gateway.storages.register(input, actorOf(ctx)),
  }),
  updateStorage: t.field({
    type: StorageRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateStorageInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.gateway.storages.update(String(id), input, actorOf(ctx)),
  }),
  removeStorage: t.boolean({
    description: 'Refused while backups or schedules use the location',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.gateway.storages.remove(String(id), actorOf(ctx)),
  }),
  reconcileStorage: t.field({
    type: ReconcileResultRef,
    description: 'Compares catalog and storage: missing files mark their backup DAMAGED; objects no live backup owns are listed as orphans (deleted only with deleteOrphans)',
    args: { storageId: t.arg.id({ required: true }), deleteOrphans: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, { storageId, deleteOrphans }, ctx) => ctx.gateway.reconcileStorage(String(storageId), { deleteOrphans: deleteOrphans ?? false }, actorOf(ctx)),
  }),
}));
