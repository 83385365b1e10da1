// Collection schemas as Typesense v29 validates and reports them (collection_manager.cpp
// `create_collection`, field.cpp `json_field_to_field` / `fields_to_json_fields`, collection.cpp
// `get_summary_json` with `hide_credential`).

import { TypesenseError, isObject } from './http.ts';

export const FIELD_TYPES = new Set([
  'string',
  'int32',
  'int64',
  'float',
  'bool',
  'geopoint',
  'geopolygon',
  'object',
  'image',
  'auto',
  'string*',
  'string[]',
  'int32[]',
  'int64[]',
  'float[]',
  'bool[]',
  'geopoint[]',
  'object[]',
]);
const NUMERIC_SORT_TYPES = new Set(['int32', 'int64', 'float', 'bool', 'geopoint']);
/** Credentials get_summary_json masks in `embed.model_config`. */
export const MASKED_CREDENTIALS = ['api_key', 'access_token', 'refresh_token', 'client_id', 'client_secret', 'project_id'];
const FIELDS_FORMAT = 'Wrong format for `fields`. It should be an array of objects containing `name`, `type`, `optional` and `facet` properties.';

export type Field = Record<string, unknown> & { name: string; type: string };

export interface CollectionSchema {
  name: string;
  fields: Field[];
  default_sorting_field: string;
  enable_nested_fields: boolean;
  token_separators: string[];
  symbols_to_index: string[];
  metadata: Record<string, unknown>;
  /** v30 only. */
  synonym_sets: string[];
  curation_sets: string[];
}

export function parseCollectionSchema(body: Record<string, unknown>, major: number): CollectionSchema {
  if (!('name' in body)) throw new TypesenseError(400, 'Parameter `name` is required.');
  if (typeof body['name'] !== 'string' || body['name'] === '') throw new TypesenseError(400, 'Parameter `name` must be a non-empty string.');
  const enableNested = body['enable_nested_fields'] ?? false;
  if (typeof enableNested !== 'boolean') throw new TypesenseError(400, '`enable_nested_fields` should be a boolean.');
  const symbols = characters(body['symbols_to_index'] ?? [], 'symbols_to_index');
  const separators = characters(body['token_separators'] ?? [], 'token_separators');
  if (!('fields' in body)) throw new TypesenseError(400, 'Parameter `fields` is required.');
  const sortingField = body['default_sorting_field'] ?? '';
  if (typeof sortingField !== 'string') {
    throw new TypesenseError(400, '`default_sorting_field` should be a string. It should be the name of an int32/float field.');
  }
  if (!Array.isArray(body['fields']) || body['fields'].length === 0) {
    throw new TypesenseError(400, 'The `fields` value should be an array of objects containing `name`, `type` and optionally, `facet` properties.');
  }
  const metadata = body['metadata'] ?? {};
  if (!isObject(metadata)) throw new TypesenseError(400, 'The `metadata` value should be an object.');
  if (sortingField === 'id') throw new TypesenseError(400, 'Invalid `default_sorting_field` value: cannot be `id`.');
  const fields = body['fields'].map(parseField).filter((field) => field.name !== 'id');
  checkFields(fields, sortingField);
  return {
    name: body['name'],
    fields,
    default_sorting_field: sortingField,
    enable_nested_fields: enableNested,
    token_separators: separators,
    symbols_to_index: symbols,
    metadata,
    synonym_sets: major >= 30 ? stringList(body['synonym_sets']) : [],
    curation_sets: major >= 30 ? stringList(body['curation_sets']) : [],
  };
}

