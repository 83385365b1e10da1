// The Milvus plugin when things go wrong: bad names, server errors in `code`, HTTP errors, an unreachable or
// hanging server, a server restart mid-task, and cancels milvus-backup itself cannot honour.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { createTempStorage, createTestJob, runNativeBackup, runNativeRestore, settleAfterCancel, type TempStorage, type TestJob } from '../../test/contract/harness.ts';
import { swaggerChecker } from '../../test/emulators/milvus-backup/swagger-contract.ts';
import { itWithShared } from '../../test/helpers/requirements.ts';
import { milvusPlugin } from './index.ts';
import { failure, pluginFor, startMilvusTestEngine, until, type MilvusTestEngine } from './test/engine.ts';

for (const generation of ['v0.5.16', 'v0.5.9'] as const) {
  describe(`milvus plugin errors against milvus-backup ${generation}`, () => {
    let engine: MilvusTestEngine;
    let instance: EngineInstance;
    let temp: TempStorage;
    const backup = (name: string, collections: string[] | null = ['book'], job?: TestJob, on: EngineInstance = instance) =>
      runNativeBackup(milvusPlugin, on, temp.storage, { collections, name, requestId: randomUUID() }, job);
    const creates = () => engine.emulator.exchanges.filter((e) => e.path === '/api/v1/create').length;

    beforeAll(async () => {
      temp = await createTempStorage();
      engine = await startMilvusTestEngine({ generation });
      instance = pluginFor(engine.config);
    });
    afterAll(async () => {
      await engine?.stop();
      await temp?.cleanup();
    });

    it('rejects names milvus-backup would refuse with invalid_name, before sending anything', async () => {
      const before = engine.emulator.exchanges.length;
      for (const name of ['', 'with space', '9lives', 'dash-name', 'dotted.name', 'ünïcode', 'x'.repeat(129)]) {
        const error = await failure(backup(name));
        expect(error.code, name).toBe('invalid_name');
        expect(error.message).toContain('not a valid milvus-backup backup name');
      }
      expect(engine.emulator.exchanges.length).toBe(before);
      expect((await backup(`_${'x'.repeat(127)}`)).result.externalId).toHaveLength(128);
    });

    it('rejects a collection name that is not db.collection with invalid_input', async () => {
      expect((await failure(backup('bad_collection', ['a.b.c']))).code).toBe('invalid_input');
    });

    it('maps a backup task failing on an unknown collection to collection_not_found', async () => {
      const error = await failure(backup('unknown_collection', ['book', 'nope']));
      expect(error.code).toBe('collection_not_found');
      expect(error.message).toContain('default.nope');
      expect(engine.emulator.backups.names()).not.toContain('unknown_collection');
    });

    it('refuses a name another backup holds with name_already_taken, without creating', async () => {
      engine.emulator.backups.create('taken_by_cli');
      const before = creates();
      expect((await failure(backup('taken_by_cli'))).code).toBe('name_already_taken');
      expect(creates()).toBe(before);
    });

    it('notices a name taken between its check and the create (v0.5.16 would wait at INITIAL forever)', async () => {
      engine.emulator.backups.create('raced');
      engine.emulator.inject('/api/v1/list', { json: { data: [] } });
      const error = await failure(backup('raced'));
      expect([error.code, error.message]).toEqual(['name_already_taken', expect.stringContaining('raced')]);
    });

    it('maps `code` 3, 400, 2 and 404 answers to coded errors carrying the server message', async () => {
      const cases = [
        { answer: { code: 3, msg: 'backup: init milvus client: connection refused' }, code: 'engine_error' },
        { answer: { code: 400, msg: 'backup name should start with an underscore or letter' }, code: 'invalid_name' },
        { answer: { code: 2, msg: 'permission denied' }, code: 'engine_auth_failed' },
        { answer: { code: 1, msg: 'not support' }, code: 'engine_error' },
      ] as const;
      for (const { answer, code } of cases) {
        engine.emulator.inject('/api/v1/create', { json: { requestId: 'x', ...answer, data: null } });
        const error = await failure(backup(`coded_${answer.code}`));
        expect(error.code).toBe(code);
        expect(error.message).toContain(answer.msg);
        expect(error.details).toMatchObject({ engineCode: answer.code, engineMessage: answer.msg });
      }
      engine.emulator.inject('/api/v1/list', { json: { code: 404, msg: 'not found', data: null } });
      expect((await failure(instance.listServerBackups!(AbortSignal.timeout(5000)))).code).toBe('backup_not_found');
    });

    it('maps HTTP errors and answers that are not JSON to engine_error', async () => {
      engine.emulator.inject('/api/v1/create', { status: 400, json: { error: 'Invalid request body' } });
      const bind = await failure(backup('http_400'));
      expect([bind.code, bind.message]).toEqual(['engine_error', expect.stringContaining('HTTP 400: Invalid request body')]);
      engine.emulator.inject('/api/v1/list', { status: 404, text: '404 page not found' });
      const notFound = await failure(instance.listServerBackups!(AbortSignal.timeout(5000)));
      expect(notFound.message).toMatch(/HTTP 404.*milvus-backup server/);
      engine.emulator.inject('/api/v1/list', { text: '<html>proxy</html>' });
      expect((await failure(instance.listServerBackups!(AbortSignal.timeout(5000)))).message).toMatch(/not JSON/);
      engine.emulator.inject('/api/v1/list', { json: { data: [{ name: 7 }] } });
      expect((await failure(instance.listServerBackups!(AbortSignal.timeout(5000)))).message).toMatch(/unexpected answer/);
    });

    it('restoring a backup that vanished on the server fails with backup_not_found', async () => {
      const run = await backup('vanishing');
      engine.emulator.backups.delete('vanishing');
      const error = await failure(runNativeRestore(instance, temp.storage, run.backupId, { collections: ['book'], rename: { book: 'book_v' }, atomic: false }));
      expect(error.code).toBe('backup_not_found');
      expect(error.message).toContain('backup vanishing not found');
    });

    it('fails with engine_error when the server restarts while a backup or a restore runs', async () => {
      engine.emulator.setOptions({ stepDelayMs: 30 });
      try {
        const running = backup('lost_in_restart', ['book'], undefined);
        await until(() => engine.emulator.exchanges.some((e) => e.path === '/api/v1/create' && (e.body as { backup_name?: string }).backup_name === 'lost_in_restart'));
        engine.emulator.restart();
        const error = await failure(running);
        expect([error.code, error.message]).toEqual(['engine_error', expect.stringMatching(/no longer knows task .* restarted/)]);

        engine.emulator.setOptions({ stepDelayMs: 2 });
        const run = await backup('restored_in_restart');
        engine.emulator.setOptions({ stepDelayMs: 30 });
        const restoring = runNativeRestore(instance, temp.storage, run.backupId, { collections: ['book'], rename: { book: 'book_rr' }, atomic: false });
        await until(() => engine.emulator.exchanges.some((e) => e.path === '/api/v1/restore' && (e.body as { collection_suffix?: string }).collection_suffix === '_rr'));
        engine.emulator.restart();
        expect((await failure(restoring)).message).toMatch(/no longer knows restore task .* partly applied/);
      } finally {
        engine.emulator.setOptions({ stepDelayMs: 2 });
      }
    });

    it('gives up with engine_timeout when a task outlives taskTimeoutMs', async () => {
      engine.emulator.setOptions({ stepDelayMs: 200 });
      try {
        const impatient = pluginFor({ ...(engine.config as object), taskTimeoutMs: 60 });
        expect((await failure(backup('too_slow', ['book'], undefined, impatient))).code).toBe('engine_timeout');
      } finally {
        engine.emulator.setOptions({ stepDelayMs: 2 });
      }
    });

    it('on cancel of a backup waits for the server task, deletes the backup, then reports job_canceled', async () => {
      engine.emulator.setOptions({ stepDelayMs: 10 });
      const job = createTestJob();
      job.cancelWhen(() => true);
      try {
        const outcome = await settleAfterCancel(backup('canceled_backup', ['book', 'medium_articles'], job), job);
        expect(job.canceledAt).not.toBeNull();
        expect((outcome.error as { code?: string }).code).toBe('job_canceled');
      } finally {
        engine.emulator.setOptions({ stepDelayMs: 2 });
      }
      expect(engine.emulator.backups.names()).not.toContain('canceled_backup');
      const calls = engine.emulator.exchanges.map((e) => `${e.method} ${e.path}?${new URLSearchParams(e.query).toString()}`);
      const deletion = calls.indexOf('DELETE /api/v1/delete?backup_name=canceled_backup');
      expect(deletion).toBeGreaterThan(0);
      // The delete came only once the server said the task had succeeded.
      const lastPoll = engine.emulator.exchanges.slice(0, deletion).findLast((e) => e.path === '/api/v1/get_backup')!;
      expect(lastPoll.response).toMatchObject({ data: { state_code: 2, progress: 100 } });
      expect(job.logs.some((log) => log.message.includes('cannot cancel'))).toBe(true);
    });

    it('on cancel of a restore reports job_canceled, saying the server-side restore may have completed', async () => {
      const run = await backup('restore_to_cancel');
      engine.emulator.setOptions({ stepDelayMs: 20 });
      const job = createTestJob();
      let exchangesAtCancel = -1;
      job.cancelWhen(() => {
        exchangesAtCancel = engine.emulator.exchanges.length;
        return true;
      });
      try {
        const request = { collections: ['book'], rename: { book: 'book_canceled' }, atomic: false };
        const outcome = await settleAfterCancel(runNativeRestore(instance, temp.storage, run.backupId, request, job), job);
        expect((outcome.error as { code?: string }).code).toBe('job_canceled');
        expect((outcome.error as Error).message).toMatch(/cannot cancel a restore.*may have completed/);
        // It stopped watching at the cancel: not one more get_restore poll, although the task had not ended.
        expect(exchangesAtCancel).toBeGreaterThan(0);
        const lastPoll = engine.emulator.exchanges.slice(0, exchangesAtCancel).findLast((e) => e.path === '/api/v1/get_restore')!;
        expect(lastPoll.response).not.toMatchObject({ data: { state_code: 2 } });
        expect(engine.emulator.exchanges.slice(exchangesAtCancel).filter((e) => e.path === '/api/v1/get_restore')).toEqual([]);
        // The server-side task goes on to the end.
        await until(() => engine.emulator.milvus.get('default', 'book_canceled')?.rows === 2000);
      } finally {
        engine.emulator.setOptions({ stepDelayMs: 2 });
      }
    });

    itWithShared('sent only requests the published swagger allows, and got only answers it describes', () => {
      const exchanges = engine.emulator.exchanges.filter((e) => !e.injected);
      expect(exchanges.length).toBeGreaterThan(10);
      expect(exchanges.flatMap((e) => [...swaggerChecker().checkRequest(e), ...swaggerChecker().checkResponse(e)])).toEqual([]);
    });
  });
}

