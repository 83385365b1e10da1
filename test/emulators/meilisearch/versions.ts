// The Meilisearch versions the emulator speaks and the release that introduced each behaviour it gates,
// read from meilisearch/meilisearch's tags (crates/meilisearch/src/routes, crates/meilisearch-types,
// crates/milli/src/criterion.rs). One table, imported by the routes, the test helpers and other modules
// (an upgrade model, the plugin's round-trip tests) so that a version means the same everywhere.

/** `pkgVersion` of the newest release followed (v1.50.0), the emulator's default. */
export const CURRENT_MEILISEARCH_VERSION = '1.50.0';

/** The versions the round-trip and conformance tests run against: one per API generation. */
export const EMULATED_MEILISEARCH_VERSIONS = ['0.27.2', '1.0.2', '1.12.8', '1.16.0', CURRENT_MEILISEARCH_VERSION] as const;

/** First release (`major.minor`) with each behaviour; absent before it, as in the engine. */
export const MEILISEARCH_FEATURE_SINCE = {
  /** The task API (`/tasks`, task uids on every write); before it the `/dumps/:uid/status` API. */
  tasksApi: '0.28',
  /** `GET/PATCH /experimental-features` (routes/features.rs). */
  experimentalFeatures: '1.3',
  /** `POST /snapshots` (a snapshotCreation task writing `<snapshot-dir>/data.ms.snapshot`). */
  snapshots: '1.5',
  /** `/network` and the `network` experimental feature. */
  network: '1.13',
  /** `GET /tasks/:uid/documents` behind the `getTaskDocumentsRoute` experimental feature. */
  taskDocuments: '1.13',
  /** `progressTrace` in a batch's `stats`; the `compositeEmbedders` experimental feature. */
  progressTrace: '1.14',
  /** `batchStrategy` on batches. */
  batchStrategy: '1.15',
  /** `chat` settings and `chatCompletions`/`multimodal` features; `POST /export`. */
  chat: '1.16',
  export: '1.16',
  /** `/settings/chat` updates with PATCH (PUT in v1.16). */
  chatPatch: '1.17',
  /** `/network` remotes take a `writeApiKey`, the network a `sharding` flag. */
  networkSharding: '1.19',
  /** `/webhooks` CRUD (routes/webhooks.rs). */
  webhooks: '1.17',
  /** `PATCH /indexes/:uid {uid}` renames; `swap-indexes` accepts `rename`. */
  indexRename: '1.18',
  /** `POST /indexes/:uid/compact` and the `indexCompaction` task type. */
  indexCompaction: '1.23',
  /** `customMetadata` query parameter on every write, echoed in the task. */
  customMetadata: '1.26',
  /** The `networkTopologyChange` task type. */
  networkTopologyChange: '1.30',
  /** `skipCreation` on document additions/updates. */
  skipCreation: '1.31',
  /** Default ranking rules use `attributeRank` and `wordPosition` instead of `attribute`. */
  attributeRankDefault: '1.36',
  /** `foreignKeys` setting and experimental feature. */
  foreignKeys: '1.39',
  /** `taskQueueCompactionRoute` experimental feature. */
  taskQueueCompaction: '1.40',
  /** `dynamicSearchRules` experimental feature. */
  dynamicSearchRules: '1.41',
  /** `disableDocumentsFetchQueue`, `legacySearch`, `renderRoute` experimental features. */
  renderRoute: '1.48',
  /** `dsrUpdate` / `dsrClear` task types. */
  dsrTasks: '1.50',
} as const;

export type MeilisearchFeature = keyof typeof MEILISEARCH_FEATURE_SINCE;

function parts(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10));
  return [major, minor];
}

/** `version` ≥ `since`, both compared as major.minor numbers. */
export function versionAtLeast(version: string, since: string): boolean {
  const [ma, mi] = parts(version);
  const [sa, si] = parts(since);
  return ma > sa || (ma === sa && mi >= si);
}

/** Whether an instance of `version` has `feature`. */
export function hasFeature(version: string, feature: MeilisearchFeature): boolean {
  return versionAtLeast(version, MEILISEARCH_FEATURE_SINCE[feature]);
}

/** `MEILISEARCH_VERSION` from the environment (e.g. `1.16` or `1.16.0`), else the current version. */
export function meilisearchVersionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.MEILISEARCH_VERSION?.trim();
  if (!raw) return CURRENT_MEILISEARCH_VERSION;
  if (!/^\d+\.\d+(\.\d+)?$/.test(raw)) throw new Error(`MEILISEARCH_VERSION must look like 1.16 or 1.16.0, got ${raw}`);
  return raw.split('.').length === 2 ? `${raw}.0` : raw;
}

/** The experimental features `GET /experimental-features` lists at `version`, in the engine's order. */
export function experimentalFeatureNames(version: string): string[] {
  const names: Array<[string, string]> = [
    ['metrics', '1.3'],
    ['logsRoute', '1.7'],
    ['editDocumentsByFunction', '1.10'],
    ['containsFilter', '1.10'],
    ['dynamicSearchRules', MEILISEARCH_FEATURE_SINCE.dynamicSearchRules],
    ['network', MEILISEARCH_FEATURE_SINCE.network],
    ['getTaskDocumentsRoute', MEILISEARCH_FEATURE_SINCE.taskDocuments],
    ['taskQueueCompactionRoute', MEILISEARCH_FEATURE_SINCE.taskQueueCompaction],
    ['compositeEmbedders', MEILISEARCH_FEATURE_SINCE.progressTrace],
    ['chatCompletions', MEILISEARCH_FEATURE_SINCE.chat],
    ['multimodal', MEILISEARCH_FEATURE_SINCE.chat],
    ['foreignKeys', MEILISEARCH_FEATURE_SINCE.foreignKeys],
    ['disableDocumentsFetchQueue', MEILISEARCH_FEATURE_SINCE.renderRoute],
    ['legacySearch', MEILISEARCH_FEATURE_SINCE.renderRoute],
    ['renderRoute', MEILISEARCH_FEATURE_SINCE.renderRoute],
  ];
  return names.filter(([, since]) => versionAtLeast(version, since)).map(([name]) => name);
}

/** Release that introduced each index setting (GET /settings shows a setting only from then on). */
export const SETTING_SINCE: Record<string, string> = {
  displayedAttributes: '0.0',
  searchableAttributes: '0.0',
  filterableAttributes: '0.21',
  sortableAttributes: '0.23',
  rankingRules: '0.0',
  stopWords: '0.0',
  nonSeparatorTokens: '1.4',
  separatorTokens: '1.4',
  dictionary: '1.4',
  synonyms: '0.0',
  distinctAttribute: '0.0',
  proximityPrecision: '1.5',
  typoTolerance: '0.23',
  faceting: '0.28',
  pagination: '0.28',
  embedders: '1.6',
  searchCutoffMs: '1.7',
  localizedAttributes: '1.10',
  facetSearch: '1.12',
  prefixSearch: '1.12',
  chat: MEILISEARCH_FEATURE_SINCE.chat,
  foreignKeys: MEILISEARCH_FEATURE_SINCE.foreignKeys,
};
