// Engine upgrades as jobs (issue 18): an UPGRADE_WATCH job follows an engine's in-place upgrade so it has
// progress, events and webhooks like any job; an UPGRADE_ROLLBACK job drives the plugin's rollback. While an
// upgrade runs, backups and restores on that engine are refused with `engine_upgrading`.
import type { Engine, Job, PrismaClient } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import type { EngineService } from '../catalog/engines.ts';
import type { EngineInstance, JobContext } from '../engines/contract.ts';
import { UPGRADE_RUNNING_STATES, type EngineUpgradeStatus } from '../engines/upgrade-contract.ts';
import { callPlugin } from '../engines/plugin-call.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';
import { GatewayError } from '../errors.ts';
import type { JobBus } from './job-bus.ts';
import { initialProgress } from './progress.ts';

/** How long the refusal check and the status field wait for the engine. */
const STATUS_TIMEOUT_MS = 10_000;
/** How often a watch job asks the engine. */
const WATCH_POLL_MS = 250;
/** A watch or rollback outlives any upgrade the gateway should still be following. */
const UPGRADE_JOB_TIMEOUT_MS = 24 * 3600_000;

/** Who starts a watch job: the gateway itself, when it first sees the upgrade. */
export const WATCH_ACTOR = 'system:upgrade-watch';

export const UPGRADE_KINDS: Job['kind'][] = ['UPGRADE_WATCH', 'UPGRADE_ROLLBACK'];

export interface UpgradeJobsDeps {
  prisma: PrismaClient;
  engines: EngineService;
  bus: JobBus;
  audit: AuditLog;
  onEnqueued(job: Job): void;
}

function hasUpgrades(instance: EngineInstance): instance is EngineInstance & Required<Pick<EngineInstance, 'upgradeStatus' | 'rollbackUpgrade'>> {
  return typeof instance.upgradeStatus === 'function' && typeof instance.rollbackUpgrade === 'function';
}

export class UpgradeJobs {
  constructor(private readonly deps: UpgradeJobsDeps) {}

  /** The engine's upgrade state; null when its plugin has no in-place upgrades. */
  async status(engine: Engine, signal: AbortSignal = AbortSignal.timeout(STATUS_TIMEOUT_MS)): Promise<EngineUpgradeStatus | null> {
    const instance = this.deps.engines.instance(engine);
    if (!hasUpgrades(instance)) return null;
    return callPlugin(engine.plugin, 'upgradeStatus', signal, () => instance.upgradeStatus(signal));
  }

  /** The active watch or rollback job of the engine, if any. */
  activeJob(engineId: string): Promise<Job | null> {
    return this.deps.prisma.job.findFirst({ where: { engineId, kind: { in: UPGRADE_KINDS }, status: { in: ACTIVE_STATUSES } }, orderBy: { createdAt: 'desc' } });
  }

  /**
   * Refuses a backup or restore while the engine upgrades (or an upgrade job runs), starting a watch job so the
   * upgrade shows in the catalog. An engine that cannot answer is left to the job itself to report.
   */
  async refuseWhileUpgrading(engine: Engine): Promise<void> {
    const running = await this.activeJob(engine.id);
    const status = await this.status(engine).catch(() => null);
    const upgrading = status !== null && UPGRADE_RUNNING_STATES.includes(status.state);
    // a watch job about to notice the upgrade has ended does not hold the engine; a rollback does, and so does
    // any upgrade job when the engine cannot tell
    const holding = running && (running.kind === 'UPGRADE_ROLLBACK' || status === null) ? running : null;
    if (!upgrading && !holding) return;
    const watch = running ?? (status ? await this.ensureWatch(engine, status, WATCH_ACTOR) : null);
    const what = status && upgrading ? `${status.state} upgrade v${status.from ?? '?'} → v${status.to ?? '?'}` : `${holding!.kind} job`;
    throw new GatewayError('engine_upgrading', `Engine "${engine.name}" is upgrading (${what}); backups and restores wait until it has ended`, {
      details: { jobId: watch?.id ?? null, state: status?.state ?? null },
    });
  }

