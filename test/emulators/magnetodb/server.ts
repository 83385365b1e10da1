// Entry point of the MagnetoDB emulator: a real HTTP server (node:http) speaking MagnetoDB's OpenStack
// REST API (data API v1, management backup API as implemented, /healthcheck) as described in
// shared/reference/engine-api.md §4 and read from openstack/magnetodb @ bcf7475.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MagnetoError, requireInteger, requireTableName } from './errors.ts';
import { batchWriteItem, deleteItem, getItem, putItem, query, scan } from './items.ts';
import { ManagementStore } from './management.ts';
import { parseCreateTable, TableStore } from './tables.ts';

export const DEFAULT_MAGNETODB_TOKEN = 'magnetodb-dev-token';

export interface MagnetoDbEmulatorOptions {
  /** 0 or undefined = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The only X-Auth-Token accepted (standing in for Keystone); any project id goes. Default 'magnetodb-dev-token'. */
  token?: string;
  /** How long a table stays CREATING (and DELETING) before it is ACTIVE (or gone). Default 20. */
  createDelayMs?: number;
  /** Share (0–1) of each batch_write_item's requests left unprocessed and returned, rounded down. Default 0. */
  unprocessedRate?: number;
  /** Delay before each scan and query answer. Default 0. */
  scanDelayMs?: number;
  /** Delay before each put_item and batch_write_item answer. Default 0. */
  writeDelayMs?: number;
}

type TunableOptions = Pick<MagnetoDbEmulatorOptions, 'createDelayMs' | 'unprocessedRate' | 'scanDelayMs' | 'writeDelayMs'>;

export interface MagnetoDbEmulatorStats {
  /** Number of requests in each batch_write_item call, in order. */
  batchWriteSizes: number[];
  /** Requests returned as unprocessed, in total. */
  unprocessedReturned: number;
}

export interface MagnetoDbEmulator {
  /** e.g. http://127.0.0.1:54321 */
  url: string;
  token: string;
  close(): Promise<void>;
  setOptions(patch: TunableOptions): void;
  stats(): MagnetoDbEmulatorStats;
}

interface Request {
  method: string;
  segments: string[];
  params: URLSearchParams;
  href: string;
  body: string;
}

interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** webob's req.json_body: a missing or broken body is a ValueError, i.e. FaultWrapper's anonymous 500. */
function jsonBody(request: Request): unknown {
  try {
    return JSON.parse(request.body);
  } catch {
    throw MagnetoError.internal('ValueError');
  }
}

const notFound = (): Reply => ({ status: 404, text: '404 Not Found\n\nThe resource could not be found.\n\n   ' });

