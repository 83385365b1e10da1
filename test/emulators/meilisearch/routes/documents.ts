// /indexes/:indexUid/documents routes (routes/indexes/documents.rs). Reads are synchronous against
// the current index state; writes enqueue tasks whose payload was checked at request time.

import { setTimeout as sleep } from 'node:timers/promises';
import { allowIndexCreation } from '../auth.ts';
import { documentView } from '../documents.ts';
import { parseDocumentsPayload, payloadFormat } from '../payload.ts';
import type { Engine } from '../engine.ts';
import { MeiliError, assertIndexUid, indexNotFound } from '../errors.ts';
import { compileFilter } from '../filter.ts';
import { json, readJsonBody, type EmulatorRequest, type Route } from '../http.ts';
import {
  boolParam,
  boolean,
  expectObject,
  invalidParam,
  isObject,
  listParam,
  missingField,
  parseQuery,
  stringArray,
  typeError,
  unknownField,
  unsignedInteger,
  usizeParam,
} from '../params.ts';
import type { Doc, IndexState } from '../state.ts';

interface BrowseQuery {
  offset: number;
  limit: number;
  fields: string[] | null;
  retrieveVectors: boolean;
  ids: unknown[] | null;
  filter: unknown;
  sort: string[] | null;
}

const invalidIdMessage = (value: unknown): string =>
  `Document identifier \`${JSON.stringify(value)}\` is invalid. A document identifier can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.`;

/** `ExternalDocumentId::try_from(Value)` for the `ids` browse parameter. */
function externalIds(ids: readonly unknown[]): string[] {
  return ids.map((id, i) => {
    if (typeof id === 'string' && /^[A-Za-z0-9_-]{1,511}$/.test(id)) return id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
    throw new MeiliError('invalid_document_ids', `In \`.ids[${i}]\`: ${invalidIdMessage(id)}`);
  });
}

interface SortRule {
  attr: string;
  desc: boolean;
}

function sortRules(sort: readonly string[]): SortRule[] {
  return sort.map((s) => {
    const m = /^(.+):(asc|desc)$/.exec(s);
    if (!m) throw new MeiliError('invalid_document_sort', `Invalid syntax for the sort parameter: expected expression ending by \`:asc\` or \`:desc\`, found \`${s}\`.`);
    return { attr: m[1]!, desc: m[2] === 'desc' };
  });
}

/** Facet order: numbers (ascending) before strings (lexicographic); documents without the field last. */
function compareBy(rules: readonly SortRule[]) {
  const key = (doc: Doc, attr: string): number | string | undefined => {
    const v = doc[attr];
    return typeof v === 'number' || typeof v === 'string' ? v : undefined;
  };
  return (a: Doc, b: Doc): number => {
    for (const { attr, desc } of rules) {
      const x = key(a, attr);
      const y = key(b, attr);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const order = typeof x === typeof y ? (x < y ? -1 : 1) : typeof x === 'number' ? -1 : 1;
      return desc ? -order : order;
    }
    return 0;
  };
}

/** `documents_by_query` + `retrieve_documents`. */
async function browse(engine: Engine, indexUid: string, query: BrowseQuery): Promise<Record<string, unknown>> {
  assertIndexUid(indexUid);
  const ids = query.ids === null ? null : new Set(externalIds(query.ids));
  const rules = query.sort === null ? null : sortRules(query.sort);
  // lets tests stop a gateway in the middle of a backup
  if (engine.options.documentsDelayMs > 0) await sleep(engine.options.documentsDelayMs);
  const index = engine.indexes.get(indexUid);
  if (!index) throw indexNotFound(indexUid);
  const predicate = query.filter === null || query.filter === undefined ? null : compileFilter(query.filter, index.settings.filterableAttributes);
  if (rules) {
    const sortable = (index.settings.sortableAttributes as string[]) ?? [];
    for (const { attr } of rules) {
      if (!sortable.includes(attr)) {
        const hint = sortable.length === 0 ? 'This index does not have configured sortable attributes.' : `Available sortable attributes are: \`${sortable.join(', ')}\`.`;
        throw new MeiliError('invalid_document_sort', `Attribute \`${attr}\` is not sortable. ${hint}`);
      }
    }
  }
  let candidates: readonly Doc[] = index.documents.list();
  const primaryKey = index.primaryKey;
  if (ids !== null) candidates = primaryKey === null ? [] : candidates.filter((doc) => ids.has(String(doc[primaryKey])));
  if (predicate !== null) candidates = candidates.filter(predicate);
  if (rules) candidates = [...candidates].sort(compareBy(rules));
  const embedders = embedderNames(index);
  const results = candidates.slice(query.offset, query.offset + query.limit).map((doc) => documentView(doc, query.fields, query.retrieveVectors, embedders));
  return { results, offset: query.offset, limit: query.limit, total: candidates.length };
}

