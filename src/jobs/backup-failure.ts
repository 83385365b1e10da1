// The end of a backup job that failed: the backup row is FAILED whatever happens to its partial files, and the job
// keeps the error that failed it (an S3 NoSuchBucket, an engine error), not the error of the cleanup after it.
import type { PrismaClient } from '../db/client.ts';

/** Removes the partial files (`cleanup`), then marks the backup FAILED, with a warning when files may remain. */
export async function failBackup(prisma: PrismaClient, backupId: string, cleanup: () => Promise<void>): Promise<void> {
  let warning: string | null = null;
  try {
    await cleanup();
  } catch (error) {
    warning = `partial files may remain: ${error instanceof Error ? error.message : String(error)}`.slice(0, 2000);
  }
  await prisma.backup.updateMany({
    where: { id: backupId, status: 'PENDING' },
    data: { status: 'FAILED', ...(warning ? { warnings: { push: warning } } : {}) },
  });
}
