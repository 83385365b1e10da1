// Jobs whose process died (or would not stop at shutdown): ended FAILED `interrupted`, their partial files removed —
// a backup job whose backup the catalog already marked COMPLETE ends SUCCEEDED instead, its files kept —, unless the job recorded an engine task that goes on without the gateway (progress `engineTask`, e.g. a
// milvus-backup task): such a job is queued again and its next run follows that task.
import type { Job, PrismaClient } from '../db/client.ts';
import type { GatewayLogger } from '../log.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { DB_NOW } from './claim.ts';
import { readProgress } from './progress.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';
import type { JobBus } from './job-bus.ts';

export interface RecoveryDeps {
  prisma: PrismaClient;
  storage: StorageDriver;
  bus: JobBus;
  logger: GatewayLogger;
  /** The storage a job's backup lives in; `storage` when absent. */
  storageFor?: ((job: Job) => Promise<StorageDriver>) | undefined;
}

/**
 * `everyRunningJob`: with the embedded database this process holds the data dir lock, so any RUNNING job
 * belongs to a dead process. With PostgreSQL only jobs whose lease expired (by the database's clock) are taken,
 * and each only if its lease is still expired when it is ended: an owner that renewed meanwhile keeps it.
 */
export async function endInterruptedJobs(deps: RecoveryDeps & { everyRunningJob: boolean }): Promise<number> {
  const { prisma } = deps;
  const candidates = deps.everyRunningJob ? await prisma.job.findMany({ where: { status: { in: ['RUNNING', 'CANCELING'] } } }) : await expiredJobs(prisma);
  let ended = 0;
  for (const job of candidates) {
    if (job.status === 'RUNNING' && readProgress(job.progress).engineTask) {
      const requeued = await requeueJob(deps, job, job.leaseOwner, 'the gateway process running it stopped; the engine task goes on', !deps.everyRunningJob);
      if (requeued) continue;
    }
    const done = await endJob(deps, job, {
      expiredOnly: !deps.everyRunningJob,
      message: 'The gateway process running this job stopped before it finished',
      event: 'process died mid-job',
    });
    if (done) ended++;
  }
  return ended;
}

/**
 * Backups left PENDING though no job works on them any more (a job that ended without marking its backup, as older
 * versions did when an S3 cleanup failed): FAILED. `everyPending` (embedded database, this process alone) also takes
 * those without any job, an import cut short; with a shared database another replica may be importing right now.
 */
export async function failStrandedBackups(prisma: PrismaClient, options: { everyPending: boolean }): Promise<number> {
  const { count } = await prisma.backup.updateMany({
    where: {
      status: 'PENDING',
      AND: [{ jobs: { none: { status: { in: ACTIVE_STATUSES } } } }, ...(options.everyPending ? [] : [{ jobs: { some: {} } }])],
    },
    data: { status: 'FAILED', warnings: { push: 'its job ended without finishing it; marked FAILED at startup' } },
  });
  return count;
}

/** Shutdown: this process's own jobs that did not stop within their grace and the abort that followed. */
export async function endOwnJobs(deps: RecoveryDeps, owner: string, jobIds: string[]): Promise<number> {
  if (jobIds.length === 0) return 0;
  const jobs = await deps.prisma.job.findMany({ where: { id: { in: jobIds }, leaseOwner: owner, status: { in: ['RUNNING', 'CANCELING'] } } });
  let ended = 0;
  for (const job of jobs) {
    const done = await endJob(deps, job, { expiredOnly: false, message: 'The gateway shut down before this job finished', event: 'gateway shut down mid-job' });
    if (done) ended++;
  }
  return ended;
}

async function expiredJobs(prisma: PrismaClient): Promise<Job[]> {
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    SELECT "id" FROM "Job"
     WHERE "status" IN ('RUNNING'::"JobStatus", 'CANCELING'::"JobStatus") AND "leaseExpiresAt" < ${DB_NOW}`;
  if (rows.length === 0) return [];
  return prisma.job.findMany({ where: { id: { in: rows.map((row) => row.id) } } });
}

/**
 * Puts a RUNNING job that follows an engine task back in the queue, keeping its progress (and so the task to
 * follow), if it is still the same run of `owner`; false when it ended or changed hands meanwhile.
 */
export async function requeueJob(deps: Pick<RecoveryDeps, 'prisma' | 'bus' | 'logger'>, job: Job, owner: string | null, message: string, expiredOnly = false): Promise<boolean> {
  const { prisma } = deps;
  // The status and its event in one transaction: whoever sees the new status also sees why.
  const requeued = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE "Job"
       SET "status" = 'QUEUED'::"JobStatus", "leaseOwner" = NULL, "leaseExpiresAt" = NULL
     WHERE "id" = ${job.id} AND "status" = 'RUNNING'::"JobStatus" AND "cancelRequested" = false
       AND "leaseOwner" IS NOT DISTINCT FROM ${owner}
       AND (${!expiredOnly} OR "leaseExpiresAt" < ${DB_NOW})
     RETURNING "id"`;
    if (rows.length === 0) return false;
    await tx.jobEvent.create({ data: { jobId: job.id, status: 'QUEUED', phase: 'requeued', message } });
    return true;
  });
  if (!requeued) return false;
  deps.logger.warn('job queued again to follow its engine task', { jobId: job.id, kind: job.kind, engineTask: readProgress(job.progress).engineTask });
  const fresh = await prisma.job.findUnique({ where: { id: job.id } });
  if (fresh) deps.bus.publish(fresh);
  return true;
}

