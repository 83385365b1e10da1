// Claims queued jobs, runs them with an AbortSignal, a timeout and a lease, and records how they end.
import { randomUUID } from 'node:crypto';
import type { Job, JobKind, JobStatus, PrismaClient } from '../db/client.ts';
import type { EngineService } from '../catalog/engines.ts';
import type { JobContext } from '../engines/contract.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import { logScope, type GatewayLogger } from '../log.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { runBackupJob } from './backup-job.ts';
import { BackupJobInput } from './job-input.ts';
import { runNativeBackupJob } from './native-backup-job.ts';
import { claimNextJob, heartbeatLeases, releaseJob } from './claim.ts';
import type { JobBus } from './job-bus.ts';
import { ProgressTracker, readProgress, type JobProgressState } from './progress.ts';
import { completedProgress, jobTotals, PayloadCounter } from './final-progress.ts';
import { endInterruptedJobs, endOwnJobs, requeueJob } from './recovery.ts';
import { runRestoreJob } from './restore-job.ts';

export interface JobRunnerDeps {
  prisma: PrismaClient;
  engines: EngineService;
  storage: StorageDriver;
  bus: JobBus;
  logger: GatewayLogger;
  leaseMs: number;
  concurrency: number;
  /** gzip level of logical backups' document files; the archive writer's default when absent. */
  gzipLevel?: number;
  /** Poll interval for work queued by other replicas. */
  pollMs?: number;
  /** Runs after each job has ended (catalog sync); its failure is logged, never the job's. */
  afterJob?: (job: Job) => Promise<void>;
  /** Job kinds run by code outside this file (VERIFY, DELETE); each returns the job's warnings. */
  handlers?: Partial<Record<JobKind, (job: Job, ctx: JobContext) => Promise<string[]>>>;
  /** The storage a job's backup lives in (registered or external locations); `storage` when absent. */
  storageFor?: (job: Job) => Promise<StorageDriver>;
}

/** After the grace period's abort, how long a job may take to record its end before it is ended for it. */
const ABORT_WAIT_MS = 5_000;

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
  /** Progress published while the plugin stops shows CANCELING, as the row does. */
  canceling: boolean;
}

export class JobRunner {
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, RunningJob>();
  private timers: NodeJS.Timeout[] = [];
  private ticking = false;
  private again = false;
  private stopped = true;
  private draining = false;
  private claiming: Promise<void> = Promise.resolve();

  constructor(private readonly deps: JobRunnerDeps) {}

  start(): void {
    this.stopped = false;
    this.timers.push(setInterval(() => this.wake(), this.deps.pollMs ?? 1000));
    this.timers.push(setInterval(() => void this.heartbeat(), Math.max(250, Math.floor(this.deps.leaseMs / 3))));
    // A dead replica's job is ended at most a quarter lease after its lease ran out.
    this.timers.push(setInterval(() => void this.reapExpired(), Math.max(250, Math.floor(this.deps.leaseMs / 4))));
    this.wake();
  }

