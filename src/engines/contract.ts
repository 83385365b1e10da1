// The plugin contract: what an engine plugin is, and the narrow context the core hands it.
import type { NeutralConversion } from './neutral.ts';
import type { z } from 'zod';
import type { ArchiveReader, ArchiveWriter } from '../storage/archive-types.ts';
import type { SafetyCopyCapability, UpgradeCapability } from './upgrade-contract.ts';

export const PLUGIN_API_VERSION = 1 as const;

export const CAPABILITIES = ['logicalBackup', 'logicalRestore', 'nativeBackup', 'nativeRestore', 'serverBackups', 'importBackup', 'incrementalBackup', 'cancel'] as const;

export type Capability = (typeof CAPABILITIES)[number];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Numbers, not strings: `total` is null when the engine cannot tell. */
export interface ProgressUpdate {
  phase: string;
  completed: number;
  total: number | null;
  unit: string;
  bytes?: number | null;
  message?: string | null;
  /**
   * The engine-side task this job follows (a milvus-backup request or restore id), for engines that keep running
   * their task when the gateway stops. Persisted with the job's progress at once; a job interrupted by a gateway
   * restart is queued again instead of failed, and its next run gets it back as `JobContext.engineTask`.
   */
  engineTask?: string | null;
}

export interface EngineHealth {
  ok: boolean;
  version: string | null;
  message: string | null;
  /** Each node of a cluster (engines configured with several nodes); `ok` is then true only when all are. */
  nodes?: EngineNodeHealth[];
}

/** One node's answer to a health check. */
export interface EngineNodeHealth {
  /** The node's base URL (no credentials). */
  node: string;
  ok: boolean;
  version: string | null;
  message: string | null;
}

export interface EngineCollectionInfo {
  name: string;
  documentCount: number | null;
}

/** Handed to every job-level plugin call. */
export interface JobContext {
  signal: AbortSignal;
  progress(update: ProgressUpdate): void;
  logger: Logger;
  /** The engine task an earlier run of this job recorded (ProgressUpdate.engineTask): follow it, do not start another. */
  engineTask?: string | null;
  /**
   * Records the engine task this job is about to start and resolves once it is stored with the job (call it
   * before asking the engine, so even a crash right after the request leaves the next run the task to follow).
   */
  recordEngineTask?(task: string): Promise<void>;
}

export interface LogicalBackupRequest {
  /** null = every collection the engine has. */
  collections: string[] | null;
  /**
   * INCREMENTAL backups (plugins with the `incrementalBackup` capability): only items changed after this
   * ISO instant. A plugin that cannot tell for a collection throws `incremental_not_supported`.
   */
  changedSince?: string | null;
}

export interface LogicalBackupResult {
  engineVersion: string | null;
  /** Facts the record should show: e.g. "embedder apiKey masked by the engine; re-supply on restore". */
  warnings: string[];
}

export interface LogicalRestoreRequest {
  /** Collections of the archive to restore (already resolved by the core; never empty). */
  collections: string[];
  /** Archive collection name → target name on the engine. Missing = same name. */
  rename: Record<string, string>;
  /** Restore into a staging copy and swap at the end, so readers never see a half restore. */
  atomic: boolean;
  /**
   * 'replace' (default): the target ends equal to the archive. 'apply': write the archive's items on top of
   * the existing target (an incremental layer of a chain restore); nothing is deleted.
   */
  mode?: 'replace' | 'apply';
  /** Drop existing target collections first where the engine restores only into absent ones (milvus-backup). Only when the user asks. */
  dropExisting?: boolean;
  /**
   * The core's plan for this restore, one item per collection in `collections` order (see restore-kit.ts
   * `restoreItems`, which falls back to `collections` + `rename` when absent). A plugin writes exactly these.
   */
  items?: PlannedRestoreItem[];
  /** The restore job's id; staging names are made from it (restore-kit `stagingName`). */
  jobId?: string;
  /** Engine-specific restore options, already validated by the plugin's `restoreOptions` schema (defaults applied). */
  options?: Record<string, unknown>;
  /**
   * Backup-set restores: awaited once every collection is filled into staging and before anything is swapped in,
   * so the members of a set swap only when all of them are filled. Throwing rolls the restore back (plugins with
   * `awaitsSetSwap`).
   */
  beforeSwap?: (signal: AbortSignal) => Promise<void>;
}