  /** The engine's UPGRADE_WATCH job, started when an upgrade runs and none follows it yet. */
  async ensureWatch(engine: Engine, status: EngineUpgradeStatus, actor: string): Promise<Job | null> {
    if (!UPGRADE_RUNNING_STATES.includes(status.state)) return null;
    const job = await this.deps.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Engine" WHERE id = ${engine.id} FOR UPDATE`;
      const active = await tx.job.findFirst({ where: { engineId: engine.id, kind: { in: UPGRADE_KINDS }, status: { in: ACTIVE_STATUSES } } });
      if (active) return { job: active, created: false };
      // a failed upgrade already reported by a watch job is not watched again
      const last = await tx.job.findFirst({ where: { engineId: engine.id, kind: 'UPGRADE_WATCH' }, orderBy: { createdAt: 'desc' } });
      if (last && status.state === 'FAILED' && last.status === 'FAILED' && (last.input as { taskUid?: unknown }).taskUid === status.taskUid) return { job: last, created: false };
      const created = await tx.job.create({ data: this.jobData('UPGRADE_WATCH', engine.id, { from: status.from, to: status.to, taskUid: status.taskUid }, actor) });
      await tx.jobEvent.create({
        data: { jobId: created.id, status: 'QUEUED', phase: 'queued', message: `upgrade v${status.from ?? '?'} → v${status.to ?? '?'} ${status.state}` },
      });
      return { job: created, created: true };
    });
    if (job.created) {
      await this.deps.audit.record(actor, 'engine.upgrade.watch', 'job', job.job.id, { engineId: engine.id, from: status.from, to: status.to });
      this.announce(job.job);
    }
    return job.job;
  }

  /** rollbackEngineUpgrade: one UPGRADE_ROLLBACK job; a watch job of the engine keeps running beside it. */
  async startRollback(engineId: string, actor: string): Promise<Job> {
    const engine = await this.deps.engines.get(engineId);
    const status = await this.status(engine);
    if (status === null) throw new GatewayError('capability_not_supported', `The ${engine.plugin} plugin has no in-place upgrades to roll back`);
    if (!UPGRADE_RUNNING_STATES.includes(status.state)) {
      throw new GatewayError('no_engine_upgrade', `Engine "${engine.name}" has no upgrade to roll back (state ${status.state})`);
    }
    const job = await this.deps.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Engine" WHERE id = ${engine.id} FOR UPDATE`;
      const active = await tx.job.findFirst({ where: { engineId: engine.id, kind: { in: ['UPGRADE_ROLLBACK', 'BACKUP', 'RESTORE'] }, status: { in: ACTIVE_STATUSES } } });
      if (active)
        throw new GatewayError('job_already_in_progress', `Engine "${engine.name}" already has a ${active.kind.toLowerCase()} job ${active.id}`, { details: { jobId: active.id } });
      const created = await tx.job.create({ data: this.jobData('UPGRADE_ROLLBACK', engine.id, { from: status.from, to: status.to, taskUid: status.taskUid }, actor) });
      await tx.jobEvent.create({ data: { jobId: created.id, status: 'QUEUED', phase: 'queued', message: `roll back v${status.to ?? '?'} → v${status.from ?? '?'}` } });
      return created;
    });
    await this.deps.audit.record(actor, 'engine.upgrade.rollback', 'job', job.id, { engineId: engine.id, from: status.from, to: status.to });
    return this.announce(job);
  }

  private jobData(kind: Job['kind'], engineId: string, input: object, actor: string) {
    return { kind, engineId, backupId: null, input, progress: { ...initialProgress() }, timeoutMs: UPGRADE_JOB_TIMEOUT_MS, createdBy: actor };
  }

  private announce(job: Job): Job {
    this.deps.bus.publish(job);
    this.deps.onEnqueued(job);
    return job;
  }
}

export interface UpgradeJobRunDeps {
  prisma: PrismaClient;
  engines: EngineService;
  /** Poll interval of a watch job (tests shorten it). */
  pollMs?: number;
}

async function engineOf(deps: UpgradeJobRunDeps, job: Job): Promise<{ engine: Engine; instance: EngineInstance }> {
  if (!job.engineId) throw new GatewayError('engine_not_found', 'The engine of this job was removed');
  const engine = await deps.engines.get(job.engineId);
  const instance = deps.engines.instance(engine);
  if (!hasUpgrades(instance)) throw new GatewayError('capability_not_supported', `The ${engine.plugin} plugin has no in-place upgrades`);
  return { engine, instance };
}

/**
 * UPGRADE_WATCH: mirrors the engine's upgrade as the job's progress (each engine step a phase, so an event) until
 * it ends: SUCCEEDED when the upgrade succeeded or was rolled back, FAILED `engine_error` when it failed.
 */
