// OpenTelemetry: a GraphQL operation and a job produce spans (in-memory exporter); with
// OTEL_EXPORTER_OTLP_ENDPOINT set, the Node SDK sends them to that collector (a loopback HTTP server here).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../src/observability/tracing.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob } from '../helpers/gateway.ts';

describe('OpenTelemetry spans', () => {
  const exporter = new InMemorySpanExporter();
  let emulator: MeilisearchEmulator;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    emulator = await startMeilisearchEmulator({});
    await new Meilisearch({ host: emulator.url })
      .index('movies')
      .addDocuments([{ id: 1, title: 'Carol' }], { primaryKey: 'id' })
      .waitTask();
  });
  afterAll(async () => {
    trace.disable();
    await emulator?.close();
  });

  it('a GraphQL operation and a backup job each produce a span', async () => {
    const t = await startTestGateway({ db: 'pglite' });
    try {
      const listed = await t.gql('query ListEngines { engines { id } }');
      expect(listed.errors).toBeUndefined();
      const engine = await t.gql(`mutation Register($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url } },
      });
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engine.data!.registerEngine.id });
      const jobId = started.data!.startBackup.id as string;
      await waitForJob(t, jobId);
      await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === 'job BACKUP')).toBe(true);

      const spans = exporter.getFinishedSpans();
      const query = spans.find((s) => s.name === 'query ListEngines');
      expect(query?.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'ListEngines' });
      expect(spans.some((s) => s.name === 'mutation Register')).toBe(true);
      const job = spans.find((s) => s.name === 'job BACKUP')!;
      expect(job.attributes).toMatchObject({ 'job.id': jobId, 'job.kind': 'BACKUP', 'job.status': 'SUCCEEDED' });
      // No query text or variables in span attributes (they may hold secrets).
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('RegisterEngineInput');
    } finally {
      await t.close();
    }
  });
});

describe('tracing switch', () => {
  it('loads nothing and returns null without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    expect(await startTracing(undefined)).toBeNull();
  });

  it('exports spans over OTLP/HTTP to the configured collector', async () => {
    const received: Array<{ path: string; body: Buffer }> = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const saved = { ...process.env };
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    process.env.OTEL_METRICS_EXPORTER = 'none';
    process.env.OTEL_LOGS_EXPORTER = 'none';
    trace.disable();
    const tracing = await startTracing(endpoint);
    try {
      const t = await startTestGateway({ db: 'pglite' });
      try {
        expect((await t.gql('query ListPlugins { plugins { name } }')).errors).toBeUndefined();
      } finally {
        await t.close();
      }
      await tracing!.shutdown(); // flushes
      const traces = received.filter((r) => r.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      const body = Buffer.concat(traces.map((r) => r.body)).toString('latin1');
      expect(body).toContain('query ListPlugins');
      expect(body).toContain('backup-gateway');
    } finally {
      process.env = saved;
      trace.disable();
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });
});
