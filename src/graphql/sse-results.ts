// Subscription events over SSE written straight to the connection. Events shared between subscribers (one
// execution per distinct selection, shared-events.ts) are also serialised and encoded once: every subscriber's
// stream pushes the same bytes. Same wire format as graphql-yoga's SSE processor (graphql-sse's "distinct
// connections" mode): a first `:` comment, `event: next` per result, `event: complete` at the end, and a `:`
// ping every 12 s.
import { Readable } from 'node:stream';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.ts';

const PING_INTERVAL_MS = 12_000;
const HEADERS = { 'Content-Type': 'text/event-stream', Connection: 'keep-alive', 'Cache-Control': 'no-cache', 'Content-Encoding': 'none' };
const FIRST = Buffer.from(':\n\n');
const COMPLETE = Buffer.from('event: complete\ndata:\n\n');

export function useDirectSseSubscriptions(): Plugin<GraphQLContext> {
  const subscriptionRequests = new WeakSet<Request>();
  const encoded = new WeakMap<object, Buffer>();
  const bytesOf = (result: ExecutionResult): Buffer => {
    let bytes = encoded.get(result);
    if (!bytes) encoded.set(result, (bytes = Buffer.from(`event: next\ndata: ${JSON.stringify(withoutInternals(result))}\n\n`)));
    return bytes;
  };
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request) subscriptionRequests.add(request);
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (!subscriptionRequests.has(request) || !isAsyncIterable(result) || !acceptsEventStream(request)) return;
      setResultProcessor((events, fetchAPI) => {
        const body = eventStream(events as AsyncIterable<ExecutionResult>, bytesOf);
        return new fetchAPI.Response(body as unknown as BodyInit, { status: 200, headers: HEADERS });
      }, 'text/event-stream');
    },
  };
}

/** A Node stream the HTTP server pipes to the socket; results are pulled only as fast as the client reads. */
function eventStream(events: AsyncIterable<ExecutionResult>, bytesOf: (result: ExecutionResult) => Buffer): Readable {
  const iterator = events[Symbol.asyncIterator]();
  let reading = false;
  const ping = setInterval(() => stream.push(FIRST), PING_INTERVAL_MS);
  ping.unref();
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (reading) return;
      reading = true;
      void (async () => {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) {
              clearInterval(ping);
              stream.push(COMPLETE);
              stream.push(null);
              return;
            }
            if (next.value != null && !stream.push(bytesOf(next.value))) break;
          }
        } catch (error) {
          clearInterval(ping);
          // A source's own error (e.g. subscriber_too_slow) arrives as a result with errors, formatted by the
          // error masking; what is left is the connection failing.
          stream.destroy(error as Error);
        } finally {
          reading = false;
        }
      })();
    },
    destroy(error, callback) {
      clearInterval(ping);
      // The client left: the subscription's source (a job feed) is detached.
      Promise.resolve(iterator.return?.())
        .catch(() => undefined)
        .finally(() => callback(error));
    },
  });
  stream.push(FIRST);
  return stream;
}

function acceptsEventStream(request: Request): boolean {
  const accept = (request.headers.get('accept') ?? '').toLowerCase();
  return accept.includes('text/event-stream');
}

/** What yoga leaves out of errors on the wire: the `http` and `unexpected` extensions. */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length && !(result.extensions && 'http' in result.extensions)) return result;
  const { http: _http, ...extensions } = (result.extensions ?? {}) as Record<string, unknown>;
  return {
    ...result,
    ...(result.errors ? { errors: result.errors.map(publicError) } : {}),
    extensions: Object.keys(extensions).length ? extensions : undefined,
  } as ExecutionResult;
}

function publicError(error: GraphQLError): GraphQLError {
  const json = typeof error.toJSON === 'function' ? error.toJSON() : (error as unknown as Record<string, unknown>);
  const { http: _http, unexpected: _unexpected, ...extensions } = (json.extensions ?? {}) as Record<string, unknown>;
  return { ...json, ...(Object.keys(extensions).length ? { extensions } : { extensions: undefined }) } as unknown as GraphQLError;
}
