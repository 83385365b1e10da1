// What differs between the three milvus-backup generations the plugin speaks, in one place:
// - v0.5.9: full BackupInfo answers; `meta_only`; an unknown task id answers `code` 0 with `data: null`.
// - v0.5.10+ (to v0.5.16): BackupInfoBrief / BackupSummary; `strategy: meta_only`; unknown id → code 3.
// - v0.6: the v2 config, printed first by /check ("Configuration:" table); a `format` axis on create
//   (auto | binlog | snapshot; auto = snapshot on Milvus 3.0+) recorded in BackupInfo(Brief).format; a
//   snapshot-format backup restores only into Milvus 3.0+ (zilliztech/milvus-backup core/backup/task.go
//   resolveFormat, core/restore/task.go privateExecute, internal/client/milvus/grpc.go Snapshot >= 3.0.0-0).
// milvus-backup reports no version of its own over REST, so the generation is read from how it answers.
import { GatewayError } from '../../src/errors.ts';
import type { BackupState, CreateBackupBody, MilvusBackupClient } from './client.ts';

export type ToolGeneration = 'v0.5.9' | 'v0.5.10+' | 'v0.6';
/** The two formats a milvus-backup backup is written in; v0.5 tools only write binlogs. */
export type BackupFormat = 'binlog' | 'snapshot';
export type RequestedFormat = 'auto' | BackupFormat;

export interface ServerFacts {
  tool: ToolGeneration;
  /** As /check names it (e.g. "v2.5.4", "v3.0.1"); null when it names none. */
  milvusVersion: string | null;
}

/** `/check` (tells v0.6 and the Milvus version), then — for a v0.5 tool — how it answers an unknown task id. */
export async function detectServer(client: MilvusBackupClient, signal: AbortSignal): Promise<ServerFacts> {
  const report = await client.check(signal);
  const milvusVersion = milvusVersionOf(report);
  if (/^\s*Configuration:/.test(report)) return { tool: 'v0.6', milvusVersion };
  return { tool: (await client.answersUnknownTaskWithNull(signal)) ? 'v0.5.9' : 'v0.5.10+', milvusVersion };
}

export function milvusVersionOf(checkReport: string): string | null {
  return /Milvus version:\s*(\S+)/.exec(checkReport)?.[1] ?? null;
}

/**
 * Whether this Milvus has the Snapshot feature (>= 3.0.0): true/false, or null when the version is unknown.
 * Like milvus-backup, a version string without a MAJOR.MINOR.PATCH in it counts as the latest dev build.
 */
export function milvusHasSnapshots(milvusVersion: string | null): boolean | null {
  if (milvusVersion === null) return null;
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(milvusVersion);
  return match === null ? true : Number(match[1]) >= 3;
}

/** The create fields of the requested format: only v0.6 reads `format`; a v0.5 tool writes binlogs only. */
export function formatFields(tool: ToolGeneration, requested: RequestedFormat): Pick<CreateBackupBody, 'format'> {
  if (tool === 'v0.6') return requested === 'auto' ? {} : { format: requested };
  if (requested === 'snapshot') {
    throw new GatewayError('capability_not_supported', `milvus-backup ${tool} cannot write snapshot-format backups (milvus-backup 0.6 and Milvus 3.0+ can)`);
  }
  return {};
}

/**
 * The format the finished backup was written in: v0.5 tools write binlogs; v0.6 names it in BackupInfoBrief.format
 * ("" = binlog, omitted) — when the answer came from the list (the task was lost), what resolveFormat picks.
 */
export function formatOf(server: ServerFacts, state: BackupState, requested: RequestedFormat): BackupFormat | null {
  if (server.tool !== 'v0.6') return 'binlog';
  if (state.format !== null) return state.format === 'snapshot' ? 'snapshot' : 'binlog';
  if (state.collections !== null) return 'binlog';
  if (requested !== 'auto') return requested;
  const snapshots = milvusHasSnapshots(server.milvusVersion);
  return snapshots === null ? null : snapshots ? 'snapshot' : 'binlog';
}

/**
 * Why this server cannot restore a backup of that format (refusals), or may not (warnings). A snapshot-format
 * backup needs milvus-backup 0.6 (a v0.5 tool finds no binlogs in its meta: it would create the collections and
 * import nothing) and Milvus 3.0+ (milvus-backup fails the task). A backup of unknown format (made outside the
 * gateway) from a Milvus 3.0+ is probably a snapshot: 0.6's auto format picks it there.
 */
export function formatRefusals(source: { format: string | null; milvusVersion: string | null }, target: ServerFacts): { refusals: string[]; warnings: string[] } {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const snapshotsHere = milvusHasSnapshots(target.milvusVersion);
  if (source.format === 'snapshot') {
    if (target.tool !== 'v0.6') {
      refusals.push(
        `this is a snapshot-format backup (milvus-backup 0.6): milvus-backup ${target.tool} cannot read it (it would create the collections and import no data); restore it through milvus-backup 0.6 or newer`,
      );
    }
    if (snapshotsHere === false) {
      refusals.push(`this is a snapshot-format backup: it restores only into Milvus 3.0 or newer, and the target runs Milvus ${target.milvusVersion}`);
    } else if (snapshotsHere === null) {
      warnings.push('this is a snapshot-format backup: it restores only into Milvus 3.0 or newer, and the target did not name its Milvus version');
    }
  } else if (source.format === null && milvusHasSnapshots(source.milvusVersion) === true && (target.tool !== 'v0.6' || snapshotsHere === false)) {
    warnings.push(
      `the backup's format is not recorded and it comes from Milvus ${source.milvusVersion}, where milvus-backup 0.6 writes snapshot-format backups by default: such a backup restores only through milvus-backup 0.6 into Milvus 3.0 or newer`,
    );
  }
  return { refusals, warnings };
}
