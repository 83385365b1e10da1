// The real HTTP server: GraphiQL, /health, and subscriptions over WebSocket (graphql-ws) with auth.
import { createClient, type Client } from 'graphql-ws';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'transport-master-key-0123456789';

describe('HTTP server transports', () => {
  let t: TestGateway;
  let server: RunningServer;
  let emulator: MeilisearchEmulator;
  const clients: Client[] = [];

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    const client = new Meilisearch({ host: emulator.url });
    await client
      .index('things')
      .addDocuments(Array.from({ length: 300 }, (_, id) => ({ id, name: `thing ${id}` })))
      .waitTask();
    t = await startTestGateway({ masterKey: MASTER });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await server?.close();
    await t?.close();
    await emulator?.close();
  });

  function wsClient(authorization?: string): Client {
    const client = createClient({
      url: server.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: authorization ? { authorization } : {},
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  }

  it('serves GraphiQL on GET /graphql and health without auth', async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('graphiql');
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'available' });
  });

  it('streams job changes over WebSocket to an authorized subscriber', async () => {
    const client = wsClient(`Bearer ${MASTER}`);
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'ws-meili', plugin: 'meilisearch', config: { url: emulator.url, pageSize: 50 } },
    });
    const engineId = engine.data!.registerEngine.id;
    const seen: Array<{ id: string; status: string }> = [];
    const finished = new Promise<void>((resolve, reject) => {
      client.subscribe<{ jobEvents: { id: string; status: string } }>(
        { query: `subscription($e: ID) { jobEvents(engineId: $e) { id status progress { completed } } }`, variables: { e: engineId } },
        {
          next: (message) => {
            if (message.errors) return reject(new Error(JSON.stringify(message.errors)));
            seen.push(message.data!.jobEvents);
            if (message.data!.jobEvents.status === 'SUCCEEDED') resolve();
          },
          error: reject,
          complete: () => undefined,
        },
      );
    });
    // let the subscription register (connect, authenticated connection_init, subscribe) before the job starts
    const subscribers = t.gateway.bus.subscriberCount;
    for (let i = 0; i < 200 && t.gateway.bus.subscriberCount <= subscribers; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
    await finished;
    expect(seen.every((job) => job.id === started.data!.startBackup.id)).toBe(true);
    expect(seen.map((job) => job.status)).toEqual(expect.arrayContaining(['QUEUED', 'RUNNING', 'SUCCEEDED']));
  });

  it('refuses a WebSocket subscription without a key, with the auth code', async () => {
    const client = wsClient();
    const errors = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: `subscription { jobEvents { id } }` }, { next: (m) => resolve(m.errors), error: resolve, complete: () => undefined });
    });
    // connection_init must authenticate: the socket is closed 4403 with the code in the reason
    expect(`${JSON.stringify(errors)} ${String((errors as { reason?: unknown }).reason)}`).toContain('missing_authorization_header');
  });
});
