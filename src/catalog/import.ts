// importBackup: a backup file already on the gateway host (e.g. a Meilisearch .dump) becomes a catalog entry.
// Only files inside GATEWAY_IMPORT_DIR; the file is copied into gateway storage with its sha256.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Backup, PrismaClient } from '../db/client.ts';
import type { EnginePlugin } from '../engines/contract.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { createNativeSink } from '../storage/native-sink.ts';
import type { AuditLog } from './audit.ts';
import { checkCollectionName, validateName } from './names.ts';
import { recordNativeBackup } from './native-records.ts';

const INSPECT_TIMEOUT_MS = 10 * 60_000;

export interface ImportBackupRequest {
  plugin: EnginePlugin;
  path: string;
  name?: string | null;
}

export async function importBackup(
  deps: { prisma: PrismaClient; storage: StorageDriver; audit: AuditLog; importDir: string | undefined; storageId?: string | null },
  request: ImportBackupRequest,
  actor: string,
): Promise<Backup> {
  const { plugin } = request;
  if (!plugin.inspectBackupFile) throw new GatewayError('capability_not_supported', `The ${plugin.name} plugin cannot import backup files`);
  const file = await allowedFile(deps.importDir, request.path);
  const name = validateName(request.name ?? path.basename(file), 'backup name');
  const inspected = await plugin.inspectBackupFile(file, AbortSignal.timeout(INSPECT_TIMEOUT_MS));
  // Names inside a file are as untrusted as the file: refused before anything is cataloged.
  for (const collection of inspected.collections) checkCollectionName(plugin, collection.name, `${path.basename(file)}`);

  const backup = await deps.prisma.backup.create({
    data: {
      name,
      plugin: plugin.name,
      strategy: 'NATIVE',
      type: 'FULL',
      origin: 'IMPORTED',
      location: '',
      engineVersion: inspected.engineVersion,
      storageId: deps.storageId ?? null,
    },
  });
  const sink = createNativeSink({ storage: deps.storage, backupId: backup.id });
  try {
    await sink.writeFile(safeFileName(file), createReadStream(file));
    const manifest = await sink.finalize({
      plugin: plugin.name,
      engineVersion: inspected.engineVersion,
      externalId: null,
      collections: inspected.collections,
      warnings: [`imported from ${file} (${inspected.format})`, ...inspected.warnings],
      createdAt: inspected.createdAt ?? new Date().toISOString(),
      finishedAt: new Date().toISOString(),
    });
    await deps.prisma.backup.update({ where: { id: backup.id }, data: { location: deps.storage.locationOf(backup.id) } });
    await recordNativeBackup(deps.prisma, backup.id, manifest, sink.files());
  } catch (error) {
    // Nothing half-added: the files and the row go.
    try {
      await sink.abort();
    } finally {
      await deps.prisma.backup.delete({ where: { id: backup.id } });
    }
    throw toGatewayError(error, 'storage_error');
  }
  await deps.audit.record(actor, 'backup.import', 'backup', backup.id, { file, plugin: plugin.name });
  return deps.prisma.backup.findUniqueOrThrow({ where: { id: backup.id } });
}

/** The real path of the file, refused unless it lies inside the import directory (symlinks resolved). */
async function allowedFile(importDir: string | undefined, requested: string): Promise<string> {
  if (!importDir) throw new GatewayError('path_not_allowed', 'Importing is off: set GATEWAY_IMPORT_DIR to the directory the gateway may import from');
  if (requested.length === 0 || requested.length > 4096 || requested.includes('\u0000')) {
    throw new GatewayError('path_not_allowed', 'path must be a file path inside GATEWAY_IMPORT_DIR');
  }
  const root = await realpath(importDir).catch(() => {
    throw new GatewayError('path_not_allowed', `GATEWAY_IMPORT_DIR ${importDir} does not exist`);
  });
  const candidate = path.resolve(root, requested);
  if (!isInside(root, candidate)) throw new GatewayError('path_not_allowed', `${requested} is outside GATEWAY_IMPORT_DIR`);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new GatewayError('file_not_found', `No file ${requested} in GATEWAY_IMPORT_DIR`);
  }
  if (!isInside(root, real)) throw new GatewayError('path_not_allowed', `${requested} resolves outside GATEWAY_IMPORT_DIR`);
  if (!(await stat(real)).isFile()) throw new GatewayError('invalid_backup_file', `${requested} is not a regular file`);
  return real;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function safeFileName(file: string): string {
  const base = path
    .basename(file)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_');
  return base.length > 0 ? base.slice(0, 200) : 'backup';
}
