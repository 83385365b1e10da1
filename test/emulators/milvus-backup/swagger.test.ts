// Neither side may drift from milvus-backup's published swagger: every request the Milvus plugin sends and
// every answer the emulator gives — the plugin's whole flow plus each error branch of every route, in both
// response generations (v0.5.9, v0.5.16, v0.6.0) — is validated with ajv against ../shared/reference/milvus-backup-swagger.json.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { milvusPlugin } from '../../../plugins/milvus/index.ts';
import { createTempStorage, createTestJob, runNativeBackup, runNativeRestore, type TempStorage } from '../../contract/harness.ts';
import { GENERATIONS, startMilvusBackupEmulator, type MilvusBackupEmulator, type RecordedExchange } from './server.ts';
import { describeWithShared } from '../../helpers/requirements.ts';
import { loadSwagger, OUTSIDE_SWAGGER, swaggerChecker as checker } from './swagger-contract.ts';
const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    () => undefined,
  );

async function raw(emulator: MilvusBackupEmulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<void> {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  await (await fetch(`${emulator.url}/api/v1${path}`, init)).text();
}

for (const generation of GENERATIONS) {
  describeWithShared(`milvus-backup ${generation} exchanges follow the published swagger contract`, () => {
    let emulator: MilvusBackupEmulator;
    let temp: TempStorage;
    beforeAll(async () => {
      emulator = await startMilvusBackupEmulator({ generation, stepDelayMs: 2 });
      temp = await createTempStorage();
    });
    afterAll(async () => {
      await emulator?.close();
      await temp?.cleanup();
    });

    it('every request the plugin sends, and every answer it gets, in the whole flow and its failures', async () => {
      const instance = milvusPlugin.create(milvusPlugin.config.parse({ url: emulator.url, pollIntervalMs: 10 }), { logger: createTestJob().ctx.logger });
      const signal = () => AbortSignal.timeout(5000);
      const backup = (name: string, collections: string[] | null, requestId = randomUUID()) =>
        runNativeBackup(milvusPlugin, instance, temp.storage, { collections, name, requestId });

      await instance.health(signal());
      const selectedId = randomUUID();
      const selected = await backup('contract_selected', ['book', 'medium_articles'], selectedId);
      await backup('contract_all', null);
      emulator.backups.create('contract_cli');
      await instance.listServerBackups!(signal());
      await instance.listCollections(signal());
      await runNativeRestore(instance, temp.storage, selected.backupId, { collections: ['book'], rename: { book: 'book_sfx' }, atomic: false });
      await settle(runNativeRestore(instance, temp.storage, selected.backupId, { collections: ['book'], rename: { book: 'book_sfx' }, atomic: false }));
      const renamed = { collections: ['book', 'medium_articles'], rename: { book: 'other.book' }, atomic: true, dropExisting: true };
      await runNativeRestore(instance, temp.storage, selected.backupId, renamed);
      await settle(backup('contract_missing', ['nope']));
      await settle(backup('contract_cli', ['book']));
      await instance.deleteServerBackup!('contract_all', signal());
      await settle(instance.deleteServerBackup!('contract_all', signal()));
      emulator.restart();
      await backup('contract_selected', ['book', 'medium_articles'], selectedId);
      await settle(runNativeRestore(instance, temp.storage, selected.backupId, { collections: ['book'], rename: {}, atomic: false }));
      emulator.setOptions({ stepDelayMs: 20 });
      const lost = backup('contract_lost', ['book']);
      for (let waited = 0; !emulator.exchanges.some((e) => JSON.stringify(e.body ?? '').includes('contract_lost')) && waited < 10_000; waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      emulator.restart();
      await settle(lost);
      emulator.setOptions({ stepDelayMs: 2 });

      const exchanges = emulator.exchanges.filter((e) => !e.injected);
      const routes = new Set(exchanges.map((e) => `${e.method} ${e.path}`));
      expect([...routes].sort()).toEqual(
        [
          'DELETE /api/v1/delete',
          'GET /api/v1/check',
          'GET /api/v1/get_backup',
          'GET /api/v1/get_restore',
          'GET /api/v1/hello',
          'GET /api/v1/list',
          'POST /api/v1/create',
          'POST /api/v1/restore',
        ].sort(),
      );
      expect(exchanges.flatMap((e) => checker().checkRequest(e))).toEqual([]);
      expect(exchanges.flatMap((e) => checker().checkResponse(e))).toEqual([]);
      expect(exchanges.some((e) => e.path === '/api/v1/create' && e.requestIdHeader !== undefined)).toBe(true);
    });

    it('every answer of every route, error branches included', async () => {
      emulator.clearExchanges();
      const id = randomUUID();
      await raw(emulator, 'GET', '/hello');
      await raw(emulator, 'GET', '/check');
      await raw(emulator, 'POST', '/create', { backup_name: 'sync_made', async: false, collection_names: ['book'] }, { request_id: id });
      await raw(emulator, 'POST', '/create', { backup_name: 'sync_made', async: false });
      await raw(emulator, 'POST', '/create', { backup_name: 'bad name', async: true });
      await raw(emulator, 'POST', '/create', { backup_name: 'bad_filter', async: true, db_collections: '{not json' });
      await raw(emulator, 'POST', '/create', '{"backup_name": 1}');
      await raw(emulator, 'POST', '/create', { backup_name: 'by_filter', async: true, filter: { default: { colls: ['book'] } } });
      if (generation === 'v0.6.0') {
        await raw(emulator, 'POST', '/create', { backup_name: 'as_binlog', async: false, format: 'binlog', collection_names: ['book'] });
        await raw(emulator, 'POST', '/create', { backup_name: 'bad_format', async: true, format: 'tarball' });
        await raw(emulator, 'GET', '/get_backup?backup_name=as_binlog');
      }
      await raw(emulator, 'GET', `/get_backup?backup_id=${id}`);
      await raw(emulator, 'GET', '/get_backup?backup_id=unknown');
      await raw(emulator, 'GET', '/get_backup?backup_name=sync_made');
      await raw(emulator, 'GET', '/get_backup?backup_name=unknown');
      await raw(emulator, 'GET', '/get_backup');
      await raw(emulator, 'GET', '/list', undefined, { request_id: 'listing' });
      await raw(emulator, 'GET', '/list?collection_name=book');
      await raw(emulator, 'POST', '/restore', { backup_name: 'sync_made', async: false, collection_suffix: '_sync' });
      await raw(emulator, 'POST', '/restore', { backup_name: 'sync_made', async: false, collection_suffix: '_sync' });
      await raw(emulator, 'POST', '/restore', { backup_name: 'sync_made', async: true, id: 'r_async', collection_renames: { 'default.book': 'default.book_async' } });
      await raw(emulator, 'POST', '/restore', { async: true });
      await raw(emulator, 'POST', '/restore', { backup_name: 'sync_made', collection_suffix: '-x' });
      await raw(emulator, 'POST', '/restore', { backup_name: 'sync_made', dropExistCollection: true, skipCreateCollection: true });
      await raw(emulator, 'POST', '/restore', { backup_name: 'unknown' });
      await raw(emulator, 'POST', '/restore', '{"backup_name": ["x"]}');
      await raw(emulator, 'GET', '/get_restore?id=r_async');
      await raw(emulator, 'GET', '/get_restore?id=unknown');
      await raw(emulator, 'GET', '/get_restore');
      await raw(emulator, 'DELETE', '/delete?backup_name=sync_made');
      await raw(emulator, 'DELETE', '/delete?backup_name=sync_made');
      await raw(emulator, 'DELETE', '/delete');

      const exchanges: readonly RecordedExchange[] = emulator.exchanges;
      expect(exchanges.map((e) => e.status).filter((status) => status !== 200)).toEqual([400, 400]);
      const codes = exchanges.map((e) => (e.response as { code?: number } | null)?.code).filter((code) => code !== undefined);
      expect(new Set(codes)).toEqual(new Set(generation === 'v0.5.9' ? [3, 400, 404] : [3, 400]));
      expect(exchanges.flatMap((e) => checker().checkResponse(e))).toEqual([]);
    });
  });
}

describeWithShared('the swagger checker', () => {
  const base: RecordedExchange = {
    method: 'GET',
    path: '/api/v1/get_backup',
    query: { backup_name: 'b' },
    requestIdHeader: undefined,
    contentType: undefined,
    body: undefined,
    status: 200,
    response: { msg: 'success', data: { state_code: 2, progress: 100, size: 1, meta_size: 0, name: 'b' } },
    responseIsJson: true,
    generation: 'v0.5.16',
    injected: false,
  };

  it('reads the published contract and accepts a conforming exchange', () => {
    expect(loadSwagger().basePath).toBe('/api/v1');
    expect(OUTSIDE_SWAGGER).toEqual(['GET /api/v1/hello', 'GET /api/v1/check']);
    expect([...checker().checkRequest(base), ...checker().checkResponse(base)]).toEqual([]);
  });

  it('notices drift on either side: invented or misspelt fields, wrong types and enums, unknown routes and parameters', () => {
    const drift = (patch: Partial<RecordedExchange>) => [...checker().checkRequest({ ...base, ...patch }), ...checker().checkResponse({ ...base, ...patch })];
    expect(drift({ response: { data: { stateCode: 2, progress: 100, size: 1, meta_size: 0 } } }).join()).toMatch(/additional/);
    expect(drift({ response: { code: 7, data: null } }).join()).toMatch(/allowed values/);
    expect(drift({ response: { data: { state_code: '2', progress: 1, size: 0, meta_size: 0 } } }).join()).toMatch(/must be integer/);
    expect(drift({ response: { data: { state_code: 0, progress: 0, size: 0, meta_size: 0, partition_backups: [] } } }).join()).toMatch(/additional/);
    expect(drift({ query: { backup: 'b' } }).join()).toMatch(/query parameter backup/);
    expect(drift({ path: '/api/v1/get_backups' }).join()).toMatch(/not in the swagger contract/);
    const create = { ...base, method: 'POST', path: '/api/v1/create', query: {}, contentType: 'application/json', response: { msg: 'ok', data: null } };
    expect(drift({ ...create, body: { backup_name: 'b', dropExisting: true } }).join()).toMatch(/additional/);
    expect(drift({ ...create, body: { backup_name: 'b', async: 'yes' } }).join()).toMatch(/must be boolean/);
    expect(drift({ ...create, body: { backup_name: 'b' }, contentType: 'text/plain' }).join()).toMatch(/content-type/);
    expect(drift({ path: '/api/v1/delete', method: 'DELETE', query: {}, response: { msg: 'success' } }).join()).toMatch(/required query parameter backup_name/);
    expect(drift({ status: 500, responseIsJson: false, response: '' }).join()).toMatch(/500 text/);
    // `format` is a v0.6 request field: sent to a v0.5 server it is drift, to v0.6 it is the contract.
    expect(drift({ ...create, body: { backup_name: 'b', format: 'snapshot' } }).join()).toMatch(/additional/);
    expect(drift({ ...create, body: { backup_name: 'b', format: 'snapshot' }, generation: 'v0.6.0' })).toEqual([]);
    expect(drift({ ...create, body: { backup_name: 'b', format: 'zip' }, generation: 'v0.6.0' }).join()).toMatch(/allowed values/);
  });
});
