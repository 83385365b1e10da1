// Issue 14 §4 logs: JSON lines (pino) with the request id on request lines, job id and engine name on job lines,
// a "job started" line, client errors below `error`, no GraphQL source excerpts, pino-pretty in development.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Meilisearch } from 'meilisearch';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { REPO_ROOT } from '../helpers/child-gateway.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { rawRequest } from './http.ts';

const MASTER = 'logs-test-master-key-0123456789';

describe('logs', () => {
  let t: TestGateway;
  let server: RunningServer;
  let refusing: Server;

  beforeAll(async () => {
    refusing = createServer((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('down'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    t = await startTestGateway({ masterKey: MASTER });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    refusing?.close();
  });

  const entries = () => t.logLines.map((line) => JSON.parse(line) as Record<string, any>);

  it('puts the request id on every line of a request and answers it in x-request-id', async () => {
    const res = await rawRequest(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bgw_wrongkey-0000', 'x-request-id': 'req-logs-0001' },
      body: JSON.stringify({ query: '{ engines { id } }' }),
    });
    expect(res.headers['x-request-id']).toBe('req-logs-0001');
    const mine = entries().filter((entry) => entry.requestId === 'req-logs-0001');
    expect(mine.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['authentication failed', 'request']));
    const fresh = await rawRequest(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
      body: '{"query":"{ engines { id } }"}',
    });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries().some((entry) => entry.msg === 'request' && entry.requestId === fresh.headers['x-request-id'])).toBe(true);
  });

  it('logs client errors at info, without the GraphQL source', async () => {
    const before = t.logLines.length;
    const res = await t.gql(`mutation { startBackup(input: {engineId: "00000000-0000-0000-0000-000000000000"}) { id } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('engine_not_found');
    const lines = entries().slice(before);
    expect(lines.some((entry) => entry.code === 'engine_not_found' && entry.level === 'info')).toBe(true);
    expect(lines.map((entry) => entry.level)).not.toContain('error');
    expect(t.logLines.slice(before).join('\n')).not.toContain('GraphQL request:');
  });

  it('logs bad input and a busy engine at info too', async () => {
    const before = t.logLines.length;
    const bad = await t.gql(`query { backups(first: -1) { nodes { id } } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('invalid_input');
    const invalid = await t.gql(`query { nosuchfield }`);
    expect(invalid.errors).toHaveLength(1);
    // Busy: a second backup of an engine whose first one is still running (the emulator answers slowly).
    const emulator = await startMeilisearchEmulator({ documentsDelayMs: 200 });
    try {
      const client = new Meilisearch({ host: emulator.url });
      await client
        .index('slow')
        .addDocuments(
          Array.from({ length: 2000 }, (_, i) => ({ id: i })),
          { primaryKey: 'id' },
        )
        .waitTask();
      const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'slow-engine', plugin: 'meilisearch', config: { url: emulator.url } },
      });
      expect(engine.errors).toBeUndefined();
      const e = engine.data!.registerEngine.id;
      const first = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e });
      expect(first.errors).toBeUndefined();
      const busy = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e });
      expect(busy.errors?.[0]?.extensions?.code).toBe('job_already_in_progress');
      await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: first.data!.startBackup.id });
      await waitForJob(t, first.data!.startBackup.id);
    } finally {
      await emulator.close();
    }
    const lines = entries().slice(before);
    expect(lines.some((entry) => entry.code === 'job_already_in_progress' && entry.level === 'info')).toBe(true);
    // Input refused before execution (invalid_input, a validation error): the request line says 400, at info.
    expect(lines.filter((entry) => entry.msg === 'request' && entry.status === 400).map((entry) => entry.level)).toEqual(['info', 'info']);
    expect(lines.filter((entry) => entry.level === 'error')).toEqual([]);
    expect(t.logLines.slice(before).join('\n')).not.toContain('nosuchfield }');
  });

  it('writes "job started" and every job line with the job id and engine name', async () => {
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'down-engine', plugin: 'meilisearch', config: { url: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}` } },
    });
    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engine.data!.registerEngine.id });
    const job = await waitForJob(t, started.data!.startBackup.id);
    expect(job.status).toBe('FAILED');
    const jobLines = entries().filter((entry) => entry.jobId === job.id);
    expect(jobLines.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['job started', 'job failed', 'job ended']));
    for (const entry of jobLines.filter((e) => ['job started', 'job failed', 'job ended'].includes(e.msg))) expect(entry.engine).toBe('down-engine');
    for (const line of t.logLines) expect(typeof JSON.parse(line).time).toBe('string');
  });

  it('ties a request id to the job it queued', async () => {
    const engine = await t.gql(`{ engines { id } }`);
    const res = await rawRequest(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}`, 'x-request-id': 'req-logs-job-0002' },
      body: JSON.stringify({ query: `mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, variables: { e: engine.data!.engines[0].id } }),
    });
    const jobId = res.json.data.startBackup.id;
    expect(entries().some((entry) => entry.msg === 'job queued' && entry.requestId === 'req-logs-job-0002' && entry.jobId === jobId)).toBe(true);
    await waitForJob(t, jobId);
  });
  it('is pino-pretty in development (LOG_PRETTY=1, or a terminal), JSON lines otherwise; redacted either way', () => {
    const script = `import { createLogger, Redactor } from './dist/src/log.js';
      const redactor = new Redactor(); redactor.add('pretty-secret-0123');
      createLogger({ level: 'info', redactor }).info('hello pretty', { engine: 'meili', token: 'pretty-secret-0123' });`;
    const logged = (pretty: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, LOG_PRETTY: pretty } }).stderr;
    const pretty = logged('1');
    expect(pretty).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello pretty\n\s+engine: "meili"\n/);
    const json = JSON.parse(logged('0')) as Record<string, unknown>;
    expect(json).toMatchObject({ level: 'info', msg: 'hello pretty', engine: 'meili' });
    expect(pretty + JSON.stringify(json)).not.toContain('pretty-secret-0123');
  });
});
