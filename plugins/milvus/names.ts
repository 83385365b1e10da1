// Names as milvus-backup sees them: backup names (core/backup/func.go ValidateName), and collections as
// `db.collection` namespaces (internal/namespace: a name without a dot lives in database `default`).
import { nameRule } from '../../src/plugin.ts';
import { GatewayError } from '../../src/errors.ts';

export const DEFAULT_DB = 'default';
const MAX_NAME_BYTES = 128;

export interface Namespace {
  db: string;
  collection: string;
}

/**
 * Collection names as the catalog holds them: `collection` or `database.collection`, each part as Milvus
 * accepts it (proxy validateCollectionNameOrAlias / ValidateDatabaseName: a letter or `_` first, then
 * letters, digits and `_`, at most 255 characters — `proxy.maxNameLength`'s default).
 */
export const COLLECTION_NAME_PATTERN = /^(?:[A-Za-z_][A-Za-z0-9_]{0,254}\.)?[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/** `database.*`: every collection of a database, as milvus-backup's own selections and renames write it. */
const WHOLE_DATABASE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}\.\*$/;

export const validateCollectionName = nameRule({
  what: 'Milvus collection name',
  pattern: new RegExp(`${COLLECTION_NAME_PATTERN.source}|${WHOLE_DATABASE_PATTERN.source}`),
  description: '"collection", "database.collection" or "database.*", each name a letter or "_" then letters, digits or "_", at most 255 characters',
});

/** Throws invalid_name unless milvus-backup would accept `name` (checked before anything is sent). */
export function validateBackupName(name: string): void {
  const problem = backupNameProblem(name);
  if (problem !== null) {
    throw new GatewayError('invalid_name', `"${name}" is not a valid milvus-backup backup name: ${problem}`, { details: { name } });
  }
}

function backupNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (/\s/u.test(name)) return 'it must not contain whitespace';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `it must be at most ${MAX_NAME_BYTES} characters`;
  if (!/^[A-Za-z_]/.test(name)) return 'it must start with a letter or an underscore';
  if (!/^[A-Za-z0-9_]+$/.test(name)) return 'it may only contain letters, digits and underscores';
  return null;
}

/** `coll` → default.coll; `db.coll` as it is; anything else is not a Milvus collection name. */
export function parseNamespace(name: string): Namespace {
  const parts = name.split('.');
  if (parts.length === 1 && parts[0] !== '') return { db: DEFAULT_DB, collection: name };
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return { db: parts[0]!, collection: parts[1]! };
  throw new GatewayError('invalid_input', `"${name}" is not a Milvus collection: use "collection" (database default) or "database.collection"`);
}

/** How the catalog names a collection: bare in database `default`, `db.collection` elsewhere. */
export function displayName(ns: Namespace): string {
  return ns.db === DEFAULT_DB ? ns.collection : `${ns.db}.${ns.collection}`;
}

export function qualified(ns: Namespace): string {
  return `${ns.db}.${ns.collection}`;
}

/** `db.*`: every collection of database `db` (whole-database selection). */
export const WHOLE_DATABASE = '*';

/**
 * CreateBackupRequest.db_collections: a JSON string `{"db": ["c1", "c2"]}`, read by v0.5.9 and v0.5.10+ alike.
 * `db.*` selects the whole database: an empty list, which milvus-backup reads as every collection of it.
 */
export function dbCollections(names: readonly string[]): string {
  const byDb: Record<string, string[]> = {};
  const whole = new Set<string>();
  for (const ns of names.map(parseNamespace)) {
    if (ns.collection === WHOLE_DATABASE) whole.add(ns.db);
    const list = (byDb[ns.db] ??= []);
    if (ns.collection !== WHOLE_DATABASE && !list.includes(ns.collection)) list.push(ns.collection);
  }
  for (const db of whole) byDb[db] = [];
  return JSON.stringify(byDb);
}

export function isWholeDatabase(name: string): boolean {
  return WHOLE_DATABASE_PATTERN.test(name);
}

/**
 * expandSelection: `db.*` stands for every cataloged collection of database `db`; a rename to `db2.*` moves them
 * into database `db2` under their own names (milvus-backup's `db1.*` → `db2.*` rule). Other names stand for themselves.
 */
export function expandSelection(entry: string, renameTo: string | null, catalog: readonly string[]): Array<{ source: string; target: string }> | null {
  if (!isWholeDatabase(entry)) return null;
  if (renameTo !== null && !isWholeDatabase(renameTo)) {
    throw new GatewayError('invalid_input', `"${entry}" selects a whole database: rename it to another "database.*", not to "${renameTo.slice(0, 64)}"`);
  }
  const [db, targetDb] = [entry.slice(0, -2), (renameTo ?? entry).slice(0, -2)];
  return catalog
    .map((name) => ({ name, ns: parseNamespace(name) }))
    .filter(({ ns }) => ns.db === db)
    .map(({ name, ns }) => ({ source: name, target: displayName({ db: targetDb, collection: ns.collection }) }));
}

export interface RestorePlan {
  /** Source collections as `db.coll`. */
  collectionNames: string[];
  /** One suffix every target shares (collection_suffix); null when the rename is not a plain suffix. */
  suffix: string | null;
  /** collection_renames `{"db.old": "db.new"}`; null when nothing is renamed or a suffix says it. */
  renames: Record<string, string> | null;
  /** Source name → target name, as the catalog names them. */
  targets: Map<string, string>;
}

/** Turns the gateway's rename map into milvus-backup's collection_suffix when it is one, else collection_renames. */
export function restorePlan(collections: readonly string[], rename: Record<string, string>): RestorePlan {
  const pairs = collections.map((source) => {
    const target = rename[source] ?? source;
    return { source, from: parseNamespace(source), to: parseNamespace(target) };
  });
  const renamed = pairs.filter((pair) => qualified(pair.from) !== qualified(pair.to));
  const suffixes = new Set(
    pairs.map((pair) => (pair.from.db === pair.to.db && pair.to.collection.startsWith(pair.from.collection) ? pair.to.collection.slice(pair.from.collection.length) : '')),
  );
  const [suffix] = suffixes;
  const plainSuffix = suffixes.size === 1 && suffix !== undefined && /^[A-Za-z0-9_]+$/.test(suffix) ? suffix : null;
  return {
    collectionNames: pairs.map((pair) => qualified(pair.from)),
    suffix: plainSuffix,
    renames: plainSuffix !== null || renamed.length === 0 ? null : Object.fromEntries(renamed.map((pair) => [qualified(pair.from), qualified(pair.to)])),
    targets: new Map(pairs.map((pair) => [pair.source, displayName(pair.to)])),
  };
}
