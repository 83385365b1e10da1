// The same limits over WebSocket (graphql-ws): oversized messages close the socket, syntax errors, too many tokens
// and too-deep or too-wide subscriptions come back as coded errors, and the server keeps serving.
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REQUEST_LIMITS } from '../../src/graphql/limits.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'ws-limits-master-key-0123456789';

describe('request limits over WebSocket', () => {
  let t: TestGateway;
  let server: RunningServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ masterKey: MASTER });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await server?.close();
    await t?.close();
  });

  function client(): Client {
    const created = createClient({
      url: server.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${MASTER}` },
      retryAttempts: 0,
    });
    clients.push(created);
    return created;
  }

  /** The errors a subscription ends with (graphql-ws hands them as an array). */
  function errorsOf(query: string): Promise<Array<{ message: string; extensions?: { code?: string } }>> {
    return new Promise((resolve, reject) => {
      client().subscribe(
        { query },
        {
          next: (value) => (value.errors ? resolve(value.errors as never) : reject(new Error(`unexpected data ${JSON.stringify(value)}`))),
          error: (error) => (Array.isArray(error) ? resolve(error as never) : reject(error instanceof Error ? error : new Error(JSON.stringify(error)))),
          complete: () => reject(new Error('completed without an error')),
        },
      );
    });
  }

  it('answers syntax errors, too many tokens, too deep and too wide with coded errors', async () => {
    expect((await errorsOf('subscription { jobEvents { id '))[0]?.message).toMatch(/Syntax Error/);
    expect((await errorsOf(`subscription { jobEvents { ${'id '.repeat(REQUEST_LIMITS.maxTokens + 10)} } }`))[0]?.message).toMatch(/tokens/);
    const deep = await errorsOf(`subscription { jobEvents { backup { ${'parent { '.repeat(12)}id${' }'.repeat(12)} } } }`);
    expect(deep.map((e) => e.extensions?.code)).toContain('query_too_complex');
    const wide = await errorsOf(`subscription { jobEvents { ${Array.from({ length: REQUEST_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: id`).join(' ')} } }`);
    expect(wide.map((e) => e.extensions?.code)).toContain('query_too_complex');
  });

  it('closes a socket that sends a message over the body limit, and keeps serving others', async () => {
    const socket = new WebSocket(server.url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${MASTER}`, pad: 'x'.repeat(REQUEST_LIMITS.maxBodyBytes + 1) } }));
    expect(await closed).toBe(1009); // message too big
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });
});
