// Test support: drives a Typesense (emulator or real) with the official client to seed and inspect
// collections for the contract suite and the plugin's own tests.
import { Client, Errors } from 'typesense';
import type { CollectionDump, ContractEngine, SeedCollection } from '../../../test/contract/engine-plugin-contract.ts';

type Json = Record<string, any>;

/** The schema the contract's documents (`makeDocuments`) get when a seed names no settings. */
export const defaultSchema = {
  fields: [
    { name: 'title', type: 'string' },
    { name: 'rank', type: 'int32' },
    { name: 'tags', type: 'string[]', facet: true },
  ],
};

/** Non-default collection settings that must survive a round trip. */
export const sampleSettings = {
  enable_nested_fields: true,
  default_sorting_field: 'rank',
  token_separators: ['-', '/'],
  symbols_to_index: ['+'],
  metadata: { owner: 'contract', tier: 2 },
  fields: [
    { name: 'title', type: 'string', infix: true, locale: 'en' },
    { name: 'rank', type: 'int32', range_index: true },
    { name: 'tags', type: 'string[]', facet: true, optional: true },
    { name: 'nested', type: 'object', optional: true },
  ],
};

export function typesenseSdk(url: string, apiKey: string): Client {
  return new Client({ nodes: [{ url }], apiKey, connectionTimeoutSeconds: 10, numRetries: 0, logLevel: 'silent' });
}

export interface TypesenseTestEngine extends ContractEngine {
  sdk: Client;
  url: string;
  /** Creates (replacing) one collection from a full schema and imports the documents. */
  seedCollection(schema: Json, documents: Json[]): Promise<void>;
  /** Every document, sorted by id. */
  documents(name: string): Promise<Json[]>;
  /** The schema as GET /collections/:name shows it, minus what differs between copies (name, counts, creation time). */
  settings(name: string): Promise<Json>;
}

const isNotFound = (error: unknown): boolean => error instanceof Errors.ObjectNotFound;

export function typesenseTestEngine(options: {
  url: string;
  apiKey: string;
  config: Record<string, unknown>;
  setSlow(on: boolean): void | Promise<void>;
  stop(): Promise<void>;
}): TypesenseTestEngine {
  const sdk = typesenseSdk(options.url, options.apiKey);

  const drop = async (name: string): Promise<void> => {
    // An alias name: drop the collection behind it, then the alias (dropping a collection leaves its aliases).
    const alias = await sdk
      .aliases(name)
      .retrieve()
      .catch((error: unknown) => (isNotFound(error) ? null : Promise.reject(error)));
    await sdk
      .collections(name)
      .delete()
      .catch((error: unknown) => (isNotFound(error) ? null : Promise.reject(error)));
    if (alias !== null)
      await sdk
        .aliases(name)
        .delete()
        .catch((error: unknown) => (isNotFound(error) ? null : Promise.reject(error)));
  };

  const seedCollection = async (schema: Json, documents: Json[]): Promise<void> => {
    await drop(schema['name']);
    await sdk.collections().create(schema as never);
    for (let i = 0; i < documents.length; i += 1000) {
      await sdk
        .collections(schema['name'])
        .documents()
        .import(documents.slice(i, i + 1000), { action: 'create' });
    }
  };

  const documents = async (name: string): Promise<Json[]> => {
    const jsonl = await sdk.collections(name).documents().export();
    const list = jsonl === '' ? [] : jsonl.split('\n').map((line) => JSON.parse(line) as Json);
    return list.sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
  };

  const settings = async (name: string): Promise<Json> => {
    const { name: _name, num_documents: _count, created_at: _created, ...rest } = (await sdk.collections(name).retrieve()) as Json;
    return rest;
  };

  return {
    sdk,
    url: options.url,
    config: options.config,
    seedCollection,
    documents,
    settings,
    async seed(collections: SeedCollection[]) {
      for (const collection of collections) {
        const schema = (collection.settings as Json | undefined) ?? defaultSchema;
        await seedCollection({ ...schema, name: collection.name }, collection.documents);
      }
    },
    async dump(name: string): Promise<CollectionDump> {
      return { documents: await documents(name), settings: await settings(name) };
    },
    drop,
    /**
     * The names clients address as collections: every collection and every alias, except the gateway's
     * restored copies that only answer through an alias (Typesense cannot rename a collection, so a restore
     * over a live collection leaves its data in `<name>__gwlive_<job id>` behind an alias `<name>`).
     */
    async list() {
      const collections = ((await sdk.collections().retrieve()) as Json[]).map((c) => String(c['name']));
      const aliases = (await sdk.aliases().retrieve()).aliases;
      const behindAlias = new Set(aliases.map((alias) => alias.collection_name));
      const shown = collections.filter((name) => !(behindAlias.has(name) && /__gwlive_[0-9a-f]{32}$/.test(name)));
      return [...new Set([...shown, ...aliases.map((alias) => alias.name)])];
    },
    setSlow: options.setSlow,
    stop: options.stop,
  };
}