  /** Something was queued: look for work now. */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    this.claiming = this.fill()
      .catch((error) => this.deps.logger.error('job claim failed', { error }))
      .finally(() => {
        this.ticking = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** A cancel asked on this replica reaches the plugin at once; others learn it at their next heartbeat. */
  requestCancel(jobId: string): void {
    const entry = this.running.get(jobId);
    if (!entry) return;
    entry.canceling = true;
    entry.controller.abort(new GatewayError('job_canceled', 'Canceled by request'));
  }

  /**
   * Stops claiming, lets running jobs finish for `graceMs`, then aborts them (they end FAILED `interrupted`) and
   * waits for them to record their end — a job whose plugin ignores the abort is ended here after ABORT_WAIT_MS.
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopped = true;
    this.draining = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.claiming;
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([all, grace]);
    for (const job of this.running.values()) job.controller.abort(new GatewayError('interrupted', 'The gateway is shutting down'));
    const settled = await Promise.race([all.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ABORT_WAIT_MS).unref())]);
    if (!settled) {
      const ended = await endOwnJobs(this.deps, this.owner, this.runningJobIds);
      this.deps.logger.error('jobs did not stop after the abort; ended them interrupted', { jobs: ended });
    }
  }

  /** True from stop() on: no new job is claimed here (health says so, for load balancers). */
  get isDraining(): boolean {
    return this.draining;
  }

  get runningJobIds(): string[] {
    return [...this.running.keys()];
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.running.size < this.deps.concurrency) {
      const job = await claimNextJob(this.deps.prisma, this.owner, this.deps.leaseMs);
      if (!job) return;
      if (this.stopped) return void (await releaseJob(this.deps.prisma, this.owner, job.id)); // stop() came during the claim
      const controller = new AbortController();
      const entry: RunningJob = { controller, done: Promise.resolve(), canceling: false };
      this.running.set(job.id, entry);
      // Lines logged anywhere while the job runs (plugins, storage) carry its id.
      entry.done = logScope
        .run({ jobId: job.id }, () => this.execute(job, entry))
        .catch((error) => this.deps.logger.error('job bookkeeping failed', { jobId: job.id, error }))
        .finally(() => {
          this.running.delete(job.id);
          this.wake();
        });
    }
  }

  private async execute(claimed: Job, entry: RunningJob): Promise<void> {
    const { controller } = entry;
    const { prisma, logger } = this.deps;
    const engine = claimed.engineId ? await this.deps.engines.find(claimed.engineId).catch(() => null) : null;
    const log = logger.child({ jobId: claimed.id, kind: claimed.kind, ...(engine ? { engine: engine.name } : {}) });
    log.info('job started');
    let job = claimed;
    await this.event(job, 'RUNNING', 'started', `claimed by ${this.owner}`);
    this.deps.bus.publish(job);

    const timeout = setTimeout(
      () => controller.abort(new GatewayError('job_timeout', `The job ran longer than its timeout of ${Math.round(job.timeoutMs / 1000)} s`)),
      job.timeoutMs,
    );
    const tracker = new ProgressTracker(
      {
        publish: (progress) => this.deps.bus.publish({ ...job, status: entry.canceling ? 'CANCELING' : job.status, progress: { ...progress } }),
        persist: async (progress) => {
          try {
            await prisma.job.updateMany({ where: { id: job.id, leaseOwner: this.owner }, data: { progress: { ...progress } } });
          } catch (error) {
            log.warn('progress write failed', { error });
          }
        },
        phaseChanged: (progress) => void this.event(job, job.status, progress.phase, progress.message),
      },
      readProgress(job.progress),
    );
    const payload = new PayloadCounter();
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (update) => {
        payload.observe(update);
        tracker.update(update);
      },
      logger: log,
      engineTask: readProgress(job.progress).engineTask ?? null,
      recordEngineTask: (task) => tracker.recordEngineTask(task),
    };

    // Interrupted by this shutdown while following an engine task that goes on without us: queued again, not failed.
    const resumes = (): boolean => this.draining && !entry.canceling && toGatewayError(controller.signal.reason).code === 'interrupted' && tracker.current.engineTask !== undefined;
    let outcome: { status: JobStatus; error: GatewayError | null; warnings: string[] };
    try {
      const warnings = await this.dispatch(job, ctx, resumes);
      outcome = { status: 'SUCCEEDED', error: null, warnings };
    } catch (thrown) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : thrown;
      const error = toGatewayError(reason);
      const status: JobStatus = error.code === 'job_canceled' ? 'CANCELED' : 'FAILED';
      if (status === 'FAILED') log.warn('job failed', { code: error.code, error: error.message });
      outcome = { status, error, warnings: [] };
    } finally {
      clearTimeout(timeout);
    }
    await tracker.flush();
    if (outcome.status !== 'SUCCEEDED' && controller.signal.aborted && resumes()) {
      // The engine keeps running the task: the next process follows it (recovery.ts requeueJob).
      const requeued = await requeueJob(this.deps, job, this.owner, 'the gateway shut down; the engine task goes on and the next start follows it');
      if (requeued) return void log.info('job queued again to follow its engine task after the restart', { engineTask: tracker.current.engineTask });
    }
    const ended = outcome.status === 'SUCCEEDED' ? completedProgress(tracker.current, await this.totalsOf(job, payload)) : tracker.current;
    job = await this.finish(job, ended, outcome);
    log.info('job ended', { status: outcome.status, code: outcome.error?.code });
    try {
      await this.deps.afterJob?.(job);
    } catch (error) {
      log.warn('after-job step failed', { error });
    }
  }

  private async dispatch(job: Job, ctx: JobContext, resumes: () => boolean): Promise<string[]> {
    const handler = this.deps.handlers?.[job.kind];
    if (handler) return handler(job, ctx);
    if (!job.engineId) throw new GatewayError('engine_not_found', 'The engine of this job was removed');
    const engine = await this.deps.engines.get(job.engineId);
    const instance = this.deps.engines.instance(engine);
    const deps = { ...this.deps, storage: (await this.deps.storageFor?.(job)) ?? this.deps.storage, leaseOwner: this.owner, resumes };
    switch (job.kind) {
      case 'BACKUP':
        if (BackupJobInput.parse(job.input).strategy === 'NATIVE') await runNativeBackupJob(deps, job, engine.plugin, instance, ctx);
        else await runBackupJob(deps, job, engine.plugin, instance, ctx);
        return [];
      case 'RESTORE':
        return runRestoreJob(deps, job, engine.plugin, instance, ctx);
      default:
        throw new GatewayError('capability_not_supported', `Job kind ${job.kind} is not handled by this gateway version`);
    }
  }

  private async totalsOf(job: Job, payload: PayloadCounter) {
    try {
      return await jobTotals(this.deps.prisma, job, payload);
    } catch (error) {
      this.deps.logger.warn('reading the totals of a finished job failed', { jobId: job.id, error });
      return null;
    }
  }

  private async finish(job: Job, progress: JobProgressState, outcome: { status: JobStatus; error: GatewayError | null; warnings: string[] }): Promise<Job> {
    const { prisma } = this.deps;
    const finalProgress: JobProgressState = {
      ...progress,
      phase: outcome.status === 'SUCCEEDED' ? 'done' : outcome.status.toLowerCase(),
      message: outcome.error?.message ?? (outcome.warnings.length > 0 ? outcome.warnings.join('; ') : progress.message),
      updatedAt: new Date().toISOString(),
    };
    const ended = await prisma.job.updateMany({
      where: { id: job.id, leaseOwner: this.owner, status: { in: ['RUNNING', 'CANCELING'] } },
      data: {
        status: outcome.status,
        finishedAt: new Date(),
        progress: { ...finalProgress },
        errorCode: outcome.error?.code ?? null,
        errorType: outcome.error?.type ?? null,
        errorMessage: outcome.error?.message ?? null,
        leaseExpiresAt: null,
      },
    });
    if (ended.count === 0) this.deps.logger.warn('job was ended elsewhere before it finished here', { jobId: job.id });
    await this.event(job, outcome.status, finalProgress.phase, outcome.error?.message ?? null);
    const fresh = (await prisma.job.findUnique({ where: { id: job.id } })) ?? job;
    this.deps.bus.publish(fresh);
    return fresh;
  }

  private async event(job: Job, status: JobStatus, phase: string, message: string | null): Promise<void> {
    try {
      await this.deps.prisma.jobEvent.create({ data: { jobId: job.id, status, phase, message } });
    } catch (error) {
      this.deps.logger.warn('job event write failed', { jobId: job.id, error });
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      const { cancelRequested, lost } = await heartbeatLeases(this.deps.prisma, this.owner, this.runningJobIds, this.deps.leaseMs);
      for (const id of cancelRequested) this.requestCancel(id);
      // Ended elsewhere (this process stalled past its lease): stop writing for a job that is no longer ours.
      for (const id of lost) this.running.get(id)?.controller.abort(new GatewayError('interrupted', "This replica lost the job's lease; another one ended it"));
    } catch (error) {
      this.deps.logger.error('lease renewal failed', { error });
    }
  }

  private async reapExpired(): Promise<void> {
    try {
      await endInterruptedJobs({ ...this.deps, everyRunningJob: false });
    } catch (error) {
      this.deps.logger.error('reaping expired jobs failed', { error });
    }
  }
}
