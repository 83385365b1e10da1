// Engine faults between the Typesense plugin and the engine, through real TCP (the fault proxy): reads and
// idempotent writes are retried, `create` imports never are, exports are retried only before their first batch,
// and every case ends in its documented code within the request or job timeout.
import { Client } from 'typesense';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { faultAll, faultFirst, passAll, startFaultProxy, type FaultProxy, type ProxiedRequest } from './fault-proxy.ts';
import { backupAndWait, restoreAndWait } from './helpers.ts';

const API_KEY = 'fault-test-admin-key';
const TIMEOUT_MS = 1_000;
const DOCS = 300;
const exportRead = (r: ProxiedRequest) => r.method === 'GET' && /\/documents\/export/.test(r.path);
const importWrite = (r: ProxiedRequest) => r.method === 'POST' && /\/documents\/import/.test(r.path);
const listCollections = (r: ProxiedRequest) => r.method === 'GET' && r.path === '/collections';

describe('Typesense plugin behind a faulty network', () => {
  let emulator: TypesenseEmulator;
  let proxy: FaultProxy;
  let t: TestGateway;
  let sdk: Client;
  const engines: Record<string, string> = {};

  const documents = async () => {
    const text = (await sdk.collections('books').documents().export()) as string;
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id: string })
      .sort((a, b) => a.id.localeCompare(b.id));
  };

  beforeAll(async () => {
    emulator = await startTypesenseEmulator({ apiKey: API_KEY });
    sdk = new Client({ nodes: [{ url: emulator.url }], apiKey: API_KEY, numRetries: 0 });
    await sdk.collections().create({ name: 'books', fields: [{ name: 'title', type: 'string' }] });
    const docs = Array.from({ length: DOCS }, (_, i) => ({ id: String(i), title: `Book ${i} ${'y'.repeat(30)}` }));
    await sdk.collections('books').documents().import(docs, { action: 'create' });
    proxy = await startFaultProxy(emulator.url);
    t = await startTestGateway();
    const register = async (name: string, config: Record<string, unknown>) => {
      const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name, plugin: 'typesense', config: { url: proxy.url, apiKey: API_KEY, batchSize: 100, ...config } },
      });
      expect(res.errors).toBeUndefined();
      engines[name] = res.data!.registerEngine.id;
    };
    await register('ts', { timeoutMs: TIMEOUT_MS });
    await register('ts-upsert', { timeoutMs: TIMEOUT_MS, importAction: 'upsert' });
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

  it('retries a listing whose connection was reset, and the backup completes', async () => {
    proxy.setPlan(faultFirst(1, listCollections, { kind: 'reset' }));
    const job = await backupAndWait(t, { engineId: engines.ts });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(proxy.count('GET', /^\/collections$/)).toBeGreaterThanOrEqual(2);
  });

  it('retries an export that failed before its first batch, and the backup completes', async () => {
    proxy.setPlan(faultFirst(1, exportRead, { kind: 'status', status: 503 }));
    const job = await backupAndWait(t, { engineId: engines.ts });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(proxy.count('GET', /\/documents\/export/)).toBe(2);
  });

  it('5xx on every export → engine_error naming the status, after 3 attempts', async () => {
    proxy.setPlan(faultAll(exportRead, { kind: 'status', status: 503, body: '{"message":"Not Ready or Lagging"}', contentType: 'application/json' }));
    const job = await backupAndWait(t, { engineId: engines.ts });
    expect(job.error?.code).toBe('engine_error');
    expect(job.error?.message).toContain('503');
    expect(proxy.count('GET', /\/documents\/export/)).toBe(3);
  });

  it('an export cut before its first batch every time → engine_unreachable after 3 attempts', async () => {
    proxy.setPlan(faultAll(exportRead, { kind: 'cut', afterBytes: 500 }));
    const job = await backupAndWait(t, { engineId: engines.ts });
    expect(job.error?.code).toBe('engine_unreachable');
    expect(proxy.count('GET', /\/documents\/export/)).toBe(3);
  });

  it('an export cut after a batch was handed on is not restarted → engine_unreachable', async () => {
    proxy.setPlan(faultAll(exportRead, { kind: 'cut', afterBytes: 10_000 }));
    const job = await backupAndWait(t, { engineId: engines.ts });
    expect(job.error?.code).toBe('engine_unreachable');
    expect(proxy.count('GET', /\/documents\/export/)).toBe(1);
  });

  it('a silent export → engine_timeout after timeoutMs, not retried', async () => {
    proxy.setPlan(faultAll(exportRead, { kind: 'hang' }));
    const job = await backupAndWait(t, { engineId: engines.ts });
    expect(job.error?.code).toBe('engine_timeout');
    expect(proxy.count('GET', /\/documents\/export/)).toBe(1);
    expect(job.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
  });

  it('an export trickling just fast enough to never be silent → job_timeout at the job timeout', async () => {
    proxy.setPlan(faultAll(exportRead, { kind: 'slow', bytes: 64, everyMs: 50 }));
    const job = await backupAndWait(t, { engineId: engines.ts, timeoutSeconds: 2 });
    expect(job.error?.code).toBe('job_timeout');
    expect(job.elapsedMs).toBeGreaterThanOrEqual(2000);
  });

  it('a reset `create` import is never retried: the restore fails at once, the live collection untouched', async () => {
    const backup = await backupAndWait(t, { engineId: engines.ts });
    expect(backup.status).toBe('SUCCEEDED');
    const before = await documents();
    proxy.setPlan(faultAll(importWrite, { kind: 'reset' }));
    const job = await restoreAndWait(t, { backupId: backup.backupId, overwrite: true });
    expect(job.error?.code).toBe('engine_unreachable');
    // Up to three batches travel at once, each sent once: a retried create batch would make it more.
    expect(proxy.count('POST', /\/documents\/import/)).toBeLessThanOrEqual(DOCS / 100);
    proxy.setPlan(passAll);
    expect(await documents()).toEqual(before);
  });

  it('an `upsert` import reset once is retried, and the restore completes', async () => {
    const backup = await backupAndWait(t, { engineId: engines['ts-upsert'] });
    expect(backup.status).toBe('SUCCEEDED');
    proxy.setPlan(faultFirst(1, importWrite, { kind: 'reset' }));
    const job = await restoreAndWait(t, { backupId: backup.backupId, overwrite: true });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(proxy.count('POST', /\/documents\/import/)).toBe(Math.ceil(DOCS / 100) + 1);
    proxy.setPlan(passAll);
    expect((await documents()).length).toBe(DOCS);
  });
});
