// deleteBackup runs as a DELETE job, like retention's deletions: the job row, its events and its bus messages (so
// subscriptions, the dashboard feed and webhooks see it) — but executed in the request, so the mutation still
// answers with the DELETED backup or the coded reason it could not be deleted.
import type { Backup, Job, PrismaClient } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import type { BackupService } from '../catalog/backups.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import type { JobBus } from './job-bus.ts';

/** A process that dies mid-deletion leaves the job to the reaper once this lease has run out. */
const LEASE_MS = 10 * 60_000;

export interface DeleteNowDeps {
  prisma: PrismaClient;
  backups: BackupService;
  bus: JobBus;
  audit: AuditLog;
}

export async function deleteBackupAsJob(deps: DeleteNowDeps, backupId: string, actor: string, options: { sealedCredentials?: string | null } = {}): Promise<Backup> {
  const { prisma, bus } = deps;
  const backup = await deps.backups.get(backupId);
  if (backup.status === 'DELETED') throw new GatewayError('backup_not_found', `Backup "${backup.name}" is already deleted`);
  const reason = 'requested';
  const progress = (completed: number, phase: string, message: string | null) => ({
    phase,
    completed,
    total: 1,
    unit: 'backups',
    bytes: null,
    message,
    updatedAt: new Date().toISOString(),
  });
  let job: Job = await prisma.$transaction(async (tx) => {
    const created = await tx.job.create({
      data: {
        kind: 'DELETE',
        status: 'RUNNING',
        engineId: backup.engineId,
        backupId: backup.id,
        input: { reason, inline: true },
        progress: progress(0, 'deleting', reason),
        timeoutMs: LEASE_MS,
        createdBy: actor,
        startedAt: new Date(),
        leaseOwner: `request-${process.pid}`,
        leaseExpiresAt: new Date(Date.now() + LEASE_MS),
      },
    });
    await tx.jobEvent.createMany({
      data: [
        { jobId: created.id, status: 'QUEUED', phase: 'queued', message: reason },
        { jobId: created.id, status: 'RUNNING', phase: 'started', message: `deleting "${backup.name}" for ${actor}` },
        { jobId: created.id, status: 'RUNNING', phase: 'deleting', message: reason },
      ],
    });
    return created;
  });
  await deps.audit.record(actor, 'backup.delete.start', 'job', job.id, { backupId: backup.id, reason });
  bus.publish(job);
  try {
    const deleted = await deps.backups.delete(backup.id, actor, { jobId: job.id, sealedCredentials: options.sealedCredentials ?? null });
    job = await end(deps, job, 'SUCCEEDED', null, `deleted "${backup.name}"`);
    return deleted;
  } catch (thrown) {
    const error = toGatewayError(thrown);
    await end(deps, job, 'FAILED', error, null);
    throw error;
  }
}

async function end(deps: DeleteNowDeps, job: Job, status: 'SUCCEEDED' | 'FAILED', error: GatewayError | null, message: string | null): Promise<Job> {
  const done = status === 'SUCCEEDED';
  const ended = await deps.prisma.job.update({
    where: { id: job.id },
    data: {
      status,
      finishedAt: new Date(),
      leaseExpiresAt: null,
      progress: {
        phase: done ? 'done' : 'failed',
        completed: done ? 1 : 0,
        total: 1,
        unit: 'backups',
        bytes: null,
        message: error?.message ?? message,
        updatedAt: new Date().toISOString(),
      },
      errorCode: error?.code ?? null,
      errorType: error?.type ?? null,
      errorMessage: error?.message ?? null,
    },
  });
  await deps.prisma.jobEvent.create({ data: { jobId: job.id, status, phase: done ? 'done' : 'failed', message: error?.message ?? message } });
  deps.bus.publish(ended);
  return ended;
}
