// Version gating of the emulator (versions.ts) and the behaviours added since v1.16, each checked against what the
// engine's source at the release does; the full current behaviour is also held to meilisearch-js's own suite
// (npm run conformance:meilisearch, README).
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from './test-helpers.ts';
import { rfc3339 } from './rfc3339.ts';
import { CURRENT_MEILISEARCH_VERSION, experimentalFeatureNames, meilisearchVersionFromEnv } from './versions.ts';

const KEY = 'versions-master-key';
const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('meilisearch emulator: versions', () => {
  it('reads MEILISEARCH_VERSION (1.16 → 1.16.0) and defaults to the current release', () => {
    expect(meilisearchVersionFromEnv({})).toBe(CURRENT_MEILISEARCH_VERSION);
    expect(meilisearchVersionFromEnv({ MEILISEARCH_VERSION: '1.16' })).toBe('1.16.0');
    expect(() => meilisearchVersionFromEnv({ MEILISEARCH_VERSION: 'latest' })).toThrow(/MEILISEARCH_VERSION/);
  });

  it('gates routes by release: a route that does not exist yet is a bare 404', async () => {
    const old = await startTestEmulator({ masterKey: KEY, version: '1.2.0' });
    expect((await old.raw('GET', '/experimental-features')).status).toBe(404);
    const v116 = await startTestEmulator({ masterKey: KEY, version: '1.16.0' });
    expect((await v116.raw('GET', '/experimental-features')).body).toEqual(Object.fromEntries(experimentalFeatureNames('1.16.0').map((n) => [n, false])));
    expect((await v116.raw('GET', '/webhooks')).status).toBe(404);
    expect((await v116.raw('POST', '/indexes/books/compact')).status).toBe(404);
    const current = await startTestEmulator({ masterKey: KEY });
    expect((await current.raw('GET', '/webhooks')).body).toEqual({ results: [] });
    expect((await current.raw('GET', '/experimental-features')).body).toMatchObject({ foreignKeys: false, renderRoute: false, legacySearch: null });
  });

  it('default ranking rules: attributeRank + wordPosition from 1.36, attribute before', async () => {
    for (const [version, rules] of [
      ['1.16.0', ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness']],
      [CURRENT_MEILISEARCH_VERSION, ['words', 'typo', 'proximity', 'attributeRank', 'sort', 'wordPosition', 'exactness']],
    ] as const) {
      const { client } = await startTestEmulator({ masterKey: KEY, version });
      await client.createIndex('books').waitTask();
      expect(await client.index('books').getRankingRules()).toEqual(rules);
    }
  });

  it('renames an index with PATCH {uid} from 1.18 (an unknown field before)', async () => {
    const { client, raw } = await startTestEmulator({ masterKey: KEY });
    await client.createIndex('old').waitTask();
    const task = await client.updateIndex('old', { uid: 'new' } as never).waitTask();
    expect(task).toMatchObject({ status: 'succeeded', type: 'indexUpdate', details: { primaryKey: null, oldIndexUid: 'old', newIndexUid: 'new' } });
    expect((await raw('GET', '/indexes/new')).status).toBe(200);
    const v116 = await startTestEmulator({ masterKey: KEY, version: '1.16.0' });
    expect(await v116.raw('PATCH', '/indexes/old', json({ uid: 'new' }))).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  it('customMetadata and skipCreation on document writes (1.26 / 1.31)', async () => {
    const { client, raw } = await startTestEmulator({ masterKey: KEY });
    await client
      .index('books')
      .addDocuments([{ id: 1, title: 'a' }])
      .waitTask();
    const enqueued = await raw(
      'POST',
      '/indexes/books/documents?customMetadata=nightly-42&skipCreation=true',
      json([
        { id: 1, title: 'b' },
        { id: 2, title: 'c' },
      ]),
    );
    expect(enqueued.body).toMatchObject({ customMetadata: 'nightly-42' });
    const uid = (enqueued.body as { taskUid: number }).taskUid;
    const task = await client.tasks.waitForTask(uid);
    expect(task).toMatchObject({ status: 'succeeded', customMetadata: 'nightly-42' });
    expect((await client.index('books').getDocuments()).results).toEqual([{ id: 1, title: 'b' }]);
    const v116 = await startTestEmulator({ masterKey: KEY, version: '1.16.0' });
    expect(await v116.raw('POST', '/indexes/books/documents?customMetadata=x', json([{ id: 1 }]))).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  it('task documents behind getTaskDocumentsRoute: NDJSON while enqueued, task_file_not_found once processed', async () => {
    const { client, raw, emulator } = await startTestEmulator({ masterKey: KEY, taskDelayMs: 10_000 });
    const enqueued = (await raw('POST', '/indexes/books/documents', json([{ id: 1 }, { id: 2 }]))).body as { taskUid: number };
    expect(await raw('GET', `/tasks/${enqueued.taskUid}/documents`)).toMatchObject({ status: 400, body: { code: 'feature_not_enabled' } });
    await client.updateExperimentalFeatures({ getTaskDocumentsRoute: true });
    const response = await fetch(`${emulator.url}/tasks/${enqueued.taskUid}/documents`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    expect(await response.text()).toBe('{"id":1}\n{"id":2}\n');
    emulator.setOptions({ taskDelayMs: 0 });
    await client.tasks.waitForTask(enqueued.taskUid);
    expect(await raw('GET', `/tasks/${enqueued.taskUid}/documents`)).toMatchObject({ status: 404, body: { code: 'task_file_not_found' } });
  });

  it('webhooks: created 201 with the Authorization value masked, patched, deleted 204', async () => {
    const { raw } = await startTestEmulator({ masterKey: KEY });
    const created = await raw('POST', '/webhooks', json({ url: 'https://hooks.example/x', headers: { authorization: 'Bearer a-long-secret-token-0123' } }));
    expect(created).toMatchObject({ status: 201, body: { isEditable: true, url: 'https://hooks.example/x', headers: { authorization: 'Bearer a-lXXXXX...' } } });
    const uuid = (created.body as { uuid: string }).uuid;
    expect(await raw('PATCH', `/webhooks/${uuid}`, json({ headers: { authorization: null, 'x-team': 'search' } }))).toMatchObject({ body: { headers: { 'x-team': 'search' } } });
    expect((await raw('DELETE', `/webhooks/${uuid}`)).status).toBe(204);
    expect(await raw('GET', `/webhooks/${uuid}`)).toMatchObject({ status: 404, body: { code: 'webhook_not_found' } });
  });

  it('POST /export copies indexes, settings and filtered documents to another instance, answering 200', async () => {
    const source = await startTestEmulator({ masterKey: KEY });
    const target = await startTestEmulator({ masterKey: 'target-key' });
    await source.client
      .index('books')
      .updateSettings({ filterableAttributes: ['year'] })
      .waitTask();
    await source.client
      .index('books')
      .addDocuments([
        { id: 1, year: 1990 },
        { id: 2, year: 2020 },
      ])
      .waitTask();
    const enqueued = await source.raw('POST', '/export', json({ url: target.emulator.url, apiKey: 'target-key', indexes: { 'bo*': { filter: 'year > 2000' } } }));
    expect(enqueued).toMatchObject({ status: 200, body: { type: 'export', status: 'enqueued' } });
    const task = await source.client.tasks.waitForTask((enqueued.body as { taskUid: number }).taskUid);
    expect(task).toMatchObject({ status: 'succeeded', details: { url: target.emulator.url, apiKey: 'taXXXX...', indexes: { 'bo*': { filter: 'year > 2000' } } } });
    // the target indexes what it was sent on its own time
    const until = Date.now() + 5000;
    while ((await target.raw('GET', '/indexes/books/documents')).status !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await target.client.tasks.waitForTasks((await target.client.tasks.getTasks()).results.map((t) => t.uid));
    expect((await target.client.index('books').getDocuments()).results).toEqual([{ id: 2, year: 2020 }]);
    expect(await target.client.index('books').getFilterableAttributes()).toEqual(['year']);
  });

  it('prints timestamps like the time crate: no fraction when zero, trailing zeros dropped', () => {
    expect(rfc3339(new Date('2050-11-13T00:00:00.000Z'))).toBe('2050-11-13T00:00:00Z');
    expect(rfc3339(new Date('2024-05-02T09:14:03.520Z'))).toBe('2024-05-02T09:14:03.52Z');
    expect(rfc3339(new Date('2024-05-02T09:14:03.007Z'))).toBe('2024-05-02T09:14:03.007Z');
  });
});
