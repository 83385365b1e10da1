// Collections and their documents: CRUD (core_api.cpp `get_collections`, `post_create_collection`,
// `patch_update_collection`, `del_drop_collection`), JSONL export and import with their quirks.

import { setTimeout as sleep } from 'node:timers/promises';
import { writeDocument, type ImportAction } from '../documents.ts';
import { TypesenseError, dump, isObject, json, pageParams, paginate, readObject, sortKeys, type Route } from '../http.ts';
import { parseCollectionSchema, parseField } from '../schema.ts';
import type { StoredCollection, TypesenseState } from '../state.ts';

const ACTIONS = new Set(['create', 'upsert', 'update', 'emplace']);

export function collectionRoutes(state: TypesenseState): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/collections',
      action: 'collections:list',
      handler: (req) => {
        // Unpaginated: newest first. Paginated (offset/limit): insertion order, offset past the end refused.
        const page = pageParams(req);
        const paginated = req.query.has('offset') || req.query.has('limit');
        const ordered = [...state.collections.values()].sort((a, b) => (paginated ? a.id - b.id : b.id - a.id));
        if (paginated && page.offset > 0 && page.offset >= ordered.length) throw new TypesenseError(400, 'Invalid offset param.');
        const summaries = paginate(ordered, page).map((c) => state.summary(c));
        const excluded = (req.query.get('exclude_fields') ?? '').split(',').filter(Boolean);
        for (const summary of summaries) for (const key of excluded) delete summary[key];
        return json(200, summaries);
      },
    },
    {
      method: 'POST',
      pattern: '/collections',
      action: 'collections:create',
      handler: (req) => {
        const schema = parseCollectionSchema(readObject(req), state.major);
        if (state.collections.has(schema.name)) throw new TypesenseError(409, `A collection with name \`${schema.name}\` already exists.`);
        const collection: StoredCollection = {
          id: state.nextCollectionId++,
          createdAt: Math.floor(Date.now() / 1000),
          schema,
          documents: new Map(),
          nextSeqId: 0,
          synonyms: new Map(),
          overrides: new Map(),
        };
        state.collections.set(schema.name, collection);
        state.writes++;
        return json(201, state.summary(collection));
      },
    },
    {
      method: 'GET',
      pattern: '/collections/:collection',
      action: 'collections:get',
      handler: (_req, { collection }) => json(200, state.summary(state.collection(collection!))),
    },
    {
      method: 'PATCH',
      pattern: '/collections/:collection',
      action: 'collections:update',
      handler: (req, { collection: name }) => {
        const body = readObject(req);
        if (Object.keys(body).length === 0) throw new TypesenseError(400, 'Alter payload is empty.');
        const allowed = state.major >= 30 ? ['metadata', 'fields', 'synonym_sets', 'curation_sets'] : ['metadata', 'fields'];
        if (Object.keys(body).some((key) => !allowed.includes(key))) {
          throw new TypesenseError(400, 'Only `fields` and `metadata` can be updated at the moment.');
        }
        const collection = state.collection(name!);
        if ('metadata' in body) {
          if (!isObject(body['metadata'])) throw new TypesenseError(400, 'The `metadata` value should be an object.');
          collection.schema.metadata = body['metadata'];
        }
        if (Array.isArray(body['fields'])) alterFields(collection, body['fields']);
        // v30 `update_synonym_sets` / `update_curation_sets`: the attached sets are replaced as given.
        for (const key of ['synonym_sets', 'curation_sets'] as const) {
          if (!(key in body)) continue;
          const names = body[key];
          if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) throw new TypesenseError(400, `The \`${key}\` value should be an array of strings.`);
          collection.schema[key] = names as string[];
        }
        state.writes++;
        return json(200, body);
      },
    },
    {
      method: 'DELETE',
      pattern: '/collections/:collection',
      action: 'collections:delete',
      handler: (_req, { collection: name }) => {
        const collection = state.resolve(name!);
        if (collection === undefined) throw new TypesenseError(404, `No collection with name \`${name}\` found.`);
        const summary = state.summary(collection);
        // Dropping through an alias drops the aliased collection; the alias itself stays (dangling).
        state.collections.delete(collection.schema.name);
        state.writes++;
        return json(200, summary);
      },
    },
    {
      method: 'GET',
      pattern: '/collections/:collection/documents/export',
      action: 'documents:export',
      handler: (req, { collection: name }) => {
        const collection = state.collection(name!);
        if (req.query.has('filter_by')) throw new TypesenseError(400, 'This emulator does not support `filter_by` on export.');
        const include = (req.query.get('include_fields') ?? '').split(',').filter(Boolean);
        const exclude = new Set((req.query.get('exclude_fields') ?? '').split(',').filter(Boolean));
        const batchSize = /^\d+$/.test(req.query.get('batch_size') ?? '') ? Math.max(1, Number(req.query.get('batch_size'))) : 100;
        const project = (document: Record<string, unknown>): Record<string, unknown> =>
          Object.fromEntries(Object.entries(document).filter(([key]) => (include.length === 0 || include.includes(key)) && !exclude.has(key)));
        // The scan reads a snapshot; with include/exclude fields each document's id is looked up live as well.
        const pruned = include.length > 0 || exclude.size > 0;
        const live = pruned ? (document: Record<string, unknown>) => collection.documents.has(String(document['id'])) : null;
        return { status: 200, chunks: exportChunks(state, collection.schema.name, [...collection.documents.values()], batchSize, project, live) };
      },
    },
    {
      method: 'POST',
      pattern: '/collections/:collection/documents/import',
      action: 'documents:import',
      handler: async (req, { collection: name }) => {
        const action = req.query.get('action') ?? 'create';
        const batchSize = req.query.get('batch_size') ?? '40';
        if (!/^\d+$/.test(batchSize) || Number(batchSize) === 0) throw new TypesenseError(400, 'Parameter `batch_size` must be a positive integer.');
        if (!ACTIONS.has(action)) throw new TypesenseError(400, 'Parameter `action` must be a create|update|upsert.');
        for (const flag of ['return_doc', 'return_id']) {
          const value = req.query.get(flag) ?? 'false';
          if (value !== 'true' && value !== 'false') throw new TypesenseError(400, `Parameter \`${flag}\` must be a true|false.`);
        }
        state.collection(name!);
        if (state.settings.importDelayMs > 0) await sleep(state.settings.importDelayMs);
        // Looked up again: the collection may have been dropped while this request waited.
        const collection = state.collection(name!);
        const options = { action: action as ImportAction, dirtyValues: req.query.get('dirty_values') ?? '', refuse: state.settings.importFailure };
        const returnDoc = req.query.get('return_doc') === 'true';
        const returnId = req.query.get('return_id') === 'true';
        const lines = req.body
          .toString('utf8')
          .split('\n')
          .filter((line) => line.length > 0);
        const results = lines.map((line) => {
          try {
            const document = writeDocument(collection, line, options);
            return dump({ success: true, ...(returnId ? { id: document['id'] } : {}), ...(returnDoc ? { document } : {}) });
          } catch (error) {
            if (!(error instanceof TypesenseError)) throw error;
            // v28+ echoes the input line only with return_doc=true; v27 and older always do.
            const echo = returnDoc || state.major < 28;
            return dump({ success: false, error: error.message, code: error.status, ...(echo ? { document: line } : {}) });
          }
        });
        if (lines.length > 0) state.writes++;
        return { status: 200, text: results.join('\n') };
      },
    },
    {
      method: 'GET',
      pattern: '/collections/:collection/documents/:id',
      action: 'documents:get',
      handler: (_req, { collection: name, id }) => {
        const document = state.collection(name!).documents.get(id!);
        if (document === undefined) throw new TypesenseError(404, 'Could not find a document with id: ' + id);
        return json(200, sortKeys(document));
      },
    },
    {
      method: 'DELETE',
      pattern: '/collections/:collection/documents/:id',
      action: 'documents:delete',
      handler: (_req, { collection: name, id }) => {
        // `del_remove_document`: answers the document it removed.
        const collection = state.collection(name!);
        const document = collection.documents.get(id!);
        if (document === undefined) throw new TypesenseError(404, 'Could not find a document with id: ' + id);
        collection.documents.delete(id!);
        state.writes++;
        return json(200, sortKeys(document));
      },
    },
  ];
}

