// Item operations of the data API: put/get/delete_item, scan, query and batch_write_item, with MagnetoDB's
// paging rule (last_evaluated_key whenever a page is exactly `limit` long) and Cassandra-like scan order.
import { parseConditions, parseExpected, satisfies, type ConditionMap } from './conditions.ts';
import {
  MagnetoError,
  rejectUnexpected,
  requireAttributeName,
  requireBoolean,
  requireInteger,
  requireIndexName,
  requireList,
  requireObject,
  requireString,
  requireTableName,
} from './errors.ts';
import type { Table, TableStore } from './tables.ts';
import { compareValues, parseItem, type Item, type TypedValue } from './values.ts';

type Body = Record<string, unknown>;

const SELECT_TYPES = new Set(['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT']);

/** Cassandra returns partitions in token order: an FNV-1a hash of the hash key stands in for the token. */
function token(value: TypedValue | undefined): number {
  let hash = 0x811c9dc5;
  for (const char of JSON.stringify(value)) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

function compareOptional(a: TypedValue | undefined, b: TypedValue | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareValues(a, b);
}

function scanCompare(table: Table, a: Item, b: Item): number {
  const hash = table.hashKey;
  return token(a[hash]) - token(b[hash]) || compareOptional(a[hash], b[hash]) || (table.rangeKey === undefined ? 0 : compareOptional(a[table.rangeKey], b[table.rangeKey]));
}

function project(item: Item, attributes: readonly string[] | null): Item {
  if (attributes === null) return structuredClone(item);
  return Object.fromEntries(attributes.filter((name) => item[name] !== undefined).map((name) => [name, structuredClone(item[name]!)]));
}

function readSelect(body: Body, onIndex: boolean): { select: string; attributes: string[] | null } {
  const { attributes_to_get, select } = body;
  const attributes = attributes_to_get ? requireList(attributes_to_get, 'attributes_to_get').map(requireAttributeName) : null;
  const chosen = select === undefined ? (attributes ? 'SPECIFIC_ATTRIBUTES' : onIndex ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES') : requireString(select, 'select');
  if (!SELECT_TYPES.has(chosen)) throw MagnetoError.validation(`Select type '${chosen}' isn't recognized`);
  if ((chosen === 'SPECIFIC_ATTRIBUTES') !== (attributes !== null)) throw MagnetoError.validation(`Select type '${chosen}' doesn't match attributes_to_get`);
  return { select: chosen, attributes };
}

function readLimit(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : requireInteger(value, 'limit', 0) || undefined;
}

export function putItem(table: Table, body: Body): Body {
  const { item, expected = {}, return_values = 'NONE', time_to_live, ...rest } = requireObject(body, 'body');
  const conditions = parseExpected(expected);
  const parsed = parseItem(requireObject(item, 'item'));
  const returnValues = requireString(return_values, 'return_values');
  if (returnValues !== 'NONE' && returnValues !== 'ALL_OLD') throw MagnetoError.validation(`Return values type '${returnValues}' isn't allowed`);
  // Validated, then ignored: put_item.py never hands time_to_live to storage.
  if (time_to_live !== undefined && time_to_live !== null) requireInteger(time_to_live, 'time_to_live', 0);
  rejectUnexpected(rest, 'body');
  table.requireActive();
  table.validateAttributes(parsed, false);
  const key = table.keyString(parsed);
  const old = table.items.get(key);
  if (!satisfies(old, conditions)) throw new MagnetoError('ConditionalCheckFailedException', 'The conditional request failed');
  table.items.set(key, parsed);
  return returnValues === 'ALL_OLD' && old !== undefined ? { attributes: old } : {};
}

export function getItem(table: Table, body: Body): Body {
  const { key, attributes_to_get, consistent_read = false, ...rest } = requireObject(body, 'body');
  const attributes = attributes_to_get ? requireList(attributes_to_get, 'attributes_to_get').map(requireAttributeName) : null;
  if (attributes !== null && new Set(attributes).size !== attributes.length)
    throw MagnetoError.validation(`Wrong 'attributes_to_get' type. List of unique values is expected, but ${JSON.stringify(attributes)} found`);
  requireBoolean(consistent_read, 'consistent_read');
  rejectUnexpected(rest, 'body');
  const parsedKey = parseItem(requireObject(key, 'key'), 'key');
  table.requireActive();
  table.validateAttributes(parsedKey, true);
  const found = table.items.get(table.keyString(parsedKey));
  return found === undefined ? {} : { item: project(found, attributes) };
}

export function deleteItem(table: Table, body: Body): Body {
  const { key, expected = {}, return_values = 'NONE', ...rest } = requireObject(body, 'body');
  const conditions = parseExpected(expected);
  const parsedKey = parseItem(requireObject(key, 'key'), 'key');
  const returnValues = requireString(return_values, 'return_values');
  rejectUnexpected(rest, 'body');
  table.requireActive();
  table.validateAttributes(parsedKey, true);
  const keyString = table.keyString(parsedKey);
  const old = table.items.get(keyString);
  if (!satisfies(old, conditions)) throw new MagnetoError('ConditionalCheckFailedException', 'The conditional request failed');
  table.items.delete(keyString);
  return returnValues === 'ALL_OLD' && old !== undefined ? { attributes: old } : {};
}

/** One page of items after `start` (exclusive), and the marker MagnetoDB adds when the page is full. */
function page(items: Item[], limit: number | undefined, markerOf: (item: Item) => Item): { items: Item[]; lastEvaluatedKey?: Item } {
  const taken = limit === undefined ? items : items.slice(0, limit);
  return limit !== undefined && taken.length === limit ? { items: taken, lastEvaluatedKey: markerOf(taken.at(-1)!) } : { items: taken };
}

export function scan(table: Table, body: Body): Body {
  const { limit, exclusive_start_key, scan_filter, segment = 0, total_segments = 1, attributes_to_get, select, ...rest } = requireObject(body, 'body');
  const selection = readSelect({ attributes_to_get, select }, false);
  const max = readLimit(limit);
  const start = exclusive_start_key === undefined || exclusive_start_key === null ? null : parseItem(requireObject(exclusive_start_key, 'exclusive_start_key'));
  const filter: ConditionMap = scan_filter ? parseConditions(scan_filter, 'scan_filter', 'ScanCondition') : new Map();
  const segments = requireInteger(total_segments, 'total_segments', 1, 4096);
  requireInteger(segment, 'segment', 0, segments); // validated, never used by storage
  rejectUnexpected(rest, 'body');
  table.requireActive();
  if (start !== null) table.validateAttributes(start, true);

  const ordered = [...table.items.values()].sort((a, b) => scanCompare(table, a, b));
  const after = start === null ? ordered : ordered.filter((item) => scanCompare(table, item, start) > 0);
  const selected = page(after, max, (item) => table.keyOf(item));
  const matching = selected.items.filter((item) => satisfies(item, filter));
  const response: Body = { count: matching.length, scanned_count: selected.items.length };
  if (selection.select !== 'COUNT') response['items'] = matching.map((item) => project(item, selection.attributes));
  if (selected.lastEvaluatedKey) response['last_evaluated_key'] = selected.lastEvaluatedKey;
  return response;
}

export function query(table: Table, body: Body): Body {
  const { key_conditions, index_name, exclusive_start_key, limit, scan_index_forward, consistent_read = false, attributes_to_get, select, ...rest } = requireObject(body, 'body');
  const indexName = index_name === undefined || index_name === null ? undefined : requireIndexName(index_name);
  const selection = readSelect({ attributes_to_get, select }, indexName !== undefined);
  const conditions = parseConditions(key_conditions, 'key_conditions', 'IndexedCondition');
  requireBoolean(consistent_read, 'consistent_read');
  const forward = scan_index_forward === undefined || scan_index_forward === null ? true : requireBoolean(scan_index_forward, 'scan_index_forward');
  const max = readLimit(limit);
  const start = exclusive_start_key === undefined || exclusive_start_key === null ? null : parseItem(requireObject(exclusive_start_key, 'exclusive_start_key'));
  rejectUnexpected(rest, 'body');
  table.requireActive();
  const index = indexName === undefined ? undefined : table.indexes.get(indexName);
  if (indexName !== undefined && index === undefined) throw MagnetoError.validation(`Index '${indexName}' doesn't exist for table '${table.name}'`);
  const hashCondition = conditions.get(table.hashKey);
  if (hashCondition?.length !== 1 || hashCondition[0]!.op !== 'EQ') throw MagnetoError.validation(`Hash key '${table.hashKey}' condition must be EQ`);
  const sortKey = index?.rangeKey ?? table.rangeKey;
  for (const attribute of conditions.keys()) {
    if (attribute !== table.hashKey && attribute !== sortKey) throw MagnetoError.validation(`Attribute '${attribute}' is not a key attribute of '${indexName ?? table.name}'`);
  }
  if (start !== null) table.validateAttributes(start, true, indexName);

  const compare = (a: Item, b: Item): number =>
    (sortKey === undefined ? 0 : compareOptional(a[sortKey], b[sortKey])) ||
    (table.rangeKey === undefined || table.rangeKey === sortKey ? 0 : compareOptional(a[table.rangeKey], b[table.rangeKey]));
  const direction = forward ? 1 : -1;
  const ordered = [...table.items.values()]
    .filter((item) => satisfies(item, conditions) && (sortKey === undefined || item[sortKey] !== undefined))
    .sort((a, b) => direction * compare(a, b));
  const after = start === null ? ordered : ordered.filter((item) => direction * compare(item, start) > 0);
  const marker = (item: Item): Item => ({ ...table.keyOf(item), ...(index ? { [index.rangeKey]: item[index.rangeKey]! } : {}) });
  const selected = page(after, max, marker);
  const projected =
    selection.select === 'ALL_PROJECTED_ATTRIBUTES' && index && index.projected !== null ? [...new Set([...table.keys, index.rangeKey, ...index.projected])] : selection.attributes;
  const response: Body = { count: selected.items.length };
  if (selection.select !== 'COUNT') response['items'] = selected.items.map((item) => project(item, projected));
  if (selected.lastEvaluatedKey) response['last_evaluated_key'] = selected.lastEvaluatedKey;
  return response;
}

interface WriteRequest {
  table: Table;
  kind: 'put_request' | 'delete_request';
  attributes: Item;
}

/**
 * Everything is validated before anything is written; then a `unprocessedRate` share of the requests
 * (the last ones, rounded down) is left undone and returned, as a loaded Cassandra would.
 */
export function batchWriteItem(store: TableStore, project: string, body: Body, unprocessedRate: number): Body {
  const { request_items, ...rest } = requireObject(body, 'body');
  const requestItems = requireObject(request_items, 'request_items');
  rejectUnexpected(rest, 'body');
  const requests: WriteRequest[] = [];
  for (const [tableName, list] of Object.entries(requestItems)) {
    requireTableName(tableName);
    const table = store.get(project, tableName);
    const seen = new Set<string>();
    for (const entry of requireList(list, tableName)) {
      for (const [kind, raw] of Object.entries(requireObject(entry, tableName))) {
        if (kind !== 'put_request' && kind !== 'delete_request') throw MagnetoError.validation(`Unsupported request type found: ${kind}`);
        const { item, key, ...requestRest } = requireObject(raw, kind);
        const attributes = parseItem(requireObject(kind === 'put_request' ? item : key, kind === 'put_request' ? 'item' : 'key'));
        rejectUnexpected(requestRest, kind);
        table.requireActive();
        table.validateAttributes(attributes, kind === 'delete_request');
        const keyString = table.keyString(attributes);
        if (seen.has(keyString)) {
          throw MagnetoError.validation(`Can't execute request: More than one operation requested for item with keys ${keyString} in table '${table.name}'`);
        }
        seen.add(keyString);
        requests.push({ table, kind, attributes });
      }
    }
  }
  const unprocessedCount = Math.floor(requests.length * Math.min(Math.max(unprocessedRate, 0), 1));
  const processed = requests.slice(0, requests.length - unprocessedCount);
  for (const request of processed) {
    if (request.kind === 'put_request') request.table.items.set(request.table.keyString(request.attributes), request.attributes);
    else request.table.items.delete(request.table.keyString(request.attributes));
  }
  const unprocessed: Record<string, Body[]> = {};
  for (const request of requests.slice(processed.length)) {
    const body = request.kind === 'put_request' ? { put_request: { item: request.attributes } } : { delete_request: { key: request.attributes } };
    (unprocessed[request.table.name] ??= []).push(body);
  }
  return { unprocessed_items: unprocessed };
}
