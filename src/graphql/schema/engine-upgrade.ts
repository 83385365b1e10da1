// Engine upgrades (issue 18): the upgrade state on Engine, the safety copy before an upgrade, the rollback job.
import type { EngineUpgradeProgress, EngineUpgradeStatus } from '../../engines/upgrade-contract.ts';
import { ENGINE_UPGRADE_STATES } from '../../engines/upgrade-contract.ts';
import type { UpgradePreparation, UpgradeSafetyCopy } from '../../lifecycle/upgrade-prepare.ts';
import { WATCH_ACTOR } from '../../jobs/upgrade-jobs.ts';
import { toGatewayError } from '../../errors.ts';
import { builder } from '../builder.ts';
import { actorOf, memoized } from '../context.ts';
import { BackupRef, BackupStrategyEnum } from './backup.ts';
import { EngineRef } from './engine.ts';
import { JobRef } from './job.ts';

const EngineUpgradeStateEnum = builder.enumType('EngineUpgradeState', { values: ENGINE_UPGRADE_STATES });

const EngineUpgradeProgressRef = builder.objectRef<EngineUpgradeProgress>('EngineUpgradeProgress').implement({
  fields: (t) => ({
    step: t.exposeString('step'),
    completed: t.exposeFloat('completed'),
    total: t.exposeFloat('total', { nullable: true }),
    percentage: t.exposeFloat('percentage', { nullable: true }),
  }),
});

type UpgradeView = EngineUpgradeStatus & { engineId: string };

const EngineUpgradeRef = builder.objectRef<UpgradeView>('EngineUpgrade').implement({
  fields: (t) => ({
    state: t.field({ type: EngineUpgradeStateEnum, resolve: (u) => u.state }),
    from: t.exposeString('from', { nullable: true }),
    to: t.exposeString('to', { nullable: true }),
    taskUid: t.exposeInt('taskUid', { nullable: true }),
    progress: t.field({ type: EngineUpgradeProgressRef, nullable: true, resolve: (u) => u.progress }),
    error: t.exposeString('error', { nullable: true }),
    job: t.field({
      type: JobRef,
      nullable: true,
      resolve: (u, _a, ctx) => ctx.gateway.upgrades.activeJob(u.engineId),
    }),
  }),
});

builder.objectFields(EngineRef, (t) => ({
  upgrade: t.field({
    type: EngineUpgradeRef,
    nullable: true,
    resolve: (engine, _a, ctx) =>
      memoized(ctx, `upgrade:${engine.id}`, async () => {
        let status: EngineUpgradeStatus | null;
        try {
          status = await ctx.gateway.upgrades.status(engine);
        } catch (error) {
          return { engineId: engine.id, state: 'NONE' as const, from: null, to: null, taskUid: null, progress: null, error: toGatewayError(error, 'engine_unreachable').message };
        }
        if (status === null) return null;
        // a running upgrade gets its watch job (events, webhooks, a place in the catalog) the first time it is seen
        await ctx.gateway.upgrades.ensureWatch(engine, status, WATCH_ACTOR);
        return { ...status, engineId: engine.id };
      }),
  }),
}));

const UpgradeSafetyCopyRef = builder.objectRef<UpgradeSafetyCopy>('UpgradeSafetyCopy').implement({
  fields: (t) => ({
    backup: t.field({ type: BackupRef, resolve: (c) => c.backup }),
    strategy: t.field({ type: BackupStrategyEnum, resolve: (c) => c.strategy }),
    backupJobId: t.exposeID('backupJobId'),
    verifyJobId: t.exposeID('verifyJobId'),
    restoresInto: t.exposeString('restoresInto'),
  }),
});

const UpgradePreparationRef = builder.objectRef<UpgradePreparation>('UpgradePreparation').implement({
  fields: (t) => ({
    engine: t.field({ type: EngineRef, resolve: (p, _a, ctx) => ctx.gateway.engines.get(p.engineId) }),
    from: t.exposeString('from'),
    to: t.exposeString('to'),
    label: t.exposeString('label'),
    copies: t.field({ type: [UpgradeSafetyCopyRef], resolve: (p) => p.copies }),
    notes: t.exposeStringList('notes'),
  }),
});

builder.mutationFields((t) => ({
  prepareEngineUpgrade: t.field({
    type: UpgradePreparationRef,
    args: {
      engineId: t.arg.id({ required: true }),
      targetVersion: t.arg.string({ required: true }),
    },
    resolve: (_r, args, ctx) => ctx.gateway.prepareEngineUpgrade(String(args.engineId), args.targetVersion, actorOf(ctx)),
  }),
  rollbackEngineUpgrade: t.field({
    type: JobRef,
    args: { engineId: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => ctx.gateway.upgrades.startRollback(String(args.engineId), actorOf(ctx)),
  }),
}));