export type RestoreAction = 'CREATE' | 'REPLACE' | 'APPLY' | 'SKIP';

/** One collection of a planned restore, as the plugin receives it. */
export interface PlannedRestoreItem {
  source: string;
  target: string;
  /** CREATE: the target is free. REPLACE: it exists and is replaced. APPLY: written on top. SKIP: left alone. */
  action: RestoreAction;
  /** Documents the backup holds for it (catalog), null when unknown: the progress total. */
  backupDocuments: number | null;
  /** Where an atomic restore fills it before the swap (made by the core from the job id), null when not staged. */
  staging: string | null;
}

/** What the core asks a plugin before a restore: everything else about planning is the core's. */
export interface RestoreFactsRequest {
  strategy: 'LOGICAL' | 'NATIVE';
  /** The engine version recorded with the backup (null when unknown). */
  sourceEngineVersion: string | null;
  /** The engine format recorded with a native backup (NativeBackupResult.engineFormat; null when unknown). */
  sourceEngineFormat?: string | null;
  /** Collections of the backup being restored. */
  sources: string[];
  /** Target names, after renames. */
  targets: string[];
  atomic: boolean;
  /** Each source with its target (after renames and suffix), when the planner knows them. */
  items?: Array<{ source: string; target: string }>;
  /**
   * The backup's archive (logical backups in gateway storage), read only: lets a plugin list every conversion and
   * loss a restore across engine versions makes. Absent when the planner cannot open it.
   */
  archive?: Pick<ArchiveReader, 'readExtra' | 'readCollectionSchema'>;
}

/** Small, typed facts a plugin contributes to a restore plan. */
export interface RestoreFacts {
  /** The target engine's version, null when unknown. */
  engineVersion: string | null;
  /**
   * Targets that answer to their name now (collections, and aliases where the engine has them) with their
   * document count (null when unknown); `null` when the engine cannot tell at all (milvus-backup).
   */
  existing: Array<{ name: string; documentCount: number | null }> | null;
  /** What the restore converts on the way (settings formats, version differences). Makes the verdict CONVERTED. */
  conversions: string[];
  /** Why this engine cannot take this restore (too old, a capability it lacks). Makes the verdict REFUSED. */
  refusals: string[];
  warnings: string[];
  /** The engine can write a backup on top of existing collections (onExisting: APPLY). */
  canApply: boolean;
  /** The engine can replace an existing collection atomically (else REPLACE needs atomic: false). */
  atomicReplace: boolean;
}

export interface RestoreFactsCapability {
  restoreFacts(request: RestoreFactsRequest, signal: AbortSignal): Promise<RestoreFacts>;
}

/** Lists a restore's working copies left on the engine (names from restore-kit), for the core to drop. */
export interface StagingCapability {
  /** Collections whose name starts with `prefix`, plus (Typesense) live-physical collections no alias points at. */
  listStaging(prefix: string, signal: AbortSignal): Promise<string[]>;
  /** Engine-specific restore options, already validated by the plugin's `restoreOptions` schema (defaults applied). */
  options?: Record<string, unknown>;
}

export interface LogicalRestoreResult {
  collections: Array<{ source: string; target: string; documentCount: number }>;
  warnings: string[];
}

export interface LogicalBackupCapability {
  logicalBackup(request: LogicalBackupRequest, archive: ArchiveWriter, ctx: JobContext): Promise<LogicalBackupResult>;
}

export interface LogicalRestoreCapability {
  logicalRestore(request: LogicalRestoreRequest, archive: ArchiveReader, ctx: JobContext): Promise<LogicalRestoreResult>;
}

/** Drops a collection the core created (the scratch copy of a restore test); gone already is fine. */
export interface DropCollectionCapability {
  dropCollection(name: string, signal: AbortSignal): Promise<void>;
}

/** What the core asks of an engine copying its collections into another engine of the same plugin (copyEngine). */
export interface EngineCopyRequest {
  /** The target engine's config as the plugin's schema parsed it, secrets included: send them, never log them. */
  target: Record<string, unknown>;
  /** Collections to copy (names the plugin's rule accepted); null = every one. */
  collections: string[] | null;
  /** Engine filter expression applied to each collection's documents; null = every document. */
  filter: string | null;
}