function embedderNames(index: IndexState): Set<string> {
  return new Set(Object.keys(isObject(index.settings.embedders) ? index.settings.embedders : {}));
}

const anyString = (raw: string) => ({ ok: true as const, value: raw });

/** The JSON body of POST /documents/fetch (`BrowseQuery`), keys checked in input order. */
function browseBody(body: unknown): BrowseQuery {
  const obj = expectObject(body, '', 'bad_request');
  const query: BrowseQuery = { offset: 0, limit: 20, fields: null, retrieveVectors: false, ids: null, filter: null, sort: null };
  const accepted = ['offset', 'limit', 'fields', 'retrieveVectors', 'ids', 'filter', 'sort'];
  for (const [key, value] of Object.entries(obj)) {
    switch (key) {
      case 'offset':
        query.offset = unsignedInteger(value, '.offset', 'invalid_document_offset');
        break;
      case 'limit':
        query.limit = unsignedInteger(value, '.limit', 'invalid_document_limit');
        break;
      case 'fields':
        query.fields = value === null ? null : stringArray(value, '.fields', 'invalid_document_fields');
        break;
      case 'retrieveVectors':
        query.retrieveVectors = boolean(value, '.retrieveVectors', 'invalid_document_retrieve_vectors');
        break;
      case 'ids':
        if (value !== null && !Array.isArray(value)) throw typeError('.ids', 'an array', value, 'invalid_document_ids');
        query.ids = value;
        break;
      case 'filter':
        query.filter = value;
        break;
      case 'sort':
        query.sort = value === null ? null : stringArray(value, '.sort', 'invalid_document_sort');
        break;
      default:
        throw unknownField(key, accepted);
    }
  }
  return query;
}

function csvDelimiterParam(params: Map<string, string>): string | undefined {
  const raw = params.get('csvDelimiter');
  if (raw === undefined) return undefined;
  const chars = [...raw];
  if (chars.length !== 1) {
    const found = chars.length === 0 ? 'an empty string' : `the following string of ${chars.length} characters: \`${raw}\``;
    throw invalidParam('csvDelimiter', `expected a string of one character, but found ${found}`, 'invalid_document_csv_delimiter');
  }
  if (raw.charCodeAt(0) > 127) throw new MeiliError('invalid_document_csv_delimiter', `csv delimiter must be an ascii character. Found: \`${raw}\``);
  return raw;
}

/** POST (replace) and PUT (update) share `document_addition`. */
function addDocuments(engine: Engine, req: EmulatorRequest, indexUid: string, method: 'replace' | 'update') {
  const filter = engine.auth(req.headers, 'documents.add', indexUid);
  const accepted = ['primaryKey', 'csvDelimiter'];
  if (engine.has('customMetadata')) accepted.push('customMetadata');
  if (engine.has('skipCreation')) accepted.push('skipCreation');
  const params = parseQuery(req.search, accepted);
  const primaryKey = params.get('primaryKey');
  const delimiter = csvDelimiterParam(params);
  const skipCreation = boolParam(params, 'skipCreation', 'invalid_skip_creation');
  assertIndexUid(indexUid);
  const format = payloadFormat(req, delimiter);
  const documents = parseDocumentsPayload(req, format, delimiter);
  const content = { type: 'documentAdditionOrUpdate' as const, indexUid, method, documents, primaryKey, allowIndexCreation: allowIndexCreation(filter, indexUid), skipCreation };
  return json(202, engine.enqueue(content, { receivedDocuments: documents.length, indexedDocuments: null }, params.get('customMetadata')));
}

/** actix `web::Json<Vec<Value>>`: a non-array body is a serde data error (`bad_request`). */
function idsBody(body: unknown): string[] {
  if (!Array.isArray(body)) {
    const kind =
      body === null
        ? 'null'
        : typeof body === 'string'
          ? `string ${JSON.stringify(body)}`
          : typeof body === 'object'
            ? 'map'
            : `${typeof body === 'number' ? (Number.isInteger(body) ? 'integer' : 'floating point') : 'boolean'} \`${String(body)}\``;
    const column = JSON.stringify(body).length;
    throw new MeiliError('bad_request', `Json deserialize error: invalid type: ${kind}, expected a sequence at line 1 column ${column}`);
  }
  return body.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}

