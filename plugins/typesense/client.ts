// The only file that speaks to Typesense: wraps the official client (one short-lived SDK per request, no
// SDK retries), binds every request to the job's AbortSignal and a timeout, and turns every failure into a coded
// GatewayError. The snapshot directory the engine writes is packed by snapshot-pack.ts.

import { Agent as HttpAgent, request as httpRequest, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import { Client, Errors, type ConfigurationOptions } from 'typesense';
import {
  backoffDelay,
  callEngine,
  canceledError,
  DEFAULT_RETRY_POLICY,
  engineStatus,
  isTransientEngineError,
  pathSegment,
  type RetryPolicy,
  sleepOrCancel,
  throwIfCanceled,
  timerMs,
} from '../../src/plugin.ts';
/** Cancel and status helpers of the kit, for this plugin's other files. */
export { canceledError, engineStatus, throwIfCanceled } from '../../src/plugin.ts';
import { GatewayError, type ErrorCode } from '../../src/errors.ts';
import { JsonlBlocks, type LineBlock } from './jsonl-blocks.ts';

export interface TypesenseConnection {
  /** Base URLs of the cluster's nodes (one or more); requests go to the first that answers, in order. */
  nodes: string[];
  apiKey: string;
  timeoutMs: number;
  /** Retries of idempotent calls (default: DEFAULT_RETRY_POLICY). */
  retry?: RetryPolicy | undefined;
}

export type Json = Record<string, unknown>;

/**
 * A name the SDK puts into a path: typesense-js encodes it with encodeURIComponent, which leaves `.` and `..`
 * as they are (dot segments); pathSegment refuses those, so no name reaches the path unchecked.
 */
function named(name: string): string {
  pathSegment(name);
  return name;
}

/** The SDK logs every failed attempt through loglevel; the plugin reports errors itself. */
const silentLogger = Object.fromEntries(
  ['trace', 'debug', 'info', 'warn', 'error', 'log', 'setLevel', 'setDefaultLevel', 'resetLevel', 'enableAll', 'disableAll'].map((name) => [name, () => undefined]),
) as unknown as NonNullable<ConfigurationOptions['logger']>;

/** Per request: an HTTP agent whose sockets die with the request, and whether a connection was ever made. */
class RequestGuard {
  readonly agent: HttpAgent;
  connected = false;
  reason: 'aborted' | 'expired' | null = null;
  readonly stopped: Promise<never>;
  #stop!: (error: Error) => void;

  constructor(url: string) {
    const track = (socket: Duplex | null | undefined): Duplex | null | undefined => {
      socket?.once('connect', () => (this.connected = true));
      return socket;
    };
    const Base = url.startsWith('https:') ? HttpsAgent : HttpAgent;
    this.agent = new (class extends Base {
      override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void) {
        return track(super.createConnection(options, callback));
      }
    })({ keepAlive: false });
    this.stopped = new Promise<never>((_resolve, reject) => (this.#stop = reject));
    this.stopped.catch(() => undefined);
  }

  stop(reason: 'aborted' | 'expired'): void {
    this.reason ??= reason;
    this.#stop(new Error(`request ${reason}`));
    this.agent.destroy();
  }
}

export class TypesenseClient {
  readonly #connection: TypesenseConnection;
  /** The node requests go to; moves on to the next node when this one cannot be reached (like the official client). */
  #current = 0;

  constructor(connection: TypesenseConnection) {
    if (connection.nodes.length === 0) throw new GatewayError('invalid_engine_config', 'Typesense needs at least one node');
    this.#connection = { ...connection, nodes: connection.nodes.map((url) => url.replace(/\/+$/, '')), timeoutMs: timerMs(connection.timeoutMs) };
  }

  /** Every configured node's base URL, in order. */
  get nodes(): string[] {
    return [...this.#connection.nodes];
  }

  /** A client bound to one node only (per-node health, snapshots): no failover to the others. */
  forNode(url: string): TypesenseClient {
    return new TypesenseClient({ ...this.#connection, nodes: [url] });
  }

  get #url(): string {
    return this.#connection.nodes[this.#current]!;
  }

  health = (signal: AbortSignal) => this.call('health', signal, (sdk) => sdk.health.retrieve());
  debug = (signal: AbortSignal) => this.read('debug', signal, (sdk) => sdk.debug.retrieve() as Promise<unknown>);
  listCollections = (signal: AbortSignal) => this.read('list collections', signal, (sdk) => sdk.collections().retrieve() as Promise<unknown>);
  createCollection = (schema: Json, signal: AbortSignal) => this.call('create collection', signal, (sdk) => sdk.collections().create(schema as never) as Promise<unknown>);
  getCollection = (name: string, signal: AbortSignal) =>
    this.orNull(this.read(`get collection ${name}`, signal, (sdk) => sdk.collections(named(name)).retrieve() as Promise<unknown>));
  dropCollection = (name: string, signal: AbortSignal) =>
    this.orNull(this.read(`drop collection ${name}`, signal, (sdk) => sdk.collections(named(name)).delete() as Promise<unknown>));
  listAliases = (signal: AbortSignal) => this.read('list aliases', signal, (sdk) => sdk.aliases().retrieve() as Promise<unknown>);
  upsertAlias = (name: string, collection: string, signal: AbortSignal) =>
    this.read(`upsert alias ${name}`, signal, (sdk) => sdk.aliases().upsert(name, { collection_name: collection }));
  deleteAlias = (name: string, signal: AbortSignal) => this.orNull(this.read(`delete alias ${name}`, signal, (sdk) => sdk.aliases(named(name)).delete()));
  listSynonyms = (collection: string, signal: AbortSignal) =>
    this.read(`list synonyms of ${collection}`, signal, (sdk) => sdk.collections(named(collection)).synonyms().retrieve() as Promise<unknown>);
  upsertSynonym = (collection: string, id: string, body: Json, signal: AbortSignal) =>
    this.read(`upsert synonym ${id}`, signal, (sdk) =>
      sdk
        .collections(named(collection))
        .synonyms()
        .upsert(id, body as never),
    );
  // typesense-js builds the overrides paths without encoding the collection name: these two go by our own path.
  listOverrides = (collection: string, signal: AbortSignal) =>
    this.read(`list overrides of ${collection}`, signal, (sdk) => sdk.apiCall.get(`/collections/${pathSegment(collection)}/overrides`) as Promise<unknown>);
  upsertOverride = (collection: string, id: string, body: Json, signal: AbortSignal) =>
    this.read(`upsert override ${id}`, signal, (sdk) => sdk.apiCall.put(`/collections/${pathSegment(collection)}/overrides/${pathSegment(id)}`, body));
  listSynonymSets = (signal: AbortSignal) => this.read('list synonym sets', signal, (sdk) => sdk.synonymSets().retrieve() as Promise<unknown>);
  upsertSynonymSet = (name: string, body: Json, signal: AbortSignal) =>
    this.read(`upsert synonym set ${name}`, signal, (sdk) => sdk.synonymSets(named(name)).upsert(body as never));
  listCurationSets = (signal: AbortSignal) => this.read('list curation sets', signal, (sdk) => sdk.curationSets().retrieve() as Promise<unknown>);
  upsertCurationSet = (name: string, body: Json, signal: AbortSignal) =>
    this.read(`upsert curation set ${name}`, signal, (sdk) => sdk.curationSets(named(name)).upsert(body as never));
  listStopwords = (signal: AbortSignal) => this.read('list stopwords', signal, (sdk) => sdk.stopwords().retrieve() as Promise<unknown>);
  upsertStopwords = (id: string, body: Json, signal: AbortSignal) => this.read(`upsert stopwords ${id}`, signal, (sdk) => sdk.stopwords().upsert(id, body as never));
  listPresets = (signal: AbortSignal) => this.read('list presets', signal, (sdk) => sdk.presets().retrieve() as Promise<unknown>);
  upsertPreset = (name: string, value: unknown, signal: AbortSignal) => this.read(`upsert preset ${name}`, signal, (sdk) => sdk.presets().upsert(name, { value } as never));
  /** ≤ v29 `{rules: [...]}` (analyticsV1), v30 a bare array. */
  listAnalyticsRules = (v30: boolean, signal: AbortSignal) =>
    this.read('list analytics rules', signal, (sdk) => (v30 ? sdk.analytics.rules().retrieve() : sdk.analyticsV1.rules().retrieve()) as Promise<unknown>);
  upsertAnalyticsRule = (v30: boolean, name: string, body: Json, signal: AbortSignal) =>
    this.read(
      `upsert analytics rule ${name}`,
      signal,
      (sdk) => (v30 ? sdk.analytics.rules().upsert(name, body as never) : sdk.analyticsV1.rules().upsert(name, body as never)) as Promise<unknown>,
    );
  listKeys = (signal: AbortSignal) => this.read('list keys', signal, (sdk) => sdk.keys().retrieve() as Promise<unknown>);

  /** One JSONL batch; every line's result (parsed JSON), in order. `timeoutMs` bounds this one request. */
  async importDocuments(collection: string, jsonl: string, action: 'create' | 'upsert', timeoutMs: number, signal: AbortSignal): Promise<unknown[]> {
    // An upsert batch may run twice; a create batch may not (its second run reports every document as a duplicate).
    const body = await callEngine({ idempotent: action === 'upsert', signal, policy: this.#retry }, () =>
      this.call(`import into ${collection}`, signal, (sdk) => sdk.collections(named(collection)).documents().import(jsonl, { action, return_id: true }), timeoutMs),
    );
    return String(body)
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as unknown);
  }

  /** POST /operations/snapshot: one attempt with its own long timeout (a retry would only hit the 409). */
  snapshot = (snapshotPath: string, timeoutMs: number, signal: AbortSignal) =>
    this.call('snapshot', signal, (sdk) => this.#postRaw(sdk, `/operations/snapshot?snapshot_path=${encodeURIComponent(snapshotPath)}`), timeoutMs);

  /**
   * A POST answered as the engine wrote it: a failed snapshot is `{"success": false, "error": …}`, whose
   * `error` the SDK drops (it quotes `message` only). Goes through the request's own agent like SDK calls.
   */
  #postRaw(sdk: Client, pathAndQuery: string): Promise<Json> {
    const url = new URL(`${this.#url}${pathAndQuery}`);
    const agent = sdk.configuration.httpsAgent ?? sdk.configuration.httpAgent;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Json>((resolve, reject) => {
      const req = send(url, { method: 'POST', agent, headers: { 'x-typesense-api-key': this.#connection.apiKey, 'content-length': '0' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Json = {};
          try {
            const parsed = JSON.parse(text) as unknown;
            if (typeof parsed === 'object' && parsed !== null) body = parsed as Json;
          } catch {
            body = { message: text };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(body);
          const said = typeof body['message'] === 'string' ? body['message'] : typeof body['error'] === 'string' ? body['error'] : '';
          reject(new Errors.TypesenseError(`Request failed with HTTP code ${status}${said === '' ? '' : ` | Server said: ${said}`}`, undefined, status));
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Streams the export (JSONL, no trailing newline) as batches of parsed documents. `timeoutMs` is an idle
   * timeout: it restarts with every chunk, so a big export may take as long as it needs.
   */
  async *exportDocuments(collection: string, batchSize: number, signal: AbortSignal, onEmbeddedError: (line: string) => void = () => undefined): AsyncGenerator<Json[]> {
    let batch: Json[] = [];
    for await (const block of this.exportLines(collection, PARSED_BLOCK_BYTES, signal, onEmbeddedError)) {
      for (const line of block.data.toString('utf8').split('\n')) if (line.length > 0) batch.push(JSON.parse(line) as Json);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * Streams the export as blocks of whole JSON lines of at least `blockBytes`, never parsed: a backup passes
   * them through (or of `blockLines` documents, whichever comes first). Same idle timeout as exportDocuments. A
   * line the engine wrote in place of a document (an error) goes to `onEmbeddedError`, not into a block.
   */
  async *exportLines(
    collection: string,
    blockBytes: number,
    signal: AbortSignal,
    onEmbeddedError: (line: string) => void = () => undefined,
    blockLines = Number.POSITIVE_INFINITY,
  ): AsyncGenerator<LineBlock> {
    // Retried like a read while nothing was handed on yet; after the first block a restart would repeat documents.
    // A node that cannot be reached at all hands over to the next one, like a read.
    const policy = this.#retry;
    let switched = 0;
    for (let attempt = 1; ; attempt++) {
      let handedOn = false;
      try {
        for await (const block of this.#exportOnce(collection, blockBytes, blockLines, signal, onEmbeddedError)) {
          handedOn = true;
          yield block;
        }
        return;
      } catch (error) {
        if (handedOn || signal.aborted) throw error;
        if (attempt < policy.attempts && isTransientEngineError(error)) {
          await sleepOrCancel(backoffDelay(policy, attempt), signal);
          continue;
        }
        const unreachable = error instanceof GatewayError && error.code === 'engine_unreachable';
        if (!unreachable || ++switched >= this.#connection.nodes.length) throw error;
        this.#current = (this.#current + 1) % this.#connection.nodes.length;
        attempt = 0;
      }
    }
  }

  async *#exportOnce(collection: string, blockBytes: number, blockLines: number, signal: AbortSignal, onEmbeddedError: (line: string) => void): AsyncGenerator<LineBlock> {
    const operation = `export ${collection}`;
    const guard = new RequestGuard(this.#url);
    let timer = setTimeout(() => guard.stop('expired'), this.#connection.timeoutMs);
    const onAbort = (): void => guard.stop('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    let stream: Readable | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => guard.stop('expired'), this.#connection.timeoutMs);
    };
    try {
      // The SDK's own (socket idle) timeout would also count the time the archive takes to accept a batch
      // while the socket is paused: the guard's idle timer, which skips that time, is the only one.
      const sdk = this.#sdk(guard, EXPORT_SDK_TIMEOUT_MS);
      stream = (await this.#race(guard, sdk.collections(named(collection)).documents().exportStream())) as unknown as Readable;
      const blocks = new JsonlBlocks(blockBytes, onEmbeddedError, blockLines);
      for await (const chunk of stream) {
        const block = blocks.push(chunk as Buffer);
        if (block !== undefined) {
          clearTimeout(timer); // the consumer's own pace is not the engine's silence
          yield block;
        }
        arm();
      }
      if (guard.reason !== null) throw new Error(`export ${guard.reason}`);
      const last = blocks.end();
      if (last !== undefined) yield last;
    } catch (error) {
      throw mapError(operation, error, signal, guard, this.#connection.timeoutMs);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      stream?.destroy();
      guard.agent.destroy();
    }
  }

  /** An idempotent call (a read, a PUT upsert, a DELETE whose 404 is fine): retried on transient failures. */
  read<T>(operation: string, signal: AbortSignal, request: (sdk: Client) => Promise<T>): Promise<T> {
    return this.#failover(signal, () => callEngine({ idempotent: true, signal, policy: this.#retry }, () => this.call(operation, signal, request)));
  }

  /** Runs `attempt` on the current node, then on each next one while nodes cannot be reached; the node that answered stays current. */
  async #failover<T>(signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
    for (let tried = 1; ; tried++) {
      try {
        return await attempt();
      } catch (error) {
        const unreachable = error instanceof GatewayError && error.code === 'engine_unreachable';
        if (!unreachable || signal.aborted || tried >= this.#connection.nodes.length) throw error;
        this.#current = (this.#current + 1) % this.#connection.nodes.length;
      }
    }
  }

  get #retry(): RetryPolicy {
    return this.#connection.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** Runs one SDK call bound to `signal` + a timeout, mapping every failure to a code. Never retried by itself. */
  async call<T>(operation: string, signal: AbortSignal, request: (sdk: Client) => Promise<T>, requestedTimeoutMs = this.#connection.timeoutMs): Promise<T> {
    throwIfCanceled(signal);
    const timeoutMs = timerMs(requestedTimeoutMs);
    const guard = new RequestGuard(this.#url);
    const timer = setTimeout(() => guard.stop('expired'), timeoutMs);
    const onAbort = (): void => guard.stop('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#race(guard, request(this.#sdk(guard, timeoutMs)));
    } catch (error) {
      throw mapError(operation, error, signal, guard, timeoutMs);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      guard.agent.destroy();
    }
  }

  /** null for a 404 (the thing does not exist), the value otherwise. */
  async orNull<T>(pending: Promise<T>): Promise<T | null> {
    try {
      return await pending;
    } catch (error) {
      if (engineStatus(error) === 404) return null;
      throw error;
    }
  }

  #race<T>(guard: RequestGuard, request: Promise<T>): Promise<T> {
    request.catch(() => undefined); // settled late after an abort: nobody waits for it any more
    return Promise.race([request, guard.stopped]);
  }

  #sdk(guard: RequestGuard, timeoutMs = this.#connection.timeoutMs): Client {
    const agent = guard.agent;
    return new Client({
      nodes: [{ url: this.#url }],
      apiKey: this.#connection.apiKey,
      connectionTimeoutSeconds: timeoutMs / 1000,
      numRetries: 0,
      logger: silentLogger,
      ...(agent instanceof HttpsAgent ? { httpsAgent: agent } : { httpAgent: agent }),
    });
  }
}

const EXPORT_SDK_TIMEOUT_MS = 24 * 3600_000;
/** Blocks exportDocuments parses at a time. */
const PARSED_BLOCK_BYTES = 64 * 1024;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EPIPE', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

function mapError(operation: string, error: unknown, signal: AbortSignal, guard: RequestGuard, timeoutMs: number): GatewayError {
  if (signal.aborted) return canceledError(signal);
  const timedOut = guard.reason === 'expired' || ['ECONNABORTED', 'ETIMEDOUT'].includes(String((error as { code?: unknown })?.code));
  if (timedOut) {
    // No connection at all within the timeout is an unreachable engine; a slow answer is a timeout.
    const code: ErrorCode = guard.connected ? 'engine_timeout' : 'engine_unreachable';
    return new GatewayError(code, `Typesense ${operation}: no answer within ${timeoutMs} ms`, { cause: error });
  }
  if (error instanceof Errors.TypesenseError && typeof error.httpStatus === 'number') {
    const status = error.httpStatus;
    const engineMessage = /Server said: (.*)$/s.exec(error.message)?.[1] ?? null;
    const details = { status, engineMessage };
    const text = `Typesense ${operation}: HTTP ${status}${engineMessage === null ? '' : ` ${engineMessage}`}`;
    if (status === 401 || status === 403) return new GatewayError('engine_auth_failed', `${text} (check the engine's apiKey)`, { cause: error, details });
    if (status === 409 && operation === 'snapshot') return new GatewayError('job_already_in_progress', text, { cause: error, details });
    // An export's 404 comes without its body (the SDK reads it as a stream): a missing collection all the same.
    if (status === 404 && (/collection/i.test(engineMessage ?? '') || operation.startsWith('export ')))
      return new GatewayError('collection_not_found', text, { cause: error, details });
    return new GatewayError('engine_error', text, { cause: error, details });
  }
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  // A request error without any HTTP response (axios) is the network's: refused, reset, no route, no such host.
  const noResponse = (error as { isAxiosError?: unknown; response?: unknown })?.isAxiosError === true && (error as { response?: unknown }).response === undefined;
  if (NETWORK_CODES.has(code) || noResponse || guard.reason !== null) {
    return new GatewayError('engine_unreachable', `Typesense ${operation}: ${message}${code ? ` (${code})` : ''}`, { cause: error });
  }
  if (error instanceof GatewayError) return error;
  return new GatewayError('engine_error', `Typesense ${operation}: ${message}`, { cause: error });
}
