// The restore orchestration every plugin shares, written once: which collection goes where (from the core's
// plan), staging names (they carry the job id and can never be a live name), progress totals, and rollback
// that runs on a fresh signal after the job's own was aborted. Plugins import it through src/plugin.ts.
import { randomUUID } from 'node:crypto';
import type { JobContext, LogicalRestoreRequest, PlannedRestoreItem, ProgressUpdate } from './contract.ts';

/**
 * Every working copy a restore makes starts with this. The core refuses it as a restore target or rename
 * (so a live name chosen by the core never carries it), and drops such collections of jobs no longer running.
 */
export const STAGING_PREFIX = '__gwstage_';
/** Physical collections that become live behind an alias (Typesense cannot rename one): clearly live, never staging. */
const LIVE_MARK = '__gwlive_';
/** The shortest maximum name length of the built-in engines (Milvus, MagnetoDB: 255). */
const MAX_NAME = 255;

function jobHex(jobId: string): string {
  const hex = jobId.replaceAll('-', '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`not a job id: ${jobId}`);
  return hex;
}

/** `__gwstage_<job id, 32 hex>_<target>`: the one place staging names are made. Valid wherever the target is. */
export function stagingName(jobId: string, target: string): string {
  return `${STAGING_PREFIX}${jobHex(jobId)}_${target}`.slice(0, MAX_NAME);
}

/** `<target>__gwlive_<job id>`: the physical collection behind a live alias, named apart from staging copies. */
export function livePhysicalName(jobId: string, target: string): string {
  const suffix = `${LIVE_MARK}${jobHex(jobId)}`;
  return `${target.slice(0, MAX_NAME - suffix.length)}${suffix}`;
}

export function isStagingName(name: string): boolean {
  return name.startsWith(STAGING_PREFIX);
}

/** The job a staging or live-physical name belongs to (uuid form), or null. */
export function restoreJobOf(name: string): { jobId: string; kind: 'staging' | 'live' } | null {
  const staging = /^__gwstage_([0-9a-f]{32})_/.exec(name);
  const live = /__gwlive_([0-9a-f]{32})$/.exec(name);
  const hex = staging?.[1] ?? live?.[1];
  if (hex === undefined) return null;
  const jobId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { jobId, kind: staging ? 'staging' : 'live' };
}

/**
 * The collections to write, in order, with their targets and planned action. From the core's plan when the
 * request carries one; otherwise (an older caller) every selected collection under its renamed target.
 */
export function restoreItems(request: LogicalRestoreRequest): PlannedRestoreItem[] {
  if (request.items) return request.items.filter((item) => item.action !== 'SKIP');
  return request.collections.map((source) => ({ source, target: request.rename[source] ?? source, action: 'CREATE', backupDocuments: null, staging: null }));
}

/**
 * The staging name of an item: the core's, or one made from the job id. A caller without a job (a plugin's own
 * tests) gets a fresh id: its copy then belongs to no job, so the gateway drops it if it is ever left behind.
 */
export function stagingOf(request: LogicalRestoreRequest, item: { target: string; staging?: string | null | undefined }): string {
  if (item.staging) return item.staging;
  return stagingName(request.jobId ?? (request.jobId = randomUUID()), item.target);
}

export interface DocumentProgress {
  completed: number;
  /** Reports the running count against the planned total (never below what is done). */
  report(phase: string, message?: string | null): void;
}

/** Progress totals of a restore, from the planned document counts: one definition for every plugin. */
export function restoreProgress(ctx: JobContext, total: number, unit = 'documents'): DocumentProgress {
  const progress: DocumentProgress = {
    completed: 0,
    report(phase, message) {
      const update: ProgressUpdate = { phase, completed: progress.completed, total: Math.max(total, progress.completed), unit, message: message ?? null };
      ctx.progress(update);
    },
  };
  return progress;
}

export function plannedTotal(items: readonly { backupDocuments: number | null }[], fallback: (index: number) => number = () => 0): number {
  return items.reduce((sum, item, index) => sum + (item.backupDocuments ?? fallback(index)), 0);
}

/**
 * Runs `work`; when it throws, runs `rollback` on a fresh signal (the job's may already be aborted) with a
 * bounded time, logs a rollback failure without hiding the cause, and rethrows the cause.
 */
export async function withRollback<T>(ctx: JobContext, work: () => Promise<T>, rollback: (signal: AbortSignal) => Promise<void>, timeoutMs = 60_000): Promise<T> {
  try {
    return await work();
  } catch (error) {
    try {
      await rollback(AbortSignal.timeout(timeoutMs));
    } catch (cleanupError) {
      ctx.logger.error('restore rollback failed; staging copies may be left (the gateway drops them later)', {
        error: cleanupError instanceof Error ? cleanupError.message : String(cleanupError),
      });
    }
    throw error;
  }
}

/**
 * Drops what a failed restore created, on a fresh bounded signal (the job's may be aborted). A failure is logged,
 * never thrown (it must not hide the cause); the gateway's staging janitor retries job-named copies later.
 */
export async function dropEach(ctx: JobContext, names: readonly string[], drop: (name: string, signal: AbortSignal) => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (const name of names) {
    try {
      await drop(name, signal);
    } catch (error) {
      ctx.logger.error('restore: could not drop a collection it created', { collection: name, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** Version order of "1.16.0", "v30.1", "0.22.2": negative when a < b; null when either is unknown. */
export function compareVersions(a: string | null, b: string | null): number | null {
  const parse = (v: string | null) => (v === null ? null : /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim()));
  const [x, y] = [parse(a), parse(b)];
  if (!x || !y) return null;
  for (let i = 1; i <= 3; i++) {
    const diff = Number(x[i] ?? 0) - Number(y[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Major version number, or null. */
export function majorOf(version: string | null): number | null {
  const match = version === null ? null : /^v?(\d+)/.exec(version.trim());
  return match ? Number(match[1]) : null;
}
