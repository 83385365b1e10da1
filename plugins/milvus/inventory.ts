// What milvus-backup can tell about its backups (list, delete) and, since it has no API to list live Milvus
// collections, the collections those backups hold.
import type { EngineCollectionInfo, EngineHealth, ServerBackupInfo } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { probeHealth } from '../../src/plugin.ts';
import { engineCode, type BackupState, type MilvusBackupClient } from './client.ts';
import { displayName } from './names.ts';
import { milvusVersionOf } from './generations.ts';

/** At most this many backups are read one by one (v0.5.10+ lists no collections) for listCollections. */
const COLLECTION_SOURCES = 20;

/**
 * Every backup in milvus-backup's storage. v0.5.10+ lists only names and sizes: each such backup is then read by
 * name (get_backup's detail holds its collections when the server can tell). A backup still without collections
 * (made with the CLI, unknown to the server process) is restored whole (`restoresUnlistedBackups`).
 */
export async function listServerBackups(client: MilvusBackupClient, signal: AbortSignal): Promise<ServerBackupInfo[]> {
  const listed = await client.listBackups(signal);
  const infos: ServerBackupInfo[] = [];
  for (const backup of listed) {
    const detail = backup.collections === null ? await client.getBackupByName(backup.name!, signal) : null;
    const collections = backup.collections ?? detail?.collections ?? [];
    infos.push({
      externalId: backup.name!,
      name: backup.name!,
      createdAt: backup.startedAt ?? detail?.startedAt ?? null,
      collections: collections.map((c) => ({ name: displayName({ db: c.db, collection: c.collection }), documentCount: c.rows, bytes: c.bytes })),
      bytes: backup.bytes,
      engineVersion: backup.milvusVersion,
      // Only v0.6 names the format (get_backup's brief, for backups its process made): snapshot is what matters.
      engineFormat: (backup.format ?? detail?.format) === 'snapshot' ? 'snapshot' : null,
    });
  }
  return infos;
}

/** v0.5.9 answers 404 for an unknown name; v0.5.10+ a code-3 "read backup info" failure — the list decides. */
export async function deleteServerBackup(client: MilvusBackupClient, name: string, signal: AbortSignal): Promise<void> {
  try {
    await client.deleteBackup(name, signal);
  } catch (error) {
    if (engineCode(error) === 3 && !(await client.listBackups(signal)).some((backup) => backup.name === name)) {
      throw new GatewayError('backup_not_found', `milvus-backup has no backup "${name}"`, { cause: error, details: { name } });
    }
    throw error;
  }
}

/**
 * Collections known from the server's backups, newest first wins: v0.5.9 lists them with row counts; v0.5.10+
 * only lists names, so up to COLLECTION_SOURCES backups are read by name (which answers only for backups this
 * server process made).
 */
export async function listCollections(client: MilvusBackupClient, signal: AbortSignal): Promise<EngineCollectionInfo[]> {
  const backups = await client.listBackups(signal);
  const detailed: BackupState[] = [];
  let reads = 0;
  for (const backup of backups) {
    if (backup.collections !== null) detailed.push(backup);
    else if (reads++ < COLLECTION_SOURCES) {
      const full = await client.getBackupByName(backup.name!, signal);
      if (full?.collections) detailed.push({ ...full, startedAt: full.startedAt ?? backup.startedAt });
    }
  }
  detailed.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  const collections = new Map<string, EngineCollectionInfo>();
  for (const backup of detailed) {
    for (const c of backup.collections ?? []) {
      const name = displayName({ db: c.db, collection: c.collection });
      if (!collections.has(name)) collections.set(name, { name, documentCount: c.rows });
    }
  }
  return [...collections.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Never throws: `hello` says the server is up, `check` that it reaches Milvus and both storages (and the version). */
export async function health(client: MilvusBackupClient, signal: AbortSignal): Promise<EngineHealth> {
  return probeHealth(async () => {
    await client.hello(signal);
    return probeHealth(async () => {
      const version = milvusVersionOf(await client.check(signal));
      return { ok: true, version, message: version === null ? 'milvus-backup check passed but named no Milvus version' : null };
    }, 'milvus-backup answers but its check failed: ');
  });
}
