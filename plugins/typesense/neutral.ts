// Typesense ↔ the neutral description (issue 20 §2): the archived collection schema (typed fields with facet,
// sort, index, num_dim, embed) plus the archive's per-collection synonyms and its stopword sets.
import type { NeutralCollection, NeutralConversion, NeutralField, NeutralType, NeutralWriteResult } from '../../src/plugin.ts';
import { inferFields, fitsType } from '../../src/plugin.ts';

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const FROM_TYPESENSE: Record<string, NeutralType> = {
  string: 'string',
  'string[]': 'string[]',
  int32: 'int',
  int64: 'int',
  float: 'float',
  bool: 'bool',
  'int32[]': 'int[]',
  'int64[]': 'int[]',
  'float[]': 'float[]',
  'bool[]': 'bool[]',
  object: 'object',
  'object[]': 'object[]',
  auto: 'auto',
  'string*': 'auto',
};
const TO_TYPESENSE: Record<NeutralType, string> = {
  string: 'string',
  'string[]': 'string[]',
  int: 'int64',
  float: 'float',
  bool: 'bool',
  'int[]': 'int64[]',
  'float[]': 'float[]',
  'bool[]': 'bool[]',
  object: 'object',
  'object[]': 'object[]',
  vector: 'float[]',
  auto: 'auto',
};
const NUMERIC = new Set(['int32', 'int64', 'float']);
/** Collection settings the neutral description carries or that Typesense sets itself. */
const KNOWN_KEYS = new Set(['name', 'fields', 'default_sorting_field', 'enable_nested_fields', 'num_documents', 'created_at', 'synonym_sets', 'curation_sets']);

function readSchema(collection: string, schemaFile: unknown, synonyms: unknown[], stopwordSets: unknown[], sample: Record<string, unknown>[]): NeutralCollection {
  const schema = isRecord(schemaFile) && isRecord(schemaFile['schema']) ? schemaFile['schema'] : {};
  const notCarried: string[] = [];
  const embedders: string[] = [];
  const declared: NeutralField[] = [];
  for (const raw of Array.isArray(schema['fields']) ? schema['fields'] : []) {
    if (!isRecord(raw) || typeof raw['name'] !== 'string' || raw['name'] === 'id') continue;
    const name = raw['name'];
    const tsType = String(raw['type']);
    if (isRecord(raw['embed'])) {
      const { from: inputs = [] } = raw['embed'];
      embedders.push(`field ${name} (auto-embedding of ${JSON.stringify(inputs)})`);
      notCarried.push(`field ${name}: an auto-embedding configuration; its vectors are not carried`);
      continue;
    }
    if (name.includes('.*') || name === '.*') continue; // wildcard declarations: the sample says what there is
    const vector = tsType === 'float[]' && typeof raw['num_dim'] === 'number';
    const type = vector ? 'vector' : FROM_TYPESENSE[tsType];
    if (!type) {
      notCarried.push(`field ${name}: Typesense type ${tsType} has no neutral counterpart`);
      continue;
    }
    const roles: NeutralField['roles'] = [];
    const indexed = raw['index'] !== false;
    if (vector) roles.push('vector');
    else if (indexed && (type === 'string' || type === 'string[]')) roles.push('searchable');
    if (indexed && raw['facet'] === true) roles.push('filterable', 'facet');
    else if (indexed && NUMERIC.has(tsType.replace('[]', ''))) roles.push('filterable');
    if (indexed && (raw['sort'] === true || (NUMERIC.has(tsType) && raw['sort'] !== false) || schema['default_sorting_field'] === name)) roles.push('sortable');
    declared.push({ name, type, roles, ...(vector ? { dims: raw['num_dim'] as number } : {}), ...(raw['optional'] === true ? { optional: true } : {}) });
  }
  for (const [key, value] of Object.entries(schema)) {
    if (KNOWN_KEYS.has(key) || value === null || (Array.isArray(value) && value.length === 0) || value === false) continue;
    notCarried.push(`collection setting ${key} = ${JSON.stringify(value).slice(0, 120)}`);
  }
  const fields = inferFields(
    declared,
    sample.map(({ id: _id, ...rest }) => rest),
  );
  const stopWords = stopwordSets.flatMap((set) => (isRecord(set) && Array.isArray(set['stopwords']) ? set['stopwords'].map(String) : []));
  if (stopwordSets.length > 0)
    notCarried.push(
      `stopword sets ${stopwordSets.map((s) => (isRecord(s) ? String(s['id']) : '?')).join(', ')} are global in Typesense: their words are carried to every collection`,
    );
  return {
    name: collection,
    primaryKey: 'id',
    fields: fields.sort((a, b) => a.name.localeCompare(b.name)),
    relevance: {
      synonyms: synonyms.filter(isRecord).map((s) => ({
        ...(typeof s['root'] === 'string' && s['root'] !== '' ? { root: s['root'] } : {}),
        synonyms: (Array.isArray(s['synonyms']) ? s['synonyms'] : []).map(String),
      })),
      stopWords: [...new Set(stopWords)],
      rankingRules: null,
      typoTolerance: null,
    },
    notCarried,
    ...(embedders.length > 0 ? { embedders } : {}),
  };
}

