// Meilisearch ↔ the neutral description (issue 20 §2): index settings (searchable, filterable, sortable attributes,
// synonyms, stop words, ranking rules, typo tolerance, user-provided embedders) read from and written to the
// archived `{uid, primaryKey, settings}` schema file. Meilisearch declares no field types: they come from documents.
import type { NeutralCollection, NeutralConversion, NeutralField, NeutralSynonym, NeutralWriteResult } from '../../src/plugin.ts';
import { inferFields, withRoles } from '../../src/plugin.ts';

type Json = Record<string, unknown>;

/** Settings the neutral description carries; any other setting that differs from Meilisearch's default is "not carried". */
const CARRIED = new Set(['searchableAttributes', 'filterableAttributes', 'sortableAttributes', 'synonyms', 'stopWords', 'rankingRules', 'typoTolerance', 'embedders']);
const DEFAULTS: Json = {
  displayedAttributes: ['*'],
  distinctAttribute: null,
  dictionary: [],
  separatorTokens: [],
  nonSeparatorTokens: [],
  proximityPrecision: 'byWord',
  faceting: { maxValuesPerFacet: 100, sortFacetValuesBy: { '*': 'alpha' } },
  pagination: { maxTotalHits: 1000 },
  searchCutoffMs: null,
  localizedAttributes: null,
  facetSearch: true,
  prefixSearch: 'indexingTime',
};
export const DEFAULT_RANKING_RULES = ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'];

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** filterableAttributes: names, or (v1.14+) `{attributePatterns, features}` objects. */
function filterableNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => (typeof entry === 'string' ? [entry] : isRecord(entry) ? strings(entry['attributePatterns']) : []));
}

export function readSettings(collection: string, schemaFile: unknown, sample: Record<string, unknown>[]): NeutralCollection {
  const file = isRecord(schemaFile) ? schemaFile : {};
  const settings = isRecord(file['settings']) ? file['settings'] : {};
  const notCarried: string[] = [];
  const embedders: string[] = [];
  const vectorFields: NeutralField[] = [];
  for (const [name, embedder] of Object.entries(isRecord(settings['embedders']) ? settings['embedders'] : {})) {
    const config = isRecord(embedder) ? embedder : {};
    if (config['source'] === 'userProvided' && typeof config['dimensions'] === 'number') {
      vectorFields.push({ name, type: 'vector', roles: ['vector'], dims: config['dimensions'] });
    } else {
      embedders.push(`embedder ${name} (${String(config['source'] ?? 'unknown source')})`);
      notCarried.push(`embedder ${name}: an auto-embedding configuration (${String(config['source'] ?? '?')}); its vectors are not carried`);
    }
  }
  const documents = sample.map((d) => Object.fromEntries(Object.entries(d).filter(([key]) => !vectorFields.some((v) => v.name === key))));
  let fields = [...inferFields([], documents), ...vectorFields];
  const searchable = strings(settings['searchableAttributes']);
  const searchableNames = searchable.includes('*') || searchable.length === 0 ? fields.filter((f) => f.type === 'string' || f.type === 'string[]').map((f) => f.name) : searchable;
  fields = withRoles(fields, 'searchable', searchableNames);
  fields = withRoles(fields, 'filterable', filterableNames(settings['filterableAttributes']));
  fields = withRoles(fields, 'sortable', strings(settings['sortableAttributes']));
  const synonyms: NeutralSynonym[] = Object.entries(isRecord(settings['synonyms']) ? settings['synonyms'] : {}).map(([root, list]) => ({ root, synonyms: strings(list) }));
  const typo = isRecord(settings['typoTolerance']) ? settings['typoTolerance'] : null;
  const sizes = typo && isRecord(typo['minWordSizeForTypos']) ? typo['minWordSizeForTypos'] : {};
  if (typo && (strings(typo['disableOnWords']).length > 0 || strings(typo['disableOnAttributes']).length > 0))
    notCarried.push('typoTolerance.disableOnWords / disableOnAttributes');
  for (const [key, value] of Object.entries(settings)) {
    if (CARRIED.has(key) || !(key in DEFAULTS)) continue;
    if (JSON.stringify(value) !== JSON.stringify(DEFAULTS[key])) notCarried.push(`setting ${key} = ${JSON.stringify(value).slice(0, 120)}`);
  }
  const rules = strings(settings['rankingRules']);
  // Meilisearch's defaults say nothing about this index: only settings someone chose are carried (or listed).
  const rankingRules = JSON.stringify(rules) === JSON.stringify(DEFAULT_RANKING_RULES) ? [] : rules;
  const defaultTypos = typo !== null && typo['enabled'] !== false && (sizes['oneTypo'] ?? 5) === 5 && (sizes['twoTypos'] ?? 9) === 9;
  return {
    name: collection,
    primaryKey: typeof file['primaryKey'] === 'string' ? file['primaryKey'] : null,
    fields: fields.sort((a, b) => a.name.localeCompare(b.name)),
    relevance: {
      synonyms,
      stopWords: strings(settings['stopWords']),
      rankingRules: rankingRules.length > 0 ? rankingRules : null,
      typoTolerance:
        typo && !defaultTypos
          ? {
              enabled: typo['enabled'] !== false,
              ...(typeof sizes['oneTypo'] === 'number' ? { minWordSizeOneTypo: sizes['oneTypo'] } : {}),
              ...(typeof sizes['twoTypos'] === 'number' ? { minWordSizeTwoTypos: sizes['twoTypos'] } : {}),
            }
          : null,
    },
    notCarried,
    ...(embedders.length > 0 ? { embedders } : {}),
  };
}

