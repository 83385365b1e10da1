// The TinyKV plugin against the in-process TinyKV server: first the gateway's shared contract suite (the
// public test kit, `backup-gateway/testing`), then what is specific to this engine.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from 'backup-gateway/plugin';
import {
  createTempStorage,
  createTestJob,
  describeEnginePluginContract,
  makeDocuments,
  pluginFaults,
  progressProblems,
  runBackup,
  runRestore,
  type TempStorage,
} from 'backup-gateway/testing';
import tinykvPlugin from '../src/index.ts';
import { SAMPLE_SETTINGS, startTinyKvEngine, type TinyKvTestEngine } from './engine.ts';

describeEnginePluginContract({ plugin: tinykvPlugin, startEngine: () => startTinyKvEngine(), sampleSettings: SAMPLE_SETTINGS, cancelDocumentCount: 1000 });

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}

describe('tinykv plugin specifics', () => {
  let engine: TinyKvTestEngine;
  let temp: TempStorage;
  const instanceFor = (config: unknown) => tinykvPlugin.create(tinykvPlugin.config.parse(config), { logger: createTestJob().ctx.logger });

  beforeAll(async () => {
    engine = await startTinyKvEngine();
    temp = await createTempStorage();
  });
  afterAll(async () => {
    await engine.stop();
    await temp.cleanup();
  });

  it('is the default export of the package, whose version it reports', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; exports: Record<string, unknown> };
    expect(manifest.version).toBe(tinykvPlugin.version);
    // Published compiled (`npm run build`): src/index.ts becomes dist/index.js and its declarations.
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pluginFaults(tinykvPlugin)).toEqual([]);
  });

  it('reports items with a known total, ending at the total', async () => {
    await engine.seed([{ name: 'progress', documents: makeDocuments(120) }]);
    const job = createTestJob();
    const backup = await runBackup(tinykvPlugin, instanceFor(engine.config), temp.storage, { collections: ['progress'] }, job);
    expect(backup.manifest.collections).toEqual([expect.objectContaining({ name: 'progress', documentCount: 120 })]);
    expect(progressProblems(job.updates)).toEqual([]);
    expect(job.updates.every((update) => update.unit === 'items' && update.total === 120)).toBe(true);
    expect(job.updates.at(-1)?.completed).toBe(120);
  });

  it('a wrong token fails with engine_auth_failed, keeping TinyKV’s own code', async () => {
    const instance = instanceFor({ ...(engine.config as object), token: 'wrong-token' });
    const error = await failure(instance.listCollections(AbortSignal.timeout(5000)));
    expect(error.code).toBe('engine_auth_failed');
    expect(error.details).toMatchObject({ status: 401, engineCode: 'unauthorized' });
  });

  it('drops a bucket for the core (restore tests), and an absent one without error', async () => {
    await engine.seed([{ name: 'scratch', documents: makeDocuments(2) }]);
    const instance = instanceFor(engine.config);
    await instance.dropCollection!('scratch', AbortSignal.timeout(5000));
    await instance.dropCollection!('scratch', AbortSignal.timeout(5000));
    expect(await engine.list()).not.toContain('scratch');
  });

  it('drops the staging bucket when an atomic restore stops half way, leaving the live bucket as it was', async () => {
    await engine.seed([{ name: 'live', documents: makeDocuments(30) }]);
    const backup = await runBackup(tinykvPlugin, instanceFor(engine.config), temp.storage, { collections: ['live'] });
    await engine.seed([{ name: 'live', documents: makeDocuments(3, 'current') }]);
    const before = await engine.dump('live');

    // Canceled after the first batch: the staging bucket exists and is half filled by then.
    const listBefore = await engine.list();
    const job = createTestJob();
    job.cancelWhen((update) => update.completed >= 10);
    const outcome = await failure(runRestore(instanceFor(engine.config), temp.storage, backup.backupId, { collections: ['live'], rename: {}, atomic: true }, job));
    expect(outcome.code).toBe('job_canceled');
    expect(await engine.dump('live')).toEqual(before);
    expect((await engine.list()).sort()).toEqual(listBefore.sort());
  });
});