describe('milvus plugin without a server', () => {
  let temp: TempStorage;
  let hanging: Server;
  beforeAll(async () => {
    temp = await createTempStorage();
    hanging = createServer(() => {}); // accepts connections, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    hanging.close();
    await temp.cleanup();
  });

  it('reports engine_unreachable when nothing listens, and health says so without throwing', async () => {
    const engine = await startMilvusTestEngine();
    await engine.stop();
    const dead = pluginFor(engine.config);
    const health = await dead.health(AbortSignal.timeout(5000));
    expect(health.ok).toBe(false);
    expect(health.message).toMatch(/fetch failed|ECONNREFUSED/);
    const request = { collections: null, name: 'down', requestId: randomUUID() };
    expect((await failure(runNativeBackup(milvusPlugin, dead, temp.storage, request))).code).toBe('engine_unreachable');
    expect((await failure(dead.deleteServerBackup!('down', AbortSignal.timeout(5000)))).code).toBe('engine_unreachable');
  });

  it('reports engine_timeout when the server does not answer within timeoutMs', async () => {
    const address = hanging.address() as { port: number };
    const slow = pluginFor({ url: `http://127.0.0.1:${address.port}`, timeoutMs: 150 });
    const error = await failure(slow.listServerBackups!(AbortSignal.timeout(5000)));
    expect([error.code, error.message]).toEqual(['engine_timeout', expect.stringContaining('timed out after 150 ms')]);
  });
});
