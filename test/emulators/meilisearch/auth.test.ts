// Bearer authentication and API keys: open instance without a master key, 401/403 bodies, default
// keys, keys created with a uid (secret = HMAC-SHA256(master key, uid)), actions and index scopes.
import { createHmac } from 'node:crypto';
import { Meilisearch } from 'meilisearch';
import { describe, expect, it } from 'vitest';
import { apiError, errorBody, startTestEmulator } from './test-helpers.ts';

const MASTER = 'a-master-key-of-sixteen-bytes-or-more';

describe('meilisearch emulator: authentication and keys', () => {
  it('is open without a master key, except the key routes', async () => {
    const { client, raw } = await startTestEmulator({ version: '1.16.0' });
    expect((await client.getVersion()).pkgVersion).toBe('1.16.0');
    const keys = await apiError(client.getKeys());
    expect(keys).toMatchObject({
      status: 401,
      ...errorBody('missing_master_key', 'Meilisearch is running without a master key. To access this API endpoint, you must have set a master key at launch.', 'auth'),
    });
    // the header is still parsed: a non-Bearer scheme is refused even on an open instance
    expect((await raw('GET', '/version', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });

  it('answers 401 without a header and 403 with a wrong key', async () => {
    const { emulator } = await startTestEmulator({ masterKey: MASTER });
    const anonymous = new Meilisearch({ host: emulator.url });
    expect(await apiError(anonymous.getIndexes())).toMatchObject({
      status: 401,
      ...errorBody('missing_authorization_header', 'The Authorization header is missing. It must use the bearer authorization method.', 'auth'),
    });
    const wrong = new Meilisearch({ host: emulator.url, apiKey: 'not-the-key' });
    expect(await apiError(wrong.getIndexes())).toMatchObject({ status: 403, ...errorBody('invalid_api_key', 'The provided API key is invalid.', 'auth') });
    expect(await anonymous.health()).toEqual({ status: 'available' });
  });

  it('lists the default keys and creates a key with a chosen uid whose value derives from the master key', async () => {
    const { client, emulator } = await startTestEmulator({ masterKey: MASTER });
    const defaults = await client.getKeys();
    expect(defaults.results.map((k) => k.name)).toEqual(['Default Search API Key', 'Default Admin API Key', 'Default Read-Only Admin API Key', 'Default Chat API Key']);
    expect(defaults).toMatchObject({ offset: 0, limit: 20, total: 4 });

    const uid = '01b4bc42-eb33-4041-b481-254d00cce834';
    const created = await client.createKey({ uid, name: 'backup', actions: ['documents.get', 'indexes.get', 'tasks.*'], indexes: ['movies*'], expiresAt: null });
    expect(created.key).toBe(createHmac('sha256', MASTER).update(uid).digest('hex'));
    expect(created).toMatchObject({ uid, name: 'backup', description: null, actions: ['documents.get', 'indexes.get', 'tasks.*'], indexes: ['movies*'], expiresAt: null });
    expect((await client.getKey(created.key)).uid).toBe(uid);
    expect(await apiError(client.createKey({ uid, actions: ['*'], indexes: ['*'], expiresAt: null }))).toMatchObject({
      status: 409,
      code: 'api_key_already_exists',
      message: `\`uid\` field value \`${uid}\` is already an existing API key.`,
    });

    await client
      .index('movies_2024')
      .addDocuments([{ id: 1 }])
      .waitTask();
    await client
      .index('books')
      .addDocuments([{ id: 1 }])
      .waitTask();
    const scoped = new Meilisearch({ host: emulator.url, apiKey: created.key });
    expect((await scoped.index('movies_2024').getDocuments()).total).toBe(1);
    expect((await scoped.getIndexes()).results.map((i) => i.uid)).toEqual(['movies_2024']);
    expect(await apiError(scoped.index('books').getDocuments())).toMatchObject({
      status: 403,
      code: 'invalid_api_key',
      message: 'The API key cannot acces the index `books`, authorized indexes are ["movies*"].',
    });
    expect(await apiError(scoped.index('movies_2024').addDocuments([{ id: 2 }]))).toMatchObject({ status: 403, code: 'invalid_api_key' });
    expect(await apiError(scoped.getKeys())).toMatchObject({ status: 403, code: 'invalid_api_key' });

    const updated = await client.updateKey(uid, { name: 'renamed' });
    expect(updated.name).toBe('renamed');
    await client.deleteKey(uid);
    expect(await apiError(client.getKey(uid))).toMatchObject({ status: 404, ...errorBody('api_key_not_found', `API key \`${uid}\` not found.`) });
    expect(await apiError(scoped.index('movies_2024').getDocuments())).toMatchObject({ status: 403, code: 'invalid_api_key' });
  });

  it('validates key creation like the engine', async () => {
    const { raw } = await startTestEmulator({ masterKey: MASTER });
    const post = (body: string) => raw('POST', '/keys', { body, headers: { 'content-type': 'application/json' } });
    expect((await post('{"indexes":["*"],"expiresAt":null}')).body).toEqual(errorBody('missing_api_key_actions', 'Missing field `actions`'));
    expect((await post('{"actions":["*"],"indexes":["*"]}')).body).toEqual(errorBody('missing_api_key_expires_at', 'Missing field `expiresAt`'));
    expect((await post('{"actions":["doggo"],"indexes":["*"],"expiresAt":null}')).body).toMatchObject({ code: 'invalid_api_key_actions' });
    expect((await post('{"actions":["*"],"indexes":["good doggo"],"expiresAt":null}')).body).toMatchObject({ code: 'invalid_api_key_indexes' });
    expect((await post('{"actions":["*"],"indexes":["*"],"expiresAt":"2000-01-01"}')).body).toMatchObject({ code: 'invalid_api_key_expires_at' });
    const patch = await raw('PATCH', '/keys/01b4bc42-eb33-4041-b481-254d00cce834', { body: '{"actions":["*"]}', headers: { 'content-type': 'application/json' } });
    expect(patch.body).toEqual(errorBody('immutable_api_key_actions', 'Immutable field `actions`: expected one of `description`, `name`'));
  });
});
