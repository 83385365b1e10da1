// All-or-nothing set restores: each member fills its staging copies, records that it is ready, and swaps in only
// once every sibling is ready too; a sibling that failed or was canceled makes every waiting member roll back.
import type { Job, PrismaClient } from '../db/client.ts';
import { isTerminal } from '../db/job-status.ts';
import { GatewayError } from '../errors.ts';

/** The phase of the event a member writes when its data is staged and it waits for the others. */
export const STAGED_PHASE = 'staged';
const POLL_MS = 200;

export function setSwapBarrier(prisma: PrismaClient, job: Pick<Job, 'id' | 'parentId'>): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    if (!job.parentId) return;
    await prisma.jobEvent.create({
      data: { jobId: job.id, status: 'RUNNING', phase: STAGED_PHASE, message: 'filled; waiting for the other members of the set to swap in together' },
    });
    for (;;) {
      signal.throwIfAborted();
      const siblings = await prisma.job.findMany({ where: { parentId: job.parentId, id: { not: job.id } }, select: { id: true, status: true, errorCode: true } });
      const failed = siblings.find((s) => isTerminal(s.status) && s.status !== 'SUCCEEDED');
      if (failed) {
        throw new GatewayError(
          'restore_failed',
          `member job ${failed.id} of the set ended ${failed.status}${failed.errorCode ? ` (${failed.errorCode})` : ''}: nothing of this member was swapped in`,
        );
      }
      const waiting = siblings.filter((s) => !isTerminal(s.status)).map((s) => s.id);
      const staged = waiting.length === 0 ? 0 : await prisma.jobEvent.count({ where: { jobId: { in: waiting }, phase: STAGED_PHASE } });
      if (staged >= waiting.length) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
}