function writeSchema(collection: NeutralCollection, target: string): NeutralWriteResult {
  const conversions: string[] = [];
  const notCarried: string[] = [];
  const key = collection.compositeKey ? collection.compositeKey.join(':') : collection.primaryKey;
  conversions.push(
    collection.compositeKey
      ? `id ← ${collection.compositeKey.join(' + ":" + ')} (string)`
      : key === 'id'
        ? 'id ← id (string; numeric ids written as strings)'
        : `id ← ${key ?? '(none)'} (string; numeric ids written as strings; ${key} kept as a field)`,
  );
  const fields: Json[] = [];
  let nested = false;
  for (const field of collection.fields) {
    if (field.name === 'id' || field.roles.length === 0) continue;
    const type = TO_TYPESENSE[field.type];
    const facet = field.roles.includes('facet') || (field.roles.includes('filterable') && !['int', 'float', 'int[]', 'float[]'].includes(field.type));
    const sort = field.roles.includes('sortable') && (field.type === 'string' || field.type === 'bool');
    if (field.type === 'object' || field.type === 'object[]') nested = true;
    fields.push({
      name: field.name,
      type,
      ...(field.type === 'vector' ? { num_dim: field.dims } : {}),
      ...(facet ? { facet: true } : {}),
      ...(sort ? { sort: true } : {}),
      optional: true,
    });
    conversions.push(
      `field ${field.name}: ${type}${facet ? ', facet' : ''}${sort ? ', sort' : ''} ← ${field.type}${field.inferred ? ' (inferred from the documents)' : ''} [${field.roles.join(', ')}]`,
    );
  }
  const synonyms = collection.relevance.synonyms.map((group, i) => ({
    id: `synonym-${i + 1}`,
    ...(group.root !== undefined ? { root: group.root } : {}),
    synonyms: group.synonyms,
  }));
  if (synonyms.length > 0) conversions.push(`synonyms ← ${synonyms.length} synonym group(s)`);
  const stopwords = collection.relevance.stopWords.length > 0 ? [{ id: `${target}-stopwords`, stopwords: collection.relevance.stopWords, locale: '' }] : [];
  if (stopwords.length > 0)
    conversions.push(`stopword set ${target}-stopwords ← ${collection.relevance.stopWords.length} stop word(s) (name it in searches: stopwords=${target}-stopwords)`);
  if (collection.relevance.rankingRules) notCarried.push(`rankingRules ${collection.relevance.rankingRules.join(', ')}: Typesense ranks per query (sort_by, prioritize_*)`);
  if (collection.relevance.typoTolerance) notCarried.push('typoTolerance: Typesense sets typos per query (num_typos, min_len_1typo, min_len_2typo)');
  for (const embedder of collection.embedders ?? []) notCarried.push(`${embedder}: listed, not recreated`);
  const schema: Json = { name: target, fields, ...(nested ? { enable_nested_fields: true } : {}) };
  return {
    schemaFile: { schema },
    extras: { synonyms: { collections: { [collection.name]: synonyms } }, ...(stopwords.length > 0 ? { stopwords: { stopwords } } : {}) },
    conversions,
    notCarried,
  };
}

export const typesenseNeutral: NeutralConversion = {
  async read({ collection, schemaFile, extra, sample }) {
    const synonyms = await extra('synonyms');
    const perCollection = isRecord(synonyms) && isRecord(synonyms['collections']) ? synonyms['collections'][collection] : undefined;
    const stopwords = await extra('stopwords');
    return readSchema(
      collection,
      schemaFile,
      Array.isArray(perCollection) ? perCollection : [],
      isRecord(stopwords) && Array.isArray(stopwords['stopwords']) ? stopwords['stopwords'] : [],
      sample,
    );
  },
  write: writeSchema,
  writeDocument(document, collection) {
    const out: Json = { ...document };
    const id = collection.compositeKey
      ? collection.compositeKey.map((key) => String(document[key])).join(':')
      : collection.primaryKey
        ? document[collection.primaryKey]
        : undefined;
    if (id === undefined || id === null) return { rejected: `no ${collection.primaryKey ?? 'primary key'} value` };
    out['id'] = String(id);
    for (const field of collection.fields) {
      if (field.name === 'id' || field.roles.length === 0 || out[field.name] === undefined) continue;
      if (!fitsType(out[field.name], field)) return { rejected: `field ${field.name} is not ${field.type}` };
    }
    return { document: out };
  },
};
