// Document writes as Typesense v29 checks them (collection.cpp `to_doc` / `add_many` / `batch_index`,
// validator.cpp with `dirty_values`), one line at a time, failures reported per line.

import { TypesenseError, isObject, sortKeys } from './http.ts';
import type { Field } from './schema.ts';
import type { StoredCollection } from './state.ts';

export type ImportAction = 'create' | 'upsert' | 'update' | 'emplace';
type DirtyValues = 'reject' | 'drop' | 'coerce_or_reject' | 'coerce_or_drop';

export interface WriteOptions {
  action: ImportAction;
  dirtyValues: string;
  /** Engine-side refusals a document cannot cause itself (see EmulatorSettings.importFailure). */
  refuse?: ImportFailureHook | null;
}

export type ImportFailureHook = (document: Record<string, unknown>) => { code: number; error: string } | null;

const INT32 = { min: -2147483648, max: 2147483647 };

/** Indexes one JSONL line; throws a TypesenseError carrying the per-line code and message. */
export function writeDocument(collection: StoredCollection, line: string, options: WriteOptions): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new TypesenseError(400, `Bad JSON: [json.exception.parse_error.101] parse error: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new TypesenseError(400, 'Bad JSON: not a properly formed document.');
  const document = parsed;
  const action = options.action;
  let id: string;
  if ('id' in document) {
    if (document['id'] === '') throw new TypesenseError(400, 'The `id` should not be empty.');
    if (typeof document['id'] !== 'string') throw new TypesenseError(400, "Document's `id` field should be a string.");
    id = document['id'];
  } else {
    if (action === 'update') throw new TypesenseError(400, 'For update, the `id` key must be provided.');
    // A new document without an id gets its seq id as id.
    id = String(collection.nextSeqId);
    document['id'] = id;
  }
  const existing = collection.documents.get(id);
  if (existing !== undefined && action === 'create') throw new TypesenseError(409, `A document with id ${id} already exists.`);
  if (existing === undefined && action === 'update') throw new TypesenseError(404, `Could not find a document with id: ${id}`);
  // Every new document takes the next seq id, before validation (as `to_doc` does).
  if (existing === undefined) collection.nextSeqId++;
  const merged = existing !== undefined && (action === 'update' || action === 'emplace') ? { ...existing, ...document } : document;
  const validated = validate(collection, merged, dirtyValuesOf(collection, options.dirtyValues));
  const refused = options.refuse?.(validated) ?? null;
  if (refused !== null) throw new TypesenseError(refused.code, refused.error);
  collection.documents.set(id, validated);
  return validated;
}

function dirtyValuesOf(collection: StoredCollection, raw: string): DirtyValues {
  const known: DirtyValues[] = ['reject', 'drop', 'coerce_or_reject', 'coerce_or_drop'];
  const lower = raw.toLowerCase() as DirtyValues;
  if (known.includes(lower)) return lower;
  const dynamic = collection.schema.fields.some((field) => field.type === 'auto' || field.name.includes('*'));
  return dynamic ? 'coerce_or_reject' : 'reject';
}

function validate(collection: StoredCollection, document: Record<string, unknown>, dirty: DirtyValues): Record<string, unknown> {
  const { schema } = collection;
  const sorting = schema.default_sorting_field;
  if (sorting !== '' && !(sorting in document)) {
    throw new TypesenseError(400, `Field \`${sorting}\` has been declared as a default sorting field, but is not found in the document.`);
  }
  const stored: Record<string, unknown> = { ...document };
  for (const field of schema.fields) {
    if (field.type === 'auto' || field.name.includes('*') || field.name.includes('.')) continue;
    const value = stored[field.name];
    if (isObject(field['embed'])) {
      if (value === undefined) stored[field.name] = pseudoEmbedding(stored, field);
      continue;
    }
    if (value === undefined || value === null) {
      if (field.optional === true || field.store === false) {
        delete stored[field.name];
        continue;
      }
      throw new TypesenseError(400, `Field \`${field.name}\` has been declared in the schema, but is not found in the document.`);
    }
    const checked = checkValue(field, value, dirty);
    if (checked === undefined) delete stored[field.name];
    else stored[field.name] = checked;
  }
  // `store: false` values are indexed but never persisted, so never exported.
  for (const field of schema.fields) if (field.store === false) delete stored[field.name];
  return sortKeys(stored) as Record<string, unknown>;
}

