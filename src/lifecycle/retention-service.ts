// Retention per engine and per schedule: the plan (dry run) and its application as DELETE jobs.
// A schedule with its own policy owns its backups; the engine's policy covers the rest of the engine's backups
// made by the gateway. Backups in a per-job external location are never touched (the gateway has no credentials).
import type { Backup, Engine, Job, PrismaClient, Schedule } from '../db/client.ts';
import type { GatewayLogger } from '../log.ts';
import { Prisma } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import type { EngineService } from '../catalog/engines.ts';
import { GatewayError } from '../errors.ts';
import type { JobService } from '../jobs/job-service.ts';
import { parseRetentionPolicy, planRetention, type Restorability, type RetentionDecision, type RetentionPolicy } from './retention.ts';

export interface RetentionGroupPlan {
  /** null = the engine's own policy. */
  schedule: Schedule | null;
  policy: RetentionPolicy;
  timeZone: string;
  keep: Array<RetentionDecision & { backup: Backup }>;
  delete: Array<RetentionDecision & { backup: Backup }>;
}

export class RetentionService {
  constructor(private readonly deps: { prisma: PrismaClient; engines: EngineService; jobs: JobService; audit: AuditLog }) {}

  /** Sets (or clears, with null) the engine-wide policy. */
  async setEnginePolicy(engineId: string, raw: unknown, actor: string): Promise<Engine> {
    const engine = await this.deps.engines.get(engineId);
    const policy = raw === null || raw === undefined ? null : parseRetentionPolicy(raw);
    const updated = await this.deps.prisma.engine.update({ where: { id: engine.id }, data: { retention: policy ?? Prisma.DbNull } });
    await this.deps.audit.record(actor, 'engine.retention', 'engine', engine.id, { policy });
    return updated;
  }

  /** What each policy of the engine keeps and deletes now. `override` plans the engine group with another policy. */
  async plan(engineId: string, override?: unknown): Promise<RetentionGroupPlan[]> {
    const engine = await this.deps.engines.get(engineId);
    const schedules = await this.deps.prisma.schedule.findMany({ where: { engineId: engine.id }, orderBy: { createdAt: 'asc' } });
    const owning = schedules.filter((schedule) => schedule.retention !== null);
    const groups: RetentionGroupPlan[] = [];
    for (const schedule of owning) {
      groups.push(await this.#planGroup(engine, schedule, parseRetentionPolicy(schedule.retention), schedule.timezone, { scheduleId: schedule.id }));
    }
    const enginePolicy = override !== undefined && override !== null ? parseRetentionPolicy(override) : engine.retention !== null ? parseRetentionPolicy(engine.retention) : null;
    if (enginePolicy) {
      const notOwned: Prisma.BackupWhereInput = { OR: [{ scheduleId: null }, { scheduleId: { notIn: owning.map((schedule) => schedule.id) } }] };
      groups.push(await this.#planGroup(engine, null, enginePolicy, 'UTC', notOwned));
    }
    return groups;
  }

  /** Applies the policy covering a scheduled backup (its schedule's, else the engine's): DELETE jobs for the rest. */
  async applyAfterScheduledBackup(backup: Backup, actor: string): Promise<number> {
    if (!backup.engineId) return 0;
    const groups = await this.plan(backup.engineId);
    const group = groups.find((g) => g.schedule?.id === backup.scheduleId) ?? groups.find((g) => g.schedule === null);
    return group ? this.#apply(group, actor) : 0;
  }

  /** After a job: a scheduled backup that succeeded applies its retention. Never fails the caller; logs instead. */
  async afterBackupJob(job: Job, logger: GatewayLogger): Promise<void> {
    try {
      const backup = job.backupId ? await this.deps.prisma.backup.findUnique({ where: { id: job.backupId } }) : null;
      if (!backup?.scheduleId || backup.status !== 'COMPLETE') return;
      const started = await this.applyAfterScheduledBackup(backup, `schedule:${backup.scheduleId}`);
      if (started > 0) logger.info('retention started deletions', { scheduleId: backup.scheduleId, deletions: started });
    } catch (error) {
      logger.warn('retention after a scheduled backup failed', { jobId: job.id, error });
    }
  }

  /** Applies every policy of the engine now. */
  async apply(engineId: string, actor: string): Promise<number> {
    let started = 0;
    for (const group of await this.plan(engineId)) started += await this.#apply(group, actor);
    return started;
  }

  async #apply(group: RetentionGroupPlan, actor: string): Promise<number> {
    const scope = group.schedule ? `schedule "${group.schedule.name}"` : 'engine policy';
    let started = 0;
    for (const decision of group.delete) {
      try {
        await this.deps.jobs.startDelete(decision.backup.id, actor, `retention (${scope})`);
        started += 1;
      } catch (error) {
        // One backup that cannot go now (in use, gone) does not stop the others; the next run tries again.
        if (!(error instanceof GatewayError)) throw error;
      }
    }
    return started;
  }

  #pluginCan(plugin: string, capability: 'nativeRestore'): boolean {
    try {
      return this.deps.engines.plugin(plugin).capabilities.includes(capability);
    } catch {
      return false; // a plugin no longer installed restores nothing
    }
  }

  async #planGroup(engine: Engine, schedule: Schedule | null, policy: RetentionPolicy, timeZone: string, where: Prisma.BackupWhereInput): Promise<RetentionGroupPlan> {
    const backups = await this.deps.prisma.backup.findMany({
      where: { AND: [where, { engineId: engine.id, status: 'COMPLETE', origin: 'GATEWAY', externalLocation: { equals: Prisma.DbNull } }] },
      orderBy: { createdAt: 'desc' },
      include: { artifacts: { select: { external: true } } },
    });
    const byId = new Map(backups.map(({ artifacts: _artifacts, ...backup }) => [backup.id, backup]));
    const canRestoreNative = this.#pluginCan(engine.plugin, 'nativeRestore');
    const candidates = backups.map((backup) => ({ ...backup, restorability: restorabilityOf(backup, canRestoreNative) }));
    const plan = planRetention(candidates, policy, { now: new Date(), timeZone });
    const withBackup = (decision: RetentionDecision) => ({ ...decision, backup: byId.get(decision.id)! });
    // Newest first, so a chain's newest layer is queued before its parent; a parent whose child is still being
    // deleted fails `backup_in_use` and goes at the next application.
    return { schedule, policy, timeZone, keep: plan.keep.map(withBackup), delete: plan.delete.map(withBackup) };
  }
}

/**
 * A logical backup is restorable from gateway storage. A native one is a record only when the plugin cannot restore
 * native backups (MagnetoDB's metadata-only management records); with nothing but engine-side artifacts it is
 * `external` (it restores only while the engine keeps them).
 */
export function restorabilityOf(backup: { strategy: string; artifacts: Array<{ external: boolean }> }, canRestoreNative: boolean): Restorability {
  if (backup.strategy !== 'NATIVE') return 'restorable';
  if (!canRestoreNative) return 'record';
  return backup.artifacts.length > 0 && backup.artifacts.every((artifact) => artifact.external) ? 'external' : 'restorable';
}
