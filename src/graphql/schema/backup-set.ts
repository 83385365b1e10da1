// Backup sets (issue 20): the catalog entry of several engines backed up together, and its mutations.
import type { Backup, BackupSet, Job } from '../../db/client.ts';
import { GatewayError } from '../../errors.ts';
import { isUuid } from '../../catalog/engines.ts';
import type { SetRestorePlan, SetRestorePlanMember } from '../../jobs/backup-sets.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { actorOf } from '../context.ts';
import { BackupRef, BackupStrategyEnum } from './backup.ts';
import { JobRef, RenameInput, RestoreOnExistingEnum } from './job.ts';
import { connectionType, pageArgs, toConnection } from './pagination.ts';
import { RestorePlanRef } from './restore-plan.ts';

const BackupSetStatusEnum = builder.enumType('BackupSetStatus', {
  description: 'Where a backup set stands',
  values: {
    PENDING: { description: 'Its members are being backed up' },
    COMPLETE: { description: 'Every member is COMPLETE' },
    PARTIAL: { description: 'Some members failed (their jobs say why); the others are kept. Never shown as complete' },
    FAILED: { description: 'No member succeeded' },
    DELETED: { description: 'Deleted; pinned members were kept' },
  } as const,
});

const BackupSetVerificationEnum = builder.enumType('BackupSetVerification', {
  description: 'What verification says of the set as a whole',
  values: {
    UNVERIFIED: { description: 'Not verified since it was made' },
    VERIFIED: { description: 'verifyBackupSet passed for every member' },
    DAMAGED: { description: 'At least one member is DAMAGED' },
  } as const,
});

/** The members' total, exact (bigint); null when no member has the value. */
const sum = (backups: Backup[], pick: (b: Backup) => bigint | null): bigint | null =>
  backups.some((b) => pick(b) !== null) ? backups.reduce((total, b) => total + (pick(b) ?? 0n), 0n) : null;

const membersOf = (set: BackupSet, ctx: GraphQLContext): Promise<Backup[]> => ctx.gateway.backupSets.members(set.id);

export const BackupSetRef = builder.objectRef<BackupSet>('BackupSet').implement({
  description: 'Backups of several engines taken together under one parent job; one catalog entry',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The set id' }),
    name: t.exposeString('name', { description: 'The name given at startBackupSet' }),
    status: t.field({ type: BackupSetStatusEnum, description: 'COMPLETE only when every member is', resolve: (s) => s.status }),
    labels: t.field({ type: 'JSON', nullable: true, description: 'Labels given at start (each member carries them too)', resolve: (s) => s.labels }),
    members: t.field({ type: [BackupRef], description: 'One backup per engine, oldest first', resolve: (s, _a, ctx) => membersOf(s, ctx) }),
    memberCount: t.int({ description: 'How many members were asked for', resolve: (s) => (Array.isArray(s.members) ? s.members.length : 0) }),
    job: t.field({
      type: JobRef,
      nullable: true,
      description: "The parent job: its progress aggregates the members' jobs",
      resolve: (s, _a, ctx) => (s.jobId ? ctx.gateway.jobs.find(s.jobId) : null),
    }),
    sizeBytes: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Bytes of every member together',
      resolve: async (s, _a, ctx) => sum(await membersOf(s, ctx), (b) => b.sizeBytes),
    }),
    documentCount: t.float({
      nullable: true,
      description: 'Documents of every member together',
      resolve: async (s, _a, ctx) => {
        const total = sum(await membersOf(s, ctx), (b) => b.documentCount);
        return total === null ? null : Number(total);
      },
    }),
    verification: t.field({
      type: BackupSetVerificationEnum,
      description: 'DAMAGED when a member is; VERIFIED after verifyBackupSet passed',
      resolve: async (s, _a, ctx) => ((await membersOf(s, ctx)).some((b) => b.status === 'DAMAGED') ? 'DAMAGED' : s.verifiedAt ? 'VERIFIED' : 'UNVERIFIED'),
    }),
    createdBy: t.exposeString('createdBy', { description: 'Who started it' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was started', resolve: (s) => s.createdAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, description: 'When its last member ended', resolve: (s) => s.completedAt }),
    verifiedAt: t.field({ type: 'DateTime', nullable: true, description: 'When verifyBackupSet last passed', resolve: (s) => s.verifiedAt }),
  }),
});