export interface EngineCopyResult {
  collections: Array<{ name: string; documentCount: number | null }>;
  warnings: string[];
}

/**
 * Engine to engine copy done by the engine itself (Meilisearch `POST /export`): nothing passes through the
 * gateway, which follows the engine's task as the job's progress.
 */
export interface CopyCapability {
  /** Why this engine cannot copy (e.g. its version predates the route), or null: asked before the job is queued. */
  copyUnavailable(signal: AbortSignal): Promise<string | null>;
  copyToEngine(request: EngineCopyRequest, ctx: JobContext): Promise<EngineCopyResult>;
}

/** The tiny required core of a live plugin instance; capabilities are optional members. */
export interface EngineInstance
  extends
    Partial<DropCollectionCapability>,
    Partial<LogicalBackupCapability>,
    Partial<LogicalRestoreCapability>,
    Partial<NativeBackupCapability>,
    Partial<NativeRestoreCapability>,
    Partial<ServerBackupsCapability>,
    Partial<RestoreFactsCapability>,
    Partial<StagingCapability>,
    Partial<UpgradeCapability>,
    Partial<SafetyCopyCapability>,
    Partial<CopyCapability> {
  health(signal: AbortSignal): Promise<EngineHealth>;
  listCollections(signal: AbortSignal): Promise<EngineCollectionInfo[]>;
  close?(): Promise<void>;
}

export interface PluginCreateContext {
  logger: Logger;
}

export interface EnginePlugin<Config extends z.ZodObject = z.ZodObject> {
  /** Equals the plugin's folder name; lowercase, [a-z0-9-]. */
  name: string;
  apiVersion: typeof PLUGIN_API_VERSION;
  displayName: string;
  version: string;
  /** zod object schema of the engine config; strict, so unknown keys fail. */
  config: Config;
  /** Config keys holding secrets: encrypted at rest, redacted in every response and log line. */
  secretKeys: readonly (keyof z.infer<Config> & string)[];
  capabilities: readonly Capability[];
  create(config: z.infer<Config>, ctx: PluginCreateContext): EngineInstance;
  /**
   * The engine's own rule for collection names (throws `invalid_name` naming the value). The core applies it to
   * selections, rename targets and every name read from a dump, archive, manifest or engine listing before it
   * is cataloged or sent; without it only the core's generic check applies. Clients still encode every path
   * segment (`pathSegment` of the kit), a second wall.
   */
  validateCollectionName?(name: string): void;
  /** The strategy `startBackup` uses when the caller names none; LOGICAL when absent. */
  defaultStrategy?: 'LOGICAL' | 'NATIVE';
  /** Engine-specific options of `startBackup(input: { options })` (e.g. milvus-backup's `rbac`); strict, so unknown keys fail. */
  backupOptions?: z.ZodObject;
  /** Engine-specific options of `startRestore(input: { options })` (e.g. milvus-backup's `restoreIndex`); strict. */
  restoreOptions?: z.ZodObject;
  /**
   * Whether a backup the catalog knows no collections of (made outside the gateway, e.g. with milvus-backup's CLI
   * on a server that lists backups without them) can be restored whole: the request then has `collections: []`.
   */
  restoresUnlistedBackups?: boolean;
  /**
   * The collections of `catalog` a selection entry stands for when it is a pattern (Milvus `db.*`: every
   * collection of a database), each with its target under the pattern's rename `renameTo` (`db2.*`), or null when
   * the entry names one collection. The plan lists every member; where the catalog lists none (a backup made
   * outside the gateway) the pattern itself goes to the engine, which restores it as one unit.
   */
  expandSelection?(entry: string, renameTo: string | null, catalog: readonly string[]): Array<{ source: string; target: string }> | null;
  /** Checks a backup name against the engine's own naming rules (throws `invalid_name`) before a NATIVE job is queued. */
  checkNativeBackupName?(name: string): void;
  /** importBackup: reads a backup file on the gateway host (e.g. a Meilisearch .dump) without any engine. */
  inspectBackupFile?(file: string, signal: AbortSignal): Promise<InspectedBackupFile>;
  /**
   * Cross-engine restore: this plugin's archived schema ↔ the neutral description (`engines/neutral.ts`). A plugin
   * with it restores logical backups of every other plugin that has it, and its backups restore into them.
   */
  neutral?: NeutralConversion;
  /** Its atomic logical restore awaits `request.beforeSwap` before swapping in: a backup set's members swap together. */
  awaitsSetSwap?: boolean;
}

