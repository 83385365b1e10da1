// /indexes routes (routes/indexes/mod.rs): list, create, get, update, delete, stats — and the
// instance-wide GET /stats, which is made of the same index stats.

import { rfc3339OrNull, rfc3339 } from '../rfc3339.ts';
import { allowIndexCreation, isIndexAuthorized } from '../auth.ts';
import type { Engine } from '../engine.ts';
import { assertIndexUid, indexNotFound, invalidApiKey, isValidIndexUid, invalidIndexUid } from '../errors.ts';
import { json, readJsonBody, type Route } from '../http.ts';
import { checkKeys, expectObject, isObject, missingField, optionalString, parseQuery, typeError, unknownField, usizeParam } from '../params.ts';
import type { IndexState } from '../state.ts';

function indexView(uid: string, index: IndexState): Record<string, unknown> {
  return { uid, createdAt: rfc3339(index.createdAt), updatedAt: rfc3339(index.updatedAt), primaryKey: index.primaryKey };
}

function indexStats(engine: Engine, uid: string, index: IndexState): Record<string, unknown> {
  const docs = index.documents;
  const embedders = new Set(Object.keys(isObject(index.settings.embedders) ? index.settings.embedders : {}));
  let embeddings = 0;
  let embedded = 0;
  if (embedders.size > 0) {
    for (const doc of docs.list()) {
      const vectors = doc._vectors;
      if (!isObject(vectors)) continue;
      let any = false;
      for (const [name, value] of Object.entries(vectors)) {
        if (!embedders.has(name)) continue;
        const raw = isObject(value) ? value.embeddings : value;
        const count = Array.isArray(raw) ? (raw.every((x) => typeof x === 'number') ? (raw.length > 0 ? 1 : 0) : raw.length) : 0;
        embeddings += count;
        any ||= count > 0;
      }
      if (any) embedded++;
    }
  }
  const fieldDistribution = Object.fromEntries([...docs.fieldDistribution.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  const raw = docs.rawSize();
  const processing = engine.scheduler.processingBatch;
  return {
    numberOfDocuments: docs.count,
    rawDocumentDbSize: raw,
    avgDocumentSize: docs.count === 0 ? 0 : Math.floor(raw / docs.count),
    isIndexing: processing !== null && processing.tasks.some((t) => 'indexUid' in t.content && t.content.indexUid === uid),
    numberOfEmbeddings: embeddings,
    numberOfEmbeddedDocuments: embedded,
    fieldDistribution,
  };
}

/** `IndexCreateRequest` / `UpdateIndexRequest` primary key: `Option<String>`. */
const primaryKeyField = (value: unknown): string | null => optionalString(value, '.primaryKey', 'invalid_index_primary_key');

export function indexRoutes(engine: Engine): Route[] {
  const lookup = (uid: string): IndexState => {
    const index = engine.indexes.get(assertIndexUid(uid));
    if (!index) throw indexNotFound(uid);
    return index;
  };

  return [
    {
      method: 'GET',
      pattern: '/indexes',
      handler: (req) => {
        const filter = engine.auth(req.headers, 'indexes.get');
        const params = parseQuery(req.search, ['offset', 'limit']);
        const offset = usizeParam(params, 'offset', 'invalid_index_offset') ?? 0;
        const limit = usizeParam(params, 'limit', 'invalid_index_limit') ?? 20;
        const names = engine.indexes.names().filter((uid) => isIndexAuthorized(filter, uid));
        const results = names.slice(offset, offset + limit).map((uid) => indexView(uid, engine.indexes.get(uid)!));
        return json(200, { results, offset, limit, total: names.length });
      },
    },
    {
      method: 'POST',
      pattern: '/indexes',
      handler: (req) => {
        const filter = engine.auth(req.headers, 'indexes.create');
        const body = expectObject(readJsonBody(req), '', 'bad_request');
        let uid: string | undefined;
        let primaryKey: string | null = null;
        // deserr walks the keys in input order, so the first bad key decides the error
        for (const [key, value] of Object.entries(body)) {
          if (key === 'uid') {
            if (typeof value !== 'string') throw typeError('.uid', 'a string', value, 'invalid_index_uid');
            if (!isValidIndexUid(value)) throw invalidIndexUid(value, 'invalid_index_uid', 'Invalid value at `.uid`: ');
            uid = value;
          } else if (key === 'primaryKey') primaryKey = primaryKeyField(value);
          else throw unknownField(key, ['uid', 'primaryKey']);
        }
        if (uid === undefined) throw missingField('uid', 'missing_index_uid');
        if (!allowIndexCreation(filter, uid)) throw invalidApiKey();
        return json(202, engine.enqueue({ type: 'indexCreation', indexUid: uid, primaryKey }, { primaryKey }));
      },
    },
    {
      method: 'GET',
      pattern: '/indexes/:indexUid',
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'indexes.get', indexUid);
        return json(200, indexView(indexUid, lookup(indexUid)));
      },
    },
    {
      method: 'PATCH',
      pattern: '/indexes/:indexUid',
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'indexes.update', indexUid);
        const body = expectObject(readJsonBody(req), '', 'bad_request');
        // `uid` (a rename) exists from v1.18 (UpdateIndexRequest)
        const renames = engine.has('indexRename');
        checkKeys(body, renames ? ['primaryKey', 'uid'] : ['primaryKey']);
        const primaryKey = body.primaryKey === undefined ? null : primaryKeyField(body.primaryKey);
        const newIndexUid = body.uid === undefined || body.uid === null ? undefined : optionalString(body.uid, '.uid', 'invalid_index_uid');
        assertIndexUid(indexUid);
        if (newIndexUid === undefined || newIndexUid === null) return json(202, engine.enqueue({ type: 'indexUpdate', indexUid, primaryKey }, { primaryKey }));
        assertIndexUid(newIndexUid);
        const details = { primaryKey, oldIndexUid: indexUid, newIndexUid };
        return json(202, engine.enqueue({ type: 'indexUpdate', indexUid, primaryKey, newIndexUid }, details));
      },
    },
    {
      method: 'POST',
      pattern: '/indexes/:indexUid/compact',
      handler: (req, { indexUid = '' }) => {
        // v1.23+ (routes/indexes/compact.rs); an unknown route before
        if (!engine.has('indexCompaction')) return { status: 404 };
        engine.auth(req.headers, 'indexes.compact', indexUid);
        assertIndexUid(indexUid);
        return json(202, engine.enqueue({ type: 'indexCompaction', indexUid }, { preCompactionSize: null, postCompactionSize: null }));
      },
    },
    {
      method: 'DELETE',
      pattern: '/indexes/:indexUid',
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'indexes.delete', indexUid);
        assertIndexUid(indexUid);
        return json(202, engine.enqueue({ type: 'indexDeletion', indexUid }, { deletedDocuments: null }));
      },
    },
    {
      method: 'GET',
      pattern: '/indexes/:indexUid/stats',
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'stats.get', indexUid);
        return json(200, indexStats(engine, indexUid, lookup(indexUid)));
      },
    },
    {
      method: 'GET',
      pattern: '/stats',
      handler: (req) => {
        const filter = engine.auth(req.headers, 'stats.get');
        const indexes: Record<string, unknown> = {};
        let size = 0;
        let lastUpdate: Date | null = null;
        for (const uid of engine.indexes.names()) {
          const index = engine.indexes.get(uid)!;
          size += index.documents.rawSize();
          if (!isIndexAuthorized(filter, uid)) continue;
          if (lastUpdate === null || index.updatedAt > lastUpdate) lastUpdate = index.updatedAt;
          indexes[uid] = indexStats(engine, uid, index);
        }
        return json(200, { databaseSize: size, usedDatabaseSize: size, lastUpdate: rfc3339OrNull(lastUpdate), indexes });
      },
    },
  ];
}
