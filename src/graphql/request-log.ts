// What the GraphQL layer logs: one line per request (with its request id, also sent back as x-request-id), and
// graphql-yoga's own error reports reduced to message and code — never the document, its source excerpt or the
// variables (an inline API key in a failed mutation stayed in the log before). Client mistakes are not errors.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { GatewayError } from '../errors.ts';
import { logScope, type GatewayLogger } from '../log.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's x-request-id when it is a plain token, else a new one. */
export function requestIdOf(header: string | string[] | undefined | null, fresh: () => string): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : fresh();
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** graphql-js appends "GraphQL request:1:12 / 1 | mutation { … }" to a located error's text: cut it. */
export function withoutSourceExcerpt(text: string): string {
  const at = text.indexOf('\n\nGraphQL request:');
  return at >= 0 ? text.slice(0, at) : text;
}

function describe(arg: unknown): { message: string; level: Level; fields: Record<string, unknown> } {
  if (arg instanceof GraphQLError || arg instanceof Error) {
    const original = arg instanceof GraphQLError ? (arg.originalError ?? arg) : arg;
    const code = original instanceof GatewayError ? original.code : arg instanceof GraphQLError ? arg.extensions?.['code'] : undefined;
    const type = original instanceof GatewayError ? original.type : undefined;
    // bad input, not found, busy and refused keys are the client's; engine trouble is a warning; the rest an error
    const level: Level = type === 'invalid_request' || type === 'auth' ? 'info' : type === 'engine' ? 'warn' : arg instanceof GraphQLError && !arg.originalError ? 'info' : 'error';
    const path = arg instanceof GraphQLError && arg.path ? arg.path.join('.') : undefined;
    return {
      message: withoutSourceExcerpt(arg.message),
      level,
      fields: { code: typeof code === 'string' ? code : undefined, path, ...(level === 'error' ? { stack: original instanceof Error ? original.stack : undefined } : {}) },
    };
  }
  return { message: withoutSourceExcerpt(String(arg)), level: 'error', fields: {} };
}

/** graphql-yoga's `logging` option. */
export function yogaLogging(log: GatewayLogger): Record<Level, (...args: unknown[]) => void> {
  const report =
    (asked: Level) =>
    (...args: unknown[]) => {
      const parts = args.map(describe);
      const worst = parts.find((part) => part.level === 'error') ?? parts.find((part) => part.level === 'warn') ?? parts[0];
      const level: Level = asked === 'error' ? (worst?.level ?? 'error') : asked;
      log[level](parts.map((part) => part.message).join(' '), Object.assign({}, ...parts.map((part) => part.fields)));
    };
  return { debug: report('debug'), info: report('info'), warn: report('warn'), error: report('error') };
}

/** One line per request, at debug when it went well, and the request id in the answer's x-request-id header. */
export function requestLogPlugin(log: GatewayLogger): Plugin {
  const started = new WeakMap<Request, number>();
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const requestId = logScope.getStore()?.requestId;
      if (requestId) response.headers.set('x-request-id', requestId);
      const path = new URL(request.url, 'http://gateway').pathname;
      if (path === '/health' || path === '/livez' || path === '/readyz') return;
      const status = response.status;
      const level: Level = status >= 500 ? 'warn' : status >= 400 ? 'info' : 'debug';
      log[level]('request', { method: request.method, path, status, durationMs: Math.round(performance.now() - (started.get(request) ?? performance.now())) });
    },
  };
}
