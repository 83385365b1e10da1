// The three generations of milvus-backup's REST answers the emulator speaks, and what tells them apart:
// v0.5.9 (core/backup_context.go: full BackupInfo), v0.5.16 (core/server + internal/taskmgr: BackupInfoBrief,
// BackupSummary) and v0.6.0 (zilliztech/milvus-backup after v0.5.16: the v2 config printed by /check, the
// `format` axis of CreateBackupRequest / BackupInfo / BackupInfoBrief, snapshot-format backups on Milvus 3.0+).

export const GENERATIONS = ['v0.5.9', 'v0.5.16', 'v0.6.0'] as const;
export type Generation = (typeof GENERATIONS)[number];

/** `MILVUS_BACKUP_VERSION` as people write it: 0.5.9, v0.5.16, 0.6, 0.6.x … → the generation answering like it. */
export function parseGeneration(text: string | undefined): Generation | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (match === null) throw new Error(`MILVUS_BACKUP_VERSION "${text}" is not a version (0.5.9, 0.5.16, 0.6.0)`);
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (major === 0 && minor === 5) return patch <= 9 ? 'v0.5.9' : 'v0.5.16';
  if (major === 0 && minor >= 6) return 'v0.6.0';
  throw new Error(`MILVUS_BACKUP_VERSION "${text}": the emulator speaks 0.5.x and 0.6.x`);
}

/** v0.5.10 and later answer get_backup with BackupInfoBrief and list with BackupSummary. */
export const answersBrief = (generation: Generation): boolean => generation !== 'v0.5.9';

/** v0.6 reads `format` (auto, binlog, snapshot) and writes it into the backup meta. */
export const knowsFormat = (generation: Generation): boolean => generation === 'v0.6.0';

/** The Milvus a deployment of that generation typically runs: 0.6's auto format picks snapshots on 3.0+. */
export const defaultMilvusVersion = (generation: Generation): string => (generation === 'v0.6.0' ? 'v3.0.1' : 'v2.5.4');

/**
 * internal/client/milvus/grpc.go: the Snapshot feature flag is `>= 3.0.0-0`, read from the version the server
 * reports (a build tag such as "v3.0.1" or one with the version embedded; unparsable = the latest dev build).
 */
export function hasSnapshotFeature(milvusVersion: string): boolean {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(milvusVersion);
  return match === null ? true : Number(match[1]) >= 3;
}

/** The backup formats of BackupInfo.format: "" for binlogs, "snapshot" for exported snapshot bundles. */
export type BackupFormat = '' | 'snapshot';
