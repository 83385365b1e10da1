// The backup and restore plumbing every plugin shares, written once beside restore-kit.ts: selecting
// collections by name, document progress with a running total, reading pages ahead, and the archived schema of
// each planned restore item. Plugins import it through src/plugin.ts.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import type { ArchiveReader } from '../storage/archive-types.ts';
import type { EngineHealth, JobContext, LogicalRestoreRequest, PlannedRestoreItem } from './contract.ts';
import { restoreItems } from './restore-kit.ts';

/** A plugin's config schema: strict, an unknown key answered with the valid ones (`engine`: "Typesense"). */
export function strictConfig<S extends z.ZodRawShape>(shape: S, engine: string) {
  const valid = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown ${engine} config key(s): ${issue.keys.join(', ')}. Valid keys: ${valid}` : undefined),
  });
}

/** The error a plugin throws when its job's signal fired: the core's own reason when it gave a coded one. */
export function canceledError(signal: AbortSignal): GatewayError {
  if (signal.reason instanceof GatewayError) return signal.reason;
  return new GatewayError('job_canceled', 'Operation canceled', { cause: signal.reason });
}

export function throwIfCanceled(signal: AbortSignal): void {
  if (signal.aborted) throw canceledError(signal);
}

/** Waits `ms`; the job's cancel ends the wait with its canceledError. */
export async function sleepOrCancel(ms: number, signal: AbortSignal): Promise<void> {
  await pause(ms, signal);
  throwIfCanceled(signal);
}

/** Waits `ms`, or less when `signal` fires; never throws (the caller looks at the signal). */
export async function pause(ms: number, signal: AbortSignal | null): Promise<void> {
  try {
    await sleep(ms, undefined, signal === null ? {} : { signal });
  } catch {
    // woken by the signal
  }
}

/**
 * One HTTP exchange with an engine (`what`: "MagnetoDB scan"), bound by the job's signal and `timeoutMs`; a JSON
 * body is sent as such. Transport failures are coded: the job's cancel, `engine_timeout`, `engine_unreachable`.
 */
export async function fetchEngine(
  what: string,
  url: string,
  request: { method: string; headers?: Record<string, string>; body?: unknown },
  signal: AbortSignal,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  throwIfCanceled(signal);
  const timeout = AbortSignal.timeout(timeoutMs);
  const json: Record<string, string> = request.body === undefined ? {} : { 'content-type': 'application/json' };
  try {
    const response = await fetch(url, {
      method: request.method,
      headers: { accept: 'application/json', ...json, ...request.headers },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.any([signal, timeout]),
    });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    if (signal.aborted) throw canceledError(signal);
    if (timeout.aborted) throw new GatewayError('engine_timeout', `${what} timed out after ${timeoutMs} ms`, { cause: error });
    // fetch wraps the socket error (ECONNREFUSED, …) one level deeper.
    const inner = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    throw new GatewayError('engine_unreachable', `${what}: ${error instanceof Error ? error.message : String(error)}${inner}`, { cause: error });
  }
}

/** An engine's answer as JSON of the expected shape; anything else is `engine_error` with the HTTP status. */
export function parseEngineJson<S extends z.ZodType>(what: string, answer: { status: number; text: string }, schema: S): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw new GatewayError('engine_error', `${what}: the answer is not JSON (${answer.text.slice(0, 200)})`, { details: { status: answer.status } });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new GatewayError('engine_error', `${what}: unexpected answer: ${z.prettifyError(parsed.error)}`, { details: { status: answer.status } });
  return parsed.data;
}

/** The HTTP status a plugin client recorded on a failed engine call (`details.status`), or null. */
export function engineStatus(error: unknown): number | null {
  const status = error instanceof GatewayError ? error.details?.['status'] : undefined;
  return typeof status === 'number' ? status : null;
}

/**
 * Every item, or the selected ones in selection order (duplicates once); an unknown name fails with
 * `collection_not_found` before anything is written. `what` names the kind: "Typesense collection(s)".
 */
export function selectNamed<T>(all: readonly T[], selected: readonly string[] | null, nameOf: (item: T) => string, what: string): T[] {
  if (selected === null) return [...all];
  const byName = new Map(all.map((item) => [nameOf(item), item]));
  failIfMissing(
    selected.filter((name) => !byName.has(name)),
    what,
  );
  return [...new Set(selected)].map((name) => byName.get(name)!);
}

/** `collection_not_found` naming every missing collection (`what`: "MagnetoDB table(s)"), when there is any. */
export function failIfMissing(missing: readonly string[], what: string): void {
  if (missing.length > 0) throw new GatewayError('collection_not_found', `${what} not found: ${missing.join(', ')}`, { details: { collections: [...missing] } });
}

/** An engine's health from `check`: a failure is a down engine with its message (after `prefix`), never an error. */
export async function probeHealth(check: () => Promise<EngineHealth>, prefix = ''): Promise<EngineHealth> {
  try {
    return await check();
  } catch (error) {
    return { ok: false, version: null, message: `${prefix}${error instanceof Error ? error.message : String(error)}` };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The sum of a count over items; an unknown count (null) adds nothing. */
export function totalOf<T>(items: readonly T[], count: (item: T) => number | null | undefined): number {
  return items.reduce((sum, item) => sum + (count(item) ?? 0), 0);
}

export interface TransferProgress {
  completed: number;
  /** Reports the running count against the total (never below what is done), with the bytes written so far. */
  report(phase: string, message?: string | null): void;
  /** Work found on the way (a collection read again): the total grows, progress never goes back. */
  grow(count: number): void;
}

/** Progress of a transfer counted in documents (or items): one definition for every plugin's backup. */
export function transferProgress(ctx: JobContext, total: number | null, options: { unit?: string; bytes?: () => number | null } = {}): TransferProgress {
  let planned = total;
  const progress: TransferProgress = {
    completed: 0,
    report(phase, message) {
      const bytes = options.bytes?.() ?? null;
      ctx.progress({
        phase,
        completed: progress.completed,
        total: planned === null ? null : Math.max(planned, progress.completed),
        unit: options.unit ?? 'documents',
        ...(bytes === null ? {} : { bytes }),
        message: message ?? null,
      });
    },
    grow(count) {
      if (planned !== null) planned += count;
    },
  };
  return progress;
}

export type PercentReporter = (phase: string, percent: number, extra?: { bytes?: number | null; message?: string | null }) => void;

/** Progress in percent of an engine-side task: never going down, one update per change of phase or percent. */
/** `engineTask`: the engine's task id every update records, so a job re-queued after a gateway restart follows it. */
export function percentProgress(ctx: JobContext, engineTask?: string): PercentReporter {
  let lastPhase = '';
  let high = -1;
  return (phase, percent, extra = {}) => {
    const completed = Math.max(high, Math.min(100, Math.max(0, Math.trunc(percent))));
    if (phase === lastPhase && completed === high) return;
    lastPhase = phase;
    high = completed;
    ctx.progress({ phase, completed, total: 100, unit: 'percent', bytes: extra.bytes ?? null, message: extra.message ?? null, ...(engineTask ? { engineTask } : {}) });
  };
}

/** The gateway is shutting down (not a cancel): an engine-side task goes on, and the re-queued job follows it. */
export function isShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof GatewayError && signal.reason.code === 'interrupted';
}

/**
 * Pages of a paged read, the next one requested while the caller handles the current one (engine and disk
 * work at once). `after(page, cursor)` gives the cursor of the next page, or undefined after the last.
 */
export async function* readAhead<C, P>(first: C, fetch: (cursor: C) => Promise<P>, after: (page: P, cursor: C) => C | undefined): AsyncGenerator<P> {
  const start = (cursor: C): Promise<P> => {
    const pending = fetch(cursor);
    pending.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
    return pending;
  };
  let cursor: C | undefined = first;
  let next = start(first);
  while (cursor !== undefined) {
    const page = await next;
    cursor = after(page, cursor);
    if (cursor !== undefined) next = start(cursor);
    yield page;
  }
}

/** A planned restore item with its archived schema and the documents it is expected to bring (the progress total). */
export interface ArchivedRestoreItem<S> extends PlannedRestoreItem {
  schema: S;
  backupDocuments: number;
}

/**
 * The items to restore with their archived schemas, parsed with the plugin's zod schema: a collection the archive
 * lacks is `collection_not_found`, a schema file of another shape `archive_invalid` (`what`: "Typesense collection
 * schema"), both before anything is touched.
 */
export async function archivedItems<S>(request: LogicalRestoreRequest, archive: ArchiveReader, schema: z.ZodType<S>, what: string): Promise<ArchivedRestoreItem<S>[]> {
  const items: ArchivedRestoreItem<S>[] = [];
  for (const item of restoreItems(request)) {
    const entry = archive.manifest.collections.find((collection) => collection.name === item.source);
    if (entry === undefined) {
      throw new GatewayError('collection_not_found', `Collection ${item.source} is not in backup ${archive.manifest.backupId}`, { details: { collections: [item.source] } });
    }
    const parsed = schema.safeParse(await archive.readCollectionSchema(item.source));
    if (!parsed.success) throw new GatewayError('archive_invalid', `Schema of ${item.source} is not a ${what}: ${z.prettifyError(parsed.error)}`);
    items.push({ ...item, schema: parsed.data, backupDocuments: item.backupDocuments ?? entry.documentCount });
  }
  return items;
}

/** The restore's job id (a fresh one for a caller without a job, kept on the request): names its copies. */
export function restoreJobId(request: LogicalRestoreRequest): string {
  return request.jobId ?? (request.jobId = randomUUID());
}

/**
 * Yields the items of `source` while it already reads the next one: a stream keeps flowing from the socket while
 * the caller writes an item, instead of pausing the engine's stream at every write.
 */
export async function* prefetchNext<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  const ask = (): Promise<IteratorResult<T>> => {
    const pending = source.next();
    pending.catch(() => undefined); // awaited below; this only keeps a failure while the caller writes from counting as unhandled
    return pending;
  };
  let next = ask();
  try {
    for (;;) {
      const current = await next;
      if (current.done === true) return;
      next = ask();
      yield current.value;
    }
  } finally {
    await source.return(undefined);
  }
}
