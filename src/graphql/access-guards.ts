// Browser-facing access rules of the GraphQL endpoint: mutations only from JSON bodies (a cross-site form cannot
// send one without a CORS preflight), graphql-yoga's CSRF check on everything else, CORS only for listed
// origins, and subscriptions that end when the key they were opened with is revoked.
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { ExecutionResult } from 'graphql';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import { ApiKeyService } from '../auth/authenticate.ts';
import { ERROR_CATALOGUE, GatewayError, type ErrorCode } from '../errors.ts';
import type { GraphQLContext } from './context.ts';
import { toGraphQLError } from './errors.ts';

/** The header the dashboard and CLI send; a request without a JSON body must carry it (graphql-yoga's CSRF check). */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';
const JSON_TYPES = new Set(['application/json', 'application/graphql-response+json']);

function codedResponse(fetchAPI: { Response: typeof Response }, code: ErrorCode, message: string): Response {
  const { type, status } = ERROR_CATALOGUE[code];
  return fetchAPI.Response.json({ errors: [{ message, extensions: { code, type } }] }, { status });
}

/** Runs before request parsing: wrong body types and missing CSRF headers never reach the parser. */
export function requestGuardPlugin(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    async onRequestParse(payload) {
      const { request, endResponse, fetchAPI } = payload;
      if (request.method === 'POST') {
        const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (!JSON_TYPES.has(type)) {
          return endResponse(codedResponse(fetchAPI, 'unsupported_content_type', `POST bodies must be application/json (got ${type.slice(0, 100) || 'none'})`));
        }
      }
      try {
        await csrf.onRequestParse?.(payload);
      } catch {
        return endResponse(codedResponse(fetchAPI, 'csrf_check_failed', `Requests without a JSON body must carry the ${CSRF_HEADER} header`));
      }
    },
  };
}

/** CORS off (no headers at all) unless the request's Origin is listed in GATEWAY_CORS_ORIGINS. */
export function corsFor(origins: readonly string[]): (request: Request) => CORSOptions {
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin || !origins.includes(origin)) return false;
    return {
      origin: [origin],
      credentials: false, // keys travel in the Authorization header, never in cookies
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'accept', CSRF_HEADER],
      maxAge: 600,
    };
  };
}

/** A stream of a subscription opened with a stored key: ends with `invalid_api_key` once that key is revoked. */
export function revocationPlugin(apiKeys: ApiKeyService): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const auth = (args.contextValue as GraphQLContext).auth;
      const keyId = auth.ok ? ApiKeyService.keyIdOf(auth.principal) : null;
      if (!keyId) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in Object(result))) return;
          setResult(endWhenRevoked(result as AsyncIterable<ExecutionResult>, (onRevoked) => apiKeys.revocations.watch(keyId, onRevoked)));
        },
      };
    },
  };
}

const REVOKED = Symbol('revoked');

function endWhenRevoked(stream: AsyncIterable<ExecutionResult>, watch: (onRevoked: () => void) => () => void): AsyncIterableIterator<ExecutionResult> {
  const inner = stream[Symbol.asyncIterator]();
  let state: 'open' | 'revoked' | 'done' = 'open';
  let signalRevoked!: () => void;
  const revoked = new Promise<typeof REVOKED>((resolve) => (signalRevoked = () => resolve(REVOKED)));
  const unwatch = watch(() => signalRevoked());
  const finish = async () => {
    unwatch();
    await inner.return?.().catch(() => undefined);
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (state === 'done') return { done: true, value: undefined };
      if (state === 'open') {
        const next = await Promise.race([inner.next(), revoked]);
        if (next !== REVOKED) {
          if (next.done) {
            state = 'done';
            unwatch();
          }
          return next;
        }
        state = 'revoked';
      }
      // Revoked: one last payload says why, then the stream completes.
      state = 'done';
      void finish();
      return { done: false, value: { errors: [toGraphQLError(new GatewayError('invalid_api_key', 'The API key of this subscription was revoked.'))] } };
    },
    async return() {
      state = 'done';
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error) {
      state = 'done';
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
