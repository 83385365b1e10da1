// The HTTP layer of the Typesense emulator: request model, the `{"message": ...}` error body, JSON with
// nlohmann's sorted keys, and a router that matches routes in registration order (literal routes first).

import type { IncomingHttpHeaders } from 'node:http';

export interface EmulatorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type EmulatorResponse =
  | { status: number; json: unknown }
  /** text/plain; charset=utf-8 (export, import). */
  | { status: number; text: string }
  /** Streamed text/plain chunks (export). */
  | { status: number; chunks: AsyncIterable<string> };

export type RouteParams = Record<string, string>;
export type Handler = (req: EmulatorRequest, params: RouteParams) => EmulatorResponse | Promise<EmulatorResponse>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: string;
  /** Permission action of scoped API keys, e.g. `documents:import`. */
  action: string;
  handler: Handler;
  /** `/health` only: answered without an API key. */
  open?: boolean;
}

/** An engine error: `res->set(code, message)` → `{"message": "<text>"}` with that status. */
export class TypesenseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const json = (status: number, body: unknown): EmulatorResponse => ({ status, json: body });

/** nlohmann::json objects are std::maps: every object is dumped with its keys sorted. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

export const dump = (value: unknown): string => JSON.stringify(sortKeys(value));

/** Parses a JSON request body; Typesense answers 400 "Bad JSON." for anything unparsable. */
export function readJson(req: EmulatorRequest): unknown {
  try {
    return JSON.parse(req.body.toString('utf8')) as unknown;
  } catch {
    throw new TypesenseError(400, 'Bad JSON.');
  }
}

export function readObject(req: EmulatorRequest): Record<string, unknown> {
  const body = readJson(req);
  if (!isObject(body)) throw new TypesenseError(400, 'Bad JSON.');
  return body;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `offset` / `limit` of list routes (uint32, 0 = no limit). */
export function pageParams(req: EmulatorRequest): { offset: number; limit: number } {
  const read = (name: 'offset' | 'limit'): number => {
    const raw = req.query.get(name);
    if (raw === null) return 0;
    if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff) {
      throw new TypesenseError(400, `${name === 'offset' ? 'Offset' : 'Limit'} param should be unsigned integer.`);
    }
    return Number(raw);
  };
  return { offset: read('offset'), limit: read('limit') };
}

export function paginate<T>(items: T[], page: { offset: number; limit: number }): T[] {
  return items.slice(page.offset, page.limit === 0 ? undefined : page.offset + page.limit);
}

interface CompiledRoute extends Route {
  parts: string[];
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(routes: readonly Route[]): void {
    for (const route of routes) this.routes.push({ ...route, parts: route.pattern.split('/').slice(1) });
  }

  /** The route and its params, or null (Typesense answers `{ "message": "Not Found"}` before any auth). */
  find(method: string, path: string): { route: Route; params: RouteParams } | null {
    const segments = path.replace(/\/+$/, '').split('/').slice(1).map(decodeSegment);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = match(route.parts, segments);
      if (params !== null) return { route, params };
    }
    return null;
  }
}

function match(parts: readonly string[], segments: readonly string[]): RouteParams | null {
  if (parts.length !== segments.length) return null;
  const params: RouteParams = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return null;
      params[part.slice(1)] = segment;
    } else if (part !== segment) return null;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
