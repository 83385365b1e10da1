// Subscription events written straight to the connection (issue 17): the wire format graphql-sse clients read,
// one serialisation per shared event, a coded end the client can read, and a client leaving detaches the source.
// Real yoga behind a real HTTP server, read with fetch.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { createYoga, Repeater } from 'graphql-yoga';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { useSharedSubscriptionEvents } from '../../src/graphql/shared-events.ts';
import { useDirectSseSubscriptions } from '../../src/graphql/sse-results.ts';

interface Tick {
  n: number;
}

function setup(source: () => AsyncIterable<Tick>) {
  const TickType = new GraphQLObjectType<Tick>({ name: 'Tick', fields: { n: { type: GraphQLInt, resolve: (t) => t.n } } });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
    subscription: new GraphQLObjectType({ name: 'Subscription', fields: { ticks: { type: TickType, subscribe: source, resolve: (t: Tick) => t } } }),
  });
  const yoga = createYoga({
    schema,
    plugins: [useSharedSubscriptionEvents(), useDirectSseSubscriptions()],
    context: () => ({ auth: { ok: true, principal: { actor: 'a', scope: 'VIEWER' } } }),
    logging: false,
    // Unmasked, so an error thrown by the source reaches the writer as it is (the gateway's masking codes it first).
    maskedErrors: false,
  });
  return { yoga };
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(yoga: ReturnType<typeof setup>['yoga']): Promise<string> {
  server = createServer((req, res) => void yoga(req, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

const subscribe = (url: string, signal?: AbortSignal) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription { ticks { n } }' }),
    signal,
  });

describe('SSE subscriptions written directly', () => {
  it('writes the graphql-sse wire format: a first comment, next events, then complete', async () => {
    const { yoga } = setup(() => new Repeater<Tick>(async (push, stop) => (await push({ n: 1 }), await push({ n: 2 }), stop())));
    const response = await subscribe(await serve(yoga));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe(':\n\nevent: next\ndata: {"data":{"ticks":{"n":1}}}\n\nevent: next\ndata: {"data":{"ticks":{"n":2}}}\n\nevent: complete\ndata:\n\n');
  });

  it('gives subscribers of one shared event the same bytes, serialised once', async () => {
    const stringify = JSON.stringify;
    let calls = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      if ((args[0] as { data?: { ticks?: unknown } } | null)?.data?.ticks) calls++;
      return stringify(...args);
    }) as typeof JSON.stringify;
    try {
      const shared = { n: 7 };
      const { yoga } = setup(() => new Repeater<Tick>(async (push, stop) => (await push(shared), stop())));
      const url = await serve(yoga);
      const bodies = await Promise.all([1, 2, 3].map(async () => (await subscribe(url)).text()));
      expect(new Set(bodies)).toEqual(new Set([':\n\nevent: next\ndata: {"data":{"ticks":{"n":7}}}\n\nevent: complete\ndata:\n\n']));
      expect(calls).toBe(1);
    } finally {
      JSON.stringify = stringify;
    }
  });

  it('sends the error a source ends with as a result the client reads, then completes', async () => {
    const { yoga } = setup(() => new Repeater<Tick>(async (push, stop) => (await push({ n: 1 }), stop(new GatewayError('subscriber_too_slow', 'fell behind')))));
    const text = await (await subscribe(await serve(yoga))).text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events[1]).toBe('event: next\ndata: {"data":{"ticks":{"n":1}}}');
    expect(JSON.parse(events[2]!.split('data: ')[1]!)).toMatchObject({ errors: [{ message: 'fell behind' }] });
    expect(events[3]).toBe('event: complete\ndata:');
  });

  it('detaches the source when the client goes away', async () => {
    let stopped!: () => void;
    const detached = new Promise<void>((resolve) => (stopped = resolve));
    const { yoga } = setup(
      () =>
        new Repeater<Tick>(async (push, stop) => {
          await push({ n: 1 });
          await stop;
          stopped();
        }),
    );
    const controller = new AbortController();
    const response = await subscribe(await serve(yoga), controller.signal);
    const reader = response.body!.getReader();
    let seen = '';
    while (!seen.includes('event: next')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await detached;
  });
});
