// Issue 13 point 8: secrets leaked — an inline key of a failed mutation was logged at `error`; an engine echoing the
// Authorization header put the key into health.message, job.error.message (VIEWER-readable), webhooks and dumps;
// keys with `"` or `\` escaped the log redactor; a password in an engine URL was shown to VIEWER; Typesense
// modelApiKeys never reached the redactor.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'secret-leaks-master-key-0123456789';
const ENGINE_KEY = 'mk-live-"quoted\\slash-0123456789';
const URL_PASSWORD = 'url-pass-98765';
const MODEL_KEY = 'sk-model-key-5550001';
const INLINE_SECRET = 'whsec-inline-never-stored-777';

/** Every spelling a secret may take in a log line, a JSON body or a URL. */
function spellings(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];
}

function expectNoSecret(text: string, where: string): void {
  for (const secret of [ENGINE_KEY, URL_PASSWORD, MODEL_KEY, INLINE_SECRET]) {
    for (const form of spellings(secret)) expect(text.includes(form), `${where} holds ${form}`).toBe(false);
  }
}

/** An "engine" (or a proxy in front of one) that answers every call 500, echoing the request headers. */
async function startEchoEngine(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const echoed = `denied for ${req.headers.authorization ?? ''} headers=${JSON.stringify(req.headers)}`;
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: echoed, code: 'internal', type: 'internal', link: '' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('secrets never leave through errors, health, jobs, webhooks, dumps or logs', () => {
  let t: TestGateway;
  let echo: { url: string; server: Server };
  let receiver: Server;
  const webhookBodies: string[] = [];
  let viewer: string;

  beforeAll(async () => {
    echo = await startEchoEngine();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        webhookBodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t = await startTestGateway({ masterKey: MASTER, env: { GATEWAY_WEBHOOK_RETRY_BASE_MS: '50' } });
    const key = await t.gql(`mutation { createApiKey(input: {name: "viewer", scope: VIEWER}) { key } }`);
    viewer = key.data!.createApiKey.key;
  });
  afterAll(async () => {
    await t?.close();
    echo?.server.close();
    receiver?.close();
  });

  it('does not log an inline secret of a failed mutation, nor at error level', async () => {
    const before = t.logLines.length;
    const webhook = await t.gql(`mutation { createWebhook(input: {url: "ftp://x.example", events: [JOB_FAILED], secret: ${JSON.stringify(INLINE_SECRET)}}) { id } }`);
    expect(webhook.errors?.[0]?.extensions?.code).toBe('invalid_input');
    const engine = await t.gql(
      `mutation { registerEngine(input: {name: "bad", plugin: "meilisearch", config: {url: "not a url", apiKey: ${JSON.stringify(INLINE_SECRET)}}}) { id } }`,
    );
    expect(engine.errors?.[0]?.extensions?.code).toBe('invalid_engine_config');
    const lines = t.logLines.slice(before);
    expectNoSecret(lines.join('\n'), 'log');
    expect(lines.join('\n')).not.toContain('GraphQL request:'); // no source excerpts
    expect(lines.map((line) => JSON.parse(line).level)).not.toContain('error');
  });

  it('scrubs an echoed key from health, job errors, webhooks, dumps and logs', async () => {
    const hook = await t.gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }`, {
      i: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['JOB_FAILED'], secret: 'webhook-signing-secret-0001' },
    });
    expect(hook.errors).toBeUndefined();
    // the key typed inline in the document, as an operator would in GraphiQL
    const registered = await t.gql(
      `mutation { registerEngine(input: {name: "echo", plugin: "meilisearch", config: {url: "${echo.url}", apiKey: ${JSON.stringify(ENGINE_KEY)}}}) { id } }`,
    );
    expect(registered.errors).toBeUndefined();
    const engineId = registered.data!.registerEngine.id;

    const health = await t.gql(`{ engines { config health { ok message } } }`, {}, viewer);
    expect(health.data!.engines[0].health.ok).toBe(false);
    expect(health.data!.engines[0].health.message).toContain('[redacted]');
    expectNoSecret(JSON.stringify(health), 'health');

    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
    const job = await waitForJob(t, started.data!.startBackup.id);
    expect(job.status).toBe('FAILED');
    const seen = await t.gql(`query($id: ID!) { job(id: $id) { error { code message } } }`, { id: job.id }, viewer);
    expect(seen.data!.job.error.message).toContain('[redacted]');
    expectNoSecret(JSON.stringify(seen), 'job.error');

    for (let i = 0; i < 200 && webhookBodies.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(webhookBodies.length).toBeGreaterThan(0);
    expectNoSecret(webhookBodies.join('\n'), 'webhook payload');

    const dump = await t.gql(`mutation { createGatewayDump { path } }`);
    expect(dump.errors).toBeUndefined();
    const raw = await fs.readFile(dump.data!.createGatewayDump.path);
    const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    expect(text).toContain(job.id);
    expectNoSecret(text, 'gateway dump');

    expectNoSecret(t.logLines.join('\n'), 'log');
  });

  it('redacts a key holding `"` or `\\` in every spelling a log line may give it', () => {
    const before = t.logLines.length;
    t.gateway.logger.warn(`engine said ${ENGINE_KEY}`, { body: JSON.stringify({ echoed: ENGINE_KEY }), url: `http://x/?k=${encodeURIComponent(ENGINE_KEY)}` });
    const line = t.logLines.slice(before).join('\n');
    expect(line).toContain('[redacted]');
    expectNoSecret(line, 'log');
  });

  it('shows engine URLs without userinfo, and never its password', async () => {
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'with-userinfo', plugin: 'meilisearch', config: { url: `http://admin:${URL_PASSWORD}@127.0.0.1:9/` } },
    });
    expect(registered.errors).toBeUndefined();
    const seen = await t.gql(`{ engines { name config health { message } } }`, {}, viewer);
    const engine = seen.data!.engines.find((e: { name: string }) => e.name === 'with-userinfo');
    expect(engine.config.url).toBe('http://127.0.0.1:9/');
    expectNoSecret(JSON.stringify(seen), 'engines');
    expectNoSecret(t.logLines.join('\n'), 'log');
  });

  it('treats Typesense modelApiKeys as secrets: sealed, shown redacted, scrubbed from logs', async () => {
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id config } }`, {
      i: { name: 'ts', plugin: 'typesense', config: { url: echo.url, apiKey: 'ts-admin-key-0001', modelApiKeys: { 'openai/text-embedding-3-small': MODEL_KEY } } },
    });
    expect(registered.errors).toBeUndefined();
    expectNoSecret(JSON.stringify(registered), 'registerEngine');
    const before = t.logLines.length;
    t.gateway.logger.warn('embedding call failed', { detail: `model said: key ${MODEL_KEY} is invalid` });
    expectNoSecret(t.logLines.slice(before).join('\n'), 'log');
  });
});
