// Document operations as milli performs them when a task runs — primary key inference and id
// validation (guess_primary_key.rs, documents/primary_key.rs) — and the read-side shaping of
// documents (`_vectors` handling, permissive_json_pointer field selection).

import { MeiliError } from './errors.ts';
import { isObject } from './params.ts';
import type { Doc, IndexState } from './state.ts';

const invalidId = (value: unknown): MeiliError =>
  new MeiliError(
    'invalid_document_id',
    `Document identifier \`${JSON.stringify(value)}\` is invalid. A document identifier can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.`,
  );

/** `validate_document_id_value`. */
function documentId(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length === 0 || Buffer.byteLength(value) >= 512 || !/^[A-Za-z0-9_-]+$/.test(value)) throw invalidId(value);
    return value;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw invalidId(value);
}

/** Values a (possibly nested, dot-separated) primary key points at in a document. */
function primaryKeyValues(doc: Doc, primaryKey: string): unknown[] {
  if (!primaryKey.includes('.')) return primaryKey in doc ? [doc[primaryKey]] : [];
  const found: unknown[] = [];
  const walk = (obj: Doc, prefix: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (path === primaryKey) found.push(value);
      else if (primaryKey.startsWith(`${path}.`) && isObject(value)) walk(value, path);
    }
  };
  walk(doc, '');
  return found;
}

function extractId(doc: Doc, primaryKey: string): string {
  const values = primaryKeyValues(doc, primaryKey);
  if (values.length === 0) throw new MeiliError('missing_document_id', `Document doesn't have a \`${primaryKey}\` attribute: \`${JSON.stringify(doc)}\`.`);
  if (values.length > 1) throw new MeiliError('invalid_document_id', `Document have too many matching \`${primaryKey}\` attribute: \`${JSON.stringify(doc)}\`.`);
  return documentId(values[0]);
}

/** `retrieve_or_guess_primary_key`; null means "no candidate, but tolerated" (empty payload). */
function resolvePrimaryKey(index: IndexState, fromOperation: string | undefined, first: Doc | undefined): string | null {
  if (index.primaryKey !== null) {
    if (fromOperation !== undefined && fromOperation !== index.primaryKey) {
      throw new MeiliError('index_primary_key_already_exists', `Index already has a primary key: \`${index.primaryKey}\`.`);
    }
    return index.primaryKey;
  }
  if (fromOperation !== undefined) return fromOperation;
  const noCandidate = new MeiliError(
    'index_primary_key_no_candidate_found',
    'The primary key inference failed as the engine did not find any field ending with `id` in its name. Please specify the primary key manually using the `primaryKey` query parameter.',
  );
  if (!first) return null;
  const candidates = Object.keys(first)
    .filter((k) => k.toLowerCase().endsWith('id'))
    .sort();
  if (candidates.length === 0) throw noCandidate;
  if (candidates.length > 1) {
    throw new MeiliError(
      'index_primary_key_multiple_candidates_found',
      `The primary key inference failed as the engine found ${candidates.length} fields ending with \`id\` in their names: '${candidates[0]}' and '${candidates[1]}'. Please specify the primary key manually using the \`primaryKey\` query parameter.`,
    );
  }
  return candidates[0]!;
}

/**
 * Applies one addition payload atomically: every document is checked before any is written, as a
 * failing payload leaves the index untouched. Returns the number of distinct documents indexed.
 */
export function applyDocuments(index: IndexState, docs: readonly Doc[], method: 'replace' | 'update', primaryKeyFromOp: string | undefined): number {
  const primaryKey = resolvePrimaryKey(index, primaryKeyFromOp, docs[0]);
  if (primaryKey === null) return 0;
  const ids = docs.map((doc) => extractId(doc, primaryKey));
  index.primaryKey = primaryKey;
  for (const [i, doc] of docs.entries()) {
    const id = ids[i]!;
    const existing = method === 'update' ? index.documents.get(id) : undefined;
    index.documents.put(id, existing ? { ...existing, ...doc } : doc);
  }
  index.touch();
  return new Set(ids).size;
}

export function deleteDocuments(index: IndexState, ids: readonly string[]): number {
  let deleted = 0;
  for (const id of new Set(ids)) if (index.documents.delete(id)) deleted++;
  index.touch();
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// Read-side shaping

/** serde_json's `Map::remove` under `preserve_order` is a swap_remove: the last key takes the hole. */
function swapRemove(doc: Doc, key: string): { doc: Doc; value: unknown } {
  const keys = Object.keys(doc);
  const at = keys.indexOf(key);
  if (at < 0) return { doc, value: undefined };
  const last = keys[keys.length - 1]!;
  const out: Doc = {};
  for (const k of keys) {
    if (k === key) {
      if (last !== key) out[last] = doc[last];
    } else if (k !== last || last === key) out[k] = doc[k];
  }
  return { doc: out, value: doc[key] };
}

function explicitVectors(value: unknown): unknown {
  const embeddings = isObject(value) ? value.embeddings : value;
  const regenerate = isObject(value) && typeof value.regenerate === 'boolean' ? value.regenerate : false;
  const nested = Array.isArray(embeddings) && embeddings.length > 0 && embeddings.every((e) => typeof e === 'number') ? [embeddings] : (embeddings ?? []);
  return { embeddings: nested, regenerate };
}

/** `contained_in` of permissive-json-pointer. */
const containedIn = (selector: string, key: string): boolean => selector.startsWith(key) && (selector.length === key.length || selector[key.length] === '.');

/** Port of permissive_json_pointer::select_values. */
export function selectValues(value: Doc, selectors: Iterable<string>): Doc {
  const wanted = new Set(selectors);
  const out: Doc = {};
  for (const [key, v] of Object.entries(value)) {
    if (wanted.has(key)) {
      out[key] = v;
      if (!key.includes('.')) {
        wanted.delete(key);
        continue;
      }
    }
    const sub = [...wanted]
      .filter((s) => containedIn(s, key))
      .map((s) => s.slice(key.length + 1))
      .filter((s) => s !== '');
    if (sub.length === 0) continue;
    if (Array.isArray(v)) out[key] = selectArray(v, sub);
    else if (isObject(v)) out[key] = selectValues(v, sub);
  }
  return out;
}

function selectArray(array: unknown[], selectors: string[]): unknown[] {
  const out: unknown[] = [];
  for (const item of array) {
    if (Array.isArray(item)) out.push(selectArray(item, selectors));
    else if (isObject(item)) {
      const obj = selectValues(item, selectors);
      if (Object.keys(obj).length > 0) out.push(obj);
    }
  }
  return out;
}

/** A stored document as GET /documents returns it. `fields` null = every field. */
export function documentView(stored: Doc, fields: readonly string[] | null, retrieveVectors: boolean, embedders: ReadonlySet<string>): Doc {
  const removed = swapRemove(stored, '_vectors');
  let doc = removed.doc;
  if (retrieveVectors) {
    const vectors: Doc = {};
    if (isObject(removed.value)) {
      for (const [name, v] of Object.entries(removed.value)) vectors[name] = embedders.has(name) ? explicitVectors(v) : v;
    }
    doc = { ...doc, _vectors: vectors };
  }
  if (fields === null) return doc;
  return selectValues(doc, retrieveVectors ? [...fields, '_vectors'] : fields);
}
