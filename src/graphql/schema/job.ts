import type { Job, JobEvent } from '../../db/client.ts';
import type { CatalogPage } from '../../catalog/backups.ts';
import { GatewayError } from '../../errors.ts';
import { isUuid } from '../../catalog/engines.ts';
import { readProgress, type JobProgressState } from '../../jobs/progress.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { BackupRef, BackupStrategyEnum, BackupTypeEnum } from './backup.ts';
import { EngineRef } from './engine.ts';
import { connectionType, pageArgs, toConnection } from './pagination.ts';
import { selectedFields } from '../selection.ts';
import { ExternalLocationInput, StorageCredentialsInput } from './storage.ts';

const JobKindEnum = builder.enumType('JobKind', { values: ['BACKUP', 'RESTORE', 'VERIFY', 'DELETE', 'UPGRADE_WATCH', 'UPGRADE_ROLLBACK', 'COPY'] as const });
const JobStatusEnum = builder.enumType('JobStatus', { values: ['QUEUED', 'RUNNING', 'CANCELING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const });
const JobSortEnum = builder.enumType('JobSort', { values: ['NEWEST', 'OLDEST'] as const, description: 'The order of the jobs list, by creation time' });

const JobProgressRef = builder.objectRef<JobProgressState>('JobProgress').implement({
  description: 'Numbers, not strings; total is null when the engine cannot tell, and then percent is null too',
  fields: (t) => ({
    phase: t.exposeString('phase'),
    completed: t.exposeFloat('completed'),
    total: t.exposeFloat('total', { nullable: true }),
    unit: t.exposeString('unit'),
    percent: t.float({
      nullable: true,
      resolve: (p) => (p.total === null || p.total <= 0 ? null : Math.min(100, Math.round((p.completed / p.total) * 10_000) / 100)),
    }),
    bytes: t.field({ type: 'BigInt', nullable: true, resolve: (p) => p.bytes ?? null }),
    message: t.exposeString('message', { nullable: true }),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
  }),
});

const JobErrorRef = builder.objectRef<{ code: string; message: string; type: string }>('JobError').implement({
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message'), type: t.exposeString('type') }),
});

const JobEventRef = builder.objectRef<JobEvent>('JobEvent').implement({
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    status: t.field({ type: JobStatusEnum, resolve: (e) => e.status }),
    phase: t.exposeString('phase'),
    message: t.exposeString('message', { nullable: true }),
  }),
});

export const JobRef = builder.objectRef<Job>('Job').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: JobKindEnum, resolve: (j) => j.kind }),
    status: t.field({ type: JobStatusEnum, resolve: (j) => j.status }),
    engine: t.field({ type: EngineRef, nullable: true, resolve: (j, _a, ctx) => (j.engineId ? ctx.gateway.engines.find(j.engineId) : null) }),
    backup: t.field({ type: BackupRef, nullable: true, resolve: (j, _a, ctx) => (j.backupId ? ctx.gateway.backups.find(j.backupId) : null) }),
    input: t.field({ type: 'JSON', resolve: (j) => publicJobInput(j.input) }),
    progress: t.field({ type: JobProgressRef, resolve: (j) => readProgress(j.progress) }),
    error: t.field({
      type: JobErrorRef,
      nullable: true,
      resolve: (j) => (j.errorCode ? { code: j.errorCode, message: j.errorMessage ?? '', type: j.errorType ?? 'internal' } : null),
    }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.field({ type: 'DateTime', resolve: (j) => j.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (j) => j.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (j) => j.finishedAt }),
    events: t.field({
      type: [JobEventRef],
      args: { last: t.arg.int() },
      resolve: async (j, { last }, ctx) => {
        const take = Math.min(Math.max(last ?? 100, 1), 1000);
        return ctx.gateway.jobs.events(j.id, take);
      },
    }),
  }),
});

const JobConnectionRef = connectionType('Job', JobRef);

