// The Milvus side of the emulator: databases and collections with row counts and sizes (and, when a test
// seeds them, the rows themselves) — what milvus-backup reads when it backs up and writes when it restores.
// It lives in its own "process": restarting the backup server leaves it as it is.

export interface FieldSchema {
  fieldID: number;
  name: string;
  /** backuppb.DataType: 21 VarChar, 101 FloatVector. */
  data_type: number;
  is_primary_key?: boolean;
  type_params?: { key: string; value: string }[];
}

export interface CollectionSchema {
  name: string;
  fields: FieldSchema[];
  enable_dynamic_field: boolean;
}

export interface MilvusCollection {
  id: number;
  db: string;
  name: string;
  rows: number;
  /** Bytes of the collection's binlogs in Milvus's object storage. */
  bytes: number;
  shards: number;
  schema: CollectionSchema;
  /** The rows themselves when a test seeded them; null for collections known only by their size. */
  documents: Record<string, unknown>[] | null;
}

export interface CollectionSeed {
  db?: string;
  name: string;
  rows?: number;
  bytes?: number;
  documents?: Record<string, unknown>[];
}

export const DEFAULT_DB = 'default';

/** The two collections every emulator starts with, in database `default`. */
export const SEED_COLLECTIONS: readonly CollectionSeed[] = [
  { name: 'book', rows: 2000, bytes: 1_310_720 },
  { name: 'medium_articles', rows: 5979, bytes: 9_437_184 },
];

function defaultSchema(name: string): CollectionSchema {
  return {
    name,
    fields: [
      { fieldID: 100, name: 'id', data_type: 21, is_primary_key: true, type_params: [{ key: 'max_length', value: '64' }] },
      { fieldID: 101, name: 'vector', data_type: 101, type_params: [{ key: 'dim', value: '8' }] },
    ],
    enable_dynamic_field: true,
  };
}

/** What a row costs in binlogs: its JSON plus an 8-float vector. */
function bytesOf(documents: readonly Record<string, unknown>[]): number {
  return documents.reduce((sum, document) => sum + Buffer.byteLength(JSON.stringify(document)) + 32, 0);
}

export class MilvusModel {
  /** What the server reports (GetVersion / Connect build tag); settable, as an upgrade would. */
  version: string;
  readonly #databases = new Map<string, Map<string, MilvusCollection>>([[DEFAULT_DB, new Map()]]);
  /** Ids a thousand apart: partitions and segments of a collection take the ids right after it. */
  #nextId = 454_000_000_001_000;

  constructor(version: string) {
    this.version = version;
  }

  databases(): string[] {
    return [...this.#databases.keys()];
  }

  createDatabase(db: string): void {
    if (!this.#databases.has(db)) this.#databases.set(db, new Map());
  }

  /** Copies, so callers cannot change the model behind its back. */
  collections(db?: string): MilvusCollection[] {
    const dbs = db === undefined ? [...this.#databases.values()] : [this.#databases.get(db) ?? new Map<string, MilvusCollection>()];
    return dbs.flatMap((collections) => [...collections.values()].map(copyCollection));
  }

  get(db: string, name: string): MilvusCollection | undefined {
    const collection = this.#databases.get(db)?.get(name);
    return collection === undefined ? undefined : copyCollection(collection);
  }

  has(db: string, name: string): boolean {
    return this.#databases.get(db)?.has(name) ?? false;
  }

  /** Creates or replaces a collection. */
  create(seed: CollectionSeed): MilvusCollection {
    const db = seed.db ?? DEFAULT_DB;
    this.createDatabase(db);
    const documents = seed.documents === undefined ? null : seed.documents.map((document) => structuredClone(document));
    const collection: MilvusCollection = {
      id: this.#nextId,
      db,
      name: seed.name,
      rows: documents?.length ?? seed.rows ?? 0,
      bytes: documents === null ? (seed.bytes ?? (seed.rows ?? 0) * 256) : bytesOf(documents),
      shards: 1,
      schema: defaultSchema(seed.name),
      documents,
    };
    this.#nextId += 1000;
    this.#databases.get(db)!.set(seed.name, collection);
    return copyCollection(collection);
  }

  /** Puts back a collection as a restore does: new id, the backed-up schema, rows and size. */
  restore(source: MilvusCollection, target: { db: string; name: string }): void {
    this.createDatabase(target.db);
    const collection: MilvusCollection = {
      ...copyCollection(source),
      id: this.#nextId,
      db: target.db,
      name: target.name,
      schema: { ...source.schema, name: target.name },
    };
    this.#nextId += 1000;
    this.#databases.get(target.db)!.set(target.name, collection);
  }

  drop(db: string, name: string): boolean {
    return this.#databases.get(db)?.delete(name) ?? false;
  }
}

export function copyCollection(collection: MilvusCollection): MilvusCollection {
  return structuredClone(collection);
}
