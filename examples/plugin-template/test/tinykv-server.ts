// TinyKV, the tiny key-value engine this template backs up: an in-process HTTP server, so the plugin's tests
// (and the gateway's end-to-end test of the template) need nothing installed. Swap it for your engine's
// emulator — written from the engine's documented API, never from what the plugin expects — or a real server.
//
//   GET    /v1/health                          {status: "ok", version}                       (no auth)
//   GET    /v1/buckets                         {buckets: [{name, items}]}
//   GET    /v1/buckets/:name                   {name, items, settings}                       404 bucket_not_found
//   PUT    /v1/buckets/:name   {settings?}     201 {name}                                    409 bucket_exists
//   DELETE /v1/buckets/:name                   204                                           404 bucket_not_found
//   GET    /v1/buckets/:name/items?after=&limit=   {items: [{key, value}], next: key | null} (sorted by key)
//   POST   /v1/buckets/:name/items {items: [{key, value}]}   {written}                     (upsert)
//   POST   /v1/rename  {renames: [{from, to}]}  {renamed}: all at once; an existing `to` is replaced
//
// Errors: {error: {code, message}}. With a token, every route but /v1/health needs `Authorization: Bearer <token>`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const TINYKV_VERSION = '1.4.2';

const BUCKET_NAME = /^[A-Za-z0-9_.-]{1,200}$/;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_PAGE = 10_000;

export interface TinyKvSettings {
  description: string | null;
  ttlSeconds: number | null;
  maxValueBytes: number | null;
}

interface Bucket {
  settings: TinyKvSettings;
  items: Map<string, unknown>;
}

export interface TinyKvServer {
  url: string;
  /** Delay before every item read or write: lets tests cancel a job mid-way. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

class EngineError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startTinyKv(options: { token?: string; port?: number } = {}): Promise<TinyKvServer> {
  const buckets = new Map<string, Bucket>();
  let delayMs = 0;

  const bucketOf = (name: string): Bucket => {
    const bucket = buckets.get(name);
    if (bucket === undefined) throw new EngineError(404, 'bucket_not_found', `bucket "${name}" does not exist`);
    return bucket;
  };

  async function route(method: string, url: URL, body: unknown): Promise<[number, unknown]> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v1') throw new EngineError(404, 'not_found', `no route ${method} ${url.pathname}`);
    const [, resource, name, sub] = parts;
    if (resource === 'buckets' && name !== undefined && !BUCKET_NAME.test(name)) throw new EngineError(400, 'invalid_bucket_name', `invalid bucket name "${name}"`);

    if (method === 'GET' && resource === 'buckets' && name === undefined) {
      return [200, { buckets: [...buckets].map(([bucketName, bucket]) => ({ name: bucketName, items: bucket.items.size })) }];
    }
    if (resource === 'buckets' && name !== undefined && sub === undefined) {
      if (method === 'GET') {
        const bucket = bucketOf(name);
        return [200, { name, items: bucket.items.size, settings: bucket.settings }];
      }
      if (method === 'PUT') {
        if (buckets.has(name)) throw new EngineError(409, 'bucket_exists', `bucket "${name}" already exists`);
        buckets.set(name, { settings: parseSettings((body as { settings?: unknown } | undefined)?.settings), items: new Map() });
        return [201, { name }];
      }
      if (method === 'DELETE') {
        bucketOf(name);
        buckets.delete(name);
        return [204, null];
      }
    }
    if (resource === 'buckets' && name !== undefined && sub === 'items') {
      const bucket = bucketOf(name);
      await sleep(delayMs);
      if (method === 'GET') return [200, readPage(bucket, url.searchParams)];
      if (method === 'POST') {
        const items = (body as { items?: unknown } | undefined)?.items;
        if (!Array.isArray(items)) throw new EngineError(400, 'invalid_items', 'body must be {items: [{key, value}]}');
        for (const item of items) {
          const { key, value } = (item ?? {}) as { key?: unknown; value?: unknown };
          if (typeof key !== 'string' || key.length === 0 || key.length > 512 || value === undefined) {
            throw new EngineError(400, 'invalid_items', 'every item needs a key (1–512 characters) and a value');
          }
        }
        for (const { key, value } of items as { key: string; value: unknown }[]) bucket.items.set(key, value);
        return [200, { written: items.length }];
      }
    }
    if (method === 'POST' && resource === 'rename' && name === undefined) return [200, renameAll(body)];
    throw new EngineError(404, 'not_found', `no route ${method} ${url.pathname}`);
  }

  function renameAll(body: unknown): { renamed: number } {
    const renames = (body as { renames?: unknown } | undefined)?.renames;
    if (!Array.isArray(renames) || renames.length === 0) throw new EngineError(400, 'invalid_rename', 'body must be {renames: [{from, to}]}');
    const pairs = renames as { from?: unknown; to?: unknown }[];
    // Checked first, applied after: all or nothing.
    for (const { from, to } of pairs) {
      if (typeof from !== 'string' || typeof to !== 'string' || !BUCKET_NAME.test(to)) throw new EngineError(400, 'invalid_rename', 'every rename needs {from, to} bucket names');
      bucketOf(from);
    }
    const moved = pairs.map(({ from, to }) => ({ to: to as string, bucket: bucketOf(from as string), from: from as string }));
    for (const { from } of moved) buckets.delete(from);
    for (const { to, bucket } of moved) buckets.set(to, bucket);
    return { renamed: moved.length };
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://tinykv');
    try {
      const body = await readBody(request);
      if (options.token !== undefined && url.pathname !== '/v1/health' && request.headers.authorization !== `Bearer ${options.token}`) {
        throw new EngineError(401, 'unauthorized', 'missing or wrong token');
      }
      const [status, payload] = url.pathname === '/v1/health' ? [200, { status: 'ok', version: TINYKV_VERSION }] : await route(request.method ?? 'GET', url, body);
      send(response, status, payload);
    } catch (error) {
      const engineError = error instanceof EngineError ? error : new EngineError(500, 'internal', String(error));
      send(response, engineError.status, { error: { code: engineError.code, message: engineError.message } });
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setDelay(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readPage(bucket: Bucket, params: URLSearchParams): { items: { key: string; value: unknown }[]; next: string | null } {
  const limit = Number(params.get('limit') ?? '100');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new EngineError(400, 'invalid_limit', `limit must be 1–${MAX_PAGE}`);
  const after = params.get('after');
  const keys = [...bucket.items.keys()].sort().filter((key) => after === null || key > after);
  const page = keys.slice(0, limit);
  return { items: page.map((key) => ({ key, value: bucket.items.get(key) })), next: keys.length > limit ? page[page.length - 1]! : null };
}

function parseSettings(raw: unknown): TinyKvSettings {
  const settings: TinyKvSettings = { description: null, ttlSeconds: null, maxValueBytes: null };
  if (raw === undefined || raw === null) return settings;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new EngineError(400, 'invalid_settings', 'settings must be an object');
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'description' && (value === null || typeof value === 'string')) settings.description = value;
    else if ((key === 'ttlSeconds' || key === 'maxValueBytes') && (value === null || (Number.isInteger(value) && (value as number) > 0))) settings[key] = value as number | null;
    else throw new EngineError(400, 'invalid_settings', `unknown or invalid setting "${key}"`);
  }
  return settings;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new EngineError(413, 'payload_too_large', `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new EngineError(400, 'invalid_json', 'body is not JSON');
  }
}

function send(response: ServerResponse, status: number, payload: unknown): void {
  if (status === 204) {
    response.writeHead(204).end();
    return;
  }
  const body = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
