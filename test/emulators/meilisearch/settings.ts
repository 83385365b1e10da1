// Index settings: the full default object GET returns (v1.16: 20 keys, v1.39+: `foreignKeys` too;
// `chat` / `foreignKeys` are hidden unless their experimental feature is on), the partial merge where `null` resets, and the embedder `apiKey`
// masking of `Settings::hide_secrets`. Validation of updates lives in settings-validation.ts.

import { isObject, type JsonObject } from './params.ts';
import { CURRENT_MEILISEARCH_VERSION, SETTING_SINCE, hasFeature, versionAtLeast } from './versions.ts';

export type Settings = JsonObject;

/** Field order of `Settings<T>` (used in "expected one of" and in GET's key order). */
export const SETTING_NAMES = [
  'displayedAttributes',
  'searchableAttributes',
  'filterableAttributes',
  'sortableAttributes',
  'foreignKeys',
  'rankingRules',
  'stopWords',
  'nonSeparatorTokens',
  'separatorTokens',
  'dictionary',
  'synonyms',
  'distinctAttribute',
  'proximityPrecision',
  'typoTolerance',
  'faceting',
  'pagination',
  'embedders',
  'searchCutoffMs',
  'localizedAttributes',
  'facetSearch',
  'prefixSearch',
  'chat',
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];

/** Sub-routes `/settings/<kebab>` and the verb each uses for updates (routes/indexes/settings.rs). */
export const SETTING_ROUTES: ReadonlyArray<{ route: string; name: SettingName; verb: 'PUT' | 'PATCH' }> = [
  { route: 'filterable-attributes', name: 'filterableAttributes', verb: 'PUT' },
  { route: 'sortable-attributes', name: 'sortableAttributes', verb: 'PUT' },
  { route: 'displayed-attributes', name: 'displayedAttributes', verb: 'PUT' },
  { route: 'typo-tolerance', name: 'typoTolerance', verb: 'PATCH' },
  { route: 'searchable-attributes', name: 'searchableAttributes', verb: 'PUT' },
  { route: 'stop-words', name: 'stopWords', verb: 'PUT' },
  { route: 'non-separator-tokens', name: 'nonSeparatorTokens', verb: 'PUT' },
  { route: 'separator-tokens', name: 'separatorTokens', verb: 'PUT' },
  { route: 'dictionary', name: 'dictionary', verb: 'PUT' },
  { route: 'synonyms', name: 'synonyms', verb: 'PUT' },
  { route: 'distinct-attribute', name: 'distinctAttribute', verb: 'PUT' },
  { route: 'proximity-precision', name: 'proximityPrecision', verb: 'PUT' },
  { route: 'localized-attributes', name: 'localizedAttributes', verb: 'PUT' },
  { route: 'ranking-rules', name: 'rankingRules', verb: 'PUT' },
  { route: 'faceting', name: 'faceting', verb: 'PATCH' },
  { route: 'pagination', name: 'pagination', verb: 'PATCH' },
  { route: 'embedders', name: 'embedders', verb: 'PATCH' },
  { route: 'search-cutoff-ms', name: 'searchCutoffMs', verb: 'PUT' },
  { route: 'facet-search', name: 'facetSearch', verb: 'PUT' },
  { route: 'prefix-search', name: 'prefixSearch', verb: 'PUT' },
  { route: 'chat', name: 'chat', verb: 'PUT' },
  { route: 'foreign-keys', name: 'foreignKeys', verb: 'PUT' },
];

/** The settings a version knows, in `Settings<T>` order (`foreignKeys` from v1.39). */
export function settingNamesOf(version: string): SettingName[] {
  return SETTING_NAMES.filter((name) => versionAtLeast(version, SETTING_SINCE[name] ?? '0.0'));
}

/** The sub-routes of a version, with the verb it uses (`chat` is PATCH from v1.17). */
export function settingRoutesOf(version: string): Array<{ route: string; name: SettingName; verb: 'PUT' | 'PATCH' }> {
  const known = settingNamesOf(version);
  return SETTING_ROUTES.filter((r) => known.includes(r.name)).map((r) => (r.name === 'chat' && hasFeature(version, 'chatPatch') ? { ...r, verb: 'PATCH' as const } : r));
}

const DEFAULT_DOCUMENT_TEMPLATE = '{% for field in fields %}{% if field.is_searchable and field.value != nil %}{{ field.name }}: {{ field.value }}\n{% endif %}{% endfor %}';

/** The default ranking rules: `attributeRank` + `wordPosition` replace `attribute` from v1.36. */
export function defaultRankingRules(version: string): string[] {
  return hasFeature(version, 'attributeRankDefault')
    ? ['words', 'typo', 'proximity', 'attributeRank', 'sort', 'wordPosition', 'exactness']
    : ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'];
}

/** A new index's settings at `version`: only the settings that version has (SETTING_SINCE). */
export function defaultSettings(version: string = CURRENT_MEILISEARCH_VERSION): Settings {
  const all = defaultSettingsObject();
  all.rankingRules = defaultRankingRules(version);
  all.foreignKeys = [];
  // sub-settings follow their release too: `faceting.sortFacetValuesBy` (v1.3), `typoTolerance.disableOnNumbers` (v1.15)
  if (!versionAtLeast(version, '1.3')) all.faceting = { maxValuesPerFacet: 100 };
  if (!versionAtLeast(version, '1.15')) {
    const { disableOnNumbers: _dropped, ...typo } = all.typoTolerance as JsonObject;
    all.typoTolerance = typo;
  }
  return Object.fromEntries(settingNamesOf(version).map((name) => [name, all[name]]));
}