builder.queryFields((t) => ({
  job: t.field({ type: JobRef, nullable: true, args: { id: t.arg.id({ required: true }) }, resolve: (_r, { id }, ctx) => ctx.gateway.jobs.find(String(id)) }),
  jobs: t.field({
    type: JobConnectionRef,
    args: {
      status: t.arg({ type: [JobStatusEnum] }),
      kind: t.arg({ type: [JobKindEnum] }),
      engineId: t.arg.id(),
      search: t.arg.string({ description: "An id prefix, or part of the engine's or the backup's name (any case)" }),
      sort: t.arg({ type: JobSortEnum, defaultValue: 'NEWEST', description: 'NEWEST (the default) or OLDEST first, by creation' }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx, info) => {
      if (args.after && !isUuid(args.after)) throw new GatewayError('invalid_input', 'after is not a cursor from this list');
      const filter = { status: args.status, kind: args.kind, engineId: args.engineId ? String(args.engineId) : null, search: args.search };
      // Only what the query reads: the JSON columns when a node's input or progress is asked for, the
      // count(*) when totalCount is (the connection runs it lazily).
      const nodeFields = selectedFields(info, ['nodes']);
      const json = { input: nodeFields === null || nodeFields.has('input'), progress: nodeFields === null || nodeFields.has('progress') };
      const page: CatalogPage = pageArgs(args.first, args.after);
      if (args.sort === 'OLDEST') page.orderBy = [{ createdAt: 'asc' }, { id: 'asc' }];
      const [rows, count] = await ctx.gateway.jobs.page(filter, page, json);
      return toConnection(rows, args.first, count);
    },
  }),
}));

const StartBackupInput = builder.inputType('StartBackupInput', {
  fields: (t) => ({
    engineId: t.id({ required: true }),
    collections: t.stringList({ description: 'Omit for every collection' }),
    strategy: t.field({ type: BackupStrategyEnum, description: "Omit for the plugin's default strategy (LOGICAL; NATIVE for Milvus)" }),
    type: t.field({ type: BackupTypeEnum, defaultValue: 'FULL' }),
    name: t.string(),
    labels: t.field({ type: 'JSON' }),
    timeoutSeconds: t.int({ description: 'Job timeout; the gateway default when omitted' }),
    storageId: t.id({ description: 'A registered storage location ("local" = built in); the default one when omitted' }),
    location: t.field({ type: ExternalLocationInput, description: 'An external location for this backup only, instead of a registered one' }),
    options: t.field({ type: 'JSON', description: 'Engine-specific backup options (the plugin README lists them, e.g. Milvus {rbac, metaOnly})' }),
  }),
});

export const RenameInput = builder.inputType('RenameInput', {
  fields: (t) => ({ from: t.string({ required: true }), to: t.string({ required: true }) }),
});

export const RestoreOnExistingEnum = builder.enumType('RestoreOnExisting', {
  description: 'What a restore does with a target collection that already exists',
  values: {
    FAIL: { description: 'Refuse the restore with target_exists (the default)' },
    REPLACE: { description: 'Replace it (atomically when atomic)' },
    SKIP: { description: 'Leave it as it is; restore the others' },
    APPLY: { description: "Write the backup's items on top, deleting nothing (engines that can)" },
  } as const,
});

export const StartRestoreInput = builder.inputType('StartRestoreInput', {
  fields: (t) => ({
    backupId: t.id({ required: true }),
    engineId: t.id({ description: "Target engine; the backup's own engine when omitted" }),
    collections: t.stringList({ description: 'Omit for every collection in the backup' }),
    rename: t.field({ type: [RenameInput] }),
    suffix: t.string({ description: 'Appended to every target name not renamed explicitly, e.g. "_restored"' }),
    overwrite: t.boolean({
      defaultValue: false,
      description: 'Replace target collections that exist (onExisting: REPLACE). Without it a restore whose plan replaces anything fails with target_exists',
    }),
    onExisting: t.field({ type: RestoreOnExistingEnum, description: 'FAIL when omitted (or REPLACE with overwrite: true)' }),
    atomic: t.boolean({ defaultValue: true, description: 'Restore into a staging copy and swap at the end' }),
    dropExisting: t.boolean({
      defaultValue: false,
      description: 'Drop existing target collections first, for engines that restore only into absent ones (milvus-backup)',
    }),
    timeoutSeconds: t.int(),
    force: t.boolean({ defaultValue: false, description: 'Restore a DAMAGED backup anyway (files are still checked while read)' }),
    credentials: t.field({ type: StorageCredentialsInput, description: 'For a backup in an external location' }),
    options: t.field({
      type: 'JSON',
      description: 'Engine-specific restore options (the plugin README lists them, e.g. Milvus {restoreIndex, useAutoIndex, metaOnly, skipCreateCollection, rbac})',
    }),
  }),
});

builder.mutationFields((t) => ({
  startBackup: t.field({
    type: JobRef,
    args: { input: t.arg({ type: StartBackupInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.gateway.jobs.startBackup({ ...input, engineId: String(input.engineId), storageId: input.storageId ? String(input.storageId) : null }, actorOf(ctx)),
  }),
  startRestore: t.field({
    type: JobRef,
    args: { input: t.arg({ type: StartRestoreInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.gateway.jobs.startRestore({ ...input, backupId: String(input.backupId), engineId: input.engineId ? String(input.engineId) : null }, actorOf(ctx)),
  }),
  cancelJob: t.field({
    type: JobRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.gateway.jobs.cancel(String(id), actorOf(ctx)),
  }),
}));

builder.subscriptionFields((t) => ({
  jobUpdated: t.field({
    type: JobRef,
    description: 'Every status and progress change of one job, starting with its current state; completes when it ends',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, ctx) => ctx.gateway.bus.follow(String(id), () => ctx.gateway.jobs.get(String(id))),
    resolve: (job) => job,
  }),
  jobEvents: t.field({
    type: JobRef,
    description: 'Every change of every job (of one engine when engineId is given)',
    args: { engineId: t.arg.id() },
    subscribe: (_root, { engineId }, ctx) => ctx.gateway.bus.changes({ engineId: engineId ? String(engineId) : null }),
    resolve: (job) => job,
  }),
}));

/** Job.input as the API shows it: sealed credentials of storage locations are left out. */
function publicJobInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const { storageCredentials: _sealed, externalLocation, ...rest } = input as Record<string, unknown>;
  if (typeof externalLocation !== 'object' || externalLocation === null) return rest;
  const { sealedCredentials: _credentials, ...location } = externalLocation as Record<string, unknown>;
  return { ...rest, externalLocation: location };
}
