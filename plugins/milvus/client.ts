// The only file that speaks milvus-backup's REST API (`/api/v1`): one fetch per call, bound to the job's
// signal plus a timeout; answers checked with zod and normalised across the response generations
// (≤ v0.5.9: full BackupInfo; v0.5.10+ and v0.6: BackupInfoBrief / BackupSummary, v0.6 with `format`; what else
// differs lives in generations.ts); every failure a coded GatewayError.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { callEngine, fetchEngine, parseEngineJson, timerMs, totalOf } from '../../src/plugin.ts';
/** The kit's cancel error, for this plugin's other files. */
export { canceledError } from '../../src/plugin.ts';
import { GatewayError } from '../../src/errors.ts';

export const BackupStateCode = { INITIAL: 0, EXECUTING: 1, SUCCESS: 2, FAIL: 3, TIMEOUT: 4 } as const;

export interface BackupCollection {
  db: string;
  collection: string;
  bytes: number | null;
  /** Only v0.5.9's full BackupInfo carries segment row counts. */
  rows: number | null;
}

/** One backup as get_backup or list describe it; fields a generation omits are null. */
export interface BackupState {
  /** The task id (= the create request_id) — also kept in the backup's meta. */
  id: string | null;
  name: string | null;
  state: number;
  progress: number;
  errorMessage: string | null;
  startedAt: string | null;
  bytes: number | null;
  milvusVersion: string | null;
  /** BackupInfoBrief.format (v0.6, finished backups): "snapshot"; null when absent ("" = binlog is omitted). */
  format: string | null;
  /** null when the answer does not list them (v0.5.10+ list, or a task still running). */
  collections: BackupCollection[] | null;
}

export interface RestoreState {
  id: string | null;
  state: number;
  progress: number;
  errorMessage: string | null;
  /** Target collections (`db.collection`) of the task's per-collection tasks, when the answer lists them. */
  targets: string[];
}

/** CreateBackupRequest fields the plugin sends; the selection uses db_collections, which both generations read. */
export interface CreateBackupBody {
  backup_name: string;
  async: true;
  db_collections?: string;
  rbac?: boolean;
  /** v0.5.9's switch; deprecated in v0.5.10+ for `strategy: meta_only`, so both are sent. */
  meta_only?: boolean;
  strategy?: 'meta_only';
  /** v0.6 only (generations.ts formatFields): pin the format instead of auto. */
  format?: 'binlog' | 'snapshot';
}

export interface RestoreBody {
  backup_name: string;
  async: true;
  id: string;
  collection_names?: string[];
  collection_suffix?: string;
  collection_renames?: Record<string, string>;
  dropExistCollection?: boolean;
  restoreIndex?: boolean;
  useAutoIndex?: boolean;
  metaOnly?: boolean;
  skipCreateCollection?: boolean;
  rbac?: boolean;
  bucket_name?: string;
  path?: string;
}

const envelope = z.object({ requestId: z.string().optional(), code: z.number().int().optional(), msg: z.string().optional() });
const count = z.number().optional();
const rawCollection = z.object({
  db_name: z.string().optional(),
  collection_name: z.string().optional(),
  size: count,
  partition_backups: z.array(z.object({ segment_backups: z.array(z.object({ num_of_rows: count })).nullish() })).nullish(),
});
const rawBackup = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  state_code: z.number().int().optional(),
  progress: count,
  errorMessage: z.string().optional(),
  start_time: count,
  size: count,
  milvus_version: z.string().optional(),
  format: z.string().optional(),
  collection_backups: z.array(rawCollection).nullish(),
});
const rawRestore = z.object({
  id: z.string().optional(),
  state_code: z.number().int().optional(),
  progress: count,
  errorMessage: z.string().optional(),
  collection_restore_tasks: z.array(z.object({ target_db_name: z.string().optional(), target_collection_name: z.string().optional() })).nullish(),
});
const backupAnswer = envelope.extend({ data: rawBackup.nullish() });
const listAnswer = envelope.extend({ data: z.array(rawBackup).nullish() });
const restoreAnswer = envelope.extend({ data: rawRestore.nullish() });

