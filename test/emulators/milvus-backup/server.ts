// Entry point of the milvus-backup emulator: a real HTTP server (node:http) speaking milvus-backup's REST API
// (`/api/v1`, shared/reference/engine-api.md §3 and the tool's source at v0.5.16 / v0.5.9), over an emulated
// Milvus. Every exchange is recorded so tests can hold both sides to the published swagger contract.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultMilvusVersion, parseGeneration } from './generations.ts';
import { MilvusModel, SEED_COLLECTIONS, type MilvusCollection } from './milvus.ts';
import { createRoutes, type RouteResponse } from './routes.ts';
import { TaskBoard, type BackupFormat, type Generation, type StoredBackup } from './tasks.ts';

export type { Generation } from './tasks.ts';
export { GENERATIONS, parseGeneration } from './generations.ts';

export interface MilvusBackupEmulatorOptions {
  /** 0 or undefined = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Response generation: v0.5.9 (full BackupInfo), v0.5.16 (brief) or v0.6.0 (brief + `format`, snapshots on
   * Milvus 3.0+). Default: `MILVUS_BACKUP_VERSION` (0.5.9, 0.5.16, 0.6.x) when set, else v0.5.16.
   */
  generation?: Generation;
  /** Time between two steps of a task (default 5 ms); a two-collection backup takes about 12 steps. */
  stepDelayMs?: number;
  /** Version the emulated Milvus reports (default v3.0.1 under v0.6.0, else v2.5.4). */
  milvusVersion?: string;
}

export interface RecordedExchange {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The `request_id` header, when sent. */
  requestIdHeader: string | undefined;
  contentType: string | undefined;
  /** Parsed JSON body; undefined when empty, the raw text when not JSON. */
  body: unknown;
  status: number;
  /** Parsed JSON answer, or the text of a text answer. */
  response: unknown;
  responseIsJson: boolean;
  /** The generation that answered. */
  generation: Generation;
  /** Answered by inject() rather than by the emulated server. */
  injected: boolean;
}

export interface MilvusBackupEmulator {
  url: string;
  close(): Promise<void>;
  /** Switches the answering generation, the step delay, or the Milvus version (an upgrade or a downgrade of Milvus). */
  setOptions(patch: Partial<Pick<MilvusBackupEmulatorOptions, 'generation' | 'stepDelayMs' | 'milvusVersion'>>): void;
  /** Drops in-memory task state like a real restart; backups in "object storage" and Milvus stay. */
  restart(): void;
  /** The emulated Milvus: inspect and seed databases and collections. */
  milvus: MilvusModel;
  /** The backup bucket, as the CLI sees it. */
  backups: {
    names(): string[];
    get(name: string): StoredBackup | undefined;
    /** `milvus-backup create -n NAME` run from the CLI: written straight to storage, no REST task. */
    create(name: string, collections?: { db: string; name: string }[], format?: BackupFormat): StoredBackup;
    /** `milvus-backup delete -n NAME` from the CLI. */
    delete(name: string): boolean;
  };
  /** Every request and answer, in order. */
  readonly exchanges: readonly RecordedExchange[];
  clearExchanges(): void;
  /** Answers the next `times` requests to `path` (e.g. "/api/v1/create") with this instead of the handler. */
  inject(path: string, response: { status?: number; json?: unknown; text?: string }, times?: number): void;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startMilvusBackupEmulator(options: MilvusBackupEmulatorOptions = {}): Promise<MilvusBackupEmulator> {
  const generation = options.generation ?? parseGeneration(process.env.MILVUS_BACKUP_VERSION) ?? 'v0.5.16';
  const milvus = new MilvusModel(options.milvusVersion ?? defaultMilvusVersion(generation));
  for (const seed of SEED_COLLECTIONS) milvus.create(seed);
  const board = new TaskBoard(milvus, { generation, stepDelayMs: options.stepDelayMs ?? 5 });
  const route = createRoutes(board);
  const exchanges: RecordedExchange[] = [];
  const injected: { path: string; response: RouteResponse; times: number }[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://emulator');
      let body: unknown;
      let bodyError: string | null = null;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch (error) {
          body = text;
          bodyError = (error as Error).message;
        }
      }
      const header = req.headers['request_id'];
      const requestIdHeader = Array.isArray(header) ? header[0] : header;
      const method = req.method ?? 'GET';
      const fault = injected.find((candidate) => candidate.path === url.pathname && candidate.times > 0);
      let response: RouteResponse;
      if (fault !== undefined) {
        fault.times -= 1;
        response = fault.response;
      } else {
        try {
          response = await route({ method, path: url.pathname, query: url.searchParams, requestIdHeader, body, bodyError });
        } catch (error) {
          response = { status: 500, text: error instanceof Error ? error.message : String(error) };
        }
      }
      const isJson = 'json' in response;
      const answer: unknown = 'json' in response ? response.json : response.text;
      exchanges.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        requestIdHeader,
        contentType: req.headers['content-type'],
        body,
        status: response.status,
        response: structuredClone(answer),
        responseIsJson: isJson,
        generation: board.options.generation,
        injected: fault !== undefined,
      });
      const payload = Buffer.from(isJson ? JSON.stringify(answer) : String(answer));
      res.writeHead(response.status, {
        'content-type': isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
        'content-length': String(payload.length),
      });
      res.end(payload);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    async close() {
      board.dropTasks();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setOptions(patch) {
      if (patch.generation !== undefined) board.options.generation = patch.generation;
      if (patch.stepDelayMs !== undefined) board.options.stepDelayMs = patch.stepDelayMs;
      if (patch.milvusVersion !== undefined) milvus.version = patch.milvusVersion;
    },
    restart: () => board.dropTasks(),
    milvus,
    backups: {
      names: () => [...board.storage.keys()].sort(),
      get: (name) => board.storage.get(name),
      create(name, collections, format) {
        const chosen: MilvusCollection[] = collections === undefined ? milvus.collections() : collections.map((ns) => milvus.get(ns.db, ns.name)).filter((c) => c !== undefined);
        return board.store(name, chosen, undefined, undefined, format);
      },
      delete: (name) => board.storage.delete(name),
    },
    get exchanges() {
      return exchanges;
    },
    clearExchanges: () => {
      exchanges.length = 0;
    },
    inject(path, response, times = 1) {
      const answer: RouteResponse =
        response.text !== undefined ? { status: response.status ?? 200, text: response.text } : { status: response.status ?? 200, json: response.json ?? null };
      injected.push({ path, response: answer, times });
    },
  };
}
