// Staging leftovers: a restore killed mid-way (process death, a rollback that could not reach the engine)
// leaves its working copies on the engine. Their names carry the job id (restore-kit), so at start and after
// each restore the gateway drops those of jobs no longer running; what it cannot drop is shown on the engine.
import type { Engine, PrismaClient } from '../db/client.ts';
import type { EngineService } from '../catalog/engines.ts';
import { restoreJobOf, STAGING_PREFIX } from '../engines/restore-kit.ts';
import type { GatewayLogger } from '../log.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';

export interface StagingLeftover {
  name: string;
  jobId: string | null;
  /** Why it is still there: the drop's error, or that its job still runs. */
  reason: string;
}

const ENGINE_TIMEOUT_MS = 30_000;

export class StagingJanitor {
  /** engineId → collection → last drop error. */
  private readonly failures = new Map<string, Map<string, string>>();
  private startup: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { prisma: PrismaClient; engines: EngineService; logger: GatewayLogger }) {}

  /** At start: every engine, in the background (an unreachable engine must not delay the start). */
  sweepAllInBackground(): void {
    this.startup = (async () => {
      for (const engine of await this.deps.engines.list()) await this.sweep(engine);
    })().catch((error: unknown) => this.deps.logger.warn('staging cleanup at start failed', { error }));
  }

  /** Drops the working copies of jobs no longer running on one engine; never throws. */
  async sweep(engine: Engine): Promise<void> {
    const instance = this.deps.engines.instance(engine);
    if (!instance.listStaging || !instance.dropCollection) return;
    const failures = new Map<string, string>();
    try {
      for (const { name, jobId } of await this.droppable(engine)) {
        try {
          await instance.dropCollection(name, AbortSignal.timeout(ENGINE_TIMEOUT_MS));
          this.deps.logger.info('dropped a staging copy left by a restore', { engineId: engine.id, collection: name, jobId });
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          failures.set(name, reason);
          this.deps.logger.warn('could not drop a staging copy left by a restore', { engineId: engine.id, collection: name, jobId, error: reason });
        }
      }
    } catch (error) {
      this.deps.logger.warn('could not list staging copies on the engine', { engineId: engine.id, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.failures.set(engine.id, failures);
  }

  /** What is left on the engine now that no running job owns (after the start sweep has had its go). */
  async leftovers(engine: Engine, signal: AbortSignal): Promise<StagingLeftover[]> {
    await this.startup;
    const known = this.failures.get(engine.id);
    return (await this.droppable(engine, signal)).map(({ name, jobId }) => ({
      name,
      jobId,
      reason: known?.get(name) ?? 'not dropped yet: the gateway drops it after the next restore on this engine or at start',
    }));
  }

  /** Staging copies whose job is not running; live-named copies (no alias points at them) whose job did not succeed. */
  private async droppable(engine: Engine, signal: AbortSignal = AbortSignal.timeout(ENGINE_TIMEOUT_MS)): Promise<Array<{ name: string; jobId: string | null }>> {
    const instance = this.deps.engines.instance(engine);
    if (!instance.listStaging) return [];
    const names = await instance.listStaging(STAGING_PREFIX, signal);
    const owners = names.map((name) => ({ name, owner: restoreJobOf(name) }));
    const ids = [...new Set(owners.flatMap((o) => (o.owner ? [o.owner.jobId] : [])))];
    const jobs = new Map((await this.deps.prisma.job.findMany({ where: { id: { in: ids } }, select: { id: true, status: true } })).map((j) => [j.id, j.status]));
    return owners
      .filter(({ owner }) => {
        if (owner === null) return false;
        const status = jobs.get(owner.jobId);
        if (status !== undefined && ACTIVE_STATUSES.includes(status)) return false;
        return owner.kind === 'staging' || status !== 'SUCCEEDED';
      })
      .map(({ name, owner }) => ({ name, jobId: owner?.jobId ?? null }));
  }
}
