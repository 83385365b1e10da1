// Catalog reconciliation of one storage location: every file the catalog says a backup has must be there with its
// size (missing or resized → the backup is DAMAGED), and every stored object must belong to a live backup (the rest
// are orphans: listed, and deleted only when asked).
import type { Backup, PrismaClient } from '../db/client.ts';
import { Prisma } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import { BUILTIN_STORAGE_ID, type StorageService } from '../catalog/storages.ts';
import { GatewayError } from '../errors.ts';
import { isBackupObjectKey } from '../storage/archive-layout.ts';
import { markDamaged, type DamagedFile, type DamageListener } from '../catalog/damage.ts';

export interface ReconcileMissing {
  backupId: string;
  backupName: string;
  path: string;
  problem: 'missing' | 'size_mismatch';
  expectedBytes: number;
  foundBytes: number | null;
}

export interface ReconcileOrphan {
  key: string;
  bytes: number;
  /** The backup folder it sits in, when the name looks like one. */
  backupId: string | null;
  /** `not_a_backup_file`: the name does not follow the archive layout; listed, never deleted. */
  reason: 'no_catalog_entry' | 'backup_deleted' | 'backup_failed' | 'not_in_backup' | 'not_a_backup_file';
}

export interface ReconcileResult {
  storageId: string;
  objects: number;
  checkedBackups: number;
  missing: ReconcileMissing[];
  /** Backups newly marked DAMAGED (or whose damage record was updated). */
  damagedBackups: string[];
  orphans: ReconcileOrphan[];
  deletedOrphans: number;
}

/** Backups whose files live here and are expected: finished ones are checked, running ones own their folder. */
const CHECKED = ['COMPLETE', 'DAMAGED'] as const;
const OWNING = ['PENDING', 'COMPLETE', 'DAMAGED'] as const;

export async function reconcileStorage(
  deps: { prisma: PrismaClient; storages: StorageService; audit: AuditLog; onDamaged?: DamageListener | undefined },
  storageId: string,
  options: { deleteOrphans: boolean },
  actor: string,
): Promise<ReconcileResult> {
  const view = await deps.storages.get(storageId);
  const driver = await deps.storages.byId(view.id);
  if (!driver.listObjects) throw new GatewayError('capability_not_supported', `${driver.kind} storage cannot list its objects`);
  // A local folder the gateway did not create (no marker) may hold anyone's files: list, never delete.
  if (options.deleteOrphans && driver.ownsRoot && !(await driver.ownsRoot())) {
    throw new GatewayError(
      'invalid_storage_location',
      `${view.url} holds no marker file of the gateway, so reconcile deletes nothing there; run it without deleteOrphans to list what it finds`,
      {
        details: { storageId: view.id },
      },
    );
  }
  const stored = new Map<string, number>();
  for await (const object of driver.listObjects()) stored.set(object.key, object.bytes);

  // Read after listing: a backup started meanwhile is in the catalog, so its files are not called orphans.
  const backups: Array<Backup & { artifacts: Array<{ path: string; bytes: bigint; external: boolean }> }> = await deps.prisma.backup.findMany({
    where: { storageId: view.id === BUILTIN_STORAGE_ID ? null : view.id, externalLocation: { equals: Prisma.DbNull } },
    include: { artifacts: { select: { path: true, bytes: true, external: true } } },
  });
  const byId = new Map(backups.map((backup) => [backup.id, backup]));
  const result: ReconcileResult = { storageId: view.id, objects: stored.size, checkedBackups: 0, missing: [], damagedBackups: [], orphans: [], deletedOrphans: 0 };

  for (const backup of backups) {
    if (!(CHECKED as readonly string[]).includes(backup.status)) continue;
    result.checkedBackups += 1;
    const problems: DamagedFile[] = [];
    for (const artifact of backup.artifacts) {
      if (artifact.external) continue;
      const found = stored.get(`${backup.id}/${artifact.path}`);
      const expected = Number(artifact.bytes);
      if (found === expected) continue;
      const problem = found === undefined ? 'missing' : 'size_mismatch';
      result.missing.push({ backupId: backup.id, backupName: backup.name, path: artifact.path, problem, expectedBytes: expected, foundBytes: found ?? null });
      problems.push({ path: artifact.path, problem, message: found === undefined ? 'not found in storage' : `expected ${expected} bytes, found ${found}` });
    }
    if (problems.length > 0) {
      const marked = await markDamaged(deps.prisma, backup.id, 'reconcile', problems);
      if (marked) {
        result.damagedBackups.push(backup.id);
        await deps.onDamaged?.(marked.backup, marked.damage);
      }
    }
  }

  for (const [key, bytes] of stored) {
    const slash = key.indexOf('/');
    const folder = slash > 0 ? key.slice(0, slash) : null;
    const path = slash > 0 ? key.slice(slash + 1) : key;
    const backup = folder ? byId.get(folder) : undefined;
    let reason: ReconcileOrphan['reason'] | null;
    if (!backup) reason = 'no_catalog_entry';
    else if ((OWNING as readonly string[]).includes(backup.status)) {
      reason = backup.status === 'PENDING' || backup.artifacts.some((artifact) => artifact.path === path) ? null : 'not_in_backup';
    } else reason = backup.status === 'DELETED' ? 'backup_deleted' : 'backup_failed';
    if (reason && !isBackupObjectKey(key)) reason = 'not_a_backup_file';
    if (reason) result.orphans.push({ key, bytes, backupId: folder, reason });
  }

  if (options.deleteOrphans && result.orphans.length > 0) {
    if (!driver.deleteObject) throw new GatewayError('capability_not_supported', `${driver.kind} storage cannot delete single objects`);
    for (const orphan of result.orphans) {
      if (orphan.reason === 'not_a_backup_file') continue;
      await driver.deleteObject(orphan.key);
      result.deletedOrphans += 1;
    }
  }
  await deps.audit.record(actor, 'storage.reconcile', 'storage', view.id, {
    objects: result.objects,
    missing: result.missing.length,
    damagedBackups: result.damagedBackups,
    orphans: result.orphans.length,
    deletedOrphans: result.deletedOrphans,
  });
  return result;
}
