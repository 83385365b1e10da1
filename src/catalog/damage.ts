// Marking a backup DAMAGED (verification or reconciliation found a file missing, changed or unreadable) and
// clearing the mark after a clean verification.
import type { Backup, Prisma, PrismaClient } from '../db/client.ts';

export interface DamagedFile {
  path: string;
  problem: 'missing' | 'size_mismatch' | 'sha256_mismatch' | 'unreadable' | 'invalid';
  message?: string | undefined;
}

export interface BackupDamage {
  at: string;
  source: 'verify' | 'reconcile';
  files: DamagedFile[];
}

/** Told when a backup turns DAMAGED (webhooks). */
export type DamageListener = (backup: Backup, damage: BackupDamage) => Promise<void> | void;

/** COMPLETE (or already DAMAGED) → DAMAGED with what was found; returns the row when it changed. */
export async function markDamaged(
  prisma: PrismaClient,
  backupId: string,
  source: BackupDamage['source'],
  files: DamagedFile[],
): Promise<{ backup: Backup; damage: BackupDamage } | null> {
  const damage: BackupDamage = { at: new Date().toISOString(), source, files: files.slice(0, 100) };
  const summary = files
    .slice(0, 5)
    .map((file) => `${file.path} (${file.problem.replace('_', ' ')})`)
    .join(', ');
  const changed = await prisma.backup.updateMany({
    where: { id: backupId, status: { in: ['COMPLETE', 'DAMAGED'] } },
    data: {
      status: 'DAMAGED',
      damage: damage as unknown as Prisma.InputJsonObject,
      warnings: { push: `DAMAGED by ${source} at ${damage.at}: ${summary}${files.length > 5 ? ` and ${files.length - 5} more` : ''}` },
    },
  });
  if (changed.count === 0) return null;
  return { backup: await prisma.backup.findUniqueOrThrow({ where: { id: backupId } }), damage };
}

export function describeDamage(files: DamagedFile[]): string {
  const listed = files
    .slice(0, 5)
    .map((file) => `${file.path}: ${file.message ?? file.problem.replace('_', ' ')}`)
    .join('; ');
  return `${files.length} file(s) of the backup are damaged — ${listed}${files.length > 5 ? '; …' : ''}`;
}