export function engineCode(error: unknown): number | null {
  const code = error instanceof GatewayError ? error.details?.['engineCode'] : undefined;
  return typeof code === 'number' ? code : null;
}

export function engineMessage(error: unknown): string {
  const message = error instanceof GatewayError ? error.details?.['engineMessage'] : undefined;
  return typeof message === 'string' ? message : '';
}

export class MilvusBackupClient {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(connection: { url: string; timeoutMs: number }) {
    // Accept the server root or the API root.
    this.#base = `${connection.url.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
    this.#timeoutMs = timerMs(connection.timeoutMs);
  }

  /** GET /hello: text "Hello, This is backup service". */
  async hello(signal: AbortSignal): Promise<string> {
    return (await this.#send('hello', 'GET', '/hello', {}, signal)).text;
  }

  /** GET /check: connects to Milvus and both storages; text with "Milvus version: …". */
  async check(signal: AbortSignal): Promise<string> {
    const { status, text } = await this.#send('check', 'GET', '/check', {}, signal);
    if (status !== 200) throw httpError('check', status, text);
    return text;
  }

  async createBackup(body: CreateBackupBody, requestId: string, signal: AbortSignal): Promise<void> {
    await this.#json('create backup', 'POST', '/create', { body, headers: { request_id: requestId } }, backupAnswer, signal);
  }

  /** null when this server process has no such task (v0.5.10+ "task not found"; v0.5.9 `data: null`). */
  async getBackupById(id: string, signal: AbortSignal): Promise<BackupState | null> {
    try {
      const answer = await this.#json('get backup', 'GET', '/get_backup', { query: { backup_id: id } }, backupAnswer, signal);
      return answer.data ? toBackupState(answer.data) : null;
    } catch (error) {
      if (engineCode(error) === 3 && /task not found/i.test(engineMessage(error))) return null;
      throw error;
    }
  }

  /** How the server answers a task id it never had: v0.5.9 with `data: null` (true), v0.5.10+ with code 3 (false). */
  async answersUnknownTaskWithNull(signal: AbortSignal): Promise<boolean> {
    try {
      await this.#json('get backup', 'GET', '/get_backup', { query: { backup_id: `gateway_probe_${randomUUID()}` } }, backupAnswer, signal);
      return true;
    } catch (error) {
      if (engineCode(error) === 3) return false;
      throw error;
    }
  }

  /** null when unknown (v0.5.9 code 404) or when v0.5.10+ answers the empty brief it gives for names it has no task for. */
  async getBackupByName(name: string, signal: AbortSignal): Promise<BackupState | null> {
    try {
      const answer = await this.#json('get backup', 'GET', '/get_backup', { query: { backup_name: name } }, backupAnswer, signal);
      if (!answer.data || (!answer.data.id && !answer.data.name)) return null;
      return toBackupState(answer.data);
    } catch (error) {
      if (engineCode(error) === 404) return null;
      throw error;
    }
  }

  async listBackups(signal: AbortSignal): Promise<BackupState[]> {
    const answer = await this.#json('list backups', 'GET', '/list', {}, listAnswer, signal);
    return (answer.data ?? []).filter((item) => item.name).map(toBackupState);
  }

  async deleteBackup(name: string, signal: AbortSignal): Promise<void> {
    await this.#json('delete backup', 'DELETE', '/delete', { query: { backup_name: name } }, envelope, signal);
  }

  async restore(body: RestoreBody, signal: AbortSignal): Promise<void> {
    await this.#json('restore', 'POST', '/restore', { body }, restoreAnswer, signal);
  }

  /** null when this server process has no such task (it keeps restore tasks in memory only). */
  async getRestore(id: string, signal: AbortSignal): Promise<RestoreState | null> {
    try {
      const answer = await this.#json('get restore', 'GET', '/get_restore', { query: { id } }, restoreAnswer, signal);
      if (!answer.data) return null;
      const data = answer.data;
      const targets = (data.collection_restore_tasks ?? [])
        .filter((task) => task.target_collection_name)
        .map((task) => `${task.target_db_name || 'default'}.${task.target_collection_name}`);
      return { id: data.id ?? null, state: data.state_code ?? 0, progress: data.progress ?? 0, errorMessage: data.errorMessage || null, targets };
    } catch (error) {
      if (engineCode(error) === 3 && /task not found|not exist/i.test(engineMessage(error))) return null;
      throw error;
    }
  }

  /** A JSON call: HTTP 200 with `code` missing or 0 is success; anything else becomes a coded GatewayError. */
  async #json<T extends z.ZodType<z.infer<typeof envelope>>>(
    operation: string,
    method: string,
    path: string,
    request: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> },
    schema: T,
    signal: AbortSignal,
  ): Promise<z.infer<T>> {
    const answer = await this.#send(operation, method, path, request, signal);
    if (answer.status !== 200) throw httpError(operation, answer.status, answer.text);
    const parsed = parseEngineJson(`milvus-backup ${operation}`, answer, schema);
    const code = parsed.code ?? 0;
    if (code !== 0) throw codedError(operation, code, parsed.msg ?? '');
    return parsed;
  }

  /** GETs other than the health probes are retried on transient failures; everything else is sent once. */
  #send(
    operation: string,
    method: string,
    path: string,
    request: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> },
    signal: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    const idempotent = method === 'GET' && path !== '/hello' && path !== '/check';
    return callEngine({ idempotent, signal }, async () => {
      const answer = await this.#sendOnce(operation, method, path, request, signal);
      // A 5xx answer is a failure worth another attempt; the callers map it to its code as before.
      if (idempotent && answer.status >= 500) throw httpError(operation, answer.status, answer.text);
      return answer;
    });
  }

  async #sendOnce(
    operation: string,
    method: string,
    path: string,
    request: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> },
    signal: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    const query = request.query === undefined ? '' : `?${new URLSearchParams(request.query).toString()}`;
    const url = `${this.#base}${path}${query}`;
    return fetchEngine(`milvus-backup ${operation} at ${this.#base}`, url, { method, ...request }, signal, this.#timeoutMs);
  }
}

