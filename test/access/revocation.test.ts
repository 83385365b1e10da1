// Issue 13 point 9: a revoked key kept its open subscriptions (SSE and WebSocket jobEvents kept streaming),
// 500 sockets that never authenticated stayed open, and failed authentications were neither logged nor limited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { subscribeSse } from '../helpers/sse.ts';
import { closedWith, nextMessage, openSocket, rawRequest } from './http.ts';

const MASTER = 'revocation-master-key-0123456789';
const JOB_EVENTS = 'subscription { jobEvents { id status } }';

describe('revoked keys and unauthenticated sockets', () => {
  let t: TestGateway;
  let server: RunningServer;

  beforeAll(async () => {
    t = await startTestGateway({ masterKey: MASTER, env: { GATEWAY_WS_INIT_TIMEOUT_MS: '300' } });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  async function viewerKey(name: string): Promise<{ key: string; id: string }> {
    const res = await t.gql(`mutation($n: String!) { createApiKey(input: {name: $n, scope: VIEWER}) { key apiKey { id } } }`, { n: name });
    return { key: res.data!.createApiKey.key, id: res.data!.createApiKey.apiKey.id };
  }

  async function authedSocket(key: string): Promise<WebSocket> {
    const outcome = await openSocket(server.url);
    if (!outcome.opened) throw new Error(`socket refused: ${outcome.status}`);
    const ack = nextMessage(outcome.socket, 'connection_ack');
    outcome.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    await ack;
    return outcome.socket;
  }

  it('ends an SSE subscription when its key is revoked here', async () => {
    const { key, id } = await viewerKey('sse viewer');
    const sub = subscribeSse(server.url, JOB_EVENTS, {}, { authorization: `Bearer ${key}` });
    await sub.opened;
    expect((await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id })).data?.revokeApiKey).toBe(true);
    expect(await sub.ended).toBe('complete');
    expect(JSON.stringify(sub.errors)).toContain('invalid_api_key');
  });

  it('ends an SSE subscription when another replica revoked the key (found in the database)', async () => {
    const { key, id } = await viewerKey('sse viewer 2');
    const sub = subscribeSse(server.url, JOB_EVENTS, {}, { authorization: `Bearer ${key}` });
    await sub.opened;
    await t.gateway.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    expect(await sub.ended).toBe('complete');
    expect(JSON.stringify(sub.errors)).toContain('invalid_api_key');
  });

  it('closes a WebSocket (and its subscriptions) when its key is revoked', async () => {
    const { key, id } = await viewerKey('ws viewer');
    const socket = await authedSocket(key);
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: JOB_EVENTS } }));
    const closed = closedWith(socket);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the subscribe message is read before the revoke
    await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id });
    const { code, reason } = await closed;
    expect(code).toBe(4403);
    expect(reason).toContain('invalid_api_key');
  });

  it('closes a WebSocket whose key another replica revoked', async () => {
    const { key, id } = await viewerKey('ws viewer 2');
    const socket = await authedSocket(key);
    const closed = closedWith(socket);
    await t.gateway.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    expect((await closed).code).toBe(4403);
  });

  it('closes a WebSocket that never sends connection_init', async () => {
    const outcome = await openSocket(server.url);
    if (!outcome.opened) throw new Error('refused');
    expect((await closedWith(outcome.socket)).code).toBe(4408);
  });

  it('closes a WebSocket whose connection_init carries no valid key, with the auth code', async () => {
    for (const [payload, code] of [
      [{}, 'missing_authorization_header'],
      [{ authorization: 'Bearer bgw_notakey0000000000' }, 'invalid_api_key'],
    ] as const) {
      const outcome = await openSocket(server.url);
      if (!outcome.opened) throw new Error('refused');
      const closed = closedWith(outcome.socket);
      outcome.socket.send(JSON.stringify({ type: 'connection_init', payload }));
      const result = await closed;
      expect(result.code).toBe(4403);
      expect(result.reason).toContain(code);
    }
  });
});

describe('failed authentications', () => {
  it('are logged with the key prefix and address, and limited per address (rate_limited, 429)', async () => {
    const t = await startTestGateway({ masterKey: MASTER, env: { GATEWAY_AUTH_FAILURES_PER_MINUTE: '3' } });
    const server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    try {
      const ask = (key: string) =>
        rawRequest(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: '{ engines { id } }' }),
        });
      for (let attempt = 0; attempt < 3; attempt++) {
        const res = await ask(`bgw_guess${attempt}-secret-tail-000000`);
        expect(res.status).toBe(403);
        expect(res.json.errors[0].extensions.code).toBe('invalid_api_key');
      }
      const limited = await ask(MASTER); // even the right key waits: the address is out of attempts
      expect(limited.status).toBe(429);
      expect(limited.json.errors[0].extensions.code).toBe('rate_limited');
      const failures = t.logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'authentication failed');
      expect(failures.length).toBeGreaterThanOrEqual(3);
      expect(failures[0]).toMatchObject({ keyPrefix: 'bgw_guess0', remoteAddress: '127.0.0.1', code: 'invalid_api_key' });
      expect(t.logLines.join('\n')).not.toContain('secret-tail');
      // in-process callers (no address) are not limited by the network's failures
      expect((await t.gql('{ engines { id } }')).status).toBe(200);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
