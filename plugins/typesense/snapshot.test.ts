// Native snapshots at plugin level, through a real native sink: archived as tar.gz with sha256 when
// `snapshotDir` maps the server's snapshot path, cataloged as external otherwise; 409 → coded error; the
// long timeout is one attempt (a retry would only meet the 409).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { createTempStorage, createTestJob, progressProblems, runNativeBackup, settleAfterCancel, type TempStorage } from '../../test/contract/harness.ts';
import { createNativeSink } from '../../src/storage/native-sink.ts';
import { GatewayError } from '../../src/errors.ts';
import { typesensePlugin } from './index.ts';
import { defaultSchema } from './test/engine.ts';
import { startFaultProxy } from '../../test/faults/fault-proxy.ts';
import { failure, pluginFor, startEngine, type EmulatedEngine } from './test/emulated.ts';

async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      entries.set(header.type === 'directory' ? `${header.name}/` : header.name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(Readable.from([bytes]), createGunzip(), extract);
  return entries;
}

const request = (collections: string[] | null = null) => ({ collections, name: 'nightly', requestId: randomUUID() });

describe('typesense native snapshot', () => {
  let engine: EmulatedEngine;
  let temp: TempStorage;

  beforeAll(async () => {
    temp = await createTempStorage();
    engine = await startEngine();
    await engine.seedCollection({ ...defaultSchema, name: 'films' }, makeDocuments(30));
    await engine.sdk.keys().create({ description: 'app', actions: ['*'], collections: ['*'], value: 'app-key-full-value' });
  });
  afterAll(async () => {
    await engine?.stop();
    await temp?.cleanup();
  });

  it('archives the snapshot directory as snapshot.tar.gz with its sha256 when snapshotDir maps snapshotPath', async () => {
    // The gateway sees the server's directory through another path (here a symlink, in production a mount).
    const mount = path.join(await mkdtemp(path.join(tmpdir(), 'gateway-mount-')), 'typesense-snapshots');
    await symlink(engine.snapshots, mount);
    const plugin = pluginFor({ ...(engine.config as object), snapshotPath: engine.snapshots, snapshotDir: mount });
    const job = createTestJob();
    const run = await runNativeBackup(typesensePlugin, plugin, temp.storage, request(['films']), job);

    expect(run.result.engineVersion).toBe('29.0');
    expect(run.result.collections).toEqual([{ name: 'films', documentCount: 30, bytes: null }]);
    expect(run.result.warnings.join('\n')).toContain('the collection selection was ignored');
    expect(run.result.externalId).toMatch(new RegExp(`^${engine.snapshots}/\\d{8}-\\d{6}-[0-9a-f]{12}$`));
    expect(run.manifest.external).toEqual([]);
    expect(run.manifest.files.map((file) => file.path)).toEqual(['native/snapshot.tar.gz']);
    expect(progressProblems(job.updates)).toEqual([]);

    const file = run.manifest.files[0]!;
    const bytes = await readFile(path.join(temp.root, run.backupId, file.path));
    expect(bytes.length).toBe(file.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    const entries = await untar(bytes);
    const names = [...entries.keys()];
    expect(names).toContain('state/meta/raft_meta');
    const checkpoint = names.find((name) => /^state\/snapshot\/snapshot_\d{20}\/db_snapshot\/000009\.sst$/.test(name));
    expect(checkpoint, names.join(', ')).toBeDefined();
    // A snapshot is the whole store: documents and full key values included.
    const store = entries.get(checkpoint!)!.toString();
    expect(store).toContain('doc-000030');
    expect(store).toContain('app-key-full-value');
    await rm(path.dirname(mount), { recursive: true, force: true });
  });

  it('catalogs the snapshot as an external artifact when the gateway cannot read the snapshot path', async () => {
    const plugin = pluginFor({ url: engine.url, apiKey: (engine.config as { apiKey: string }).apiKey, snapshotPath: engine.snapshots });
    const run = await runNativeBackup(typesensePlugin, plugin, temp.storage, request());
    expect(run.manifest.files).toEqual([]);
    expect(run.manifest.external).toEqual([
      expect.objectContaining({ location: `typesense-server:${run.result.externalId}`, bytes: null, path: path.basename(run.result.externalId!) }),
    ]);
    expect(run.manifest.external[0]!.description).toContain('stop Typesense');
    expect(run.result.warnings.join('\n')).toContain('stays on the Typesense server');
  });

  it('refuses a second snapshot while one runs with job_already_in_progress, and finishes the first', async () => {
    engine.emulator.setOptions({ snapshotDelayMs: 600 });
    try {
      const plugin = pluginFor(engine.config);
      const firstJob = createTestJob();
      const requested = new Promise<void>((resolve) => firstJob.cancelWhen((update) => (update.phase === 'snapshot' && resolve(), false)));
      const first = runNativeBackup(typesensePlugin, plugin, temp.storage, request(), firstJob);
      await requested; // the first snapshot request is on its way
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await failure(runNativeBackup(typesensePlugin, plugin, temp.storage, request()));
      expect(second.code).toBe('job_already_in_progress');
      expect(second.message).toContain('Another snapshot is in progress.');
      expect((await first).manifest.files).toHaveLength(1);
    } finally {
      engine.emulator.setOptions({ snapshotDelayMs: 0 });
    }
  });

  it('gives the snapshot request its own timeout, tried once: a slow snapshot is engine_timeout, not a retried 409', async () => {
    engine.emulator.setOptions({ snapshotDelayMs: 500 });
    try {
      const hasty = pluginFor({ ...(engine.config as object), timeoutMs: 100, snapshotTimeoutMs: 200 });
      const error = await failure(runNativeBackup(typesensePlugin, hasty, temp.storage, request()));
      expect(error.code).toBe('engine_timeout');
      // The default request timeout (100 ms) did not apply to the snapshot itself.
      const patient = pluginFor({ ...(engine.config as object), timeoutMs: 100, snapshotTimeoutMs: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 600)); // the abandoned snapshot ends on the server
      expect((await runNativeBackup(typesensePlugin, patient, temp.storage, request())).manifest.files).toHaveLength(1);
    } finally {
      engine.emulator.setOptions({ snapshotDelayMs: 0 });
    }
  });

  it('needs snapshotPath, and a snapshotDir that really shows the snapshot', async () => {
    const unset = pluginFor({ url: engine.url, apiKey: (engine.config as { apiKey: string }).apiKey });
    expect((await failure(runNativeBackup(typesensePlugin, unset, temp.storage, request()))).code).toBe('invalid_engine_config');
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'not-the-mount-'));
    try {
      const wrongMount = pluginFor({ ...(engine.config as object), snapshotDir: elsewhere });
      const error = await failure(runNativeBackup(typesensePlugin, wrongMount, temp.storage, request()));
      expect(error.code).toBe('file_not_found');
      expect(error.message).toContain('snapshotDir must be the gateway');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    expect(typesensePlugin.config.safeParse({ url: engine.url, apiKey: 'k', snapshotDir: '/mnt/x' }).success).toBe(false);
  });

  it('stops waiting for the snapshot when canceled', async () => {
    // The plugin talks through a proxy that never answers the snapshot request: the job can only end if the
    // plugin stops waiting for it.
    const proxy = await startFaultProxy(engine.emulator.url);
    const sink = createNativeSink({ storage: temp.storage, backupId: randomUUID() });
    try {
      const job = createTestJob();
      proxy.setPlan((request) => {
        if (!/\/operations\/snapshot/.test(request.path)) return { kind: 'pass' };
        setImmediate(() => job.cancel()); // canceled once the snapshot request is in flight
        return { kind: 'hang' };
      });
      const outcome = await settleAfterCancel(pluginFor({ ...(engine.config as object), url: proxy.url, timeoutMs: 600_000 }).nativeBackup!(request(), sink, job.ctx), job);
      expect((outcome.error as GatewayError).code).toBe('job_canceled');
      expect(proxy.log.filter((entry) => /\/operations\/snapshot/.test(entry.path)).map((entry) => entry.fault)).toEqual(['hang']);
    } finally {
      await sink.abort();
      await proxy.close();
    }
  });
});
