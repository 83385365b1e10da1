import type { Schedule } from '../../db/client.ts';
import { parseRetentionPolicy } from '../../lifecycle/retention.ts';
import { nextRuns } from '../../lifecycle/schedules.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { BackupStrategyEnum, BackupTypeEnum } from './backup.ts';
import { BackupSetMemberInput } from './backup-set.ts';
import { EngineRef } from './engine.ts';
import { RetentionPolicyInput, RetentionPolicyRef } from './retention.ts';
import { StorageRef } from './storage.ts';

const ScheduleRef = builder.objectRef<Schedule>('Schedule').implement({
  description: 'Backups on a cron schedule (croner syntax; 6 fields = with seconds) in a time zone',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    engine: t.field({ type: EngineRef, nullable: true, resolve: (s, _a, ctx) => ctx.gateway.engines.find(s.engineId) }),
    cron: t.exposeString('cron'),
    timezone: t.exposeString('timezone'),
    collections: t.stringList({ description: 'Empty = every collection', resolve: (s) => s.collections }),
    strategy: t.field({ type: BackupStrategyEnum, resolve: (s) => s.strategy }),
    type: t.field({ type: BackupTypeEnum, resolve: (s) => s.type }),
    storage: t.field({
      type: StorageRef,
      nullable: true,
      description: 'Null = the default location at each run',
      resolve: (s, _a, ctx) => (s.storageId ? ctx.gateway.storages.find(s.storageId) : null),
    }),
    retention: t.field({ type: RetentionPolicyRef, nullable: true, resolve: (s) => (s.retention === null ? null : parseRetentionPolicy(s.retention)) }),
    paused: t.exposeBoolean('paused'),
    nextRuns: t.field({
      type: ['DateTime'],
      args: { count: t.arg.int({ defaultValue: 3 }) },
      description: 'The next slots (none while paused)',
      resolve: (s, { count }) => (s.paused ? [] : nextRuns(s, count ?? 3)),
    }),
    lastSlotAt: t.field({ type: 'DateTime', nullable: true, description: 'The newest slot a replica claimed and ran', resolve: (s) => s.lastSlotAt }),
    lastRunAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastRunAt }),
    lastJobId: t.exposeID('lastJobId', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last slot could not start a backup (e.g. job_already_in_progress)' }),
    consecutiveFailures: t.exposeInt('consecutiveFailures', {
      description: 'Backups of this schedule that failed (or could not start) in a row; 0 after a success or a resume',
    }),
    pausedReason: t.exposeString('pausedReason', {
      nullable: true,
      description: 'Why the gateway paused this schedule itself (10 failures in a row, with the last error); null when running or paused by a person',
    }),
    setMembers: t.field({
      type: 'JSON',
      nullable: true,
      description: 'A schedule of a backup set: its members [{engineId, collections, strategy}] (engine is then the first member)',
      resolve: (s) => s.setMembers ?? null,
    }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.field({ type: 'DateTime', resolve: (s) => s.createdAt }),
  }),
});

const ScheduleSetInput = builder.inputType('ScheduleSetInput', {
  description: 'A schedule of a backup set: each slot starts the set (named after the schedule) with these members',
  fields: (t) => ({
    members: t.field({ type: [BackupSetMemberInput], required: true, description: 'One to 32 engines, one member each' }),
  }),
});

const CreateScheduleInput = builder.inputType('CreateScheduleInput', {
  fields: (t) => ({
    engineId: t.id({ description: 'The engine to back up; omit it for a schedule of a backup set (set)' }),
    set: t.field({ type: ScheduleSetInput, description: 'Back up several engines as one backup set at each slot, instead of one engine' }),
    cron: t.string({
      required: true,
      description:
        'e.g. "0 3 * * *" (daily 03:00) or "0 */15 * * * *" (every 15 min, with seconds); firing more often than GATEWAY_MIN_SCHEDULE_INTERVAL (default 5 min) fails with schedule_too_frequent',
    }),
    timezone: t.string({ defaultValue: 'UTC' }),
    collections: t.stringList({ description: 'Omit for every collection' }),
    strategy: t.field({ type: BackupStrategyEnum, defaultValue: 'LOGICAL' }),
    type: t.field({ type: BackupTypeEnum, defaultValue: 'FULL' }),
    storageId: t.id({ description: 'A registered location; the default one when omitted' }),
    retention: t.field({ type: RetentionPolicyInput, description: "Applied to this schedule's backups after each run" }),
    name: t.string(),
    paused: t.boolean({ defaultValue: false }),
  }),
});

const UpdateScheduleInput = builder.inputType('UpdateScheduleInput', {
  fields: (t) => ({
    cron: t.string(),
    timezone: t.string(),
    collections: t.stringList(),
    strategy: t.field({ type: BackupStrategyEnum }),
    type: t.field({ type: BackupTypeEnum }),
    storageId: t.id(),
    retention: t.field({ type: RetentionPolicyInput }),
    clearRetention: t.boolean({ description: "Remove the schedule's own policy (the engine's then applies)" }),
    name: t.string(),
  }),
});

builder.queryFields((t) => ({
  schedules: t.field({ type: [ScheduleRef], args: { engineId: t.arg.id() }, resolve: (_r, { engineId }, ctx) => ctx.gateway.schedules.list(engineId ? String(engineId) : null) }),
  schedule: t.field({
    type: ScheduleRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.gateway.schedules.find(String(id)),
  }),
}));

builder.mutationFields((t) => ({
  createSchedule: t.field({
    type: ScheduleRef,
    description: "An invalid cron fails with invalid_cron and the parser's message",
    args: { input: t.arg({ type: CreateScheduleInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.gateway.schedules.create(
        {
          ...input,
          engineId: input.engineId ? String(input.engineId) : null,
          set: input.set ? { members: input.set.members.map((m) => ({ engineId: String(m.engineId), collections: m.collections ?? null, strategy: m.strategy ?? null })) } : null,
          storageId: input.storageId ? String(input.storageId) : null,
        },
        actorOf(ctx),
      ),
  }),
  updateSchedule: t.field({
    type: ScheduleRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateScheduleInput, required: true }) },
    resolve: (_r, { id, input }, ctx) => {
      const { clearRetention, storageId, retention, ...rest } = input;
      return ctx.gateway.schedules.update(
        String(id),
        {
          ...rest,
          ...(storageId !== undefined && storageId !== null ? { storageId: String(storageId) } : {}),
          ...(clearRetention ? { retention: null } : retention ? { retention } : {}),
        },
        actorOf(ctx),
      );
    },
  }),
  pauseSchedule: t.field({
    type: ScheduleRef,
    description: 'paused: false resumes; slots passed while paused are not run',
    args: { id: t.arg.id({ required: true }), paused: t.arg.boolean({ defaultValue: true }) },
    resolve: (_r, { id, paused }, ctx) => ctx.gateway.schedules.pause(String(id), paused ?? true, actorOf(ctx)),
  }),
  deleteSchedule: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.gateway.schedules.delete(String(id), actorOf(ctx)),
  }),
}));
