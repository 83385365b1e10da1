// What each dump format keeps where. One pass over the archive collects the small files and counts the
// JSONL lines; the summary is resolved at the end because entry order differs between dumps (metadata.json
// comes first in some, last in others).
//
//  v1 (≤0.20)    metadata.json {indexes:[{uid,primaryKey}], dbVersion, dumpVersion}; <uid>/{settings.json,
//                documents.jsonl, updates.jsonl}. No keys, no dump date.
//  v2 (0.21)     metadata.json {dumpVersion, dbVersion, dumpDate}; index_uuids/data.jsonl {uuid, uid};
//                indexes/index-<uuid>/{meta.json {settings, primary_key}, documents.jsonl}; updates/data.jsonl.
//  v3 (0.22–24)  as v2 but indexes/<uuid>/.
//  v4 (0.25–27)  as v3; index_uuids/data.jsonl {uid, index_meta:{uuid}}; keys (JSONL); updates/data.jsonl = tasks.
//  v5 (0.28–29)  as v4.
//  v6 (v1.x)     metadata.json; keys.jsonl; tasks/queue.jsonl; batches/queue.jsonl (v1.13+);
//                indexes/<uid>/{metadata.json {uid, primaryKey}, settings.json, documents.jsonl};
//                experimental-features.json (v1.x), network.json (v1.13+), webhooks.json (v1.17+).
// Keys (v4: `keys`, no uid, random values; v5: `keys`; v6: `keys.jsonl`) are kept as metadata, never values.
import { z } from 'zod';
import { inputLimits, limitExceeded } from '../../../src/plugin.ts';
import { countLines, readSmallJson, readSmallJsonl, readText } from './jsonl.ts';
import { invalidDump, type TarEntry } from './tar.ts';
import { validateIndexUid } from '../names.ts';
import type { KeyMetadata } from '../client.ts';

export type DumpVersion = 'V1' | 'V2' | 'V3' | 'V4' | 'V5' | 'V6';

export interface DumpIndex {
  uid: string;
  primaryKey: string | null;
  /** As the dump stores it (in its own version's format); see settingsForTarget. */
  settings: Record<string, unknown>;
  documentCount: number;
  /** Uncompressed size of the documents file. */
  documentBytes: number;
  /** Archive path of the documents file; null when the dump has none for this index. */
  documentsPath: string | null;
}

export interface DumpSummary {
  dumpVersion: DumpVersion;
  dbVersion: string | null;
  dumpDate: string | null;
  indexes: DumpIndex[];
  keysCount: number;
  tasksCount: number;
  batchesCount: number | null;
  instanceUid: string | null;
  /** Keys with a uid (v5+): recreated with it, they get their old value under the same master key. */
  keys: DumpKey[];
  /** Keys without a uid (v4: their values were random) or unreadable: they cannot be recreated with their value. */
  keysWithoutUid: number;
  /** Instance-level files as the dump holds them (null when absent). */
  instance: { experimentalFeatures: Record<string, unknown> | null; network: Record<string, unknown> | null; webhooks: Record<string, unknown> | null };
}

/** A key as the dump describes it (metadata only, the same shape the API lists). */
export type DumpKey = KeyMetadata;

