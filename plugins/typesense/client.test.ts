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
    const started = Date.now();
    const error = await failure(pluginFor({ url: `http://127.0.0.1:${closed}`, apiKey: 'k', timeoutMs: 5000 }).listCollections(AbortSignal.timeout(10_000)));
    expect(error.code).toBe('engine_unreachable');
    expect(error.message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails with engine_timeout within timeoutMs when the engine connects but does not answer', async () => {
    const started = Date.now();
    const error = await failure(pluginFor({ url: `http://127.0.0.1:${silentPort}`, apiKey: 'k', timeoutMs: 300 }).listCollections(AbortSignal.timeout(10_000)));
    expect(error.code).toBe('engine_timeout');
    expect(error.message).toContain('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('cancels an in-flight import at once and drops the staging collection', async () => {
    const engine = await startEngine();
    try {
      const plugin = pluginFor(engine.config);
      await engine.seedCollection({ ...defaultSchema, name: 'waited' }, makeDocuments(50));
      const backup = await runBackup(typesensePlugin, plugin, temp.storage, { collections: ['waited'] });
      await engine.seedCollection({ ...defaultSchema, name: 'waited' }, makeDocuments(3, 'live'));
      const live = await engine.dump('waited');
      // Each import request waits 3 s in the engine: the cancel comes while the first one is in flight.
      engine.emulator.setOptions({ importDelayMs: 3000 });
      const job = createTestJob();
      setTimeout(() => job.cancel(), 300);
      const outcome = await settleAfterCancel(runRestore(plugin, temp.storage, backup.backupId, { collections: ['waited'], rename: {}, atomic: true }, job), job);
      expect((outcome.error as GatewayError).code).toBe('job_canceled');
      expect(outcome.msAfterCancel!).toBeLessThan(1000);
      engine.emulator.setOptions({ importDelayMs: 0 });
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
