import type { RetentionGroupPlan } from '../../lifecycle/retention-service.ts';
import type { RetentionDecision, RetentionPolicy } from '../../lifecycle/retention.ts';
import { parseRetentionPolicy } from '../../lifecycle/retention.ts';
import type { Backup } from '../../db/client.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { BackupRef } from './backup.ts';
import { EngineRef } from './engine.ts';

export const RetentionPolicyRef = builder.objectRef<RetentionPolicy>('RetentionPolicy').implement({
  description: 'Keep rules over COMPLETE backups; the newest one and pinned ones are never deleted',
  fields: (t) => ({
    keepLast: t.int({ nullable: true, resolve: (p) => p.keepLast ?? null }),
    keepDaily: t.int({ nullable: true, resolve: (p) => p.keepDaily ?? null }),
    keepWeekly: t.int({ nullable: true, resolve: (p) => p.keepWeekly ?? null }),
    keepMonthly: t.int({ nullable: true, resolve: (p) => p.keepMonthly ?? null }),
    keepYearly: t.int({ nullable: true, resolve: (p) => p.keepYearly ?? null }),
    maxAgeDays: t.float({ nullable: true, resolve: (p) => p.maxAgeDays ?? null }),
  }),
});

export const RetentionPolicyInput = builder.inputType('RetentionPolicyInput', {
  description:
    'keepLast: the N newest; keepDaily/Weekly/Monthly/Yearly: the newest of each of the N most recent days/ISO weeks/months/years with backups; maxAgeDays: older ones go even if a rule keeps them',
  fields: (t) => ({
    keepLast: t.int(),
    keepDaily: t.int(),
    keepWeekly: t.int(),
    keepMonthly: t.int(),
    keepYearly: t.int(),
    maxAgeDays: t.float(),
  }),
});

type PlannedBackup = RetentionDecision & { backup: Backup };

const RetentionDecisionRef = builder.objectRef<PlannedBackup>('RetentionDecision').implement({
  fields: (t) => ({
    backup: t.field({ type: BackupRef, resolve: (d) => d.backup }),
    keep: t.exposeBoolean('keep'),
    restorability: t.string({
      description:
        'restorable (the gateway holds the data), external (engine-side artifacts only) or record (metadata only, nothing to restore); each is planned apart, so records never count towards keepLast of restorable backups',
      resolve: (d) => d.restorability,
    }),
    reasons: t.stringList({
      description: 'Why it is kept: newest, pinned, last, daily, weekly, monthly, yearly, within max age, parent of a kept incremental',
      resolve: (d) => d.reasons,
    }),
  }),
});

const RetentionGroupRef = builder.objectRef<RetentionGroupPlan>('RetentionPlan').implement({
  description: "One policy (a schedule's, or the engine's for the rest of its backups) and what it keeps and deletes now",
  fields: (t) => ({
    scheduleId: t.id({ nullable: true, resolve: (g) => g.schedule?.id ?? null }),
    scheduleName: t.string({ nullable: true, resolve: (g) => g.schedule?.name ?? null }),
    policy: t.field({ type: RetentionPolicyRef, resolve: (g) => g.policy }),
    timeZone: t.exposeString('timeZone'),
    keep: t.field({ type: [RetentionDecisionRef], resolve: (g) => g.keep }),
    delete: t.field({ type: [RetentionDecisionRef], resolve: (g) => g.delete }),
  }),
});

builder.objectFields(EngineRef, (t) => ({
  retention: t.field({
    type: RetentionPolicyRef,
    nullable: true,
    description: "The engine's policy for backups no schedule policy covers",
    resolve: (engine) => (engine.retention === null ? null : parseRetentionPolicy(engine.retention)),
  }),
}));

builder.queryFields((t) => ({
  planRetention: t.field({
    type: [RetentionGroupRef],
    description: 'Dry run: what the retention policies of the engine would delete now (nothing is deleted); policy plans the engine group with another policy',
    args: { engineId: t.arg.id({ required: true }), policy: t.arg({ type: RetentionPolicyInput }) },
    resolve: (_root, { engineId, policy }, ctx) => ctx.gateway.retention.plan(String(engineId), policy ?? undefined),
  }),
}));

builder.mutationFields((t) => ({
  setRetention: t.field({
    type: EngineRef,
    description: "Sets the engine's retention policy (null clears it)",
    args: { engineId: t.arg.id({ required: true }), policy: t.arg({ type: RetentionPolicyInput }) },
    resolve: (_root, { engineId, policy }, ctx) => ctx.gateway.retention.setEnginePolicy(String(engineId), policy ?? null, actorOf(ctx)),
  }),
  applyRetention: t.int({
    description: 'Applies the retention policies of the engine now; returns how many DELETE jobs were started',
    args: { engineId: t.arg.id({ required: true }) },
    resolve: (_root, { engineId }, ctx) => ctx.gateway.retention.apply(String(engineId), actorOf(ctx)),
  }),
}));
