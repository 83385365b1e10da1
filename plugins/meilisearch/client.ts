// The only file that speaks to Meilisearch: wraps the official client, binds every request to the
// job's AbortSignal plus a per-request timeout, and turns every failure into a coded GatewayError.
import { Meilisearch, MeilisearchApiError, MeilisearchRequestError, type Config, type IndexSwap, type Settings, type Task } from 'meilisearch';
import { z } from 'zod';
import { callEngine, canceledError, pathSegment, sleepOrCancel, throwIfCanceled, timerMs } from '../../src/plugin.ts';
/** Cancel and status helpers of the kit, for this plugin's other files. */
export { canceledError, engineStatus, throwIfCanceled } from '../../src/plugin.ts';
import { GatewayError } from '../../src/errors.ts';
import { documentLines, type DocumentLines } from './document-page.ts';
import {
  legacyDumpSchema,
  type BatchProgress,
  type EngineTask,
  type ExportRequest,
  type IndexInfo,
  type KeyMetadata,
  type LegacyDump,
  type MeilisearchConnection,
  type TaskState,
  type WaitOptions,
} from './client-types.ts';

export type { BatchProgress, EngineTask, ExportRequest, IndexInfo, KeyMetadata, LegacyDump, MeilisearchConnection, TaskState, WaitOptions } from './client-types.ts';

const LIST_PAGE = 100;

/** What the SDK calls instead of fetch: fetchJson for every answer, fetchBytes for document pages. */
type HttpClient = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => Promise<unknown>;

export function isEngineCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof GatewayError && codes.includes(String(error.details?.['engineCode']));
}

/**
 * meilisearch-js puts index uids into URL paths as they are (`indexes/${uid}`): every call here that addresses
 * an index by path passes `pathSegment(uid)` instead, so a uid can never name another route. Uids that travel
 * in a JSON body (createIndex, swapIndexes) or a query string (the SDK encodes those) stay as they are.
 */
export class MeilisearchClient {
  readonly #connection: MeilisearchConnection;

  constructor(connection: MeilisearchConnection) {
    this.#connection = { ...connection, timeoutMs: timerMs(connection.timeoutMs) };
  }