/**
 * Batches of JSON lines joined by "\n", with no newline after the last document. `live` (include/exclude
 * fields given) looks each id up outside the scan's snapshot, as `get_export_documents` does; a document
 * deleted meanwhile is "Not found.": from v30 an error line in its place and the export goes on, before v30
 * the export ends there with `{"message": "Not found."}` as its last chunk (typesense/typesense c79fdbca).
 */
async function* exportChunks(
  state: TypesenseState,
  name: string,
  documents: Record<string, unknown>[],
  batchSize: number,
  project: (document: Record<string, unknown>) => Record<string, unknown>,
  live: ((document: Record<string, unknown>) => boolean) | null,
): AsyncGenerator<string> {
  for (let start = 0; start < documents.length; start += batchSize) {
    if (state.settings.exportDelayMs > 0) await sleep(state.settings.exportDelayMs);
    await state.settings.beforeExportBatch?.(name, start / batchSize);
    const lines: string[] = [];
    for (const document of documents.slice(start, start + batchSize)) {
      if (live === null || live(document)) {
        lines.push(dump(project(document)));
        continue;
      }
      const error = `Error while getting seq_id of \`${String(document['id'])}\`: Not found.`;
      if (state.major >= 30) {
        lines.push(error);
        continue;
      }
      yield (start === 0 ? '' : '\n') + lines.map((line) => `${line}\n`).join('') + '{"message": "Not found."}';
      return;
    }
    yield start === 0 ? lines.join('\n') : '\n' + lines.join('\n');
  }
}

/** PATCH `fields`: `{name, drop: true}` drops a field, anything else adds one. */
function alterFields(collection: StoredCollection, changes: unknown[]): void {
  for (const change of changes) {
    if (isObject(change) && change['drop'] === true && typeof change['name'] === 'string') {
      const before = collection.schema.fields.length;
      collection.schema.fields = collection.schema.fields.filter((field) => field.name !== change['name']);
      if (collection.schema.fields.length === before) throw new TypesenseError(400, `Field \`${change['name']}\` is not part of collection schema.`);
      continue;
    }
    const field = parseField(change);
    if (collection.schema.fields.some((existing) => existing.name === field.name)) {
      throw new TypesenseError(400, `Field \`${field.name}\` is already part of the schema: To change this field, drop it first before adding it back to the schema.`);
    }
    // The alter validates the stored documents against a new required field.
    const required = field.optional !== true && field.store !== false && !('embed' in field) && field.type !== 'auto';
    if (required && [...collection.documents.values()].some((document) => !(field.name in document))) {
      throw new TypesenseError(400, `Field \`${field.name}\` has been declared in the schema, but is not found in the document.`);
    }
    collection.schema.fields.push(field);
  }
}
