// Everything the emulated Typesense node keeps: collections with their documents, synonyms and overrides,
// aliases, stopwords, presets, API keys, analytics rules, and (v30) synonym/curation sets.

import type { ImportFailureHook } from './documents.ts';
import { TypesenseError } from './http.ts';
import { summaryFields, type CollectionSchema } from './schema.ts';

export interface EmulatorSettings {
  adminKey: string;
  /** e.g. "29.0"; the major version gates v27 / v30 behaviour. */
  version: string;
  exportDelayMs: number;
  importDelayMs: number;
  snapshotDelayMs: number;
  /**
   * Lines the engine refuses for reasons outside the document itself — a remote embedding provider failing,
   * a full disk ("Could not write to on-disk storage.", 500) — answered like any failed import line.
   */
  importFailure: ImportFailureHook | null;
  /** Test hook awaited before each export batch (the collection's name, the batch's index). */
  beforeExportBatch: ((collection: string, batch: number) => Promise<void> | void) | null;
}

export interface StoredCollection {
  id: number;
  createdAt: number;
  schema: CollectionSchema;
  /** Insertion (seq id) order, like the RocksDB scan the export does. */
  documents: Map<string, Record<string, unknown>>;
  nextSeqId: number;
  synonyms: Map<string, Record<string, unknown>>;
  overrides: Map<string, Record<string, unknown>>;
}

export interface ApiKey {
  id: number;
  value: string;
  description: string;
  actions: string[];
  collections: string[];
  expires_at: number;
  autodelete: boolean;
}

export const FAR_FUTURE_TIMESTAMP = 64723363199;

export class TypesenseState {
  readonly collections = new Map<string, StoredCollection>();
  readonly aliases = new Map<string, string>();
  readonly stopwords = new Map<string, { id: string; stopwords: string[]; locale?: string }>();
  readonly presets = new Map<string, unknown>();
  readonly keys: ApiKey[] = [];
  readonly analyticsRules = new Map<string, Record<string, unknown>>();
  readonly synonymSets = new Map<string, { name: string; items: Record<string, unknown>[] }>();
  readonly curationSets = new Map<string, { name: string; items: Record<string, unknown>[]; description?: string }>();
  nextCollectionId = 0;
  nextKeyId = 0;
  snapshotInProgress = false;
  /** Raft log index stand-in: bumped by every write, names the snapshot directory. */
  writes = 0;

  constructor(readonly settings: EmulatorSettings) {}

  get major(): number {
    return Number.parseInt(this.settings.version, 10);
  }

  /** `get_collection_unsafe`: a real collection name wins over an alias of the same name. */
  resolve(name: string): StoredCollection | undefined {
    const real = this.collections.get(name);
    if (real !== undefined) return real;
    const target = this.aliases.get(name);
    return target === undefined ? undefined : this.collections.get(target);
  }

  /** The collection a collection-scoped route names, or 404 "Collection not found". */
  collection(name: string): StoredCollection {
    const found = this.resolve(name);
    if (found === undefined) throw new TypesenseError(404, 'Collection not found');
    return found;
  }

  summary(collection: StoredCollection): Record<string, unknown> {
    const { schema } = collection;
    const summary: Record<string, unknown> = {
      name: schema.name,
      num_documents: collection.documents.size,
      created_at: collection.createdAt,
      enable_nested_fields: schema.enable_nested_fields,
      token_separators: schema.token_separators,
      symbols_to_index: schema.symbols_to_index,
      fields: summaryFields(schema.fields),
      default_sorting_field: schema.default_sorting_field,
    };
    if (Object.keys(schema.metadata).length > 0) summary['metadata'] = schema.metadata;
    if (this.major >= 30) {
      summary['synonym_sets'] = schema.synonym_sets;
      summary['curation_sets'] = schema.curation_sets;
    }
    return summary;
  }

  /** What a snapshot's db_snapshot holds: every persisted thing, key values included. */
  dump(): Record<string, unknown> {
    return {
      collections: [...this.collections.values()].map((c) => ({
        meta: { ...c.schema, id: c.id, created_at: c.createdAt },
        next_seq_id: c.nextSeqId,
        documents: [...c.documents.values()],
        synonyms: [...c.synonyms.values()],
        overrides: [...c.overrides.values()],
      })),
      aliases: Object.fromEntries(this.aliases),
      stopwords: [...this.stopwords.values()],
      presets: Object.fromEntries(this.presets),
      keys: this.keys,
      analytics_rules: [...this.analyticsRules.values()],
      synonym_sets: [...this.synonymSets.values()],
      curation_sets: [...this.curationSets.values()],
    };
  }
}