  async health(signal: AbortSignal): Promise<string> {
    return (await this.#call('health', signal, (sdk) => sdk.health())).status;
  }

  async version(signal: AbortSignal): Promise<string> {
    return (await this.#call('version', signal, (sdk) => sdk.getVersion())).pkgVersion;
  }

  async listIndexes(signal: AbortSignal): Promise<IndexInfo[]> {
    const indexes: IndexInfo[] = [];
    for (let offset = 0; ; offset += LIST_PAGE) {
      const page = await this.#read('list indexes', signal, (sdk) => sdk.getRawIndexes({ offset, limit: LIST_PAGE }));
      for (const index of page.results) indexes.push({ uid: index.uid, primaryKey: index.primaryKey ?? null });
      if (page.results.length < LIST_PAGE || offset + LIST_PAGE >= page.total) return indexes;
    }
  }

  /** null when the index does not exist. */
  async getIndex(uid: string, signal: AbortSignal): Promise<IndexInfo | null> {
    try {
      const index = await this.#read('get index', signal, (sdk) => sdk.getRawIndex(pathSegment(uid)));
      return { uid: index.uid, primaryKey: index.primaryKey ?? null };
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'collection_not_found') return null;
      throw error;
    }
  }

  async documentCount(uid: string, signal: AbortSignal): Promise<number> {
    return (await this.#read('index stats', signal, (sdk) => sdk.index(pathSegment(uid)).getStats())).numberOfDocuments;
  }

  async getSettings(uid: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    return (await this.#read('get settings', signal, (sdk) => sdk.index(pathSegment(uid)).getSettings())) as Record<string, unknown>;
  }

  /** A page of documents as JSON lines, copied from the answer's bytes without parsing a document (document-page.ts). */
  async getDocumentLines(uid: string, page: { offset: number; limit: number; retrieveVectors: boolean }, signal: AbortSignal): Promise<DocumentLines> {
    const query = { offset: page.offset, limit: page.limit, ...(page.retrieveVectors ? { retrieveVectors: true } : {}) };
    // With fetchBytes as its HTTP client the SDK hands back the answer's bytes as they came.
    const bytes = await this.#read('get documents', signal, (sdk) => sdk.index(pathSegment(uid)).getDocuments(query) as unknown as Promise<Buffer>, fetchBytes);
    return documentLines(bytes);
  }

  async listKeys(signal: AbortSignal): Promise<KeyMetadata[]> {
    const keys: KeyMetadata[] = [];
    for (let offset = 0; ; offset += LIST_PAGE) {
      const page = await this.#read('list keys', signal, (sdk) => sdk.getKeys({ offset, limit: LIST_PAGE }));
      for (const key of page.results) {
        // The secret `key` value is deliberately not copied.
        keys.push({
          uid: key.uid,
          name: key.name ?? null,
          description: key.description ?? null,
          actions: key.actions,
          indexes: key.indexes,
          expiresAt: key.expiresAt == null ? null : String(key.expiresAt),
        });
      }
      if (page.results.length < LIST_PAGE || offset + LIST_PAGE >= page.total) return keys;
    }
  }

  /**
   * POST /keys with the archived uid: Meilisearch derives the key value from the uid and the master key
   * (HMAC-SHA256), so under the same master key the recreated key has its old value. Not retried: a create that
   * landed but whose answer was lost comes back `api_key_already_exists`.
   */
  async createKey(key: KeyMetadata, signal: AbortSignal): Promise<void> {
    await this.#call('create key', signal, (sdk) =>
      sdk.createKey({
        uid: key.uid,
        ...(key.name === null ? {} : { name: key.name }),
        ...(key.description === null ? {} : { description: key.description }),
        actions: key.actions as never,
        indexes: key.indexes,
        expiresAt: key.expiresAt as never,
      }),
    );
  }

  // Writes return the engine task uid; callers wait with waitForTask.

  async createIndex(uid: string, primaryKey: string | null, signal: AbortSignal): Promise<number> {
    const options = primaryKey === null ? {} : { primaryKey };
    return (await this.#call('create index', signal, (sdk) => sdk.createIndex(uid, options))).taskUid;
  }

  async setPrimaryKey(uid: string, primaryKey: string, signal: AbortSignal): Promise<number> {
    return (await this.#call('update index', signal, (sdk) => sdk.updateIndex(pathSegment(uid), { primaryKey }))).taskUid;
  }

  async updateSettings(uid: string, settings: Record<string, unknown>, signal: AbortSignal): Promise<number> {
    return (await this.#call('update settings', signal, (sdk) => sdk.index(pathSegment(uid)).updateSettings(settings as Settings))).taskUid;
  }

  async addDocuments(uid: string, documents: readonly unknown[], primaryKey: string | null, signal: AbortSignal): Promise<number> {
    const ndjson = documents.map((document) => JSON.stringify(document)).join('\n');
    const options = primaryKey === null ? undefined : { primaryKey };
    const task = await this.#call('add documents', signal, (sdk) => sdk.index(pathSegment(uid)).addDocumentsFromString(ndjson, 'application/x-ndjson', options));
    return task.taskUid;
  }

  async deleteAllDocuments(uid: string, signal: AbortSignal): Promise<number> {
    return (await this.#call('delete documents', signal, (sdk) => sdk.index(pathSegment(uid)).deleteAllDocuments())).taskUid;
  }

  async deleteIndex(uid: string, signal: AbortSignal): Promise<number> {
    return (await this.#call('delete index', signal, (sdk) => sdk.deleteIndex(pathSegment(uid)))).taskUid;
  }

  /** `rename` is only sent when true: servers before v1.18 reject the unknown field. */
  async swapIndexes(swaps: { indexes: [string, string]; rename: boolean }[], signal: AbortSignal): Promise<number> {
    const body = swaps.map((swap) => (swap.rename ? swap : { indexes: swap.indexes })) as IndexSwap[];
    return (await this.#call('swap indexes', signal, (sdk) => sdk.swapIndexes(body))).taskUid;
  }

  async cancelTasks(filter: { indexUids?: string[]; uids?: number[] }, signal: AbortSignal): Promise<number> {
    return (await this.#call('cancel tasks', signal, (sdk) => sdk.tasks.cancelTasks(filter))).taskUid;
  }

  /** Instance configuration read as JSON (`experimental-features`, `webhooks`, `network`); zod-checked by the caller. */
  async getInstance(path: 'experimental-features' | 'webhooks' | 'network', signal: AbortSignal): Promise<unknown> {
    return await this.#read(`get ${path}`, signal, (sdk) => sdk.httpRequest.get({ path }));
  }

  /** PATCH `experimental-features` / `network`, POST `webhooks`: answered synchronously by the engine. */
  async writeInstance(method: 'PATCH' | 'POST', path: 'experimental-features' | 'webhooks' | 'network', body: object, signal: AbortSignal): Promise<unknown> {
    return await this.#call(`${method === 'POST' ? 'create' : 'update'} ${path}`, signal, (sdk) =>
      method === 'POST' ? sdk.httpRequest.post({ path, body }) : sdk.httpRequest.patch({ path, body }),
    );
  }

  async createSnapshot(signal: AbortSignal): Promise<number> {
    return (await this.#call('create snapshot', signal, (sdk) => sdk.createSnapshot())).taskUid;
  }

  /** `POST /export` (v1.16+): the engine sends the matching indexes to another instance; a task. */
  async createExport(body: ExportRequest, signal: AbortSignal): Promise<number> {
    const answer = await this.#call('export', signal, (sdk) => sdk.httpRequest.post({ path: 'export', body }));
    const parsed = z.object({ taskUid: z.number().int() }).safeParse(answer);
    if (!parsed.success) throw new GatewayError('engine_error', `Meilisearch answered an unexpected export task: ${JSON.stringify(answer)?.slice(0, 200)}`);
    return parsed.data.taskUid;
  }

  async createDump(signal: AbortSignal): Promise<number> {
    return (await this.#call('create dump', signal, (sdk) => sdk.createDump())).taskUid;
  }

  async getTask(taskUid: number, signal: AbortSignal): Promise<TaskState> {
    const task = await this.#read('get task', signal, (sdk) => sdk.tasks.getTask(taskUid));
    return {
      ...toEngineTask(task),
      batchUid: task.batchUid ?? null,
      details: (task.details as Record<string, unknown> | undefined) ?? null,
      canceledBy: task.canceledBy ?? null,
    };
  }

  /** Uids of the tasks matching the filter, newest first (first page only: callers ask for few). */
  async findTasks(filter: { types: string[]; statuses: string[] }, signal: AbortSignal): Promise<number[]> {
    const query = { types: filter.types, statuses: filter.statuses, limit: 100 } as Parameters<Meilisearch['tasks']['getTasks']>[0];
    return (await this.#read('list tasks', signal, (sdk) => sdk.tasks.getTasks(query))).results.map((task) => task.uid);
  }

  /**
   * Task uids matching the filter, newest first; pages with `from` until `stopAtOrBelow` (exclusive) or the end.
   * Used to see the writes that reached an index while a backup read it.
   */
  async taskUids(
    filter: { indexUids?: string[]; statuses?: string[]; types?: string[]; uids?: number[]; limit?: number },
    signal: AbortSignal,
    stopAtOrBelow = -1,
  ): Promise<number[]> {
    const found: number[] = [];
    const limit = filter.limit ?? 100;
    for (let from: number | undefined; ;) {
      const query = { ...filter, limit, ...(from === undefined ? {} : { from }) } as Parameters<Meilisearch['tasks']['getTasks']>[0];
      const page = await this.#read('list tasks', signal, (sdk) => sdk.tasks.getTasks(query));
      for (const task of page.results) {
        if (task.uid <= stopAtOrBelow) return found;
        found.push(task.uid);
      }
      if (filter.limit !== undefined || page.next === null || page.next === undefined || page.results.length === 0) return found;
      from = page.next;
    }
  }

  /** null once the batch is finished. */
  async getBatchProgress(batchUid: number, signal: AbortSignal): Promise<BatchProgress | null> {
    const batch = await this.#read('get batch', signal, (sdk) => sdk.batches.getBatch(batchUid));
    return batch.progress ?? null;
  }

  /** Pre-v0.28 `POST /dumps` → `{uid, status}`. */
  async createLegacyDump(signal: AbortSignal): Promise<LegacyDump> {
    return parseLegacyDump(await this.#call('create dump', signal, (sdk) => sdk.httpRequest.post({ path: 'dumps' })));
  }

  /** Pre-v0.28 `GET /dumps/:uid/status`. */
  async legacyDumpStatus(uid: string, signal: AbortSignal): Promise<LegacyDump> {
    return parseLegacyDump(await this.#read('dump status', signal, (sdk) => sdk.httpRequest.get({ path: `dumps/${encodeURIComponent(uid)}/status` })));
  }

  /** Polls until the task is finished (succeeded, failed or canceled) and returns it; never throws on a failed task. */
  async waitForTask(taskUid: number, options: WaitOptions): Promise<EngineTask> {
    const deadline = Date.now() + options.timeoutMs;
    for (let interval = 25; ; interval = Math.min(interval * 2, 500)) {
      const task = toEngineTask(await this.#read('get task', options.signal, (sdk) => sdk.tasks.getTask(taskUid)));
      if (task.status !== 'enqueued' && task.status !== 'processing') return task;
      if (Date.now() + interval > deadline) {
        throw new GatewayError('engine_timeout', `Task ${taskUid} (${task.type}) still ${task.status} after ${options.timeoutMs} ms`, {
          details: { taskUid },
        });
      }
      await sleepOrCancel(interval, options.signal);
    }
  }

  /** A read: retried with backoff on transient failures (engine-call.ts), since running it twice is harmless. */
  #read<T>(operation: string, signal: AbortSignal, request: (sdk: Meilisearch) => Promise<T>, httpClient: HttpClient = fetchJson): Promise<T> {
    return callEngine({ idempotent: true, signal, policy: this.#connection.retry }, () => this.#call(operation, signal, request, httpClient));
  }

  /**
   * Runs one SDK call on a fresh client bound to `signal` + a timeout, mapping every failure to a code. Never
   * retried: a write that reached the engine before the connection dropped would enqueue its task twice.
   */
  async #call<T>(operation: string, signal: AbortSignal, request: (sdk: Meilisearch) => Promise<T>, httpClient: HttpClient = fetchJson): Promise<T> {
    throwIfCanceled(signal);
    const timeout = AbortSignal.timeout(this.#connection.timeoutMs);
    const sdk = new Meilisearch({
      host: this.#connection.url,
      ...(this.#connection.apiKey === undefined ? {} : { apiKey: this.#connection.apiKey }),
      // The SDK types leave `signal` out of requestInit (it would outlive one request on a shared
      // client); 0.62.0 passes it through to fetch, and this client lives for this one request.
      requestInit: { signal: AbortSignal.any([signal, timeout]) } as Config['requestInit'],
      httpClient,
    });
    try {
      return await request(sdk);
    } catch (error) {
      throw mapError(operation, error, signal, timeout, this.#connection.timeoutMs);
    }
  }
}

/**
 * The SDK's own fetch wrapper parses every body as JSON, so a proxy's HTML 502 page surfaces as a bare
 * SyntaxError without its status. This one keeps the status: API errors as the SDK throws them, anything
 * that is not JSON as a NotJsonAnswer.
 */
export async function fetchJson(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<unknown> {
  const response = await fetch(input, init);
  const body = await readJson(response);
  if (!response.ok) throw new MeilisearchApiError(response, body as never);
  return body;
}

/** Like fetchJson, but a 2xx answer's bytes are returned unparsed (a documents page, document-page.ts). */
export async function fetchBytes(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Buffer> {
  const response = await fetch(input, init);
  if (!response.ok) throw new MeilisearchApiError(response, (await readJson(response)) as never);
  return Buffer.from(await response.arrayBuffer());
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new NotJsonAnswer(response.status, text);
  }
}

class NotJsonAnswer extends Error {
  constructor(
    readonly status: number,
    text: string,
  ) {
    super(`HTTP ${status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
}

const AUTH_CODES = new Set(['missing_authorization_header', 'invalid_api_key', 'missing_master_key']);

export function mapError(operation: string, error: unknown, signal: AbortSignal, timeout: AbortSignal, timeoutMs: number): GatewayError {
  if (signal.aborted) return canceledError(signal);
  if (timeout.aborted) {
    return new GatewayError('engine_timeout', `Meilisearch ${operation} timed out after ${timeoutMs} ms`, { cause: error });
  }
  // With a custom httpClient the SDK wraps whatever it throws in a MeilisearchRequestError.
  if (error instanceof MeilisearchRequestError && (error.cause instanceof MeilisearchApiError || error.cause instanceof NotJsonAnswer)) error = error.cause;
  if (error instanceof NotJsonAnswer) {
    return new GatewayError('engine_error', `Meilisearch ${operation}: ${error.message}`, { cause: error, details: { status: error.status } });
  }
  if (error instanceof MeilisearchApiError) {
    const engineCode = error.cause?.code ?? null;
    const status = error.response.status;
    // A missing or wrong key (or one without the action) is the same `engine_auth_failed` as in every plugin.
    const auth = status === 401 || status === 403 || AUTH_CODES.has(String(engineCode));
    const code = engineCode === 'index_not_found' ? 'collection_not_found' : auth ? 'engine_auth_failed' : 'engine_error';
    return new GatewayError(code, `Meilisearch ${operation}: ${error.message}`, {
      cause: error,
      details: { engineCode, status, engineType: error.cause?.type ?? null },
    });
  }
  if (error instanceof MeilisearchRequestError) {
    const reason = error.cause instanceof Error ? `${error.cause.message}${causeText(error.cause)}` : String(error.cause);
    return new GatewayError('engine_unreachable', `Meilisearch ${operation}: ${error.message}: ${reason}`, { cause: error });
  }
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('engine_error', `Meilisearch ${operation}: ${message}`, { cause: error });
}

/** fetch wraps the socket error (ECONNREFUSED, …) one level deeper. */
function causeText(error: Error): string {
  const inner = error.cause;
  if (inner instanceof Error) return ` (${inner.message})`;
  return '';
}

function parseLegacyDump(body: unknown): LegacyDump {
  const parsed = legacyDumpSchema.safeParse(body);
  if (!parsed.success) throw new GatewayError('engine_error', `Meilisearch answered an unexpected dump status: ${JSON.stringify(body)?.slice(0, 200)}`);
  return parsed.data;
}

function toEngineTask(task: Task): EngineTask {
  const error = task.error === null || task.error === undefined ? null : { message: task.error.message, code: task.error.code };
  return { uid: task.uid, status: task.status, type: task.type, error };
}
