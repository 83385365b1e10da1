// Entry point of the Typesense emulator: a real HTTP server (node:http) answering like a single Typesense
// node (v29 by default, v27/v28/v30 differences by `version`) as described in shared/reference/engine-api.md §1.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router, TypesenseError, dump, type EmulatorRequest, type EmulatorResponse } from './http.ts';
import { collectionRoutes } from './routes/collections.ts';
import { keyAllows, keyRoutes } from './routes/keys.ts';
import { operationRoutes } from './routes/operations.ts';
import { aliasRoutes, curationRoutes, globalRoutes } from './routes/resources.ts';
import { setRoutes } from './routes/sets.ts';
import { TypesenseState } from './state.ts';
import type { ImportFailureHook } from './documents.ts';

export interface TypesenseEmulatorOptions {
  /** 0 or undefined = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The bootstrap admin key (`--api-key`); default 'xyz'. */
  apiKey?: string;
  /** Reported by /debug; gates v27 (required snapshot_path, failures echo the line) and v30 (sets). Default '29.0'. */
  version?: string;
  /** Delay before each streamed export batch. */
  exportDelayMs?: number;
  /** Delay before each import request is processed. */
  importDelayMs?: number;
  /** How long a snapshot takes (a second one meanwhile gets 409). */
  snapshotDelayMs?: number;
  /** Engine-side refusal of some import lines (embedding provider errors, a full disk); null = none. */
  importFailure?: ImportFailureHook | null;
  /** Awaited before each export batch is read (0 = the first): lets a test change the data while an export streams. */
  beforeExportBatch?: ((collection: string, batch: number) => Promise<void> | void) | null;
}

type RuntimeOptions = Pick<TypesenseEmulatorOptions, 'exportDelayMs' | 'importDelayMs' | 'snapshotDelayMs' | 'importFailure' | 'beforeExportBatch'>;

export interface TypesenseEmulator {
  /** e.g. http://127.0.0.1:54321 */
  url: string;
  apiKey: string;
  close(): Promise<void>;
  /** Changes the delays (and the import failure hook) at run time. */
  setOptions(patch: RuntimeOptions): void;
}

const AUTH_HEADER = 'x-typesense-api-key';
const FORBIDDEN = `Forbidden - a valid \`${AUTH_HEADER}\` header must be sent.`;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function send(res: ServerResponse, response: EmulatorResponse): Promise<void> {
  if ('json' in response) {
    const payload = Buffer.from(dump(response.json));
    res.writeHead(response.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(payload.length) });
    res.end(payload);
    return;
  }
  res.writeHead(response.status, { 'content-type': 'text/plain; charset=utf-8' });
  if ('text' in response) {
    res.end(response.text);
    return;
  }
  for await (const chunk of response.chunks) {
    if (res.destroyed) return; // the client went away: stop reading the store
    res.write(chunk);
  }
  res.end();
}

/** The versions whose differences the emulator knows (README: "Versions"). */
export const TYPESENSE_VERSIONS = { oldest: 27, newest: 30 } as const;

export async function startTypesenseEmulator(options: TypesenseEmulatorOptions = {}): Promise<TypesenseEmulator> {
  const major = Number.parseInt(options.version ?? '29.0', 10);
  if (!(major >= TYPESENSE_VERSIONS.oldest && major <= TYPESENSE_VERSIONS.newest)) {
    throw new Error(`TYPESENSE_VERSION ${options.version}: the emulator follows Typesense ${TYPESENSE_VERSIONS.oldest}–${TYPESENSE_VERSIONS.newest} (e.g. 29.0, 30.1)`);
  }
  const state = new TypesenseState({
    adminKey: options.apiKey ?? 'xyz',
    version: options.version ?? '29.0',
    exportDelayMs: options.exportDelayMs ?? 0,
    importDelayMs: options.importDelayMs ?? 0,
    snapshotDelayMs: options.snapshotDelayMs ?? 0,
    importFailure: options.importFailure ?? null,
    beforeExportBatch: options.beforeExportBatch ?? null,
  });
  const router = new Router();
  // Literal routes before parameterised ones, as Typesense registers them.
  router.add(operationRoutes(state));
  router.add(collectionRoutes(state));
  router.add(curationRoutes(state));
  router.add(aliasRoutes(state));
  router.add(keyRoutes(state));
  router.add(globalRoutes(state));
  router.add(setRoutes(state));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const found = router.find(req.method ?? 'GET', url.pathname);
    if (found === null) return send(res, { status: 404, json: { message: 'Not Found' } });
    const header = req.headers[AUTH_HEADER];
    const sent = typeof header === 'string' ? header : (url.searchParams.get(AUTH_HEADER) ?? undefined);
    if (!found.route.open && !keyAllows(state, sent, found.route.action, found.params['collection'])) {
      return send(res, { status: 401, json: { message: FORBIDDEN } });
    }
    const request: EmulatorRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
    try {
      await send(res, await found.route.handler(request, found.params));
    } catch (error) {
      if (!(error instanceof TypesenseError)) throw error;
      await send(res, { status: error.status, json: { message: error.message } });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      void send(res, { status: 500, json: { message: error instanceof Error ? error.message : String(error) } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    apiKey: state.settings.adminKey,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setOptions(patch) {
      for (const key of ['exportDelayMs', 'importDelayMs', 'snapshotDelayMs'] as const) {
        const value = patch[key];
        if (value !== undefined) state.settings[key] = value;
      }
      if (patch.importFailure !== undefined) state.settings.importFailure = patch.importFailure;
      if (patch.beforeExportBatch !== undefined) state.settings.beforeExportBatch = patch.beforeExportBatch;
    },
  };
}