export async function runUpgradeWatchJob(deps: UpgradeJobRunDeps, job: Job, ctx: JobContext): Promise<string[]> {
  const { engine, instance } = await engineOf(deps, job);
  for (;;) {
    const status = await watchedStatus(engine, instance, ctx);
    if (status === null) {
      await pause(deps.pollMs ?? WATCH_POLL_MS, ctx.signal);
      continue;
    }
    const label = `v${status.from ?? '?'} → v${status.to ?? '?'}`;
    if (status.state === 'NONE') return [`upgrade ${label} succeeded`];
    if (status.state === 'ROLLED_BACK') return [`upgrade ${label} was rolled back`];
    // a rollback job follows the upgrade from here (and needs the runner slot this job holds)
    const rollback = await deps.prisma.job.findFirst({ where: { engineId: engine.id, kind: 'UPGRADE_ROLLBACK', status: { in: ACTIVE_STATUSES } } });
    if (rollback) return [`upgrade ${label} ${status.state}: followed by rollback job ${rollback.id}`];
    if (status.state === 'FAILED') {
      throw new GatewayError('engine_error', `Upgrade ${label} of engine "${engine.name}" failed: ${status.error ?? 'no reason given'}`, { details: { taskUid: status.taskUid } });
    }
    const progress = status.progress;
    ctx.progress({
      phase: progress?.step ?? status.state.toLowerCase(),
      completed: progress?.completed ?? 0,
      total: progress?.total ?? null,
      unit: 'indexes',
      message: status.error ?? `upgrade ${label} ${status.state}${progress?.percentage == null ? '' : ` (${progress.percentage.toFixed(1)} %)`}`,
    });
    await pause(deps.pollMs ?? WATCH_POLL_MS, ctx.signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
  });
}

/** The upgrade state, or null while the engine does not answer: upgrades come with restarts, which the watch rides out. */
async function watchedStatus(engine: Engine, instance: EngineInstance, ctx: JobContext): Promise<EngineUpgradeStatus | null> {
  try {
    return await callPlugin(engine.plugin, 'upgradeStatus', ctx.signal, () => instance.upgradeStatus!(ctx.signal));
  } catch (error) {
    if (ctx.signal.aborted || !(error instanceof GatewayError) || (error.code !== 'engine_unreachable' && error.code !== 'engine_timeout')) throw error;
    ctx.progress({ phase: 'engine not answering', completed: 0, total: null, unit: 'indexes', message: `${error.message} (restarting?)` });
    return null;
  }
}

/** The newest verified, pinned safety copy of the engine (prepareEngineUpgrade), named in a refusal. */
async function safetyCopy(prisma: PrismaClient, engineId: string): Promise<string> {
  const copies = await prisma.backup.findMany({ where: { engineId, status: 'COMPLETE', pinned: true }, orderBy: { createdAt: 'desc' }, take: 20 });
  const copy = copies.find((b) => b.labels !== null && typeof b.labels === 'object' && 'pre-upgrade' in (b.labels as object));
  if (!copy) return 'No pre-upgrade safety copy of this engine is cataloged: restore the newest backup taken before the upgrade.';
  const label = String((copy.labels as Record<string, unknown>)['pre-upgrade']);
  return `Restore the data from the safety copy "${copy.name}" (backup ${copy.id}, ${copy.strategy}, label pre-upgrade:${label}).`;
}

/** UPGRADE_ROLLBACK: the plugin cancels and follows the rollback; a refusal names the safety copy to restore. */
export async function runUpgradeRollbackJob(deps: UpgradeJobRunDeps, job: Job, ctx: JobContext): Promise<string[]> {
  const { engine, instance } = await engineOf(deps, job);
  try {
    const result = await callPlugin(engine.plugin, 'rollbackUpgrade', ctx.signal, () => instance.rollbackUpgrade!(ctx));
    const counts = result.collections.map((c) => `${c.name} (${c.documentCount ?? '?'} documents)`).join(', ');
    return [`rolled back v${result.to} → v${result.from}; the engine reports v${result.engineVersion}; every index answers: ${counts || 'none'}`];
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'upgrade_rollback_impossible') {
      throw new GatewayError('upgrade_rollback_impossible', `${error.message}. ${await safetyCopy(deps.prisma, engine.id)}`, { details: error.details });
    }
    throw error;
  }
}