export interface InspectedBackupFile {
  engineVersion: string | null;
  /** e.g. "meilisearch dump v6". */
  format: string;
  createdAt: string | null;
  collections: NativeCollectionInfo[];
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Native backups: the engine's own mechanism (Meilisearch dumps, Typesense snapshots, milvus-backup).
// The file either is copied into gateway storage (when the operator mounts the engine's folder for the
// gateway) or stays on the engine side and is cataloged as an external artifact.

export interface NativeBackupRequest {
  /** null = everything the mechanism covers (a dump or snapshot is always whole; plugins say so in warnings). */
  collections: string[] | null;
  /** The catalog name of the backup; plugins that name server-side backups check it against the engine's rules. */
  name: string;
  /** Stable for the job: an idempotency key for engines whose create call may be retried (milvus-backup request_id). */
  requestId: string;
  /** Engine-specific backup options, already validated by the plugin's `backupOptions` schema (defaults applied). */
  options?: Record<string, unknown>;
}

export interface ExternalArtifact {
  /** Name as the engine knows it, e.g. "20240101-120000123.dump" or a milvus-backup backup name. */
  path: string;
  /** Where it lives, e.g. "meilisearch-server:dumps/20240101-120000123.dump" or "milvus-backup:backup/nightly". */
  location: string;
  bytes: number | null;
  description: string;
}

export interface NativeArtifactSink {
  /** Streams a file into gateway storage at `native/<path>`; size and sha256 are computed while writing. */
  writeFile(path: string, source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream): Promise<import('../storage/archive-types.ts').ArchiveFile>;
  /** Records something that stays on the engine side. */
  addExternal(artifact: ExternalArtifact): void;
}

export interface NativeCollectionInfo {
  name: string;
  documentCount: number | null;
  bytes: number | null;
}

export interface NativeBackupResult {
  engineVersion: string | null;
  collections: NativeCollectionInfo[];
  warnings: string[];
  /** The engine's own id of this backup (dump uid, snapshot path, milvus-backup name): used by restore, delete, sync. */
  externalId: string | null;
  /**
   * The engine's own format of this backup when it writes several (milvus-backup 0.6: "binlog" or "snapshot");
   * recorded in the manifest and the catalog, and handed back to restoreFacts as `sourceEngineFormat`.
   */
  engineFormat?: string | null;
}

export interface NativeBackupCapability {
  nativeBackup(request: NativeBackupRequest, sink: NativeArtifactSink, ctx: JobContext): Promise<NativeBackupResult>;
}

/** A native backup as a restore sees it: copied files (sha256 verified while read) and external references. */
export interface NativeBackupHandle {
  externalId: string | null;
  engineVersion: string | null;
  /** NativeBackupResult.engineFormat as recorded (null when unknown). */
  engineFormat?: string | null;
  files: import('../storage/archive-types.ts').ArchiveFile[];
  external: ExternalArtifact[];
  collections: NativeCollectionInfo[];
  /** Opens a copied file by its path as listed in `files`. */
  openFile(path: string): Promise<NodeJS.ReadableStream>;
}

export interface NativeRestoreCapability {
  nativeRestore(request: LogicalRestoreRequest, backup: NativeBackupHandle, ctx: JobContext): Promise<LogicalRestoreResult>;
}

/** Engines that keep backups on their side (milvus-backup): catalog reconciliation and deletion. */
export interface ServerBackupInfo {
  externalId: string;
  name: string;
  createdAt: string | null;
  collections: NativeCollectionInfo[];
  bytes: number | null;
  engineVersion: string | null;
  /** NativeBackupResult.engineFormat, when the engine tells it for a backup made outside the gateway. */
  engineFormat?: string | null;
}

export interface ServerBackupsCapability {
  listServerBackups(signal: AbortSignal): Promise<ServerBackupInfo[]>;
  deleteServerBackup(externalId: string, signal: AbortSignal): Promise<void>;
}
