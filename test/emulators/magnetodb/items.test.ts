// The MagnetoDB emulator over plain HTTP: typed values, items, scan/query paging and batch writes (engine-api.md §4.2, §4.4–§4.6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from './server.ts';
import { magnetoDbHttp, type MagnetoDbHttp, type TypedItem } from './test-helpers.ts';

const POSTS = {
  table_name: 'posts',
  attribute_definitions: [
    { attribute_name: 'forum', attribute_type: 'S' },
    { attribute_name: 'seq', attribute_type: 'N' },
    { attribute_name: 'author', attribute_type: 'S' },
  ],
  key_schema: [
    { attribute_name: 'forum', key_type: 'HASH' },
    { attribute_name: 'seq', key_type: 'RANGE' },
  ],
  local_secondary_indexes: [
    {
      index_name: 'by_author',
      key_schema: [
        { attribute_name: 'forum', key_type: 'HASH' },
        { attribute_name: 'author', key_type: 'RANGE' },
      ],
      projection: { projection_type: 'INCLUDE', non_key_attributes: ['title'] },
    },
  ],
};

function post(forum: string, seq: number, author: string): TypedItem {
  return { forum: { S: forum }, seq: { N: String(seq) }, author: { S: author }, title: { S: `${forum} #${seq}` }, body: { S: 'text' } };
}

