// Test kit for engine plugins: real temporary storage, a job context with a real AbortController,
// a progress recorder, a cancel trigger, and backup/restore runners wired like the core wires them.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  EngineInstance,
  EnginePlugin,
  JobContext,
  Logger,
  LogicalBackupRequest,
  LogicalBackupResult,
  LogicalRestoreRequest,
  LogicalRestoreResult,
  NativeBackupRequest,
  NativeBackupResult,
  ProgressUpdate,
} from '../engines/contract.ts';
import type { BackupManifest } from '../storage/archive-types.ts';
import type { ArchiveWriterSession, StorageDriver } from '../storage/driver.ts';
import { createArchiveWriter } from '../storage/archive-writer.ts';
import { openArchiveReader } from '../storage/archive-reader.ts';
import { LocalFsStorage } from '../storage/local-fs.ts';
import { createNativeSink, openNativeBackup, type NativeManifest } from '../storage/native-sink.ts';

export interface TempStorage {
  root: string;
  storage: StorageDriver;
  cleanup(): Promise<void>;
}

/** A LocalFsStorage in a fresh temporary directory. */
export async function createTempStorage(): Promise<TempStorage> {
  const root = await mkdtemp(join(tmpdir(), 'gateway-contract-'));
  return { root, storage: new LocalFsStorage({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export interface TestJob {
  ctx: JobContext;
  controller: AbortController;
  updates: ProgressUpdate[];
  logs: LogEntry[];
  /** Date.now() when cancel() first ran; null while not canceled. */
  canceledAt: number | null;
  cancel(): void;
  /** Cancels the job (once) as soon as a progress update matches. */
  cancelWhen(predicate: (update: ProgressUpdate) => boolean): void;
}

export function createRecordingLogger(logs: LogEntry[]): Logger {
  const log = (level: LogEntry['level']) => (message: string, fields?: Record<string, unknown>) => {
    logs.push({ level, message, fields });
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A JobContext with a real AbortController that records every progress update and log line. */
export function createTestJob(): TestJob {
  const controller = new AbortController();
  const updates: ProgressUpdate[] = [];
  const logs: LogEntry[] = [];
  const triggers: ((update: ProgressUpdate) => boolean)[] = [];
  const job: TestJob = {
    controller,
    updates,
    logs,
    canceledAt: null,
    ctx: {
      signal: controller.signal,
      logger: createRecordingLogger(logs),
      progress(update) {
        // Copy: a plugin may reuse its update object.
        updates.push({ ...update });
        if (triggers.some((trigger) => trigger(update))) job.cancel();
      },
    },
    cancel() {
      if (job.canceledAt !== null) return;
      job.canceledAt = Date.now();
      controller.abort();
    },
    cancelWhen(predicate) {
      triggers.push(predicate);
    },
  };
  return job;
}

export interface BackupRun {
  backupId: string;
  result: LogicalBackupResult;
  manifest: BackupManifest;
}

/** Opens an archive session for a new backup id, the way the core does before calling the plugin. */
export function openBackupSession(storage: StorageDriver, chunkBytes?: number): { backupId: string; session: ArchiveWriterSession } {
  const backupId = randomUUID();
  return { backupId, session: createArchiveWriter({ storage, backupId, ...(chunkBytes === undefined ? {} : { chunkBytes }) }) };
}

/** Runs logicalBackup into a new archive and finalizes the manifest; aborts the archive on failure. */
export async function runBackup(
  plugin: EnginePlugin,
  instance: EngineInstance,
  storage: StorageDriver,
  request: LogicalBackupRequest,
  job: TestJob = createTestJob(),
): Promise<BackupRun> {
  if (instance.logicalBackup === undefined) throw new Error(`${plugin.name} has no logicalBackup`);
  const { backupId, session } = openBackupSession(storage);
  const createdAt = new Date().toISOString();
  try {
    const result = await instance.logicalBackup(request, session, job.ctx);
    const manifest = await session.finalize({
      plugin: plugin.name,
      engineVersion: result.engineVersion,
      strategy: 'LOGICAL',
      type: 'FULL',
      createdAt,
      finishedAt: new Date().toISOString(),
      warnings: result.warnings,
    });
    return { backupId, result, manifest };
  } catch (error) {
    await session.abort();
    throw error;
  }
}

export async function runRestore(
  instance: EngineInstance,
  storage: StorageDriver,
  backupId: string,
  request: LogicalRestoreRequest,
  job: TestJob = createTestJob(),
): Promise<LogicalRestoreResult> {
  if (instance.logicalRestore === undefined) throw new Error('plugin has no logicalRestore');
  const archive = await openArchiveReader({ storage, backupId });
  return instance.logicalRestore(request, archive, job.ctx);
}

export interface NativeBackupRun {
  backupId: string;
  result: NativeBackupResult;
  manifest: NativeManifest;
}

/** Runs nativeBackup into a real native sink and finalizes its manifest, as the core does; aborts the sink on failure. */
export async function runNativeBackup(
  plugin: EnginePlugin,
  instance: EngineInstance,
  storage: StorageDriver,
  request: NativeBackupRequest,
  job: TestJob = createTestJob(),
): Promise<NativeBackupRun> {
  if (instance.nativeBackup === undefined) throw new Error(`${plugin.name} has no nativeBackup`);
  const backupId = randomUUID();
  const sink = createNativeSink({ storage, backupId });
  const createdAt = new Date().toISOString();
  try {
    const result = await instance.nativeBackup(request, sink, job.ctx);
    const manifest = await sink.finalize({
      plugin: plugin.name,
      engineVersion: result.engineVersion,
      engineFormat: result.engineFormat ?? null,
      externalId: result.externalId,
      collections: result.collections,
      warnings: result.warnings,
      createdAt,
      finishedAt: new Date().toISOString(),
    });
    return { backupId, result, manifest };
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

/** Opens a finished native backup (checksums verified while read) and hands it to nativeRestore. */
export async function runNativeRestore(
  instance: EngineInstance,
  storage: StorageDriver,
  backupId: string,
  request: LogicalRestoreRequest,
  job: TestJob = createTestJob(),
): Promise<LogicalRestoreResult> {
  if (instance.nativeRestore === undefined) throw new Error('plugin has no nativeRestore');
  const handle = await openNativeBackup({ storage, backupId });
  return instance.nativeRestore(request, handle, job.ctx);
}

/** Settles `promise` and reports how long after `job.cancel()` it did. */
export async function settleAfterCancel<T>(promise: Promise<T>, job: TestJob): Promise<{ error: unknown; value: T | undefined; msAfterCancel: number | null }> {
  let error: unknown;
  let value: T | undefined;
  try {
    value = await promise;
  } catch (caught) {
    error = caught;
  }
  return { error, value, msAfterCancel: job.canceledAt === null ? null : Date.now() - job.canceledAt };
}

/** Collects unhandled promise rejections until stop() is called. */
export function watchUnhandledRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const listener = (reason: unknown): void => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { rejections, stop: () => process.off('unhandledRejection', listener) };
}

export interface ProgressProblem {
  index: number;
  problem: string;
}

/**
 * Checks a job's progress stream: numbers not strings, `completed` never decreasing within a
 * (phase, unit), and `total` — when known — never below `completed` at the end of a phase.
 */
export function progressProblems(updates: readonly ProgressUpdate[]): ProgressProblem[] {
  const problems: ProgressProblem[] = [];
  const last = new Map<string, ProgressUpdate>();
  updates.forEach((update, index) => {
    const fail = (problem: string): void => {
      problems.push({ index, problem });
    };
    if (typeof update.phase !== 'string' || update.phase.length === 0) fail('phase is not a non-empty string');
    if (typeof update.unit !== 'string' || update.unit.length === 0) fail('unit is not a non-empty string');
    if (!Number.isSafeInteger(update.completed) || update.completed < 0) fail(`completed ${String(update.completed)} is not a count`);
    if (update.total !== null && (!Number.isSafeInteger(update.total) || update.total < 0)) fail(`total ${String(update.total)} is not null or a count`);
    if (update.bytes != null && (!Number.isSafeInteger(update.bytes) || update.bytes < 0)) fail(`bytes ${String(update.bytes)} is not a count`);
    const key = `${update.phase}\u0000${update.unit}`;
    const previous = last.get(key);
    if (previous !== undefined && update.completed < previous.completed) {
      fail(`completed went down from ${previous.completed} to ${update.completed} in phase ${update.phase}`);
    }
    last.set(key, update);
  });
  for (const update of last.values()) {
    if (update.total !== null && update.total < update.completed) {
      problems.push({ index: updates.lastIndexOf(update), problem: `phase ${update.phase} ended with total ${update.total} < completed ${update.completed}` });
    }
  }
  return problems;
}
