// The plugin contract: what an engine plugin is, and the narrow context the core hands it.
import type { z } from 'zod';
import type { ArchiveReader, ArchiveWriter } from '../storage/archive-types.ts';

export const PLUGIN_API_VERSION = 1 as const;

export type Capability = 'logicalBackup' | 'logicalRestore' | 'nativeBackup' | 'cancel';

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
}

export interface EngineHealth {
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
}

export interface LogicalBackupRequest {
  /** null = every collection the engine has. */
  collections: string[] | null;
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

/** The tiny required core of a live plugin instance; capabilities are optional members. */
export interface EngineInstance extends Partial<LogicalBackupCapability>, Partial<LogicalRestoreCapability> {
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
}
