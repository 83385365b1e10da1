// Test support: drives a Meilisearch (emulator or real) with the official client to seed and inspect
// indexes for the contract suite and the plugin's own tests.
import { Meilisearch, type EnqueuedTaskPromise, type Settings } from 'meilisearch';
import type { CollectionDump, ContractEngine, SeedCollection } from '../../../test/contract/engine-plugin-contract.ts';

const WAIT = { timeout: 30_000, interval: 10 };

export async function succeeded(enqueued: EnqueuedTaskPromise): Promise<void> {
  const task = await enqueued.waitTask(WAIT);
  if (task.status !== 'succeeded') throw new Error(`task ${task.uid} (${task.type}) ${task.status}: ${task.error?.message ?? ''}`);
}

export interface MeilisearchTestEngine extends ContractEngine {
  sdk: Meilisearch;
  url: string;
  /** Seeds one index with any primary key. */
  seedIndex(uid: string, primaryKey: string, documents: Record<string, unknown>[], settings?: Settings): Promise<void>;
}

export function meilisearchTestEngine(options: {
  url: string;
  apiKey?: string;
  config: Record<string, unknown>;
  setSlow(on: boolean): void | Promise<void>;
  stop(): Promise<void>;
}): MeilisearchTestEngine {
  const sdk = new Meilisearch({ host: options.url, ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) });

  const drop = async (uid: string): Promise<void> => {
    const task = await sdk.deleteIndex(uid).waitTask(WAIT);
    if (task.status === 'failed' && task.error?.code !== 'index_not_found') throw new Error(`cannot drop ${uid}: ${task.error?.message}`);
  };

  const seedIndex = async (uid: string, primaryKey: string, documents: Record<string, unknown>[], settings?: Settings): Promise<void> => {
    await drop(uid);
    await succeeded(sdk.createIndex(uid, { primaryKey }));
    if (settings !== undefined) await succeeded(sdk.index(uid).updateSettings(settings));
    for (let i = 0; i < documents.length; i += 1000) {
      await succeeded(sdk.index(uid).addDocuments(documents.slice(i, i + 1000), { primaryKey }));
    }
  };

  return {
    sdk,
    url: options.url,
    config: options.config,
    seedIndex,
    async seed(collections: SeedCollection[]) {
      for (const collection of collections) {
        await seedIndex(collection.name, 'id', collection.documents, collection.settings as Settings | undefined);
      }
    },
    async dump(uid: string): Promise<CollectionDump> {
      const documents: Record<string, unknown>[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await sdk.index(uid).getDocuments({ offset, limit: 1000 });
        documents.push(...page.results);
        if (page.results.length < 1000) break;
      }
      documents.sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
      return { documents, settings: await sdk.index(uid).getSettings() };
    },
    drop,
    async list() {
      const uids: string[] = [];
      for (let offset = 0; ; offset += 100) {
        const page = await sdk.getRawIndexes({ offset, limit: 100 });
        uids.push(...page.results.map((index) => index.uid));
        if (page.results.length < 100) return uids;
      }
    },
    setSlow: options.setSlow,
    stop: options.stop,
  };
}

/** Non-default values for most settings, to prove they survive a round trip. */
export const sampleSettings: Settings = {
  displayedAttributes: ['id', 'title', 'rank', 'tags', 'nested'],
  searchableAttributes: ['title', 'tags'],
  filterableAttributes: ['tags', 'rank'],
  sortableAttributes: ['rank'],
  rankingRules: ['sort', 'words', 'typo', 'proximity', 'attribute', 'exactness', 'rank:desc'],
  stopWords: ['the', 'a'],
  synonyms: { title: ['heading', 'name'] },
  distinctAttribute: 'title',
  typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 4, twoTypos: 10 }, disableOnWords: ['exact'] },
  faceting: { maxValuesPerFacet: 42 },
  pagination: { maxTotalHits: 500 },
  searchCutoffMs: 150,
};
