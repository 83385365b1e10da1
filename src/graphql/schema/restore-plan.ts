// planRestore: the restore plan as the core computes it (src/jobs/restore-plan.ts), and the plan a job ran.
import { RestorePlanSchema, type PlannedCollection, type RestorePlan, type RestoreRefusal } from '../../jobs/restore-plan.ts';
import { builder } from '../builder.ts';
import { JobRef, RestoreOnExistingEnum, StartRestoreInput } from './job.ts';

const RestoreActionEnum = builder.enumType('RestoreAction', {
  values: {
    CREATE: { description: 'The target does not exist: created' },
    REPLACE: { description: 'The target exists and is replaced (needs overwrite)' },
    APPLY: { description: "The backup's items are written on top of the target" },
    SKIP: { description: 'Left alone' },
  } as const,
});
const RestoreVerdictEnum = builder.enumType('RestoreVerdict', {
  values: {
    OK: { description: 'The target takes the backup as it is' },
    CONVERTED: { description: 'The target takes it with the conversions listed' },
    REFUSED: { description: 'startRestore would refuse it; see refusals' },
  } as const,
});

const PlannedCollectionRef = builder.objectRef<PlannedCollection>('RestorePlanCollection').implement({
  fields: (t) => ({
    source: t.exposeString('source', { description: 'Collection in the backup' }),
    target: t.exposeString('target', { description: 'Collection on the engine, after rename/suffix' }),
    action: t.field({ type: RestoreActionEnum, resolve: (c) => c.action }),
    liveDocuments: t.float({ nullable: true, description: 'Documents the target holds now (null: absent or unknown)', resolve: (c) => c.liveDocuments }),
    backupDocuments: t.float({ nullable: true, resolve: (c) => c.backupDocuments }),
    bytes: t.field({ type: 'BigInt', nullable: true, description: 'Bytes of the backup for this collection', resolve: (c) => c.bytes }),
    reasons: t.exposeStringList('reasons'),
  }),
});

const RestoreRefusalRef = builder.objectRef<RestoreRefusal>('RestoreRefusal').implement({
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The error code startRestore answers with' }),
    message: t.exposeString('message'),
    collections: t.exposeStringList('collections'),
  }),
});

export const RestorePlanRef = builder.objectRef<RestorePlan>('RestorePlan').implement({
  description: 'What a restore will do, per collection and for the engine; startRestore executes exactly this plan',
  fields: (t) => ({
    backupId: t.exposeID('backupId'),
    engineId: t.exposeID('engineId'),
    atomic: t.exposeBoolean('atomic'),
    onExisting: t.field({ type: RestoreOnExistingEnum, resolve: (p) => p.onExisting }),
    collections: t.field({ type: [PlannedCollectionRef], resolve: (p) => p.collections }),
    sourceEngineVersion: t.exposeString('sourceEngineVersion', { nullable: true }),
    targetEngineVersion: t.exposeString('targetEngineVersion', { nullable: true }),
    verdict: t.field({ type: RestoreVerdictEnum, resolve: (p) => p.verdict }),
    conversions: t.exposeStringList('conversions'),
    warnings: t.exposeStringList('warnings'),
    refusals: t.field({ type: [RestoreRefusalRef], resolve: (p) => p.refusals }),
    estimatedSeconds: t.float({ nullable: true, description: 'A rough estimate from sizes, not a promise', resolve: (p) => p.estimatedSeconds }),
  }),
});

builder.objectFields(JobRef, (t) => ({
  plan: t.field({
    type: RestorePlanRef,
    nullable: true,
    description: 'RESTORE jobs: the plan the job executes',
    resolve: (job) => {
      const plan = (job.input as { plan?: unknown } | null)?.plan;
      const parsed = plan === undefined ? null : RestorePlanSchema.safeParse(plan);
      return parsed?.success ? parsed.data : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  planRestore: t.field({
    type: RestorePlanRef,
    description: 'Dry run of startRestore: what would be created, replaced or skipped, and whether the engine takes it. No side effects',
    args: { input: t.arg({ type: StartRestoreInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.gateway.jobs.planRestore({ ...input, backupId: String(input.backupId), engineId: input.engineId ? String(input.engineId) : null }),
  }),
}));