builder.objectFields(BackupRef, (t) => ({
  set: t.field({
    type: BackupSetRef,
    nullable: true,
    description: 'The backup set this backup is a member of',
    resolve: (b, _a, ctx) => (b.setId ? ctx.gateway.backupSets.find(b.setId) : null),
  }),
}));

builder.objectFields(JobRef, (t) => ({
  parentId: t.exposeID('parentId', { nullable: true, description: "A member job of a set: the set's parent job" }),
  children: t.field({
    type: [JobRef],
    description: "A set's parent job: its member jobs (empty for other jobs)",
    resolve: (j: Job, _a, ctx) => ctx.gateway.jobs.children(j.id),
  }),
}));

const BackupSetConnectionRef = connectionType('BackupSet', BackupSetRef);

export const BackupSetMemberInput = builder.inputType('BackupSetMemberInput', {
  description: 'One engine of a backup set',
  fields: (t) => ({
    engineId: t.id({ required: true, description: 'The engine to back up (one member per engine)' }),
    collections: t.stringList({ description: 'Omit for every collection' }),
    strategy: t.field({ type: BackupStrategyEnum, description: "Omit for the plugin's default strategy" }),
  }),
});

const StartBackupSetInput = builder.inputType('StartBackupSetInput', {
  description: 'A backup set: every member starts now, under one parent job',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The set name' }),
    members: t.field({ type: [BackupSetMemberInput], required: true, description: 'One to 32 engines' }),
    labels: t.field({ type: 'JSON', description: 'String labels, given to the set and every member backup' }),
    timeoutSeconds: t.int({ description: 'Timeout of each member job; the gateway default when omitted' }),
  }),
});

const BackupSetRestoreMemberInput = builder.inputType('BackupSetRestoreMemberInput', {
  description: 'One member of a set restore',
  fields: (t) => ({
    backupId: t.id({ required: true, description: 'A member backup of the set' }),
    engineId: t.id({ description: "Target engine; the member's own engine when omitted" }),
    collections: t.stringList({ description: 'Omit for every collection of the member' }),
    rename: t.field({ type: [RenameInput], description: 'Collections restored under other names' }),
    suffix: t.string({ description: 'Appended to every target of this member not renamed explicitly' }),
  }),
});

const BackupSetRestoreInput = builder.inputType('BackupSetRestoreInput', {
  description: 'A restore of a backup set: one plan, one parent job',
  fields: (t) => ({
    setId: t.id({ required: true, description: 'The backup set' }),
    members: t.field({ type: [BackupSetRestoreMemberInput], description: 'Omit to restore every COMPLETE member into its own engine' }),
    overwrite: t.boolean({ defaultValue: false, description: 'Replace target collections that exist (onExisting: REPLACE)' }),
    onExisting: t.field({ type: RestoreOnExistingEnum, description: 'FAIL when omitted (or REPLACE with overwrite: true)' }),
    suffix: t.string({ description: 'Appended to every target not renamed explicitly, for every member' }),
    timeoutSeconds: t.int({ description: 'Timeout of each member job' }),
  }),
});

const MemberStagingEnum = builder.enumType('BackupSetMemberStaging', {
  description: 'How a member restore reaches its engine',
  values: {
    STAGED: { description: 'Into staging copies, swapped in when its data is complete' },
    DIRECT: { description: 'In place (the engine cannot stage, e.g. milvus-backup): not all-or-nothing' },
  } as const,
});

const SetRestorePlanMemberRef = builder.objectRef<SetRestorePlanMember>('BackupSetRestorePlanMember').implement({
  description: "One member's plan",
  fields: (t) => ({
    backupId: t.exposeID('backupId', { description: 'The member backup' }),
    engineId: t.exposeID('engineId', { description: 'The target engine' }),
    staging: t.field({ type: MemberStagingEnum, description: 'STAGED or DIRECT', resolve: (m) => m.staging }),
    note: t.exposeString('note', { description: 'What staging means for this member, in words' }),
    plan: t.field({ type: RestorePlanRef, description: "The member's restore plan, as planRestore shows it", resolve: (m) => m.plan }),
  }),
});

const SetRestorePlanRef = builder.objectRef<SetRestorePlan>('BackupSetRestorePlan').implement({
  description: 'What a set restore will do: one plan per member; startBackupSetRestore executes them',
  fields: (t) => ({
    setId: t.exposeID('setId', { description: 'The backup set' }),
    members: t.field({ type: [SetRestorePlanMemberRef], description: 'One plan per member', resolve: (p) => p.members }),
    allStaged: t.exposeBoolean('allStaged', { description: 'Every member restores into staging first' }),
    notes: t.exposeStringList('notes', { description: 'What the set restore guarantees and what it does not' }),
  }),
});

