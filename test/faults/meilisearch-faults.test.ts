// Engine faults between the Meilisearch plugin and the engine, through real TCP (the fault proxy): every case
// ends in its documented code within the request or job timeout; transient faults of reads are retried, writes
// never are, and a failed restore leaves the live index as it was.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { snapshotIndex } from '../e2e/seed.ts';
import { faultAll, faultFirst, passAll, startFaultProxy, type FaultProxy, type ProxiedRequest } from './fault-proxy.ts';
import { backupAndWait, restoreAndWait } from './helpers.ts';

const TIMEOUT_MS = 1_000;
const DOCS = 250;
const PAGE = 100;
const documentsRead = (r: ProxiedRequest) => r.method === 'GET' && /^\/indexes\/[^/]+\/documents/.test(r.path);
const documentsWrite = (r: ProxiedRequest) => r.method === 'POST' && /^\/indexes\/[^/]+\/documents(\?|$)/.test(r.path);
const anyRead = (r: ProxiedRequest) => r.method === 'GET' && r.path !== '/health' && r.path !== '/version';

describe('Meilisearch plugin behind a faulty network', () => {
  let emulator: MeilisearchEmulator;
  let proxy: FaultProxy;
  let t: TestGateway;
  let engineId: string;
  let slowEngineId: string;
  let client: Meilisearch;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    client = new Meilisearch({ host: emulator.url });
    await client.createIndex('movies', { primaryKey: 'id' }).waitTask();
    const docs = Array.from({ length: DOCS }, (_, i) => ({ id: i, title: `Movie ${i} ${'x'.repeat(40)}` }));
    await client.index('movies').addDocuments(docs).waitTask();
    proxy = await startFaultProxy(emulator.url);
    t = await startTestGateway();
    const register = async (name: string, timeoutMs: number) => {
      const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name, plugin: 'meilisearch', config: { url: proxy.url, timeoutMs, pageSize: PAGE, batchSize: PAGE } },
      });
      expect(res.errors).toBeUndefined();
      return res.data!.registerEngine.id as string;
    };
    engineId = await register('meili', TIMEOUT_MS);
    // Per-request timeout far above the job timeout: only the job timeout can end a hang.
    slowEngineId = await register('meili-patient', 60_000);
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    proxy.setPlan(passAll);
    proxy.log.length = 0;
  });

  it('retries a read whose connection was reset, and the backup completes', async () => {
    proxy.setPlan(faultFirst(1, documentsRead, { kind: 'reset' }));
    const job = await backupAndWait(t, { engineId });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(proxy.log.filter((entry) => entry.fault === 'reset')).toHaveLength(1);
    // Every page read once, the reset one twice (more only if the busy box itself dropped something).
    expect(proxy.count('GET', /\/documents/), JSON.stringify(proxy.log)).toBeGreaterThanOrEqual(Math.ceil(DOCS / PAGE) + 1);
  });

  it('retries reads answered 503 by a proxy (an HTML body), and the backup completes', async () => {
    proxy.setPlan(faultFirst(2, anyRead, { kind: 'status', status: 503 }));
    const job = await backupAndWait(t, { engineId });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
  });

  it('a read reset every time → engine_unreachable after 3 attempts', async () => {
    proxy.setPlan(faultAll(documentsRead, { kind: 'reset' }));
    const job = await backupAndWait(t, { engineId });
    expect(job.status).toBe('FAILED');
    expect(job.error?.code).toBe('engine_unreachable');
    expect(job.error?.message).toContain('after 3 attempts');
    expect(proxy.count('GET', /\/documents/)).toBe(3);
  });

  it('5xx every time → engine_error naming the status, after 3 attempts', async () => {
    proxy.setPlan(faultAll(documentsRead, { kind: 'status', status: 502 }));
    const job = await backupAndWait(t, { engineId });
    expect(job.error?.code).toBe('engine_error');
    expect(job.error?.message).toMatch(/HTTP 502.*after 3 attempts/);
    expect(proxy.count('GET', /\/documents/)).toBe(3);
  });

  it('an answer cut mid-body every time → engine_unreachable after 3 attempts', async () => {
    proxy.setPlan(faultAll(documentsRead, { kind: 'cut', afterBytes: 300 }));
    const job = await backupAndWait(t, { engineId });
    expect(job.error?.code).toBe('engine_unreachable');
    expect(proxy.count('GET', /\/documents/)).toBe(3);
  });

  it('the connection closed without an answer → engine_unreachable', async () => {
    proxy.setPlan(faultAll(documentsRead, { kind: 'close' }));
    const job = await backupAndWait(t, { engineId });
    expect(job.error?.code).toBe('engine_unreachable');
  });

  it('a hung read → engine_timeout after timeoutMs, not retried', async () => {
    proxy.setPlan(faultAll(documentsRead, { kind: 'hang' }));
    const job = await backupAndWait(t, { engineId });
    expect(job.error?.code).toBe('engine_timeout');
    expect(job.error?.message).toContain(`${TIMEOUT_MS} ms`);
    expect(proxy.count('GET', /\/documents/)).toBe(1);
    expect(job.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
  });

  it('an answer trickling slower than timeoutMs → engine_timeout', async () => {
    proxy.setPlan(faultAll(documentsRead, { kind: 'slow', bytes: 64, everyMs: 50 }));
    const job = await backupAndWait(t, { engineId });
    expect(job.error?.code).toBe('engine_timeout');
  });

  it('a slow first byte within timeoutMs is just slow: the backup completes', async () => {
    proxy.setPlan(faultFirst(2, documentsRead, { kind: 'delay', ms: TIMEOUT_MS / 4 }));
    const job = await backupAndWait(t, { engineId });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
  });

  it('a hang longer than the job timeout → job_timeout at the job timeout, whatever the request timeout', async () => {
    proxy.setPlan(faultAll(documentsRead, { kind: 'hang' }));
    const job = await backupAndWait(t, { engineId: slowEngineId, timeoutSeconds: 1 });
    expect(job.error?.code).toBe('job_timeout');
    expect(job.elapsedMs).toBeGreaterThanOrEqual(1000);
  });

  it('a write is never retried: a reset document upload fails the restore at once, the live index untouched', async () => {
    const backup = await backupAndWait(t, { engineId });
    expect(backup.status).toBe('SUCCEEDED');
    await client
      .index('movies')
      .addDocuments([{ id: 9999, title: 'added after the backup' }])
      .waitTask();
    const before = await snapshotIndex(client, 'movies');
    proxy.setPlan(faultAll(documentsWrite, { kind: 'reset' }));
    const job = await restoreAndWait(t, { backupId: backup.backupId, overwrite: true });
    expect(job.status).toBe('FAILED');
    expect(job.error?.code).toBe('engine_unreachable');
    expect(job.error?.message).not.toContain('attempts');
    expect(proxy.count('POST', /\/documents(\?|$)/)).toBe(1);
    proxy.setPlan(passAll);
    expect(await snapshotIndex(client, 'movies')).toEqual(before);
    expect((await client.getIndexes()).results.map((i) => i.uid)).toEqual(['movies']);
  });

  it('an engine that is gone (connection refused) → engine_unreachable', async () => {
    const gone = await startFaultProxy(emulator.url);
    const url = gone.url;
    await gone.close();
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id health { ok } } }`, {
      i: { name: 'meili-gone', plugin: 'meilisearch', config: { url, timeoutMs: TIMEOUT_MS } },
    });
    expect(res.data!.registerEngine.health.ok).toBe(false);
    const job = await backupAndWait(t, { engineId: res.data!.registerEngine.id });
    expect(job.error?.code).toBe('engine_unreachable');
  });
});