/** Ends one job `interrupted` if it is still the same run; false when its owner finished or renewed it meanwhile. */
async function endJob(deps: RecoveryDeps, job: Job, how: { expiredOnly: boolean; message: string; event: string }): Promise<boolean> {
  const { prisma, storage, logger } = deps;
  const ended = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE "Job"
       SET "status" = 'FAILED'::"JobStatus", "finishedAt" = ${DB_NOW}, "errorCode" = 'interrupted',
           "errorType" = 'internal', "errorMessage" = ${how.message}, "leaseExpiresAt" = NULL
     WHERE "id" = ${job.id} AND "status" IN ('RUNNING'::"JobStatus", 'CANCELING'::"JobStatus")
       AND "leaseOwner" IS NOT DISTINCT FROM ${job.leaseOwner}
       AND (${!how.expiredOnly} OR "leaseExpiresAt" < ${DB_NOW})
       AND NOT EXISTS (SELECT 1 FROM "Backup" WHERE "Backup"."id" = "Job"."backupId" AND "Job"."kind" = 'BACKUP'::"JobKind" AND "Backup"."status" = 'COMPLETE'::"BackupStatus")
     RETURNING "id"`;
    if (rows.length === 0) return false;
    await tx.jobEvent.create({ data: { jobId: job.id, status: 'FAILED', phase: 'interrupted', message: how.event } });
    return true;
  });
  if (!ended) return job.kind === 'BACKUP' && job.backupId !== null ? endCompletedBackupJob(deps, job, how) : false;
  if (job.kind === 'BACKUP' && job.backupId) {
    const backupStorage =
      (await deps.storageFor?.(job).catch((error: unknown) => {
        logger.warn('cannot open the storage of an interrupted backup; its partial files stay', { jobId: job.id, error });
        return null;
      })) ?? storage;
    // The backup is FAILED even when its partial files cannot be removed (an unreachable bucket).
    await backupStorage.deleteBackup(job.backupId).catch((error: unknown) => logger.warn('cannot remove the partial files of an interrupted backup', { jobId: job.id, error }));
    await prisma.backup.updateMany({
      where: { id: job.backupId, status: 'PENDING' },
      data: { status: 'FAILED', warnings: { push: 'interrupted: the gateway stopped mid-backup; partial files removed' } },
    });
  }
  logger.warn('job interrupted', { jobId: job.id, kind: job.kind, owner: job.leaseOwner, reason: how.event });
  const fresh = await prisma.job.findUnique({ where: { id: job.id } });
  if (fresh) deps.bus.publish(fresh);
  return true;
}

/**
 * A backup job whose process stopped after the catalog marked its backup COMPLETE (one transaction with the files'
 * rows) but before the job itself was ended: its work is done, so it ends SUCCEEDED — its files are never removed.
 */
async function endCompletedBackupJob(deps: RecoveryDeps, job: Job, how: { expiredOnly: boolean; event: string }): Promise<boolean> {
  const { prisma, logger } = deps;
  const ended = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE "Job"
       SET "status" = 'SUCCEEDED'::"JobStatus", "finishedAt" = ${DB_NOW}, "leaseExpiresAt" = NULL
     WHERE "id" = ${job.id} AND "status" IN ('RUNNING'::"JobStatus", 'CANCELING'::"JobStatus")
       AND "leaseOwner" IS NOT DISTINCT FROM ${job.leaseOwner}
       AND (${!how.expiredOnly} OR "leaseExpiresAt" < ${DB_NOW})
       AND EXISTS (SELECT 1 FROM "Backup" WHERE "Backup"."id" = "Job"."backupId" AND "Backup"."status" = 'COMPLETE'::"BackupStatus")
     RETURNING "id"`;
    if (rows.length === 0) return false;
    await tx.jobEvent.create({
      data: { jobId: job.id, status: 'SUCCEEDED', phase: 'succeeded', message: `the backup was complete when the gateway stopped (${how.event})` },
    });
    return true;
  });
  if (!ended) return false;
  logger.warn('job ended SUCCEEDED after its process stopped: its backup was already complete', { jobId: job.id, owner: job.leaseOwner });
  const fresh = await prisma.job.findUnique({ where: { id: job.id } });
  if (fresh) deps.bus.publish(fresh);
  return true;
}