/** ResponseCode: 1 Not_Support, 2 No_Permission, 3 Fail, 400 Parameter_Error, 404 Request_Object_Not_Found. */
function codedError(operation: string, code: number, message: string): GatewayError {
  const details = { engineCode: code, engineMessage: message };
  const text = `milvus-backup ${operation}: ${message || 'no message'} (code ${code})`;
  if (code === 2) return new GatewayError('engine_auth_failed', text, { details });
  if (code === 404 || (code === 400 && /backup .* not found/i.test(message))) return new GatewayError('backup_not_found', text, { details });
  return new GatewayError('engine_error', text, { details });
}

function httpError(operation: string, status: number, text: string): GatewayError {
  let reason = text.trim().slice(0, 300);
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') reason = body.error;
  } catch {
    // a text answer: keep it as it is
  }
  const hint = status === 404 ? ' — is `url` a milvus-backup server (`milvus-backup server`)?' : '';
  return new GatewayError('engine_error', `milvus-backup ${operation}: HTTP ${status}${reason ? `: ${reason}` : ''}${hint}`, { details: { status } });
}

function toBackupState(raw: z.infer<typeof rawBackup>): BackupState {
  const startTime = raw.start_time ?? 0;
  return {
    id: raw.id || null,
    name: raw.name || null,
    state: raw.state_code ?? 0,
    progress: raw.progress ?? 0,
    errorMessage: raw.errorMessage || null,
    // v0.5.9 wrote milliseconds, v0.5.10+ writes seconds; a running v0.5.10+ task reports Go's zero time as end.
    startedAt: startTime <= 0 ? null : new Date(startTime > 1e11 ? startTime : startTime * 1000).toISOString(),
    bytes: raw.size ?? null,
    milvusVersion: raw.milvus_version || null,
    format: raw.format || null,
    collections: raw.collection_backups == null ? null : raw.collection_backups.map(toCollection),
  };
}

function toCollection(raw: z.infer<typeof rawCollection>): BackupCollection {
  const segments = raw.partition_backups?.flatMap((p) => p.segment_backups ?? []);
  const rows = segments === undefined ? null : totalOf(segments, (segment) => segment.num_of_rows);
  return { db: raw.db_name || 'default', collection: raw.collection_name ?? '', bytes: raw.size ?? null, rows };
}
