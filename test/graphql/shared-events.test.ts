// Subscription events executed once per distinct selection: subscribers asking the same thing of the same event
// share one execution; a different selection, variables or principal get their own. Real yoga, real SSE streams.
import { createPubSub, createYoga, Repeater } from 'graphql-yoga';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { describe, expect, it } from 'vitest';
import { useSharedSubscriptionEvents } from '../../src/graphql/shared-events.ts';

interface Tick {
  n: number;
}

function setup() {
  const pubsub = createPubSub<{ tick: [Tick] }>();
  const calls = { label: 0, n: 0 };
  const TickType = new GraphQLObjectType<Tick>({
    name: 'Tick',
    fields: {
      n: { type: GraphQLInt, resolve: (t) => (calls.n++, t.n) },
      label: { type: GraphQLString, args: { prefix: { type: GraphQLString } }, resolve: (t, { prefix }: { prefix?: string }) => (calls.label++, `${prefix ?? ''}${t.n}`) },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: { ticks: { type: TickType, subscribe: () => pubsub.subscribe('tick'), resolve: (t: Tick) => t } },
    }),
  });
  const yoga = createYoga({
    schema,
    plugins: [useSharedSubscriptionEvents()],
    context: ({ request }) => ({ auth: { ok: true, principal: { actor: request.headers.get('x-actor') ?? 'a', scope: 'VIEWER' } } }),
    logging: false,
  });
  return { pubsub, calls, yoga };
}

/** Opens an SSE subscription and yields each `next` payload's data. */
async function open(yoga: ReturnType<typeof setup>['yoga'], query: string, actor = 'a', variables: Record<string, unknown> = {}) {
  const response = await yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-actor': actor },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return new Repeater<Record<string, unknown>>(async (push, stop) => {
    void stop.then(() => reader.cancel());
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return stop();
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\n').find((line) => line.startsWith('data:'));
        if (message.startsWith('event: next') && data) await push(JSON.parse(data.slice(5)) as Record<string, unknown>);
      }
    }
  });
}

async function take<T>(stream: AsyncIterator<T>, count: number): Promise<T[]> {
  const seen: T[] = [];
  while (seen.length < count) {
    const next = await stream.next();
    if (next.done) break;
    seen.push(next.value);
  }
  return seen;
}

describe('subscription events shared per selection', () => {
  it('subscribers with the same selection share one execution per event; another selection gets its own', async () => {
    const { pubsub, calls, yoga } = setup();
    const same = await Promise.all(Array.from({ length: 5 }, () => open(yoga, 'subscription { ticks { n } }')));
    const other = await open(yoga, 'subscription { ticks { n label } }');
    // Subscriptions are registered before their first event: let the streams start.
    await new Promise((resolve) => setTimeout(resolve, 50));
    pubsub.publish('tick', { n: 1 });
    pubsub.publish('tick', { n: 2 });
    for (const stream of same) expect(await take(stream, 2)).toEqual([{ data: { ticks: { n: 1 } } }, { data: { ticks: { n: 2 } } }]);
    expect(await take(other, 2)).toEqual([{ data: { ticks: { n: 1, label: '1' } } }, { data: { ticks: { n: 2, label: '2' } } }]);
    // Two events: once for the five alike, once for the other selection.
    expect(calls.n).toBe(4);
    expect(calls.label).toBe(2);
    for (const stream of [...same, other]) await stream.return();
  });

  it('different variables or another principal are executed apart', async () => {
    const { pubsub, calls, yoga } = setup();
    const query = 'subscription($p: String) { ticks { label(prefix: $p) } }';
    const streams = await Promise.all([
      open(yoga, query, 'a', { p: 'x' }),
      open(yoga, query, 'a', { p: 'y' }),
      open(yoga, query, 'b', { p: 'x' }),
      open(yoga, query, 'a', { p: 'x' }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    pubsub.publish('tick', { n: 7 });
    const labels = await Promise.all(streams.map(async (stream) => ((await take(stream, 1))[0]!.data as { ticks: { label: string } }).ticks.label));
    expect(labels).toEqual(['x7', 'y7', 'x7', 'x7']);
    expect(calls.label).toBe(3);
    for (const stream of streams) await stream.return();
  });
});