export async function startMagnetoDbEmulator(opts: MagnetoDbEmulatorOptions = {}): Promise<MagnetoDbEmulator> {
  const token = opts.token ?? DEFAULT_MAGNETODB_TOKEN;
  const options: Required<TunableOptions> = {
    createDelayMs: opts.createDelayMs ?? 20,
    unprocessedRate: opts.unprocessedRate ?? 0,
    scanDelayMs: opts.scanDelayMs ?? 0,
    writeDelayMs: opts.writeDelayMs ?? 0,
  };
  const stats: MagnetoDbEmulatorStats = { batchWriteSizes: [], unprocessedReturned: 0 };
  const tables = new TableStore(() => options.createDelayMs);
  const management = new ManagementStore();

  async function data(request: Request, project: string, rest: string[]): Promise<Reply> {
    const { method } = request;
    const [resource, table, action, ...extra] = rest;
    if (resource === 'batch_write_item' && rest.length === 1 && method === 'POST') {
      await sleep(options.writeDelayMs);
      const body = jsonBody(request) as Record<string, unknown>;
      const result = batchWriteItem(tables, project, body, options.unprocessedRate);
      const requested = Object.values((body['request_items'] ?? {}) as Record<string, unknown[]>).reduce((sum, list) => sum + list.length, 0);
      const unprocessed = Object.values(result['unprocessed_items'] as Record<string, unknown[]>).reduce((sum, list) => sum + list.length, 0);
      stats.batchWriteSizes.push(requested);
      stats.unprocessedReturned += unprocessed;
      return { status: 200, json: result };
    }
    if (resource !== 'tables' || extra.length > 0) return notFound();
    if (table === undefined) {
      if (method === 'POST') {
        const created = tables.create(project, parseCreateTable(jsonBody(request)));
        return { status: 200, json: { table_description: created.describe(`${request.href}/${created.name}`) } };
      }
      if (method !== 'GET') return notFound();
      const start = request.params.get('exclusive_start_table_name') || undefined;
      if (start !== undefined) requireTableName(start);
      const limitText = request.params.get('limit');
      const limit = limitText ? requireInteger(limitText, 'limit', 0) : undefined;
      const names = tables.list(project, start, limit);
      const response: Record<string, unknown> = {};
      if (names.length > 0 && String(limitText) === String(names.length)) response['last_evaluated_table_name'] = names.at(-1);
      response['tables'] = names.map((name) => ({ rel: 'self', href: `${request.href}/${name}` }));
      return { status: 200, json: response };
    }
    if (action === undefined) {
      if (method === 'GET') return { status: 200, json: { table: tables.get(project, requireTableName(table)).describe(request.href) } };
      if (method === 'DELETE') return { status: 200, json: { table_description: tables.delete(project, requireTableName(table)).describe(request.href, true) } };
      return notFound();
    }
    if (method !== 'POST') return notFound();
    const handlers: Record<string, typeof scan> = { put_item: putItem, get_item: getItem, delete_item: deleteItem, scan, query };
    const handler = handlers[action];
    if (handler === undefined) return notFound();
    if (action === 'scan' || action === 'query') await sleep(options.scanDelayMs);
    if (action === 'put_item') await sleep(options.writeDelayMs);
    const body = jsonBody(request);
    return { status: 200, json: handler(tables.get(project, table), body as Record<string, unknown>) };
  }

  function managementApi(request: Request, project: string, rest: string[]): Reply {
    const [resource, table, kind, id, ...extra] = rest;
    if (resource !== 'tables' || table === undefined || extra.length > 0) return notFound();
    const { method, href } = request;
    const ok = (json: unknown): Reply => ({ status: 200, json });
    if (kind === 'backups') {
      if (id === undefined && method === 'POST') return ok(management.createBackup(project, table, jsonBody(request), href));
      if (id === undefined && method === 'GET') return ok(management.listBackups(project, table, request.params, href));
      if (id !== undefined && method === 'GET') return ok(management.describeBackup(project, table, id, href));
      if (id !== undefined && method === 'DELETE') return ok(management.deleteBackup(project, table, id, href));
    }
    if (kind === 'restores') {
      if (id === undefined && method === 'POST') return ok(management.createRestore(project, table, jsonBody(request), href));
      if (id === undefined && method === 'GET') return ok(management.listRestores(project, table, request.params, href));
      if (id !== undefined && method === 'GET') return ok(management.describeRestore(project, table, id, href));
    }
    return notFound();
  }

  async function dispatch(request: Request, authToken: string | undefined): Promise<Reply> {
    const [first, second, project, ...rest] = request.segments;
    if (first === 'healthcheck' && second === undefined && request.method === 'GET') {
      const full = request.params.get('fullcheck') === 'true';
      return { status: 200, json: full ? { API: 'OK', Identity: 'OK', Storage: 'OK', Messaging: 'OK' } : { API: 'OK' } };
    }
    if (first !== 'v1' || (second !== 'data' && second !== 'management')) return notFound();
    // keystonemiddleware auth_token answers before MagnetoDB sees the request (its own plain-text body).
    if (authToken !== token) {
      return { status: 401, text: 'Authentication required', headers: { 'www-authenticate': "Keystone uri='http://127.0.0.1:5000/v3'" } };
    }
    if (project === undefined || project === '') return notFound();
    return second === 'data' ? data(request, project, rest) : managementApi(request, project, rest);
  }

  function send(res: ServerResponse, reply: Reply): void {
    const payload = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? '');
    const type = reply.json !== undefined ? 'application/json' : 'text/plain; charset=UTF-8';
    res.writeHead(reply.status, { 'content-type': type, 'content-length': String(Buffer.byteLength(payload)), ...reply.headers });
    res.end(payload);
  }

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://emulator');
        const segments = url.pathname
          .split('/')
          .filter((segment) => segment !== '')
          .map((segment) => decodeURIComponent(segment));
        const request: Request = {
          method: req.method ?? 'GET',
          segments,
          params: url.searchParams,
          href: `http://${req.headers.host ?? 'localhost'}${url.pathname.replace(/\/+$/, '')}`,
          body: await readBody(req),
        };
        const header = req.headers['x-auth-token'];
        send(res, await dispatch(request, Array.isArray(header) ? header[0] : header));
      } catch (error) {
        const fault = error instanceof MagnetoError ? error : MagnetoError.internal(error instanceof Error ? error.name : 'Exception');
        send(res, { status: fault.status, json: fault.toBody() });
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    token,
    async close() {
      tables.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setOptions(patch) {
      for (const [key, value] of Object.entries(patch) as [keyof TunableOptions, number | undefined][]) {
        if (value !== undefined) options[key] = value;
      }
    },
    stats: () => ({ batchWriteSizes: [...stats.batchWriteSizes], unprocessedReturned: stats.unprocessedReturned }),
  };
}
