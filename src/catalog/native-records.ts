// Catalog rows of a native backup: its collections, copied files and external references, then COMPLETE.
import type { PrismaClient } from '../db/client.ts';
import type { ArchiveFile } from '../storage/archive-types.ts';
import type { NativeManifest } from '../storage/native-sink.ts';

export async function recordNativeBackup(prisma: PrismaClient, backupId: string, manifest: NativeManifest, storedFiles: ArchiveFile[]): Promise<void> {
  const storedBytes = storedFiles.reduce((sum, file) => sum + file.bytes, 0);
  const externalBytes = manifest.external.reduce((sum, artifact) => sum + (artifact.bytes ?? 0), 0);
  const counted = manifest.collections.filter((c) => c.documentCount !== null);
  const warnings = [...manifest.warnings];
  if (manifest.external.length > 0) {
    warnings.push(
      `${manifest.external.length} artifact(s) stay on the engine side and were not copied into gateway storage: ${manifest.external.map((a) => a.location).join(', ')}`,
    );
  }
  await prisma.$transaction([
    prisma.backupCollection.createMany({
      data: manifest.collections.map((c) => ({
        backupId,
        name: c.name,
        documentCount: c.documentCount === null ? null : BigInt(c.documentCount),
        bytes: c.bytes === null ? null : BigInt(c.bytes),
      })),
    }),
    prisma.artifact.createMany({
      data: [
        ...storedFiles.map((f) => ({ backupId, path: f.path, bytes: BigInt(f.bytes), sha256: f.sha256, encrypted: f.encrypted ?? false })),
        ...manifest.external.map((a) => ({ backupId, path: `external/${a.path}`, bytes: BigInt(a.bytes ?? 0), sha256: '', external: true, location: a.location })),
      ],
    }),
    prisma.backup.update({
      where: { id: backupId },
      data: {
        status: 'COMPLETE',
        completedAt: new Date(),
        engineVersion: manifest.engineVersion,
        engineFormat: manifest.engineFormat ?? null,
        externalId: manifest.externalId,
        sizeBytes: BigInt(storedBytes + externalBytes),
        documentCount: counted.length > 0 ? BigInt(counted.reduce((sum, c) => sum + (c.documentCount ?? 0), 0)) : null,
        warnings,
        ...(manifest.encryption ? { encryption: { ...manifest.encryption } } : {}),
      },
    }),
  ]);
}