function characters(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string' || c.length !== 1)) {
    throw new TypesenseError(400, `\`${key}\` should be an array of character symbols.`);
  }
  return value as string[];
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function parseField(raw: unknown): Field {
  if (!isObject(raw) || typeof raw['name'] !== 'string' || typeof raw['type'] !== 'string') throw new TypesenseError(400, FIELDS_FORMAT);
  const name = raw['name'];
  const type = raw['type'];
  for (const flag of ['facet', 'optional', 'index', 'sort', 'infix', 'stem', 'store', 'range_index']) {
    if (flag in raw && typeof raw[flag] !== 'boolean') {
      throw new TypesenseError(400, `The \`${flag}\` property of the field \`${name}\` should be a boolean.`);
    }
  }
  const field: Field = {
    name,
    type,
    facet: raw['facet'] ?? false,
    optional: raw['optional'] ?? (name === '.*' || type === 'auto'),
    index: raw['index'] ?? true,
    sort: raw['sort'] ?? (NUMERIC_SORT_TYPES.has(type) && !name.includes('.')),
    infix: raw['infix'] ?? false,
    locale: typeof raw['locale'] === 'string' ? raw['locale'] : '',
    stem: raw['stem'] ?? false,
    store: raw['store'] ?? true,
    stem_dictionary: typeof raw['stem_dictionary'] === 'string' ? raw['stem_dictionary'] : '',
  };
  if (raw['range_index'] === true) field['range_index'] = true;
  if ('num_dim' in raw || 'embed' in raw) {
    const numDim = raw['num_dim'] ?? (isObject(raw['embed']) ? 8 : 0);
    if (typeof numDim !== 'number' || !Number.isInteger(numDim) || numDim <= 0) {
      throw new TypesenseError(400, 'Property `num_dim` must be a positive integer.');
    }
    field['num_dim'] = numDim;
    field['vec_dist'] = raw['vec_dist'] ?? 'cosine';
    field['hnsw_params'] = isObject(raw['hnsw_params']) ? raw['hnsw_params'] : { M: 16, ef_construction: 200 };
  }
  if ('embed' in raw) field['embed'] = parseEmbed(raw['embed']);
  if (typeof raw['reference'] === 'string') {
    field['reference'] = raw['reference'];
    field['async_reference'] = raw['async_reference'] === true;
  }
  for (const key of ['token_separators', 'symbols_to_index']) {
    if (Array.isArray(raw[key]) && raw[key].length > 0) field[key] = raw[key];
  }
  return field;
}

function parseEmbed(embed: unknown): Record<string, unknown> {
  if (!isObject(embed)) throw new TypesenseError(400, 'Property `embed` must be an object.');
  if (!Array.isArray(embed['from'])) throw new TypesenseError(400, 'Property `embed.from` must be an array.');
  const config = embed['model_config'];
  if (!isObject(config) || typeof config['model_name'] !== 'string') {
    throw new TypesenseError(400, 'Property `embed.model_config.model_name` must be a string.');
  }
  // Remote models need their credentials (text_embedder_remote.cpp validate_string_properties, its quirk kept).
  if (/^(openai|google|gcp|azure)\//.test(config['model_name']) && typeof config['api_key'] !== 'string' && typeof config['access_token'] !== 'string') {
    throw new TypesenseError(400, 'Property `embed.model_config.api_key is missing or is not a string.');
  }
  return structuredClone(embed);
}

function checkFields(fields: Field[], sortingField: string): void {
  let foundSortingField = false;
  const names = new Set<string>();
  for (const field of fields) {
    if (!FIELD_TYPES.has(field.type)) {
      throw new TypesenseError(400, `Field \`${field.name}\` has an invalid data type \`${field.type}\`, see docs for supported data types.`);
    }
    if (field.name === sortingField) {
      if (!NUMERIC_SORT_TYPES.has(field.type) && field.type !== 'string') {
        throw new TypesenseError(400, `Default sorting field \`${sortingField}\` is not a sortable type.`);
      }
      if (field.optional === true) throw new TypesenseError(400, `Default sorting field \`${sortingField}\` cannot be an optional field.`);
      foundSortingField = true;
    }
    if (field.index === false && field.facet === true) {
      throw new TypesenseError(400, `Field \`${field.name}\` cannot be a facet since it's marked as non-indexable.`);
    }
    if (names.has(field.name)) throw new TypesenseError(400, `There are duplicate field names in the schema.`);
    names.add(field.name);
  }
  if (sortingField !== '' && !foundSortingField) {
    throw new TypesenseError(400, `Default sorting field is defined as \`${sortingField}\` but is not found in the schema.`);
  }
}

/** `hide_credential`: keep the first 5 characters, star the rest ("***********" when shorter). */
export function maskCredential(value: string): string {
  return value.length > 5 ? value.slice(0, 5) + '*'.repeat(value.length - 5) : '***********';
}

export function summaryFields(fields: Field[]): Field[] {
  return fields.map((field) => {
    const shown = structuredClone(field);
    const config = isObject(shown['embed']) ? shown['embed']['model_config'] : undefined;
    if (isObject(config)) {
      for (const key of MASKED_CREDENTIALS) if (typeof config[key] === 'string') config[key] = maskCredential(config[key]);
    }
    return shown;
  });
}