builder.queryFields((t) => ({
  backupSet: t.field({
    type: BackupSetRef,
    nullable: true,
    description: 'One backup set',
    args: { id: t.arg.id({ required: true, description: 'The set id' }) },
    resolve: (_r, { id }, ctx) => ctx.gateway.backupSets.find(String(id)),
  }),
  backupSets: t.field({
    type: BackupSetConnectionRef,
    description: 'Backup sets, newest first',
    args: {
      includeDeleted: t.arg.boolean({ defaultValue: false, description: 'Also list DELETED sets' }),
      first: t.arg.int({ defaultValue: 50, description: 'Page size' }),
      after: t.arg.string({ description: 'endCursor of the previous page' }),
    },
    resolve: async (_r, args, ctx) => {
      if (args.after && !isUuid(args.after)) throw new GatewayError('invalid_input', 'after is not a cursor from this list');
      const [rows, totalCount] = await ctx.gateway.backupSets.page(args.includeDeleted ?? false, pageArgs(args.first, args.after));
      return toConnection(rows, args.first, totalCount);
    },
  }),
}));

builder.mutationFields((t) => ({
  startBackupSet: t.field({
    type: JobRef,
    description:
      'Backs up several engines together: one BACKUP job per member under one parent job (follow the parent with jobUpdated); the set is COMPLETE only when every member is, PARTIAL when some failed',
    args: { input: t.arg({ type: StartBackupSetInput, required: true, description: 'The set' }) },
    resolve: (_r, { input }, ctx) =>
      ctx.gateway.backupSets.start(
        {
          name: input.name,
          members: input.members.map((m) => ({ engineId: String(m.engineId), collections: m.collections ?? null, strategy: m.strategy ?? null })),
          labels: input.labels,
          timeoutSeconds: input.timeoutSeconds ?? null,
        },
        actorOf(ctx),
      ),
  }),
  verifyBackupSet: t.field({
    type: JobRef,
    description: 'A VERIFY job per complete member under one parent job; the set is VERIFIED when every one passes',
    args: { id: t.arg.id({ required: true, description: 'The set id' }) },
    resolve: (_r, { id }, ctx) => ctx.gateway.backupSets.verify(String(id), actorOf(ctx)),
  }),
  deleteBackupSet: t.field({
    type: BackupSetRef,
    description: 'Deletes every member backup but the pinned ones (kept), then marks the set DELETED',
    args: { id: t.arg.id({ required: true, description: 'The set id' }) },
    resolve: (_r, { id }, ctx) => ctx.gateway.backupSets.delete(String(id), actorOf(ctx)),
  }),
  planBackupSetRestore: t.field({
    type: SetRestorePlanRef,
    description: 'Dry run of startBackupSetRestore: one plan per member and whether each can stage. No side effects',
    args: { input: t.arg({ type: BackupSetRestoreInput, required: true, description: 'The set restore' }) },
    resolve: (_r, { input }, ctx) => ctx.gateway.backupSets.plan(setRestoreRequest(input)),
  }),
  startBackupSetRestore: t.field({
    type: JobRef,
    description: 'Restores a backup set: one RESTORE job per member under one parent job, each executing its plan',
    args: { input: t.arg({ type: BackupSetRestoreInput, required: true, description: 'The set restore' }) },
    resolve: (_r, { input }, ctx) => ctx.gateway.backupSets.restore(setRestoreRequest(input), actorOf(ctx)),
  }),
}));

function setRestoreRequest(input: {
  setId: string | number;
  members?: Array<{
    backupId: string | number;
    engineId?: string | number | null;
    collections?: string[] | null;
    rename?: Array<{ from: string; to: string }> | null;
    suffix?: string | null;
  }> | null;
  overwrite?: boolean | null;
  onExisting?: 'FAIL' | 'REPLACE' | 'SKIP' | 'APPLY' | null;
  suffix?: string | null;
  timeoutSeconds?: number | null;
}) {
  return {
    setId: String(input.setId),
    members: input.members?.map((m) => ({ ...m, backupId: String(m.backupId), engineId: m.engineId ? String(m.engineId) : null })) ?? null,
    overwrite: input.overwrite ?? null,
    onExisting: input.onExisting ?? null,
    suffix: input.suffix ?? null,
    timeoutSeconds: input.timeoutSeconds ?? null,
  };
}
