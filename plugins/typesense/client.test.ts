// How the plugin's requests end: an engine that is not there, one that connects but never answers, and a
// cancel that must stop a request the SDK itself cannot abort (imports run without a client timeout).
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempStorage, createTestJob, runBackup, runRestore, settleAfterCancel, type TempStorage } from '../../test/contract/harness.ts';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { typesensePlugin } from './index.ts';
import { defaultSchema } from './test/engine.ts';
import { TypesenseClient } from './client.ts';
import { startFaultProxy } from '../../test/faults/fault-proxy.ts';
import { API_KEY, failure, pluginFor, startEngine } from './test/emulated.ts';

describe('typesense client: unreachable, silent and canceled requests', () => {
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];
  let temp: TempStorage;

  beforeAll(async () => {
    temp = await createTempStorage();
    // Accepts connections, never answers.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await temp.cleanup();
  });

  it('fails with engine_unreachable at once when nothing listens', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const port = (probe.address() as { port: number }).port;
        probe.close(() => resolve(port));
      });
    });
    // Neither the client timeout nor the caller's signal can end the call while the test runs: only the refused
    // connection (after the bounded retries) can, so the error is the refusal, not a timeout or an abort.
    const error = await failure(pluginFor({ url: `http://127.0.0.1:${closed}`, apiKey: 'k', timeoutMs: 600_000 }).listCollections(new AbortController().signal));
    expect(error.code).toBe('engine_unreachable');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('fails with engine_timeout within timeoutMs when the engine connects but does not answer', async () => {
    const started = performance.now();
    // The caller's signal never fires: the call ends only when the configured 300 ms timeout does.
    const error = await failure(pluginFor({ url: `http://127.0.0.1:${silentPort}`, apiKey: 'k', timeoutMs: 300 }).listCollections(new AbortController().signal));
    expect(error.code).toBe('engine_timeout');
    expect(error.message).toContain('no answer within 300 ms');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290); // it did wait for the timeout (timers may round down a few ms)
  });

  it('cancels an in-flight import at once and drops the staging collection', async () => {
    const engine = await startEngine();
    try {
      const plugin = pluginFor(engine.config);
      await engine.seedCollection({ ...defaultSchema, name: 'waited' }, makeDocuments(50));
      const backup = await runBackup(typesensePlugin, plugin, temp.storage, { collections: ['waited'] });
      await engine.seedCollection({ ...defaultSchema, name: 'waited' }, makeDocuments(3, 'live'));
      const live = await engine.dump('waited');
      // The plugin imports through a proxy that never answers an import: the job can only end if the plugin
      // gives up the import in flight (the SDK cannot abort it).
      const proxy = await startFaultProxy(engine.emulator.url);
      const job = createTestJob();
      proxy.setPlan((request) => {
        if (!/\/documents\/import/.test(request.path)) return { kind: 'pass' };
        setImmediate(() => job.cancel()); // canceled once the import is in flight
        return { kind: 'hang' };
      });
      try {
        const proxied = pluginFor({ ...(engine.config as object), url: proxy.url, timeoutMs: 600_000 });
        const outcome = await settleAfterCancel(runRestore(proxied, temp.storage, backup.backupId, { collections: ['waited'], rename: {}, atomic: true }, job), job);
        expect((outcome.error as GatewayError).code).toBe('job_canceled');
        expect(proxy.log.filter((entry) => /\/documents\/import/.test(entry.path)).map((entry) => entry.fault)).toEqual(['hang']);
      } finally {
        await proxy.close();
      }
      expect(await engine.dump('waited')).toEqual(live);
      expect(await engine.list()).toEqual(['waited']);
    } finally {
      await engine.stop();
    }
  });

  it('does not count a slow consumer of the export as engine silence', async () => {
    const engine = await startEngine();
    try {
      await engine.seedCollection({ ...defaultSchema, name: 'paced' }, makeDocuments(250));
      const client = new TypesenseClient({ nodes: [engine.url], apiKey: API_KEY, timeoutMs: 150 });
      let count = 0;
      for await (const batch of client.exportDocuments('paced', 100, AbortSignal.timeout(10_000))) {
        count += batch.length;
        await new Promise((resolve) => setTimeout(resolve, 300)); // the archive taking its time
      }
      expect(count).toBe(250);
    } finally {
      await engine.stop();
    }
  });
});