export function writeSettings(collection: NeutralCollection, target: string): NeutralWriteResult {
  const names = (role: string) => collection.fields.filter((f) => f.roles.includes(role as never)).map((f) => f.name);
  const conversions: string[] = [];
  const notCarried: string[] = [];
  const primaryKey = collection.compositeKey ? 'id' : collection.primaryKey;
  if (collection.compositeKey) conversions.push(`primary key id ← ${collection.compositeKey.join(' + "_" + ')} (Meilisearch ids allow no ":")`);
  else if (primaryKey) conversions.push(`primary key ${primaryKey} ← ${collection.primaryKey}`);
  const searchable = names('searchable');
  const filterable = [...new Set([...names('filterable'), ...names('facet')])].sort();
  const sortable = names('sortable');
  conversions.push(`searchableAttributes ← ${searchable.length > 0 ? searchable.join(', ') : '* (every attribute)'}`);
  if (filterable.length > 0) conversions.push(`filterableAttributes ← ${filterable.join(', ')} (filter and facet fields)`);
  if (sortable.length > 0) conversions.push(`sortableAttributes ← ${sortable.join(', ')}`);
  const synonyms: Record<string, string[]> = {};
  for (const group of collection.relevance.synonyms) {
    // A multi-way group: every word maps to the others.
    const roots = group.root !== undefined ? [group.root] : group.synonyms;
    for (const root of roots) synonyms[root] = [...new Set([...(synonyms[root] ?? []), ...(group.root !== undefined ? group.synonyms : group.synonyms.filter((w) => w !== root))])];
  }
  if (collection.relevance.synonyms.length > 0) conversions.push(`synonyms ← ${collection.relevance.synonyms.length} synonym group(s)`);
  if (collection.relevance.stopWords.length > 0) conversions.push(`stopWords ← ${collection.relevance.stopWords.length} stop word(s)`);
  const embedders: Json = {};
  for (const vector of collection.fields.filter((f) => f.type === 'vector')) {
    embedders[vector.name] = { source: 'userProvided', dimensions: vector.dims };
    conversions.push(`embedder ${vector.name} (userProvided, ${vector.dims} dimensions) ← vector field ${vector.name}; documents carry it in _vectors.${vector.name}`);
  }
  for (const embedder of collection.embedders ?? []) notCarried.push(`${embedder}: listed, not recreated`);
  const settings: Json = {
    searchableAttributes: searchable.length > 0 ? searchable : ['*'],
    filterableAttributes: filterable,
    sortableAttributes: sortable,
    synonyms,
    stopWords: collection.relevance.stopWords,
    ...(collection.relevance.rankingRules ? { rankingRules: collection.relevance.rankingRules } : {}),
    ...(collection.relevance.typoTolerance
      ? {
          typoTolerance: {
            enabled: collection.relevance.typoTolerance.enabled,
            minWordSizeForTypos: {
              ...(collection.relevance.typoTolerance.minWordSizeOneTypo !== undefined ? { oneTypo: collection.relevance.typoTolerance.minWordSizeOneTypo } : {}),
              ...(collection.relevance.typoTolerance.minWordSizeTwoTypos !== undefined ? { twoTypos: collection.relevance.typoTolerance.minWordSizeTwoTypos } : {}),
            },
          },
        }
      : {}),
    ...(Object.keys(embedders).length > 0 ? { embedders } : {}),
  };
  if (!collection.relevance.rankingRules) conversions.push("rankingRules: Meilisearch's default (the source has none)");
  return { schemaFile: { uid: target, primaryKey, settings }, extras: {}, conversions, notCarried };
}

export const meilisearchNeutral: NeutralConversion = {
  read: async ({ collection, schemaFile, sample }) => readSettings(collection, schemaFile, sample),
  /** `_vectors.<embedder>` (an array, or `{embeddings}`) becomes the vector field of the embedder's name. */
  readDocument(document) {
    const { _vectors: vectors, ...rest } = document as Json;
    if (!isRecord(vectors)) return rest;
    for (const [name, value] of Object.entries(vectors)) {
      const embeddings = isRecord(value) ? value['embeddings'] : value;
      // One embedding per document is what a vector field holds; several are kept as they are.
      rest[name] = Array.isArray(embeddings) && embeddings.length === 1 && Array.isArray(embeddings[0]) ? embeddings[0] : embeddings;
    }
    return rest;
  },
  write: writeSettings,
  writeDocument(document, collection) {
    const vectors = collection.fields.filter((f) => f.type === 'vector');
    const out: Json = { ...document };
    if (collection.compositeKey) out['id'] = collection.compositeKey.map((key) => String(document[key])).join('_');
    if (vectors.length > 0) {
      const bag: Json = {};
      for (const vector of vectors) {
        if (out[vector.name] !== undefined) bag[vector.name] = out[vector.name];
        delete out[vector.name];
      }
      out['_vectors'] = bag;
    }
    return { document: out };
  },
};