/** A key line of `keys` (v4, v5) or `keys.jsonl` (v6): metadata only (the dump stores no key values). */
const keyLineSchema = z.looseObject({
  uid: z.string().optional(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  actions: z.array(z.string()),
  indexes: z.array(z.string()),
  expires_at: z.string().nullish(),
});
const INSTANCE_FILES = { experimentalFeatures: 'experimental-features.json', network: 'network.json', webhooks: 'webhooks.json' } as const;

const metadataSchema = z.looseObject({
  dumpVersion: z.enum(['V1', 'V2', 'V3', 'V4', 'V5', 'V6']),
  dbVersion: z.string().nullish(),
  dumpDate: z.string().nullish(),
  indexes: z.array(z.looseObject({ uid: z.string(), primaryKey: z.string().nullish() })).optional(),
});
const settingsSchema = z.record(z.string(), z.unknown());
const oldMetaSchema = z.looseObject({ settings: settingsSchema, primary_key: z.string().nullish() });
const v6MetaSchema = z.looseObject({ uid: z.string(), primaryKey: z.string().nullish() });
const uuidLineSchema = z.union([z.looseObject({ uid: z.string(), uuid: z.string() }), z.looseObject({ uid: z.string(), index_meta: z.looseObject({ uuid: z.string() }) })]);

interface Documents {
  path: string;
  count: number;
  bytes: number;
}

/** Everything the scan kept, keyed by archive path. */
export class DumpScan {
  metadata: unknown = undefined;
  instanceUid: string | null = null;
  readonly json = new Map<string, unknown>();
  /** Keys and instance-level files. */
  readonly instance = new Map<string, unknown>();
  readonly lines = new Map<string, number>();
  readonly documents = new Map<string, Documents>();

  /** Called for every entry of the archive, in order. */
  async take(entry: TarEntry): Promise<void> {
    if (entry.type !== 'file') return;
    const { path, body } = entry;
    const parts = path.split('/');
    const name = parts.at(-1)!;
    if (path === 'metadata.json') this.metadata = await this.#small(entry, () => readSmallJson(body, path));
    else if (path === 'instance_uid.uuid' || path === 'instance-uid') this.instanceUid = (await readText(body, path, 4096)).trim() || null;
    else if (path === 'index_uuids/data.jsonl') this.json.set(path, await this.#small(entry, () => readSmallJsonl(body, path)));
    else if (path === 'keys' || path === 'keys.jsonl') this.instance.set(path, await this.#small(entry, () => readSmallJsonl(body, path)));
    else if ((Object.values(INSTANCE_FILES) as string[]).includes(path)) this.instance.set(path, await this.#small(entry, () => readSmallJson(body, path)));
    else if (['tasks/queue.jsonl', 'batches/queue.jsonl', 'updates/data.jsonl'].includes(path)) this.lines.set(path, await countLines(body, path));
    else if (name === 'documents.jsonl' && parts.length <= 3) {
      this.documents.set(path, { path, count: await countLines(body, path), bytes: entry.size });
      this.#assertIndexCount(this.documents.size);
    } else if (name === 'updates.jsonl' && parts.length === 2) this.lines.set(path, await countLines(body, path));
    else if (['settings.json', 'meta.json', 'metadata.json'].includes(name) && parts.length <= 3) {
      this.json.set(path, await this.#small(entry, () => readSmallJson(body, path)));
      // At most a settings and a metadata file per index, plus index_uuids.
      this.#assertIndexCount(Math.floor((this.json.size - 1) / 2));
    }
  }

  #metadataBytes = 0;

  /** Small files are kept until the summary: their total is capped as well as each one's size. */
  async #small<T>(entry: TarEntry, read: () => Promise<T>): Promise<T> {
    const value = await read();
    this.#metadataBytes += entry.size;
    const limit = inputLimits().maxDumpMetadataBytes;
    if (this.#metadataBytes > limit) throw limitExceeded(entry.path, 'the settings and metadata files together', `of ${limit} bytes`, { limit: 'maxDumpMetadataBytes' });
    return value;
  }

  #assertIndexCount(count: number): void {
    const limit = inputLimits().maxDumpIndexes;
    if (count > limit) throw limitExceeded('the dump', `the number of indexes (more than ${limit})`, `of ${limit} indexes`, { limit: 'maxDumpIndexes' });
  }

  summary(label: string): DumpSummary {
    if (this.metadata === undefined) throw invalidDump(`${label} has no metadata.json: not a Meilisearch dump`);
    const parsed = metadataSchema.safeParse(this.metadata);
    if (!parsed.success) throw invalidDump(`${label}: metadata.json is not a Meilisearch dump's: ${z.prettifyError(parsed.error)}`);
    const meta = parsed.data;
    const version = meta.dumpVersion;
    this.#assertIndexCount(meta.indexes?.length ?? 0);
    const indexes = version === 'V1' ? this.#v1Indexes(meta.indexes ?? []) : version === 'V6' ? this.#v6Indexes() : this.#uuidIndexes(version);
    this.#assertIndexCount(indexes.length);
    // A uid inside a file is as untrusted as the file: `books?` or `../keys/<uid>` would address other routes.
    for (const index of indexes) validateIndexUid(index.uid);
    indexes.sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    const keys = version === 'V1' || version === 'V2' || version === 'V3' ? [] : this.#keys(version === 'V6' ? 'keys.jsonl' : 'keys');
    let tasks = 0;
    if (version === 'V6') tasks = this.lines.get('tasks/queue.jsonl') ?? 0;
    else if (version === 'V1') for (const index of indexes) tasks += this.lines.get(`${index.uid}/updates.jsonl`) ?? 0;
    else tasks = this.lines.get('updates/data.jsonl') ?? 0;
    return {
      dumpVersion: version,
      dbVersion: meta.dbVersion ?? null,
      dumpDate: meta.dumpDate ?? null,
      indexes,
      keysCount: keys.length,
      tasksCount: tasks,
      batchesCount: this.lines.get('batches/queue.jsonl') ?? null,
      instanceUid: this.instanceUid,
      keys: keys.filter((key): key is DumpKey => key.uid !== null),
      keysWithoutUid: keys.filter((key) => key.uid === null).length,
      instance: {
        experimentalFeatures: this.#record(INSTANCE_FILES.experimentalFeatures),
        network: this.#record(INSTANCE_FILES.network),
        webhooks: this.#record(INSTANCE_FILES.webhooks),
      },
    };
  }

  #keys(path: string): (Omit<DumpKey, 'uid'> & { uid: string | null })[] {
    const lines = this.instance.get(path) ?? [];
    return (lines as unknown[]).map((line) => {
      // A line of another shape counts as a key that cannot be recreated, like a v4 key without uid.
      const key = keyLineSchema.safeParse(line);
      if (!key.success) return { uid: null, name: null, description: null, actions: [], indexes: [], expiresAt: null };
      const { uid, name, description, actions, indexes, expires_at } = key.data;
      return { uid: uid ?? null, name: name ?? null, description: description ?? null, actions, indexes, expiresAt: expires_at ?? null };
    });
  }

  #record(path: string): Record<string, unknown> | null {
    const parsed = settingsSchema.safeParse(this.instance.get(path));
    return parsed.success ? parsed.data : null;
  }

  #index(uid: string, primaryKey: string | null, settings: Record<string, unknown>, documentsPath: string): DumpIndex {
    const documents = this.documents.get(documentsPath);
    return { uid, primaryKey, settings, documentCount: documents?.count ?? 0, documentBytes: documents?.bytes ?? 0, documentsPath: documents?.path ?? null };
  }

  #v1Indexes(listed: { uid: string; primaryKey?: string | null | undefined }[]): DumpIndex[] {
    return listed.map(({ uid, primaryKey }) => {
      const settings = settingsSchema.safeParse(this.json.get(`${uid}/settings.json`) ?? {});
      if (!settings.success) throw invalidDump(`index ${uid}: settings.json is not an object`);
      return this.#index(uid, primaryKey ?? null, settings.data, `${uid}/documents.jsonl`);
    });
  }

  #uuidIndexes(version: DumpVersion): DumpIndex[] {
    const lines = this.json.get('index_uuids/data.jsonl');
    if (!Array.isArray(lines)) throw invalidDump(`dump ${version} has no index_uuids/data.jsonl`);
    return lines.map((line) => {
      const parsed = uuidLineSchema.safeParse(line);
      if (!parsed.success) throw invalidDump(`index_uuids/data.jsonl: unexpected line ${JSON.stringify(line).slice(0, 200)}`);
      const uuid = 'uuid' in parsed.data ? parsed.data.uuid : parsed.data.index_meta.uuid;
      const dir = version === 'V2' ? `indexes/index-${uuid}` : `indexes/${uuid}`;
      const meta = oldMetaSchema.safeParse(this.json.get(`${dir}/meta.json`));
      if (!meta.success) throw invalidDump(`index ${parsed.data.uid}: ${dir}/meta.json is missing or invalid`);
      return this.#index(parsed.data.uid, meta.data.primary_key ?? null, meta.data.settings, `${dir}/documents.jsonl`);
    });
  }

  #v6Indexes(): DumpIndex[] {
    const indexes: DumpIndex[] = [];
    for (const [path, value] of this.json) {
      const match = /^indexes\/([^/]+)\/metadata\.json$/.exec(path);
      if (match === null) continue;
      const dir = `indexes/${match[1]}`;
      const meta = v6MetaSchema.safeParse(value);
      if (!meta.success) throw invalidDump(`${path} is not an index metadata file`);
      const settings = settingsSchema.safeParse(this.json.get(`${dir}/settings.json`));
      if (!settings.success) throw invalidDump(`index ${meta.data.uid}: ${dir}/settings.json is missing or invalid`);
      indexes.push(this.#index(meta.data.uid, meta.data.primaryKey ?? null, settings.data, `${dir}/documents.jsonl`));
    }
    return indexes;
  }
}