function defaultSettingsObject(): Settings {
  return {
    displayedAttributes: ['*'],
    searchableAttributes: ['*'],
    filterableAttributes: [],
    sortableAttributes: [],
    rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'],
    stopWords: [],
    nonSeparatorTokens: [],
    separatorTokens: [],
    dictionary: [],
    synonyms: {},
    distinctAttribute: null,
    proximityPrecision: 'byWord',
    typoTolerance: {
      enabled: true,
      minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 },
      disableOnWords: [],
      disableOnAttributes: [],
      disableOnNumbers: false,
    },
    faceting: { maxValuesPerFacet: 100, sortFacetValuesBy: { '*': 'alpha' } },
    pagination: { maxTotalHits: 1000 },
    embedders: {},
    searchCutoffMs: null,
    localizedAttributes: null,
    facetSearch: true,
    prefixSearch: 'indexingTime',
    chat: { description: '', documentTemplate: DEFAULT_DOCUMENT_TEMPLATE, documentTemplateMaxBytes: 400, searchParameters: {} },
  };
}

/** Object merge used for the nested settings: `null` in the patch resets that sub-field. */
function mergeObject(current: JsonObject, patch: JsonObject, defaults: JsonObject): JsonObject {
  const out: JsonObject = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out[k] = defaults[k];
    else if (isObject(v) && isObject(current[k]) && isObject(defaults[k])) out[k] = mergeObject(current[k], v, defaults[k]);
    else out[k] = v;
  }
  return out;
}

/** Applies a validated patch to stored settings (what the settingsUpdate task does). */
export function applySettingsPatch(current: Settings, patch: Settings, defaults: Settings = defaultSettings()): Settings {
  const next: Settings = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null || value === undefined) {
      next[name] = defaults[name];
    } else if (name === 'typoTolerance' || name === 'pagination') {
      next[name] = mergeObject(current[name] as JsonObject, value as JsonObject, defaults[name] as JsonObject);
    } else if (name === 'faceting') {
      const merged = mergeObject(current[name] as JsonObject, value as JsonObject, defaults[name] as JsonObject);
      // OrderByMap always keeps the `*` fallback unless the user overrides it
      if (isObject(value) && isObject(value.sortFacetValuesBy)) merged.sortFacetValuesBy = { '*': 'alpha', ...value.sortFacetValuesBy };
      next[name] = merged;
    } else if (name === 'chat') {
      next[name] = mergeObject(current[name] as JsonObject, value as JsonObject, defaults[name] as JsonObject);
    } else if (name === 'embedders') {
      const embedders: JsonObject = { ...(current.embedders as JsonObject) };
      for (const [embedder, config] of Object.entries(value as JsonObject)) {
        if (config === null) delete embedders[embedder];
        else embedders[embedder] = isObject(embedders[embedder]) ? { ...(embedders[embedder] as JsonObject), ...(config as JsonObject) } : config;
      }
      next[name] = embedders;
    } else {
      next[name] = value;
    }
  }
  return next;
}

/** `hide_secret(secret, offset)`: keeps `offset` bytes and then a prefix whose length depends on what follows. */
export function hideSecret(secret: string, offset = 0): string {
  const len = secret.length - offset;
  if (len < 0) return secret;
  const keep = len < 10 ? 0 : len < 20 ? 2 : len < 30 ? 3 : 5;
  const mask = len < 10 ? 'XXX...' : len < 20 ? 'XXXX...' : len < 30 ? 'XXXXX...' : 'XXXXXX...';
  return `${secret.slice(0, offset + keep)}${mask}`;
}

function maskEmbedders(embedders: unknown, fillDefaults: boolean, version: string = CURRENT_MEILISEARCH_VERSION): unknown {
  if (!isObject(embedders)) return embedders;
  const out: JsonObject = {};
  for (const [name, config] of Object.entries(embedders)) {
    if (!isObject(config)) {
      out[name] = config;
      continue;
    }
    const view: JsonObject = { ...config };
    if (typeof view.apiKey === 'string') view.apiKey = hideSecret(view.apiKey);
    if (fillDefaults && view.source !== 'userProvided' && view.source !== 'composite') {
      view.documentTemplate ??= DEFAULT_DOCUMENT_TEMPLATE;
      view.documentTemplateMaxBytes ??= 400;
      if (view.source === 'rest') view.headers ??= {};
      // `pooling` exists from v1.14; an embedder created without it reads back `useModel`
      if (view.source === 'huggingFace' && versionAtLeast(version, '1.14')) view.pooling ??= 'useModel';
    }
    out[name] = view;
  }
  return out;
}

/** GET /settings: every setting, secrets hidden, `chat` / `foreignKeys` only with their experimental feature. */
export function settingsView(
  stored: Settings,
  shown: { chat: boolean; foreignKeys: boolean } = { chat: false, foreignKeys: false },
  version: string = CURRENT_MEILISEARCH_VERSION,
): Settings {
  const view: Settings = {};
  for (const name of SETTING_NAMES) {
    if (!(name in stored)) continue;
    if ((name === 'chat' && !shown.chat) || (name === 'foreignKeys' && !shown.foreignKeys)) continue;
    view[name] = name === 'embedders' ? maskEmbedders(stored[name], true, version) : stored[name];
  }
  return view;
}

/** Task `details` for a settingsUpdate: the patch as sent, secrets hidden. */
export function settingsDetails(patch: Settings): Settings {
  return 'embedders' in patch ? { ...patch, embedders: maskEmbedders(patch.embedders, false) } : { ...patch };
}

/** `Settings::cleared()` — what DELETE /settings enqueues. */
export function clearedSettings(version: string = CURRENT_MEILISEARCH_VERSION): Settings {
  return Object.fromEntries(settingNamesOf(version).map((n) => [n, null]));
}
