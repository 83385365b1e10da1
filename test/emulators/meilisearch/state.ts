// Indexes and their documents. Documents live in slots numbered like milli's internal document ids
// (lowest free id first, so a freed id is reused), and are read back in internal-id order — the
// order GET /documents returns. Fields keep milli's field-id order (first time a name was seen).

import { defaultSettings, type Settings } from './settings.ts';
import { CURRENT_MEILISEARCH_VERSION } from './versions.ts';

export type Doc = Record<string, unknown>;

/** A min-heap of freed internal ids (`AvailableIds` hands out the smallest first). */
class FreeIds {
  private readonly heap: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(id: number): void {
    const h = this.heap;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= h[i]!) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  pop(): number | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]! < h[m]!) m = l;
        if (r < h.length && h[r]! < h[m]!) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

export class DocumentStore {
  private slots: Array<Doc | undefined> = [];
  private readonly idToSlot = new Map<string, number>();
  private free = new FreeIds();
  /** milli's FieldsIdsMap: field name → id, in first-seen order. */
  private fieldIds = new Map<string, number>();
  /** Live documents in internal-id order; rebuilt lazily after a write so reads stay O(limit). */
  private ordered: Doc[] | null = [];
  /** Serialized size of all documents (index stats), computed lazily like `ordered`. */
  private bytes: number | null = 0;
  /** Documents per top-level field, for `fieldDistribution`. */
  readonly fieldDistribution = new Map<string, number>();

  get count(): number {
    return this.idToSlot.size;
  }

  get(externalId: string): Doc | undefined {
    const slot = this.idToSlot.get(externalId);
    return slot === undefined ? undefined : this.slots[slot];
  }

  has(externalId: string): boolean {
    return this.idToSlot.has(externalId);
  }

  /** Live documents in the order the engine iterates them. */
  list(): readonly Doc[] {
    if (this.ordered === null) {
      const out: Doc[] = [];
      for (const doc of this.slots) if (doc !== undefined) out.push(doc);
      this.ordered = out;
    }
    return this.ordered;
  }

  /** Bytes of the documents as JSON, standing in for the documents database size. */
  rawSize(): number {
    if (this.bytes === null) {
      let total = 0;
      for (const doc of this.list()) total += Buffer.byteLength(JSON.stringify(doc));
      this.bytes = total;
    }
    return this.bytes;
  }

  /** Reorders a document's keys by field id, registering new fields (obkv is keyed by field id). */
  private normalise(doc: Doc): Doc {
    let lastId = -1;
    let ordered = true;
    for (const key of Object.keys(doc)) {
      let id = this.fieldIds.get(key);
      if (id === undefined) {
        id = this.fieldIds.size;
        this.fieldIds.set(key, id);
      }
      if (id < lastId) ordered = false;
      lastId = id;
    }
    if (ordered) return doc;
    const keys = Object.keys(doc).sort((a, b) => this.fieldIds.get(a)! - this.fieldIds.get(b)!);
    const out: Doc = {};
    for (const key of keys) out[key] = doc[key];
    return out;
  }

  private countFields(doc: Doc, delta: 1 | -1): void {
    for (const key of Object.keys(doc)) {
      const next = (this.fieldDistribution.get(key) ?? 0) + delta;
      if (next === 0) this.fieldDistribution.delete(key);
      else this.fieldDistribution.set(key, next);
    }
  }

  /** Inserts or replaces; an existing document keeps its internal id (and so its position). */
  put(externalId: string, doc: Doc): void {
    const stored = this.normalise(doc);
    const slot = this.idToSlot.get(externalId);
    if (slot !== undefined) {
      this.countFields(this.slots[slot]!, -1);
      this.slots[slot] = stored;
    } else {
      const id = this.free.pop() ?? this.slots.length;
      this.slots[id] = stored;
      this.idToSlot.set(externalId, id);
    }
    this.countFields(stored, 1);
    this.ordered = null;
    this.bytes = null;
  }

  delete(externalId: string): boolean {
    const slot = this.idToSlot.get(externalId);
    if (slot === undefined) return false;
    this.countFields(this.slots[slot]!, -1);
    this.slots[slot] = undefined;
    this.idToSlot.delete(externalId);
    this.free.push(slot);
    this.ordered = null;
    this.bytes = null;
    return true;
  }

  /** `ClearDocuments`: ids restart from 0 and the fields map is emptied. */
  clear(): number {
    const count = this.count;
    this.slots = [];
    this.idToSlot.clear();
    this.free = new FreeIds();
    this.fieldIds = new Map();
    this.fieldDistribution.clear();
    this.ordered = [];
    this.bytes = 0;
    return count;
  }
}

export class IndexState {
  primaryKey: string | null;
  readonly createdAt: Date;
  updatedAt: Date;
  settings: Settings;
  readonly documents = new DocumentStore();

  /** `defaults`: the settings of a new index at the emulated version (also what `null` resets to). */
  constructor(
    primaryKey: string | null,
    now = new Date(),
    readonly defaults: Settings = defaultSettings(),
  ) {
    this.settings = structuredClone(defaults);
    this.primaryKey = primaryKey;
    this.createdAt = now;
    this.updatedAt = now;
  }

  touch(): void {
    this.updatedAt = new Date();
  }
}

/** All indexes by uid; listing is lexicographic like the LMDB-backed index mapper. */
export class IndexStore {
  private readonly indexes = new Map<string, IndexState>();

  constructor(private readonly version: string = CURRENT_MEILISEARCH_VERSION) {}

  get(uid: string): IndexState | undefined {
    return this.indexes.get(uid);
  }

  has(uid: string): boolean {
    return this.indexes.has(uid);
  }

  create(uid: string, primaryKey: string | null = null): IndexState {
    const index = new IndexState(primaryKey, new Date(), defaultSettings(this.version));
    this.indexes.set(uid, index);
    return index;
  }

  delete(uid: string): boolean {
    return this.indexes.delete(uid);
  }

  /** Swaps what two names point at (`IndexMapper::swap`). */
  swap(lhs: string, rhs: string): void {
    const a = this.indexes.get(lhs);
    const b = this.indexes.get(rhs);
    if (!a || !b) throw new Error(`swap of missing index ${lhs}/${rhs}`);
    this.indexes.set(lhs, b);
    this.indexes.set(rhs, a);
  }

  /** Moves an index to a new, unused name (swap with `rename: true`, v1.18+). */
  rename(from: string, to: string): void {
    const index = this.indexes.get(from);
    if (!index) throw new Error(`rename of missing index ${from}`);
    this.indexes.delete(from);
    this.indexes.set(to, index);
  }

  names(): string[] {
    return [...this.indexes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
