// A Typesense cluster as the official client configures it (`nodes`): requests fail over to the next node,
// health reports every node, native backups snapshot each node in turn (or the one named) with one artifact
// per node; a failed snapshot answer is an error; an export that skipped documents is never a silent short backup.
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { createTempStorage, createTestJob, openBackupSession, runBackup, runNativeBackup, type TempStorage } from '../../test/contract/harness.ts';
import { typesensePlugin } from './index.ts';
import { defaultSchema } from './test/engine.ts';
import { API_KEY, failure, pluginFor, startEngine, type EmulatedEngine } from './test/emulated.ts';

const nodeOf = (url: string) => {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port), protocol: 'http' as const };
};

/** A node address nothing listens on (a server opened, then closed). */
async function deadNode(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('typesense nodes', () => {
  let a: EmulatedEngine;
  let b: EmulatedEngine;
  let temp: TempStorage;
  beforeAll(async () => {
    temp = await createTempStorage();
    [a, b] = [await startEngine(), await startEngine()];
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await temp?.cleanup();
  });

  it('takes url or nodes (not both, not neither), and a snapshotNode that names one of them', () => {
    const parse = (config: object) => typesensePlugin.config.safeParse({ apiKey: API_KEY, ...config });
    expect(parse({ nodes: [nodeOf(a.url), nodeOf(b.url)] }).success).toBe(true);
    expect(parse({ nodes: [{ host: 'ts.example', port: 443, protocol: 'https', path: '/search' }] }).success).toBe(true);
    expect(parse({ url: a.url, nodes: [nodeOf(a.url)] }).success).toBe(false);
    expect(parse({}).success).toBe(false);
    expect(parse({ nodes: [{ host: 'x', port: 8108, protocol: 'ftp' }] }).success).toBe(false);
    expect(parse({ nodes: [nodeOf(a.url)], snapshotNode: new URL(a.url).host }).success).toBe(true);
    expect(parse({ nodes: [nodeOf(a.url)], snapshotNode: a.url }).success).toBe(true);
    expect(parse({ nodes: [nodeOf(a.url)], snapshotNode: 'other:8108' }).success).toBe(false);
  });

  it('fails over to the next node when one cannot be reached, and health reports each node', async () => {
    const dead = await deadNode();
    await b.seedCollection({ ...defaultSchema, name: 'on_b' }, makeDocuments(3));
    const instance = pluginFor({ apiKey: API_KEY, nodes: [nodeOf(dead), nodeOf(b.url)], timeoutMs: 2000 });
    expect((await instance.listCollections(AbortSignal.timeout(30_000))).map((c) => c.name)).toContain('on_b');

    const health = await instance.health(AbortSignal.timeout(30_000));
    expect(health.ok).toBe(false);
    expect(health.version).toBe('29.0');
    expect(health.nodes).toEqual([
      { node: dead, ok: false, version: null, message: expect.stringContaining('Typesense health') },
      { node: b.url, ok: true, version: '29.0', message: null },
    ]);
    expect(health.message).toMatch(/^1 of 2 node\(s\) not healthy: /);

    const both = await pluginFor({ apiKey: API_KEY, nodes: [nodeOf(a.url), nodeOf(b.url)] }).health(AbortSignal.timeout(10_000));
    expect(both).toMatchObject({ ok: true, version: '29.0', message: null });
    expect(both.nodes?.map((node) => node.ok)).toEqual([true, true]);
  });

  it('snapshots each node in turn, one artifact per node; or only the node named', async () => {
    // One shared snapshot directory (a mount both servers and the gateway see): each node gets its own folder.
    const config = { apiKey: API_KEY, nodes: [nodeOf(a.url), nodeOf(b.url)], snapshotPath: a.snapshots, snapshotDir: a.snapshots };
    const request = { collections: null, name: 'nightly', requestId: randomUUID() };
    const run = await runNativeBackup(typesensePlugin, pluginFor(config), temp.storage, request);
    const label = (url: string) => `native/snapshot-127.0.0.1_${new URL(url).port}.tar.gz`;
    expect(run.manifest.files.map((file) => file.path)).toEqual([label(a.url), label(b.url)]);
    expect(run.result.externalId!.split(' ')).toHaveLength(2);

    const named = await runNativeBackup(typesensePlugin, pluginFor({ ...config, snapshotNode: new URL(b.url).host }), temp.storage, { ...request, requestId: randomUUID() });
    expect(named.manifest.files.map((file) => file.path)).toEqual(['native/snapshot.tar.gz']);
  });

  it("fails a snapshot whose answer is not success, with the engine's error", async () => {
    // The server cannot write under a path that is a file: 500 {"success": false, "error": "Copy failed."}.
    const plugin = pluginFor({ url: a.url, apiKey: API_KEY, snapshotPath: '/dev/null/typesense' });
    const error = await failure(runNativeBackup(typesensePlugin, plugin, temp.storage, { collections: null, name: 'x', requestId: randomUUID() }));
    expect(error.code).toBe('engine_error');
    expect(error.details).toMatchObject({ status: 500, engineMessage: 'Copy failed.' });
  });
});

/**
 * Forwards to a node, adding `exclude_fields` to exports: the path on which Typesense looks each id up while
 * it streams, where a document deleted meanwhile becomes an error line (v30) or ends the export (≤ v29).
 */
async function excludingProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    if (url.pathname.endsWith('/documents/export')) url.searchParams.set('exclude_fields', 'no_such_field');
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: `${url.pathname}${url.search}`, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('typesense export error lines', () => {
  let temp: TempStorage;
  beforeAll(async () => {
    temp = await createTempStorage();
  });
  afterAll(async () => temp?.cleanup());

  it.each(['29.0', '30.0'])('%s: a document deleted while the export streams is counted, and fails the backup unless onExportError is warn', async (version) => {
    const engine = await startEngine({ version });
    const proxy = await excludingProxy(engine.url);
    try {
      const arm = async () => {
        await engine.seedCollection({ ...defaultSchema, name: 'films' }, makeDocuments(250));
        let deleted = false;
        engine.emulator.setOptions({
          beforeExportBatch: async (_collection, batch) => {
            if (batch !== 1 || deleted) return;
            deleted = true;
            await engine.sdk.collections('films').documents('doc-000150').delete();
          },
        });
      };
      await arm();
      const { session } = openBackupSession(temp.storage);
      const error = await failure(pluginFor({ url: proxy.url, apiKey: API_KEY }).logicalBackup!({ collections: ['films'] }, session, createTestJob().ctx));
      await session.abort();
      expect(error.code).toBe('engine_error');
      expect(error.details).toMatchObject({ collection: 'films', skipped: 1, exported: version === '30.0' ? 249 : 149 });
      expect(error.message).toContain(version === '30.0' ? 'Error while getting seq_id of `doc-000150`: Not found.' : '{"message": "Not found."}');

      await arm();
      const kept = await runBackup(typesensePlugin, pluginFor({ url: proxy.url, apiKey: API_KEY, onExportError: 'warn' }), temp.storage, { collections: ['films'] });
      expect(kept.result.warnings.join('\n')).toMatch(/collection films: the export skipped 1 document\(s\) it could not read \((249|149) exported\).*the backup misses them/);
    } finally {
      await proxy.close();
      await engine.stop();
    }
  });
});
