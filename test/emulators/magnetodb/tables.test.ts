// The MagnetoDB emulator over plain HTTP: auth, errors, health and the table lifecycle (engine-api.md §4.1, §4.3, §4.8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from './server.ts';
import { magnetoDbHttp, type MagnetoDbHttp } from './test-helpers.ts';

const THREAD = {
  table_name: 'Thread',
  attribute_definitions: [
    { attribute_name: 'ForumName', attribute_type: 'S' },
    { attribute_name: 'Subject', attribute_type: 'S' },
    { attribute_name: 'LastPostDateTime', attribute_type: 'S' },
  ],
  key_schema: [
    { attribute_name: 'ForumName', key_type: 'HASH' },
    { attribute_name: 'Subject', key_type: 'RANGE' },
  ],
  local_secondary_indexes: [
    {
      index_name: 'LastPostIndex',
      key_schema: [
        { attribute_name: 'ForumName', key_type: 'HASH' },
        { attribute_name: 'LastPostDateTime', key_type: 'RANGE' },
      ],
      projection: { projection_type: 'KEYS_ONLY' },
    },
  ],
};

describe('MagnetoDB emulator: auth, errors, health, tables', () => {
  let emulator: MagnetoDbEmulator;
  let api: MagnetoDbHttp;

  beforeAll(async () => {
    emulator = await startMagnetoDbEmulator({ createDelayMs: 30 });
    api = magnetoDbHttp({ url: emulator.url, token: emulator.token, project: 'p1' });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('accepts the default dev token with any project id and refuses anything else with 401', async () => {
    expect(emulator.token).toBe('magnetodb-dev-token');
    expect((await api.call('GET', '/v1/data/any-project/tables')).status).toBe(200);
    const wrong = await api.call('GET', '/v1/data/p1/tables', undefined, 'wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toBe('Authentication required');
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Keystone uri=/);
    expect((await api.call('POST', '/v1/management/p1/tables/Thread/backups', {}, '')).status).toBe(401);
  });

  it('answers /healthcheck without a token', async () => {
    const plain = await fetch(`${emulator.url}/healthcheck`);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ API: 'OK' });
    const full = await fetch(`${emulator.url}/healthcheck?fullcheck=true`);
    expect(await full.json()).toEqual({ API: 'OK', Identity: 'OK', Storage: 'OK', Messaging: 'OK' });
    expect((await fetch(`${emulator.url}/healthcheck/more`)).status).toBe(404);
  });

  it('creates a table CREATING, then ACTIVE, and describes it like describe_table.py', async () => {
    emulator.setOptions({ createDelayMs: 400 });
    const created = await api.call('POST', '/v1/data/p1/tables', THREAD);
    expect(created.status).toBe(200);
    expect(created.body.table_description).toMatchObject({ table_name: 'Thread', table_status: 'CREATING', item_count: 0, table_size_bytes: 0 });
    expect(created.body.table_description.links[0]).toEqual({ href: `${emulator.url}/v1/data/p1/tables/Thread`, rel: 'self' });

    const early = await api.data('Thread', 'scan', {}).catch((error: Error) => error.message);
    expect(early).toContain("Table 'Thread' status 'CREATING' isn't ACTIVE");

    emulator.setOptions({ createDelayMs: 30 });
    const table = await api.waitActive('Thread');
    expect(table).toMatchObject({
      table_name: 'Thread',
      table_status: 'ACTIVE',
      attribute_definitions: THREAD.attribute_definitions,
      key_schema: [
        { key_type: 'HASH', attribute_name: 'ForumName' },
        { key_type: 'RANGE', attribute_name: 'Subject' },
      ],
      local_secondary_indexes: [
        {
          index_name: 'LastPostIndex',
          key_schema: THREAD.local_secondary_indexes[0]!.key_schema,
          projection: { projection_type: 'KEYS_ONLY' },
          item_count: 0,
          index_size_bytes: 0,
        },
      ],
    });
    expect(table['table_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(table['creation_date_time']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(table['links'].map((link: { rel: string }) => link.rel)).toEqual(['self', 'bookmark']);
  });

  it('refuses a second table of the same name and invalid schemas with the FaultWrapper body', async () => {
    const again = await api.call('POST', '/v1/data/p1/tables', THREAD);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      code: 400,
      title: 'Bad Request',
      explanation: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
      error: { message: 'Table Thread already exists', type: 'TableAlreadyExistsException', traceback: null },
    });
    const hashOnly = { ...THREAD, table_name: 'hash_only', key_schema: [THREAD.key_schema[0]] };
    expect((await api.call('POST', '/v1/data/p1/tables', hashOnly)).body.error.message).toBe('Table without range key in primary key schema can not have indices');
    const extra = await api.call('POST', '/v1/data/p1/tables', { ...THREAD, table_name: 'extra', surprise: 1 });
    expect(extra.body.error).toMatchObject({ type: 'ValidationError', message: `Unexpected properties were found for 'body': {"surprise":1}` });
    expect((await api.call('POST', '/v1/data/p1/tables', { ...THREAD, table_name: 'ab' })).body.error.message).toBe("Wrong table name 'ab' found");
    const badType = { table_name: 'badtype', attribute_definitions: [{ attribute_name: 'id', attribute_type: 'X' }], key_schema: [{ attribute_name: 'id', key_type: 'HASH' }] };
    expect((await api.call('POST', '/v1/data/p1/tables', badType)).body.error.message).toBe("Attribute type 'X' is not recognized");
    const broken = await api.call('POST', '/v1/data/p1/tables', '{not json');
    expect(broken.status).toBe(500);
    expect(broken.body.error.message).toBe('message="An Internal Error Occurred"');
  });

  it('answers 404 TableNotExistsException for an unknown table', async () => {
    const missing = await api.call('GET', '/v1/data/p1/tables/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      code: 404,
      title: 'Not Found',
      explanation: 'The resource could not be found.',
      error: { message: "Table 'nowhere' does not exist", type: 'TableNotExistsException', traceback: null },
    });
    expect((await api.call('POST', '/v1/data/p1/tables/nowhere/scan', {})).status).toBe(404);
    expect((await api.call('DELETE', '/v1/data/p1/tables/nowhere')).status).toBe(404);
  });

  it('keeps projects apart and lists names as hrefs, with a marker only when exactly `limit` came back', async () => {
    const other = magnetoDbHttp({ url: emulator.url, token: emulator.token, project: 'p2' });
    for (const name of ['aaa', 'bbb', 'ccc']) await other.createTable({ ...THREAD, table_name: name });
    expect((await api.call('GET', '/v1/data/p1/tables')).body.tables.map((t: { href: string }) => t.href.split('/').at(-1))).toEqual(['Thread']);
    const first = await other.call('GET', '/v1/data/p2/tables?limit=2');
    expect(first.body).toEqual({
      last_evaluated_table_name: 'bbb',
      tables: [
        { rel: 'self', href: `${emulator.url}/v1/data/p2/tables/aaa` },
        { rel: 'self', href: `${emulator.url}/v1/data/p2/tables/bbb` },
      ],
    });
    const second = await other.call('GET', '/v1/data/p2/tables?limit=2&exclusive_start_table_name=bbb');
    expect(second.body).toEqual({ tables: [{ rel: 'self', href: `${emulator.url}/v1/data/p2/tables/ccc` }] });
    expect(await other.listTables()).toEqual(['aaa', 'bbb', 'ccc']);
  });

  it('deletes a table through DELETING, and refuses to delete one still CREATING', async () => {
    emulator.setOptions({ createDelayMs: 400 });
    await api.createTable({ ...THREAD, table_name: 'doomed' });
    const inUse = await api.call('DELETE', '/v1/data/p1/tables/doomed');
    expect(inUse.status).toBe(400);
    expect(inUse.body.error.type).toBe('ResourceInUseException');
    await api.waitActive('doomed');
    const deleting = await api.call('DELETE', '/v1/data/p1/tables/doomed');
    expect(deleting.body.table_description).toMatchObject({ table_name: 'doomed', table_status: 'DELETING' });
    expect((await api.describe('doomed'))['table_status']).toBe('DELETING');
    expect((await api.call('DELETE', '/v1/data/p1/tables/doomed')).body.table_description.table_status).toBe('DELETING');
    emulator.setOptions({ createDelayMs: 30 });
    await api.dropTable('doomed');
    expect((await api.call('GET', '/v1/data/p1/tables/doomed')).status).toBe(404);
  });

  it('changes delays at run time', async () => {
    emulator.setOptions({ createDelayMs: 800 });
    await api.createTable({ ...THREAD, table_name: 'slowly' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await api.describe('slowly'))['table_status']).toBe('CREATING');
    emulator.setOptions({ createDelayMs: 30 });
    await api.waitActive('slowly');
  });
});
