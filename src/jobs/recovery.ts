// Jobs whose process died: ended FAILED `interrupted`, their partial files removed.
import type { PrismaClient } from '../db/client.ts';
import type { GatewayLogger } from '../log.ts';
import type { StorageDriver } from '../storage/driver.ts';
import type { JobBus } from './job-bus.ts';

/**
 * `everyRunningJob`: with the embedded database this process holds the data dir lock, so any RUNNING job
 * belongs to a dead process. With PostgreSQL only jobs whose lease expired are taken.
 */
export async function endInterruptedJobs(deps: {
  prisma: PrismaClient;
  storage: StorageDriver;
  bus: JobBus;
  logger: GatewayLogger;
  everyRunningJob: boolean;
}): Promise<number> {
  const { prisma, storage, logger } = deps;
  const stale = await prisma.job.findMany({
    where: {
      status: { in: ['RUNNING', 'CANCELING'] },
      ...(deps.everyRunningJob ? {} : { leaseExpiresAt: { lt: new Date() } }),
    },
  });
  for (const job of stale) {
    const ended = await prisma.job.updateMany({
      where: { id: job.id, status: job.status, leaseOwner: job.leaseOwner },
      data: {
        status: 'FAILED',
        finishedAt: new Date(),
        errorCode: 'interrupted',
        errorType: 'internal',
        errorMessage: 'The gateway process running this job stopped before it finished',
      },
    });
    if (ended.count === 0) continue; // its owner finished it meanwhile
    await prisma.jobEvent.create({ data: { jobId: job.id, status: 'FAILED', phase: 'interrupted', message: 'process died mid-job' } });
    if (job.kind === 'BACKUP' && job.backupId) {
      await storage.deleteBackup(job.backupId);
      await prisma.backup.updateMany({ where: { id: job.backupId, status: 'PENDING' }, data: { status: 'FAILED', warnings: { push: 'interrupted: the gateway stopped mid-backup; partial files removed' } } });
    }
    logger.warn('job interrupted by a dead process', { jobId: job.id, kind: job.kind });
    const fresh = await prisma.job.findUnique({ where: { id: job.id } });
    if (fresh) deps.bus.publish(fresh);
  }
  return stale.length;
}
