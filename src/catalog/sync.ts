// Catalog reconciliation with engines that keep backups on their side (milvus-backup): backups made outside the
// gateway are cataloged as ENGINE-origin entries; cataloged ones that vanished on the server are marked MISSING.
import type { Engine, PrismaClient } from '../db/client.ts';
import type { ServerBackupsCapability } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';
import type { AuditLog } from './audit.ts';
import type { EngineService } from './engines.ts';
import { checkCollectionName } from './names.ts';

export interface SyncResult {
  /** Server backups seen. */
  found: number;
  /** New catalog entries for backups made outside the gateway. */
  imported: number;
  /** Catalog entries whose backup vanished on the server. */
  missing: number;
  /** MISSING entries whose backup is back. */
  restored: number;
}

const SYNC_TIMEOUT_MS = 60_000;

export async function syncEngineBackups(deps: { prisma: PrismaClient; engines: EngineService; audit: AuditLog }, engine: Engine, actor: string): Promise<SyncResult> {
  const { prisma, engines } = deps;
  const instance = engines.instance(engine);
  if (!hasServerBackups(instance)) {
    throw new GatewayError('capability_not_supported', `The ${engine.plugin} plugin keeps no backups on the engine side; there is nothing to sync`);
  }
  const onServer = await instance.listServerBackups(AbortSignal.timeout(SYNC_TIMEOUT_MS));
  const serverIds = new Set(onServer.map((b) => b.externalId));
  const cataloged = await prisma.backup.findMany({
    where: { engineId: engine.id, strategy: 'NATIVE', externalId: { not: null }, status: { in: ['COMPLETE', 'MISSING'] } },
  });
  const known = new Set(cataloged.map((b) => b.externalId));
  const result: SyncResult = { found: onServer.length, imported: 0, missing: 0, restored: 0 };

  for (const server of onServer.filter((b) => !known.has(b.externalId))) {
    for (const collection of server.collections) checkCollectionName(engines.plugin(engine.plugin), collection.name, `server backup ${server.name}`);
    await prisma.backup.create({
      data: {
        name: server.name,
        engineId: engine.id,
        plugin: engine.plugin,
        strategy: 'NATIVE',
        type: 'FULL',
        status: 'COMPLETE',
        origin: 'ENGINE',
        externalId: server.externalId,
        location: `engine:${engine.name}/${server.externalId}`,
        engineVersion: server.engineVersion,
        engineFormat: server.engineFormat ?? null,
        sizeBytes: server.bytes === null ? null : BigInt(server.bytes),
        documentCount: sumCounts(server.collections),
        createdAt: server.createdAt ? new Date(server.createdAt) : new Date(),
        completedAt: server.createdAt ? new Date(server.createdAt) : new Date(),
        warnings: ['made outside the gateway; found on the engine by catalog sync'],
        collections: {
          create: server.collections.map((c) => ({
            name: c.name,
            documentCount: c.documentCount === null ? null : BigInt(c.documentCount),
            bytes: c.bytes === null ? null : BigInt(c.bytes),
          })),
        },
        artifacts: {
          create: [{ path: `external/${server.externalId}`, bytes: BigInt(server.bytes ?? 0), sha256: '', external: true, location: `engine:${engine.name}/${server.externalId}` }],
        },
      },
    });
    result.imported++;
  }
  for (const backup of cataloged) {
    const present = serverIds.has(backup.externalId!);
    if (backup.status === 'COMPLETE' && !present) {
      await prisma.backup.update({ where: { id: backup.id }, data: { status: 'MISSING', warnings: { push: `not found on the engine at ${new Date().toISOString()}` } } });
      result.missing++;
    } else if (backup.status === 'MISSING' && present) {
      await prisma.backup.update({ where: { id: backup.id }, data: { status: 'COMPLETE' } });
      result.restored++;
    }
  }
  if (result.imported + result.missing + result.restored > 0) {
    await deps.audit.record(actor, 'engine.syncBackups', 'engine', engine.id, { ...result });
  }
  return result;
}

export function hasServerBackups(instance: object): instance is ServerBackupsCapability {
  const candidate = instance as Partial<ServerBackupsCapability>;
  return typeof candidate.listServerBackups === 'function' && typeof candidate.deleteServerBackup === 'function';
}

function sumCounts(collections: Array<{ documentCount: number | null }>): bigint | null {
  const counted = collections.filter((c) => c.documentCount !== null);
  return counted.length > 0 ? BigInt(counted.reduce((sum, c) => sum + (c.documentCount ?? 0), 0)) : null;
}
