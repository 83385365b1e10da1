// The HTTP layer: request model, body limits, JSON extraction with actix-web's rules, routing with
// actix's matching (first resource whose path matches decides; wrong method there is a bare 405).

import type { IncomingHttpHeaders } from 'node:http';
import { MeiliError } from './errors.ts';
import { parseJson } from './json-syntax.ts';

/** `--http-payload-size-limit` default: 100 MB, written by the engine as a binary unit. */
export const PAYLOAD_LIMIT = 104_857_600;

export interface EmulatorRequest {
  method: string;
  /** Path after NormalizePath (trailing slashes trimmed, repeated slashes merged). */
  path: string;
  /** Raw query string without the leading `?`. */
  search: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  bodyTooLarge: boolean;
}

export interface EmulatorResponse {
  status: number;
  /** JSON-serialised when defined; an empty body otherwise (actix's bare 404/405/204). */
  body?: unknown;
  /** A non-JSON body (e.g. NDJSON task documents), sent as is with `contentType`. */
  text?: string;
  contentType?: string;
}

export type RouteParams = Record<string, string>;
export type Handler = (req: EmulatorRequest, params: RouteParams) => EmulatorResponse | Promise<EmulatorResponse>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** e.g. `/indexes/:indexUid/documents/fetch`. */
  pattern: string;
  handler: Handler;
}

export const json = (status: number, body: unknown): EmulatorResponse => ({ status, body });

export function payloadTooLarge(): MeiliError {
  return new MeiliError('payload_too_large', 'The provided payload reached the size limit. The maximum accepted payload size is 100 MiB.');
}

export interface Mime {
  type: string;
  subtype: string;
  suffix: string | null;
}

/** Parses a Content-Type the way the `mime` crate accepts it; null when it is not a media type. */
export function parseMime(header: string | undefined): Mime | null {
  if (header === undefined) return null;
  const m = /^\s*([A-Za-z0-9!#$&^_.+-]+)\/([A-Za-z0-9!#$&^_.+-]+)\s*(;.*)?$/.exec(header);
  if (!m) return null;
  const subtype = (m[2] ?? '').toLowerCase();
  const plus = subtype.lastIndexOf('+');
  return { type: (m[1] ?? '').toLowerCase(), subtype, suffix: plus >= 0 ? subtype.slice(plus + 1) : null };
}

/**
 * actix `web::Json` with Meilisearch's JsonConfig: any `*\/json` or `*+json` media type, 415 when the
 * header is missing or different, then serde_json parsing into a value.
 */
export function readJsonBody(req: EmulatorRequest): unknown {
  const header = req.headers['content-type'];
  const mime = parseMime(header);
  if (!mime || (mime.subtype !== 'json' && mime.suffix !== 'json')) {
    if (header === undefined) {
      throw new MeiliError('missing_content_type', 'A Content-Type header is missing. Accepted values for the Content-Type header are: `application/json`');
    }
    throw new MeiliError('invalid_content_type', `The Content-Type \`${header}\` is invalid. Accepted values for the Content-Type header are: \`application/json\``);
  }
  if (req.bodyTooLarge) throw payloadTooLarge();
  const parsed = parseJson(req.body.toString('utf8'));
  if (parsed.ok) return parsed.value;
  // serde's EOF at line 1 column 0 is an empty body
  if (parsed.error.eof && parsed.error.line === 1 && parsed.error.column === 0) {
    throw new MeiliError('missing_payload', 'A json payload is missing.');
  }
  throw new MeiliError('malformed_payload', `The json payload provided is malformed. \`${parsed.error.message}\`.`);
}

/** actix NormalizePath(Trim): merge repeated slashes, drop the trailing one. */
export function normalizePath(rawPath: string): string {
  const merged = rawPath.replace(/\/{2,}/g, '/');
  return merged.length > 1 && merged.endsWith('/') ? merged.slice(0, -1) : merged;
}

interface CompiledRoute extends Route {
  parts: string[];
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(routes: readonly Route[]): void {
    for (const route of routes) this.routes.push({ ...route, parts: route.pattern.split('/').slice(1) });
  }

  private static match(parts: readonly string[], segments: readonly string[]): RouteParams | null {
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

  /** Returns the handler call, or a bare 404 (no resource) / 405 (resource without that method). */
  async dispatch(req: EmulatorRequest): Promise<EmulatorResponse> {
    const segments = req.path
      .split('/')
      .slice(1)
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    for (const route of this.routes) {
      const params = Router.match(route.parts, segments);
      if (!params) continue;
      const sameResource = this.routes.filter((r) => r.pattern === route.pattern);
      const chosen = sameResource.find((r) => r.method === req.method);
      if (!chosen) return { status: 405 };
      return chosen.handler(req, params);
    }
    return { status: 404 };
  }
}
