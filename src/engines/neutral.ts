// The neutral description of a collection (issue 20 §2): what every engine's schema and relevance settings mean,
// in one shape. Each plugin reads its archived schema into it and writes it back in its own format (one pair per
// plugin, `NeutralConversion`), so a backup of one engine restores into any other. Documents travel as plain JSON.
import { z } from 'zod';

export const NEUTRAL_TYPES = ['string', 'int', 'float', 'bool', 'string[]', 'int[]', 'float[]', 'bool[]', 'object', 'object[]', 'vector', 'auto'] as const;
export type NeutralType = (typeof NEUTRAL_TYPES)[number];
export const NEUTRAL_ROLES = ['searchable', 'filterable', 'sortable', 'facet', 'vector'] as const;
export type NeutralRole = (typeof NEUTRAL_ROLES)[number];

export const NeutralField = z.object({
  name: z.string(),
  type: z.enum(NEUTRAL_TYPES),
  roles: z.array(z.enum(NEUTRAL_ROLES)),
  /** Vectors: their dimensions. */
  dims: z.number().int().positive().optional(),
  /** The source declared no type: it was inferred from sampled documents (and is checked on every one). */
  inferred: z.boolean().optional(),
  optional: z.boolean().optional(),
});
export type NeutralField = z.infer<typeof NeutralField>;

export const NeutralSynonym = z.object({
  /** One-way: `root` expands to `synonyms`; absent: all of `synonyms` are equivalent. */
  root: z.string().optional(),
  synonyms: z.array(z.string()),
});
export type NeutralSynonym = z.infer<typeof NeutralSynonym>;

export const NeutralCollection = z.object({
  name: z.string(),
  /** The document id attribute; null when the source has none declared. */
  primaryKey: z.string().nullable(),
  /** The id is built from several attributes joined by `:` (MagnetoDB hash:range keys). */
  compositeKey: z.array(z.string()).optional(),
  fields: z.array(NeutralField),
  relevance: z.object({
    synonyms: z.array(NeutralSynonym),
    stopWords: z.array(z.string()),
    rankingRules: z.array(z.string()).nullable(),
    typoTolerance: z.object({ enabled: z.boolean(), minWordSizeOneTypo: z.number().optional(), minWordSizeTwoTypos: z.number().optional() }).nullable(),
  }),
  /** What the source holds that the neutral description cannot: listed in the plan as not carried. */
  notCarried: z.array(z.string()),
  /** Auto-embedding configurations of the source: listed, never invented on the target. */
  embedders: z.array(z.string()).optional(),
  /** What reading the source's documents converts (MagnetoDB typed items to JSON), for the plan. */
  sourceConversions: z.array(z.string()).optional(),
});
export type NeutralCollection = z.infer<typeof NeutralCollection>;

/** What a plugin's `neutral.write` makes of a neutral description: its own archived schema and extras. */
export interface NeutralWriteResult {
  /** The archived schema file this plugin's logicalRestore reads (readCollectionSchema). */
  schemaFile: unknown;
  /** Archive extras this plugin's restore reads (e.g. Typesense synonyms), merged across collections by the core. */
  extras: Record<string, unknown>;
  /** Mapping lines for the plan ("primary key id ← id (numbers written as strings)"). */
  conversions: string[];
  /** What the target has no counterpart for. */
  notCarried: string[];
}

/** A document as the target takes it, or why it does not fit the target's schema. */
export type NeutralDocumentResult = { document: Record<string, unknown> } | { rejected: string };

/** One pair of functions per plugin: read the archived format into the neutral one, write it back. */
export interface NeutralConversion {
  /** One archived collection: its schema file, the archive's extras, and a sample of its documents (as neutral JSON). */
  read(input: {
    collection: string;
    schemaFile: unknown;
    extra: (name: string) => Promise<unknown>;
    sample: Record<string, unknown>[];
    /** The same documents as archived, before readDocument. */
    rawSample?: unknown[];
  }): Promise<NeutralCollection>;
  /** An archived document of this engine as plain JSON (MagnetoDB typed items); absent: documents are JSON already. */
  readDocument?(document: unknown, collection: NeutralCollection): Record<string, unknown>;
  /** Absent: this engine is a source only (MagnetoDB). */
  write?(collection: NeutralCollection, target: string): NeutralWriteResult;
  /** A neutral document as this engine takes it (e.g. string ids); absent: written as it is. */
  writeDocument?(document: Record<string, unknown>, collection: NeutralCollection): NeutralDocumentResult;
}

/** The neutral type of one JSON value, or null for null/undefined. */
export function typeOfValue(value: unknown): NeutralType | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (Array.isArray(value)) {
    const inner = value.map(typeOfValue).filter((t): t is NeutralType => t !== null);
    if (inner.length === 0) return 'string[]';
    if (inner.every((t) => t === 'int' || t === 'float')) return inner.includes('float') ? 'float[]' : 'int[]';
    if (inner.every((t) => t === inner[0]) && ['string', 'bool', 'object'].includes(inner[0]!)) return `${inner[0]}[]` as NeutralType;
    return 'auto';
  }
  return 'object';
}

/** Whether a value fits a declared neutral type (ints fit floats; null fits an optional field). */
export function fitsType(value: unknown, field: NeutralField): boolean {
  const actual = typeOfValue(value);
  if (actual === null) return field.optional === true || field.roles.length === 0;
  if (field.type === 'auto' || field.type === actual) return true;
  if (field.type === 'float' && actual === 'int') return true;
  if ((field.type === 'float[]' || field.type === 'vector') && (actual === 'int[]' || actual === 'float[]')) return true;
  if (field.type === 'string[]' && Array.isArray(value) && value.length === 0) return true;
  return false;
}

/**
 * Types of fields the source does not declare, from sampled documents: the one type every sampled value has,
 * or `auto` when they disagree. Declared fields keep their type.
 */
export function inferFields(declared: NeutralField[], sample: Record<string, unknown>[]): NeutralField[] {
  const fields = new Map(declared.map((f) => [f.name, { ...f }]));
  const seen = new Map<string, Set<NeutralType>>();
  for (const document of sample) {
    for (const [name, value] of Object.entries(document)) {
      const type = typeOfValue(value);
      if (type !== null) (seen.get(name) ?? seen.set(name, new Set()).get(name)!).add(type);
    }
  }
  for (const [name, types] of seen) {
    const field = fields.get(name);
    if (field && field.type !== 'auto') continue;
    const list = [...types];
    const numeric = list.every((t) => t === 'int' || t === 'float');
    const type: NeutralType = list.length === 1 ? list[0]! : numeric ? 'float' : 'auto';
    const present = sample.filter((d) => d[name] !== undefined && d[name] !== null).length;
    fields.set(name, { name, type, roles: field?.roles ?? [], inferred: true, ...(present < sample.length ? { optional: true } : {}) });
  }
  return [...fields.values()];
}

/** Roles of the named fields; a field the roles name but no document or schema has is added as `auto`. */
export function withRoles(fields: NeutralField[], role: NeutralRole, names: readonly string[]): NeutralField[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const name of names) {
    const field = byName.get(name) ?? { name, type: 'auto' as const, roles: [], inferred: true, optional: true };
    if (!field.roles.includes(role)) field.roles = [...field.roles, role];
    byName.set(name, field);
  }
  return [...byName.values()];
}