export function documentRoutes(engine: Engine): Route[] {
  const base = '/indexes/:indexUid/documents';
  return [
    {
      method: 'GET',
      pattern: base,
      handler: async (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'documents.get', indexUid);
        const params = parseQuery(req.search, ['offset', 'limit', 'fields', 'retrieveVectors', 'ids', 'filter', 'sort']);
        const rawFilter = params.get('filter');
        let filter: unknown = rawFilter;
        if (rawFilter !== undefined) {
          try {
            filter = JSON.parse(rawFilter) as unknown;
          } catch {
            filter = rawFilter;
          }
        }
        const query: BrowseQuery = {
          offset: usizeParam(params, 'offset', 'invalid_document_offset') ?? 0,
          limit: usizeParam(params, 'limit', 'invalid_document_limit') ?? 20,
          fields: listParam(params, 'fields', 'invalid_document_fields', anyString) ?? null,
          retrieveVectors: boolParam(params, 'retrieveVectors', 'invalid_document_retrieve_vectors') ?? false,
          ids: params.has('ids') ? (params.get('ids') ?? '').split(',') : null,
          filter: filter ?? null,
          sort: params.has('sort') ? (params.get('sort') ?? '').split(',') : null,
        };
        return json(200, await browse(engine, indexUid, query));
      },
    },
    { method: 'POST', pattern: base, handler: (req, { indexUid = '' }) => addDocuments(engine, req, indexUid, 'replace') },
    { method: 'PUT', pattern: base, handler: (req, { indexUid = '' }) => addDocuments(engine, req, indexUid, 'update') },
    {
      method: 'DELETE',
      pattern: base,
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'documents.delete', indexUid);
        assertIndexUid(indexUid);
        return json(202, engine.enqueue({ type: 'documentDeletion', indexUid, op: 'clear' }, { deletedDocuments: null }, engine.customMetadata(req.search)));
      },
    },
    {
      method: 'POST',
      pattern: `${base}/delete-batch`,
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'documents.delete', indexUid);
        const ids = idsBody(readJsonBody(req));
        assertIndexUid(indexUid);
        return json(
          202,
          engine.enqueue(
            { type: 'documentDeletion', indexUid, op: 'ids', ids },
            { providedIds: ids.length, deletedDocuments: null, originalFilter: null },
            engine.customMetadata(req.search),
          ),
        );
      },
    },
    {
      method: 'POST',
      pattern: `${base}/delete`,
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'documents.delete', indexUid);
        const body = expectObject(readJsonBody(req), '', 'bad_request');
        for (const key of Object.keys(body)) if (key !== 'filter') throw unknownField(key, ['filter']);
        if (!('filter' in body)) throw missingField('filter', 'missing_document_filter');
        assertIndexUid(indexUid);
        const predicate = compileFilter(body.filter, undefined);
        if (predicate === null) throw new MeiliError('invalid_document_filter', 'Sending an empty filter is forbidden.');
        const details = { providedIds: 0, deletedDocuments: null, originalFilter: JSON.stringify(body.filter) };
        return json(202, engine.enqueue({ type: 'documentDeletion', indexUid, op: 'filter', filter: body.filter }, details, engine.customMetadata(req.search)));
      },
    },
    {
      method: 'POST',
      pattern: `${base}/edit`,
      handler: (req, { indexUid = '' }) => {
        // the engine asks for `documents.*`; the emulator's route actions are concrete, `documents.add` is the closest
        engine.auth(req.headers, 'documents.add', indexUid);
        if (!engine.enabled('editDocumentsByFunction')) {
          throw new MeiliError(
            'feature_not_enabled',
            'Using the documents edit route requires enabling the `edit documents by function` experimental feature. See https://github.com/orgs/meilisearch/discussions/762',
          );
        }
        // Rhai functions are not evaluated here (see README: known differences)
        throw new MeiliError('feature_not_enabled', 'Editing documents with a Rhai function is not emulated: this Meilisearch emulator cannot run the function.');
      },
    },
    {
      method: 'POST',
      pattern: `${base}/fetch`,
      handler: async (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'documents.get', indexUid);
        return json(200, await browse(engine, indexUid, browseBody(readJsonBody(req))));
      },
    },
    {
      method: 'GET',
      pattern: `${base}/:documentId`,
      handler: (req, { indexUid = '', documentId = '' }) => {
        engine.auth(req.headers, 'documents.get', indexUid);
        const params = parseQuery(req.search, ['fields', 'retrieveVectors']);
        const fields = listParam(params, 'fields', 'invalid_document_fields', anyString) ?? null;
        const retrieveVectors = boolParam(params, 'retrieveVectors', 'invalid_document_retrieve_vectors') ?? false;
        assertIndexUid(indexUid);
        const index = engine.indexes.get(indexUid);
        if (!index) throw indexNotFound(indexUid);
        const doc = index.documents.get(documentId);
        if (!doc) throw new MeiliError('document_not_found', `Document \`${documentId}\` not found.`);
        return json(200, documentView(doc, fields, retrieveVectors, embedderNames(index)));
      },
    },
    {
      method: 'DELETE',
      pattern: `${base}/:documentId`,
      handler: (req, { indexUid = '', documentId = '' }) => {
        engine.auth(req.headers, 'documents.delete', indexUid);
        assertIndexUid(indexUid);
        return json(
          202,
          engine.enqueue(
            { type: 'documentDeletion', indexUid, op: 'ids', ids: [documentId] },
            { providedIds: 1, deletedDocuments: null, originalFilter: null },
            engine.customMetadata(req.search),
          ),
        );
      },
    },
  ];
}