describe('MagnetoDB emulator: items', () => {
  let emulator: MagnetoDbEmulator;
  let api: MagnetoDbHttp;

  beforeAll(async () => {
    emulator = await startMagnetoDbEmulator({ createDelayMs: 5 });
    api = magnetoDbHttp({ url: emulator.url, token: emulator.token, project: 'items' });
    await api.createTable(POSTS);
    await api.waitActive('posts');
    await api.createTable({
      table_name: 'typed',
      attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }],
      key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
    });
    await api.waitActive('typed');
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('keeps typed values exact: numbers as strings in Python spelling, binaries as base64, sets sorted and unique', async () => {
    const item = {
      id: { S: 'all-types' },
      big: { N: '123456789012345678901234567890' },
      decimal: { N: '1.10' },
      padded: { N: '007' },
      json_int: { N: 42 },
      scientific: { N: '1e3' },
      small: { N: '0.0000001' },
      bin: { B: 'AAEC/w==' },
      strings: { SS: ['pear', 'apple', 'pear'] },
      numbers: { NS: ['10', '9', '1.5', '-2'] },
      bins: { BS: ['Ag==', 'AQ=='] },
      scores: { SNM: { alice: '3', bob: '4.50' } },
    };
    expect(await api.data('typed', 'put_item', { item })).toEqual({});
    const { item: stored } = await api.data('typed', 'get_item', { key: { id: { S: 'all-types' } } });
    expect(stored).toEqual({
      id: { S: 'all-types' },
      big: { N: '123456789012345678901234567890' },
      decimal: { N: '1.10' },
      padded: { N: '7' },
      json_int: { N: '42' },
      scientific: { N: '1E+3' },
      small: { N: '1E-7' },
      bin: { B: 'AAEC/w==' },
      strings: { SS: ['apple', 'pear'] },
      numbers: { NS: ['-2', '1.5', '9', '10'] },
      bins: { BS: ['AQ==', 'Ag=='] },
      scores: { SNM: { alice: '3', bob: '4.50' } },
    });
    expect(await api.data('typed', 'get_item', { key: { id: { S: 'absent' } } })).toEqual({});
    const partial = await api.data('typed', 'get_item', { key: { id: { S: 'all-types' } }, attributes_to_get: ['decimal'] });
    expect(partial).toEqual({ item: { decimal: { N: '1.10' } } });
  });

  it('refuses malformed typed values and items that do not match the schema', async () => {
    const refuse = async (body: unknown, table = 'typed', action = 'put_item'): Promise<string> => {
      const answer = await api.call('POST', `/v1/data/items/tables/${table}/${action}`, body);
      expect(answer.status).toBe(400);
      return answer.body.error.message as string;
    };
    expect(await refuse({ item: { id: { S: 'x', N: '1' } } })).toContain("Can't recognize attribute typed value format");
    expect(await refuse({ item: { id: { S: 'x' }, n: { N: 'abc' } } })).toContain("Can't recognize attribute value");
    expect(await refuse({ item: { id: { S: 'x' }, n: { N: 1.5 } } })).toContain("Can't recognize attribute value");
    expect(await refuse({ item: { id: { S: 'x' }, b: { B: 'not base64!' } } })).toContain("Can't recognize attribute value");
    expect(await refuse({ item: { id: { N: '1' } } })).toBe("Attribute: 'id' of type: 'N' doesn't match table schema expected attribute type: 'S'");
    expect(await refuse({ item: { other: { S: 'x' } } })).toBe("Couldn't find expected key attributes: 'id'");
    expect(await refuse({ key: { id: { S: 'x' }, extra: { S: 'y' } } }, 'typed', 'get_item')).toContain("doesn't match expected key attributes set");
  });

  it('checks expected conditions and returns old values on put and delete', async () => {
    await api.data('typed', 'put_item', { item: { id: { S: 'cond' }, v: { N: '1' } } });
    const failed = await api.call('POST', '/v1/data/items/tables/typed/put_item', { item: { id: { S: 'cond' } }, expected: { id: { exists: false } } });
    expect(failed.body.error).toMatchObject({ type: 'ConditionalCheckFailedException', message: 'The conditional request failed' });
    const replaced = await api.data('typed', 'put_item', {
      item: { id: { S: 'cond' }, v: { N: '2' } },
      expected: { v: { value: { N: '1.0' } } },
      return_values: 'ALL_OLD',
      time_to_live: 60,
    });
    expect(replaced).toEqual({ attributes: { id: { S: 'cond' }, v: { N: '1' } } });
    expect(await api.data('typed', 'delete_item', { key: { id: { S: 'cond' } }, return_values: 'ALL_OLD' })).toEqual({ attributes: { id: { S: 'cond' }, v: { N: '2' } } });
    expect(await api.data('typed', 'get_item', { key: { id: { S: 'cond' } } })).toEqual({});
  });

  it('scans in pages: last_evaluated_key whenever a page is exactly `limit` long, until it is absent', async () => {
    const items = Array.from({ length: 23 }, (_, i) => post(`forum-${i % 4}`, i, `author-${i % 3}`));
    await api.putItems('posts', items);
    const pages: number[] = [];
    const seen: TypedItem[] = [];
    let start: unknown;
    do {
      const page = await api.data('posts', 'scan', { limit: 5, ...(start ? { exclusive_start_key: start } : {}) });
      pages.push(page.count);
      expect(page.scanned_count).toBe(page.count);
      seen.push(...page.items);
      start = page.last_evaluated_key;
      if (start) expect(Object.keys(start as object).sort()).toEqual(['forum', 'seq']);
    } while (start);
    expect(pages).toEqual([5, 5, 5, 5, 3]);
    const key = (item: TypedItem): string => `${item['forum']!['S']}/${item['seq']!['N']}`;
    expect(seen.map(key).sort()).toEqual(items.map(key).sort());
    // Items of one partition come together, ordered by range key.
    const forums = seen.map((item) => item['forum']!['S']);
    expect(forums.filter((forum, i) => i === 0 || forum !== forums[i - 1])).toHaveLength(4);

    const exact = await api.data('posts', 'scan', { limit: 23 });
    expect(exact.last_evaluated_key).toBeDefined();
    expect(await api.data('posts', 'scan', { limit: 23, exclusive_start_key: exact.last_evaluated_key })).toEqual({ count: 0, scanned_count: 0, items: [] });
    expect(await api.data('posts', 'scan', { select: 'COUNT' })).toEqual({ count: 23, scanned_count: 23 });
    const filtered = await api.data('posts', 'scan', { scan_filter: { author: { comparison_operator: 'EQ', attribute_value_list: [{ S: 'author-0' }] } } });
    expect(filtered.count).toBe(8);
    expect(filtered.scanned_count).toBe(23);
  });

  it('filters a scan with GT in the value type (strings by code point, numbers numerically), after the limit', async () => {
    await api.createTable({
      table_name: 'stamped',
      attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }],
      key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
    });
    await api.waitActive('stamped');
    const items: TypedItem[] = Array.from({ length: 30 }, (_, i) => ({
      id: { S: `item-${String(i).padStart(2, '0')}` },
      at: { S: `2024-01-01T00:00:${String(i).padStart(2, '0')}.000Z` },
      n: { N: String(i * 100) },
    }));
    // The attribute in another type, and missing: neither compares greater (models: same type required).
    items.push({ id: { S: 'numeric-at' }, at: { N: '99999' }, n: { S: 'zzz' } }, { id: { S: 'no-at' } });
    await api.putItems('stamped', items);
    const filtered = async (scan_filter: unknown): Promise<{ ids: string[]; pages: number[] }> => {
      const ids: string[] = [];
      const pages: number[] = [];
      let start: unknown;
      do {
        const page = await api.data('stamped', 'scan', { limit: 7, scan_filter, ...(start ? { exclusive_start_key: start } : {}) });
        if (page.last_evaluated_key) expect(page.scanned_count).toBe(7);
        pages.push(page.count);
        ids.push(...(page.items as TypedItem[]).map((item) => String(item['id']!['S'])));
        start = page.last_evaluated_key;
      } while (start);
      return { ids: ids.sort(), pages };
    };
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `item-${String(from + i).padStart(2, '0')}`);

    // A bare second is a prefix of every spelling of that second, so GT it keeps them all.
    const strings = await filtered({ at: { comparison_operator: 'GT', attribute_value_list: [{ S: '2024-01-01T00:00:20' }] } });
    expect(strings.ids).toEqual(range(20, 30));
    // 32 items in pages of 7: the filter runs on each page read, so pages come back short, some empty, marker kept.
    expect(strings.pages).toHaveLength(5);
    expect(strings.pages.reduce((sum, count) => sum + count, 0)).toBe(10);
    // '1000' < '900' as strings, not as numbers.
    expect((await filtered({ n: { comparison_operator: 'GT', attribute_value_list: [{ N: '900' }] } })).ids).toEqual(range(10, 30));
    expect((await filtered({ n: { comparison_operator: 'GE', attribute_value_list: [{ N: '900.0' }] } })).ids).toEqual(range(9, 30));
    expect((await filtered({ at: { comparison_operator: 'NULL' } })).ids).toEqual(['no-at']);
    expect(
      await api.data('stamped', 'scan', { select: 'COUNT', scan_filter: { at: { comparison_operator: 'GT', attribute_value_list: [{ S: '2024-01-01T00:00:25' }] } } }),
    ).toEqual({
      count: 5,
      scanned_count: 32,
    });
  });

  it('validates conditions like storage/models.py: operators per condition class, argument counts, primitive arguments', async () => {
    const refused = async (action: string, body: unknown): Promise<string> => {
      const answer = await api.call('POST', '/v1/data/items/tables/posts/' + action, body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.type).toBe('ValidationError');
      return answer.body.error.message;
    };
    const author = (comparison_operator: string, attribute_value_list?: unknown[]) => ({
      scan_filter: { author: { comparison_operator, ...(attribute_value_list ? { attribute_value_list } : {}) } },
    });
    expect(await refused('scan', author('GT', [{ S: 'a' }, { S: 'b' }]))).toBe("ScanCondition of type['GT'] requires exactly 1 arguments, but 2 found");
    expect(await refused('scan', author('GT'))).toBe("ScanCondition of type['GT'] requires exactly 1 arguments, but 0 found");
    expect(await refused('scan', author('GT', [{ SS: ['a'] }]))).toBe("ScanCondition of type['GT'] allows only primitive arguments");
    expect(await refused('scan', author('NULL', [{ S: 'a' }]))).toBe("ScanCondition of type['NULL'] requires exactly 0 arguments, but 1 found");
    expect(await refused('scan', author('IN'))).toBe(`ScanCondition of type['IN'] requires from 1 to ${Number.MAX_SAFE_INTEGER} arguments provided, but 0 found`);
    expect(await refused('scan', author('LIKE', [{ S: 'a' }]))).toBe("ScanCondition of type['LIKE'] is not allowed");
    const forum = { comparison_operator: 'EQ', attribute_value_list: [{ S: 'forum-0' }] };
    expect(await refused('query', { key_conditions: { forum, seq: { comparison_operator: 'NE', attribute_value_list: [{ N: '1' }] } } })).toBe(
      "IndexedCondition of type['NE'] is not allowed",
    );
    expect(await refused('query', { key_conditions: { forum, seq: { comparison_operator: 'BEGINS_WITH', attribute_value_list: [] } } })).toBe(
      "IndexedCondition of type['GE'] requires exactly 1 arguments, but 0 found",
    );
    expect((await api.data('posts', 'scan', author('NE', [{ S: 'author-0' }]))).count).toBeGreaterThan(0);
  });

  it('queries a partition by range key and through a local secondary index, both ways, in pages', async () => {
    const forward = await api.data('posts', 'query', {
      key_conditions: {
        forum: { comparison_operator: 'EQ', attribute_value_list: [{ S: 'forum-1' }] },
        seq: { comparison_operator: 'BETWEEN', attribute_value_list: [{ N: '5' }, { N: '17' }] },
      },
    });
    expect(forward.items.map((item: TypedItem) => item['seq']!['N'])).toEqual(['5', '9', '13', '17']);
    const backward = await api.data('posts', 'query', {
      key_conditions: { forum: { comparison_operator: 'EQ', attribute_value_list: [{ S: 'forum-1' }] } },
      scan_index_forward: false,
      limit: 2,
    });
    expect(backward.items.map((item: TypedItem) => item['seq']!['N'])).toEqual(['21', '17']);
    expect(backward.last_evaluated_key).toEqual({ forum: { S: 'forum-1' }, seq: { N: '17' } });
    const next = await api.data('posts', 'query', {
      key_conditions: { forum: { comparison_operator: 'EQ', attribute_value_list: [{ S: 'forum-1' }] } },
      scan_index_forward: false,
      limit: 2,
      exclusive_start_key: backward.last_evaluated_key,
    });
    expect(next.items.map((item: TypedItem) => item['seq']!['N'])).toEqual(['13', '9']);

    const byAuthor = await api.data('posts', 'query', {
      index_name: 'by_author',
      key_conditions: {
        forum: { comparison_operator: 'EQ', attribute_value_list: [{ S: 'forum-0' }] },
        author: { comparison_operator: 'BEGINS_WITH', attribute_value_list: [{ S: 'author-1' }] },
      },
    });
    // INCLUDE projection: table keys, the index key and `title`, not `body`.
    expect(byAuthor.items).toEqual([
      { forum: { S: 'forum-0' }, seq: { N: '4' }, author: { S: 'author-1' }, title: { S: 'forum-0 #4' } },
      { forum: { S: 'forum-0' }, seq: { N: '16' }, author: { S: 'author-1' }, title: { S: 'forum-0 #16' } },
    ]);
    const counted = await api.data('posts', 'query', { select: 'COUNT', key_conditions: { forum: { comparison_operator: 'EQ', attribute_value_list: [{ S: 'forum-2' }] } } });
    expect(counted).toEqual({ count: 6 });
  });

  it('batch-writes puts and deletes, refuses two operations on one key, and leaves a share unprocessed when told to', async () => {
    const twice = await api.call('POST', '/v1/data/items/batch_write_item', {
      request_items: { typed: [{ put_request: { item: { id: { S: 'dup' } } } }, { delete_request: { key: { id: { S: 'dup' } } } }] },
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toContain('More than one operation requested');
    const unknown = await api.call('POST', '/v1/data/items/batch_write_item', { request_items: { nowhere: [] } });
    expect(unknown.status).toBe(404);

    emulator.setOptions({ unprocessedRate: 0.4 });
    const requests = Array.from({ length: 10 }, (_, i) => ({ put_request: { item: { id: { S: `b${i}` } } } }));
    const answer = await api.call('POST', '/v1/data/items/batch_write_item', { request_items: { typed: requests } });
    expect(answer.status).toBe(200);
    expect(answer.body.unprocessed_items.typed).toEqual(requests.slice(6));
    emulator.setOptions({ unprocessedRate: 0 });
    expect((await api.call('POST', '/v1/data/items/batch_write_item', { request_items: { typed: answer.body.unprocessed_items.typed } })).body).toEqual({ unprocessed_items: {} });
    const deleted = await api.call('POST', '/v1/data/items/batch_write_item', { request_items: { typed: [{ delete_request: { key: { id: { S: 'b0' } } } }] } });
    expect(deleted.body).toEqual({ unprocessed_items: {} });
    const ids = (await api.scanAll('typed')).map((item) => item['id']!['S']).filter((id) => String(id).startsWith('b'));
    expect(ids.sort()).toEqual(['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9']);
    expect(emulator.stats().batchWriteSizes.slice(-3)).toEqual([10, 4, 1]);
    expect(emulator.stats().unprocessedReturned).toBe(4);
  });
});
