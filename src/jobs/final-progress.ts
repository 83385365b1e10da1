// The last progress of a SUCCEEDED job: 100 % with the job's real totals (documents moved, bytes), not whatever
// the last phase happened to report (a backup's last phase is "writing manifest", 0 files of an unknown total).
import type { Job, PrismaClient } from '../db/client.ts';
import type { ProgressUpdate } from '../engines/contract.ts';
import type { JobProgressState } from './progress.ts';

/** Units that count the job's payload (documents, MagnetoDB items), as opposed to steps, files or tables. */
const PAYLOAD_UNITS = new Set(['documents', 'items']);

/** Remembers the furthest payload count a job reported: what a restore moved. */
export class PayloadCounter {
  #last: { completed: number; unit: string } | null = null;

  observe(update: ProgressUpdate): void {
    if (!PAYLOAD_UNITS.has(update.unit) || !Number.isFinite(update.completed) || update.completed < 0) return;
    if (this.#last === null || update.unit !== this.#last.unit || update.completed >= this.#last.completed) this.#last = { completed: update.completed, unit: update.unit };
  }

  get last(): { completed: number; unit: string } | null {
    return this.#last;
  }
}

export interface JobTotals {
  completed: number;
  unit: string;
  bytes: number | null;
}

/** The real totals of a finished job: a backup's catalog row, else the payload it reported moving. */
export async function jobTotals(prisma: PrismaClient, job: Job, payload: PayloadCounter): Promise<JobTotals | null> {
  if (job.kind === 'BACKUP' && job.backupId) {
    const backup = await prisma.backup.findUnique({ where: { id: job.backupId }, select: { documentCount: true, sizeBytes: true } });
    if (backup?.documentCount !== null && backup?.documentCount !== undefined) {
      return { completed: Number(backup.documentCount), unit: 'documents', bytes: backup.sizeBytes === null ? null : Number(backup.sizeBytes) };
    }
  }
  if (job.kind === 'RESTORE' || job.kind === 'BACKUP') {
    const last = payload.last;
    if (last) return { completed: last.completed, unit: last.unit, bytes: null };
  }
  return null;
}

/** 100 %: the real totals when known; otherwise what the last phase counted, with its total made whole. */
export function completedProgress(progress: JobProgressState, totals: JobTotals | null): JobProgressState {
  if (totals) return { ...progress, completed: totals.completed, total: totals.completed, unit: totals.unit, bytes: totals.bytes ?? progress.bytes };
  const total = progress.total ?? progress.completed;
  return { ...progress, completed: total, total };
}
