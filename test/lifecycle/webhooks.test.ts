// Webhooks against real HTTP receivers on loopback: signed deliveries for job started and succeeded, a failing
// receiver retried with exponential backoff until it answers, one that never does given up, all in the delivery log.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 that answers each request with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: number[]): Promise<{ url: string; requests: Received[]; server: Server }> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ at: Date.now(), headers: req.headers, body });
      res.statusCode = statuses[Math.min(requests.length - 1, statuses.length - 1)]!;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/gateway`, requests, server };
}

const SECRET = 'receiver-secret-0123456789';

describe.each(DB_KINDS)('webhooks (%s)', (db) => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let ok: Awaited<ReturnType<typeof startReceiver>>;
  let flaky: Awaited<ReturnType<typeof startReceiver>>;
  let dead: Awaited<ReturnType<typeof startReceiver>>;
  let engineId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    const client = new Meilisearch({ host: emulator.url });
    await client.createIndex('movies', { primaryKey: 'id' }).waitTask();
    await client
      .index('movies')
      .addDocuments([{ id: 1, title: 'Carol' }])
      .waitTask();
    [ok, flaky, dead] = await Promise.all([startReceiver([204]), startReceiver([500, 503, 200]), startReceiver([500])]);
    t = await startTestGateway({ db, env: { GATEWAY_WEBHOOK_RETRY_BASE_MS: '100', GATEWAY_WEBHOOK_MAX_ATTEMPTS: '3' } });
    engineId = (
      await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url } } })
    ).data!.registerEngine.id;
  });

  afterAll(async () => {
    await t?.close();
    await emulator?.close();
    for (const receiver of [ok, flaky, dead]) await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it('refuses bad webhooks and never shows the secret', async () => {
    const short = await t.gql(`mutation { createWebhook(input: {url: "http://127.0.0.1:1/x", events: [JOB_FAILED], secret: "short"}) { id } }`);
    expect(short.errors?.[0]?.extensions?.code).toBe('invalid_input');
    const scheme = await t.gql(`mutation { createWebhook(input: {url: "file:///etc/passwd", events: [JOB_FAILED], secret: "${SECRET}"}) { id } }`);
    expect(scheme.errors?.[0]?.extensions?.code).toBe('invalid_input');
    const created = await t.gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id url events } }`, {
      i: { url: ok.url, events: ['JOB_STARTED', 'JOB_SUCCEEDED', 'JOB_FAILED'], secret: SECRET },
    });
    expect(created.data!.createWebhook).toMatchObject({ url: ok.url, events: ['JOB_STARTED', 'JOB_SUCCEEDED', 'JOB_FAILED'] });
    for (const [receiver, events] of [
      [flaky, ['JOB_SUCCEEDED']],
      [dead, ['JOB_SUCCEEDED']],
    ] as const) {
      const res = await t.gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }`, { i: { url: receiver.url, events, secret: SECRET } });
      expect(res.errors).toBeUndefined();
    }
    const row = await t.gateway.prisma.webhook.findFirstOrThrow({ where: { url: ok.url } });
    expect(row.secret).not.toContain(SECRET);
    const listed = await t.gql(`{ webhooks { id url events enabled } }`);
    expect(JSON.stringify(listed)).not.toContain(SECRET);
  });

  it('delivers signed job.started and job.succeeded; retries a failing receiver with backoff; gives up on a dead one', async () => {
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId } });
    const jobId = started.data!.startBackup.id;
    expect((await waitForJob(t, jobId)).status).toBe('SUCCEEDED');

    await waitFor(() => ok.requests.length >= 2 && flaky.requests.length >= 3 && dead.requests.length >= 3);
    const events = ok.requests.map((request) => JSON.parse(request.body));
    expect(events.map((event) => event.event).sort()).toEqual(['job.started', 'job.succeeded']);
    for (const request of ok.requests) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`;
      expect(request.headers['x-gateway-signature']).toBe(expected);
      expect(request.headers['content-type']).toBe('application/json');
      const body = JSON.parse(request.body);
      expect(request.headers['x-gateway-event']).toBe(body.event);
      expect(request.headers['x-gateway-delivery']).toBe(body.id);
      expect(body.job).toMatchObject({ id: jobId, kind: 'BACKUP' });
      expect(body.engine).toMatchObject({ id: engineId, name: 'meili' });
    }
    const succeeded = events.find((event) => event.event === 'job.succeeded');
    expect(succeeded.job.status).toBe('SUCCEEDED');
    expect(succeeded.backup).toMatchObject({ status: 'COMPLETE', documentCount: 1 });
    expect(events.find((event) => event.event === 'job.started').job.status).toBe('RUNNING');

    // 500, 503, then 200: the same signed body each time, waiting ≈100 ms then ≈200 ms.
    expect(new Set(flaky.requests.map((r) => r.body)).size).toBe(1);
    const gaps = flaky.requests.slice(1).map((request, i) => request.at - flaky.requests[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dead.requests).toHaveLength(3); // GATEWAY_WEBHOOK_MAX_ATTEMPTS

    const log = await t.gql(`{ webhooks { url deliveries { event status attempts lastStatusCode lastError deliveredAt attemptLog { statusCode error durationMs } } } }`);
    const byUrl = Object.fromEntries(log.data!.webhooks.map((w: { url: string; deliveries: unknown[] }) => [w.url, w.deliveries]));
    expect(byUrl[flaky.url]).toEqual([
      expect.objectContaining({
        event: 'job.succeeded',
        status: 'DELIVERED',
        attempts: 3,
        lastStatusCode: 200,
        lastError: null,
        attemptLog: [
          expect.objectContaining({ statusCode: 500, error: 'HTTP 500' }),
          expect.objectContaining({ statusCode: 503, error: 'HTTP 503' }),
          expect.objectContaining({ statusCode: 200, error: null }),
        ],
      }),
    ]);
    expect(byUrl[dead.url]).toEqual([expect.objectContaining({ status: 'FAILED', attempts: 3, lastStatusCode: 500, deliveredAt: null })]);
    expect(byUrl[ok.url]).toHaveLength(2);
    const all = await t.gql(`{ webhookDeliveries(first: 10) { event status } }`);
    expect(all.data!.webhookDeliveries).toHaveLength(4);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('webhooks on a failing job', () => {
  it('delivers job.failed with the error code', async () => {
    const receiver = await startReceiver([200]);
    const t = await startTestGateway();
    try {
      await t.gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }`, { i: { url: receiver.url, events: ['JOB_FAILED'], secret: SECRET } });
      // Nothing listens on port 9: the backup fails at once.
      const engine = await t.gql(`mutation { registerEngine(input: {name: "gone", plugin: "meilisearch", config: {url: "http://127.0.0.1:9", timeoutMs: 2000}}) { id } }`);
      const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId: engine.data!.registerEngine.id } });
      const job = await waitForJob(t, started.data!.startBackup.id);
      expect(job.status).toBe('FAILED');
      await waitFor(() => receiver.requests.length >= 1);
      const body = JSON.parse(receiver.requests[0]!.body);
      expect(body).toMatchObject({ event: 'job.failed', job: { id: job.id, status: 'FAILED', error: { code: job.error.code } } });
      expect(receiver.requests[0]!.headers['x-gateway-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(receiver.requests[0]!.body).digest('hex')}`);
    } finally {
      await t.close();
      await new Promise((resolve) => receiver.server.close(resolve));
    }
  });
});
