// Test support: drives a MagnetoDB (emulator or real) over plain HTTP to seed and inspect tables for the
// contract suite and the plugin's own tests. Contract documents become items of a table whose hash key is
// `id` (S): strings → S, numbers → N, string/number arrays → SS/NS, anything else → S holding its JSON.
import type { CollectionDump, ContractEngine, SeedCollection } from '../../../test/contract/engine-plugin-contract.ts';
import { magnetoDbHttp, type MagnetoDbHttp, type TypedItem } from '../../../test/emulators/magnetodb/test-helpers.ts';

/** What a contract `settings` means for MagnetoDB: extra (non-key) typed attribute definitions. */
export interface MagnetoDbSeedSettings {
  attribute_definitions?: { attribute_name: string; attribute_type: string }[];
}

export const sampleSettings: MagnetoDbSeedSettings = {
  attribute_definitions: [
    { attribute_name: 'title', attribute_type: 'S' },
    { attribute_name: 'rank', attribute_type: 'N' },
  ],
};

export interface MagnetoDbTestEngine extends ContractEngine {
  http: MagnetoDbHttp;
  /** The table's schema as describe shows it, without ids, dates and always-zero counters. */
  schema(table: string): Promise<Record<string, unknown>>;
  /** Every item, sorted by the JSON of its key attributes. */
  items(table: string): Promise<TypedItem[]>;
}

export function toTypedItem(document: Record<string, unknown>): TypedItem {
  const item: TypedItem = {};
  for (const [name, value] of Object.entries(document)) {
    if (typeof value === 'string') item[name] = { S: value };
    else if (typeof value === 'number') item[name] = { N: String(value) };
    else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) item[name] = { SS: value };
    else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number')) item[name] = { NS: value.map(String) };
    else item[name] = { S: JSON.stringify(value) };
  }
  return item;
}

function byName<T extends { attribute_name?: string; index_name?: string }>(list: T[] | undefined): T[] {
  return [...(list ?? [])].sort((a, b) => String(a.attribute_name ?? a.index_name).localeCompare(String(b.attribute_name ?? b.index_name)));
}

export function magnetoDbTestEngine(options: {
  url: string;
  token: string;
  projectId: string;
  config: Record<string, unknown>;
  setSlow(on: boolean): void | Promise<void>;
  stop(): Promise<void>;
  /** Longest wait for CREATING/DELETING (a real server can take a while). */
  tableTimeoutMs?: number;
}): MagnetoDbTestEngine {
  const http = magnetoDbHttp({ url: options.url, token: options.token, project: options.projectId });
  const timeout = options.tableTimeoutMs ?? 10_000;

  const schema = async (table: string): Promise<Record<string, unknown>> => {
    const description = await http.describe(table);
    return {
      attribute_definitions: byName(description['attribute_definitions']),
      key_schema: description['key_schema'],
      local_secondary_indexes: byName(description['local_secondary_indexes']).map((index: Record<string, unknown>) => ({
        index_name: index['index_name'],
        key_schema: index['key_schema'],
        projection: index['projection'],
      })),
    };
  };

  const items = async (table: string): Promise<TypedItem[]> => {
    const description = await http.describe(table);
    const keys = (description['key_schema'] as { attribute_name: string }[]).map((key) => key.attribute_name);
    const keyOf = (item: TypedItem): string => JSON.stringify(keys.map((key) => item[key]));
    return (await http.scanAll(table)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  };

  return {
    http,
    config: options.config,
    schema,
    items,
    async seed(collections: SeedCollection[]) {
      for (const collection of collections) {
        const settings = (collection.settings ?? {}) as MagnetoDbSeedSettings;
        await http.dropTable(collection.name, timeout);
        await http.createTable({
          table_name: collection.name,
          attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }, ...(settings.attribute_definitions ?? [])],
          key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
        });
        await http.waitActive(collection.name, timeout);
        await http.putItems(collection.name, collection.documents.map(toTypedItem));
      }
    },
    async dump(table: string): Promise<CollectionDump> {
      const documents = (await http.scanAll(table)).sort((a, b) => String(a['id']?.['S']).localeCompare(String(b['id']?.['S'])));
      return { documents, settings: await schema(table) };
    },
    drop: (table) => http.dropTable(table, timeout),
    list: () => http.listTables(),
    setSlow: options.setSlow,
    stop: options.stop,
  };
}
