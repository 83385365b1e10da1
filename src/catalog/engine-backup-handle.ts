// A backup found on the engine side by catalog sync (made outside the gateway) has no files and no manifest in
// gateway storage: its restore handle is built from the catalog entry — the engine's id, its collections, the
// external reference.
import type { Backup, PrismaClient } from '../db/client.ts';
import type { NativeBackupHandle } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';

export async function engineSideHandle(prisma: PrismaClient, backup: Backup): Promise<NativeBackupHandle> {
  const [collections, artifacts] = await Promise.all([
    prisma.backupCollection.findMany({ where: { backupId: backup.id }, orderBy: { name: 'asc' } }),
    prisma.artifact.findMany({ where: { backupId: backup.id, external: true } }),
  ]);
  return {
    externalId: backup.externalId,
    engineVersion: backup.engineVersion,
    engineFormat: backup.engineFormat,
    files: [],
    external: artifacts.map((artifact) => ({
      path: artifact.path,
      location: artifact.location ?? '',
      bytes: Number(artifact.bytes),
      description: 'kept on the engine side',
    })),
    collections: collections.map((c) => ({
      name: c.name,
      documentCount: c.documentCount === null ? null : Number(c.documentCount),
      bytes: c.bytes === null ? null : Number(c.bytes),
    })),
    openFile: (path) =>
      Promise.reject(new GatewayError('archive_invalid', `backup "${backup.name}" was made outside the gateway; it has no file ${JSON.stringify(path)} in gateway storage`)),
  };
}
