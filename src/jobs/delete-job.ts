// A DELETE job (retention, or a deletion asked to run as a job): the backup's files go, its record stays DELETED.
import type { Job } from '../db/client.ts';
import type { BackupService } from '../catalog/backups.ts';
import type { JobContext } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';

export async function runDeleteJob(deps: { backups: BackupService }, job: Job, ctx: JobContext): Promise<string[]> {
  if (!job.backupId) throw new GatewayError('backup_not_found', `delete job ${job.id} names no backup`);
  const reason = typeof (job.input as { reason?: unknown } | null)?.reason === 'string' ? (job.input as { reason: string }).reason : 'requested';
  ctx.progress({ phase: 'deleting', completed: 0, total: 1, unit: 'backups', message: reason });
  const backup = await deps.backups.delete(job.backupId, job.createdBy, { jobId: job.id });
  ctx.progress({ phase: 'deleting', completed: 1, total: 1, unit: 'backups', message: `deleted "${backup.name}"` });
  return [`deleted backup "${backup.name}": ${reason}`];
}
