// Issue 13 point 7: in open mode any web page could drive the gateway — a cross-origin form POST created an ADMIN
// key, CORS reflected every origin with credentials, WebSockets took any Origin, Host was not checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { closedWith, openSocket, rawRequest } from './http.ts';

const EVIL = 'http://evil.example';
const CREATE_ADMIN_KEY = 'mutation { createApiKey(input: {name: "pwned", scope: ADMIN}) { key } }';

describe('browser access in open mode (CSRF, CORS, Origin, Host)', () => {
  let t: TestGateway;
  let server: RunningServer;

  beforeAll(async () => {
    t = await startTestGateway({ env: { GATEWAY_CORS_ORIGINS: 'https://ops.example.com' } });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('refuses a cross-origin form POST: no key is created', async () => {
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', `query=${encodeURIComponent(CREATE_ADMIN_KEY)}`],
      ['text/plain', JSON.stringify({ query: CREATE_ADMIN_KEY })],
      ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: CREATE_ADMIN_KEY })}\r\n--x--\r\n`],
      ['application/graphql', CREATE_ADMIN_KEY],
    ] as const) {
      const res = await rawRequest(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': type, origin: EVIL }, body });
      expect(res.status, type).toBe(415);
      expect(res.json.errors[0].extensions.code).toBe('unsupported_content_type');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(await t.gateway.prisma.apiKey.count()).toBe(0);
  });

  it('runs a JSON POST, and GET queries only with the CSRF header', async () => {
    const json = await rawRequest(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ engines { id } }' }),
    });
    expect(json.status).toBe(200);
    expect(json.json.data).toEqual({ engines: [] });
    const query = encodeURIComponent('{ engines { id } }');
    const bare = await rawRequest(`${server.url}/graphql?query=${query}`, { headers: { accept: 'application/json' } });
    expect(bare.status).toBe(403);
    expect(bare.json.errors[0].extensions.code).toBe('csrf_check_failed');
    const withHeader = await rawRequest(`${server.url}/graphql?query=${query}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(withHeader.status).toBe(200);
  });

  it('sends no CORS headers to an unlisted origin, and no credentials to a listed one', async () => {
    const preflight = (origin: string) =>
      rawRequest(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const evil = await preflight(EVIL);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.headers['access-control-allow-credentials']).toBeUndefined();
    const post = await rawRequest(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ query: '{ engines { id } }' }),
    });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    const listed = await preflight('https://ops.example.com');
    expect(listed.headers['access-control-allow-origin']).toBe('https://ops.example.com');
    expect(listed.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('refuses WebSocket upgrades from a foreign Origin, accepts its own and listed ones', async () => {
    const foreign = await openSocket(server.url, { origin: EVIL });
    expect(foreign).toEqual({ opened: false, status: 403 });
    for (const origin of [server.url, 'https://ops.example.com']) {
      const outcome = await openSocket(server.url, { origin });
      expect(outcome.opened, origin).toBe(true);
      if (outcome.opened) {
        const closed = closedWith(outcome.socket);
        outcome.socket.close();
        await closed;
      }
    }
  });

  it('serves only loopback Host names in open mode (DNS rebinding)', async () => {
    const port = new URL(server.url).port;
    const rebound = await rawRequest(`${server.url}/graphql`, {
      method: 'POST',
      headers: { host: `evil.example:${port}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: CREATE_ADMIN_KEY }),
    });
    expect(rebound.status).toBe(421);
    expect(rebound.json.errors[0].extensions.code).toBe('host_not_allowed');
    expect((await openSocket(server.url, { host: `evil.example:${port}` })).opened).toBe(false);
    expect(await t.gateway.prisma.apiKey.count()).toBe(0);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const ok = await rawRequest(`${server.url}/graphql`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ engines { id } }' }),
      });
      expect(ok.status, host).toBe(200);
    }
    // probes answer whatever the Host (a pod IP), and reveal nothing
    expect((await rawRequest(`${server.url}/health`, { headers: { host: `10.0.0.7:${port}` } })).status).toBe(200);
  });
});

describe('Host check with a master key and GATEWAY_ALLOWED_HOSTS', () => {
  it('serves any Host with a master key unless GATEWAY_ALLOWED_HOSTS narrows it', async () => {
    const t = await startTestGateway({ masterKey: 'browser-access-master-key-01', env: { GATEWAY_ALLOWED_HOSTS: 'gateway.internal' } });
    const server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    try {
      const port = new URL(server.url).port;
      const ask = (host: string) =>
        rawRequest(`${server.url}/graphql`, {
          method: 'POST',
          headers: { host, 'content-type': 'application/json', authorization: 'Bearer browser-access-master-key-01' },
          body: JSON.stringify({ query: '{ engines { id } }' }),
        });
      expect((await ask(`gateway.internal:${port}`)).status).toBe(200);
      expect((await ask(`other.example:${port}`)).status).toBe(421);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