/** Returns the value to keep, undefined to drop it, or throws the validator's message. */
function checkValue(field: Field, value: unknown, dirty: DirtyValues): unknown {
  const isArray = field.type.endsWith('[]');
  const base = isArray ? field.type.slice(0, -2) : field.type;
  if (base === 'object') {
    const ok = isArray ? Array.isArray(value) && value.every(isObject) : isObject(value);
    if (!ok) throw new TypesenseError(400, `Field \`${field.name}\` has an incorrect type.`);
    return value;
  }
  if (base === 'geopoint' || base === 'geopolygon' || base === 'image') return value;
  if (!isArray) return checkScalar(field, base, value, dirty, false);
  if (!Array.isArray(value)) throw new TypesenseError(400, `Field \`${field.name}\` must be an array.`);
  if (typeof field['num_dim'] === 'number' && field['num_dim'] > 0 && value.length !== field['num_dim']) {
    throw new TypesenseError(400, `Field \`${field.name}\` must have ${field['num_dim']} dimensions.`);
  }
  const kept: unknown[] = [];
  for (const item of value) {
    const checked = checkScalar(field, base, item, dirty, true);
    if (checked !== undefined) kept.push(checked);
  }
  return kept;
}

function checkScalar(field: Field, base: string, value: unknown, dirty: DirtyValues, inArray: boolean): unknown {
  if (matches(base, value)) return value;
  const coerced = dirty === 'coerce_or_reject' || dirty === 'coerce_or_drop' ? coerce(base, value) : undefined;
  if (coerced !== undefined) return coerced;
  const mayDrop = (dirty === 'drop' || dirty === 'coerce_or_drop') && (field.optional === true || inArray);
  if (mayDrop) return undefined;
  const article = base === 'int32' || base === 'int64' ? 'an' : 'a';
  const suffix = inArray ? (base === 'bool' || base === 'float' ? 'a array of' : 'an array of') : article;
  throw new TypesenseError(400, `Field \`${field.name}\` must be ${suffix} ${base}.`);
}

function matches(base: string, value: unknown): boolean {
  switch (base) {
    case 'string':
      return typeof value === 'string';
    case 'int32':
      return Number.isInteger(value) && (value as number) >= INT32.min && (value as number) <= INT32.max;
    case 'int64':
      return Number.isInteger(value);
    case 'float':
      return typeof value === 'number';
    case 'bool':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function coerce(base: string, value: unknown): unknown {
  if (base === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  if ((base === 'int32' || base === 'int64' || base === 'float') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    const number = Number(value);
    return base === 'float' || Number.isInteger(number) ? number : undefined;
  }
  if (base === 'bool' && (value === 'true' || value === 'false')) return value === 'true';
  return undefined;
}

/** Stand-in for an embedding model: a deterministic vector from the `embed.from` fields' text. */
function pseudoEmbedding(document: Record<string, unknown>, field: Field): number[] {
  const from = (field['embed'] as { from: string[] }).from;
  const text = from.map((name) => JSON.stringify(document[name] ?? '')).join(' ');
  const dims = field['num_dim'] as number;
  const vector = Array.from({ length: dims }, (_, i) => {
    let hash = 0;
    for (let c = 0; c < text.length; c++) hash = (hash * 31 + text.charCodeAt(c) * (i + 1)) % 1000;
    return hash / 1000;
  });
  return vector;
}
