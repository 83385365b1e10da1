// Tables: create (CREATING → ACTIVE after a delay), describe, list, delete (DELETING → gone), with
// the validation of data/create_table.py and storage/models.py TableSchema, per project.
import { randomUUID } from 'node:crypto';
import { MagnetoError, rejectUnexpected, requireAttributeName, requireIndexName, requireList, requireObject, requireTableName } from './errors.ts';
import { isScalarType, typeOf, validateType, type Item, type TypedValue } from './values.ts';

export type TableStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'CREATE_FAILED' | 'DELETE_FAILED';

export interface IndexDefinition {
  rangeKey: string;
  /** null = ALL; [] = KEYS_ONLY; names = INCLUDE. */
  projected: string[] | null;
}

export class Table {
  readonly id = randomUUID();
  readonly createdAt = new Date();
  status: TableStatus = 'CREATING';
  /** Canonical key → item. */
  readonly items = new Map<string, Item>();

  constructor(
    readonly name: string,
    readonly attributeTypes: Map<string, string>,
    /** [hash] or [hash, range]. */
    readonly keys: string[],
    readonly indexes: Map<string, IndexDefinition>,
  ) {}

  get hashKey(): string {
    return this.keys[0]!;
  }

  get rangeKey(): string | undefined {
    return this.keys[1];
  }

  keyString(item: Item): string {
    return JSON.stringify(this.keys.map((key) => item[key]));
  }

  requireActive(): void {
    if (this.status !== 'ACTIVE') {
      throw MagnetoError.validation(`Can't execute request: Table '${this.name}' status '${this.status}' isn't ACTIVE`);
    }
  }

  /** storage manager `_validate_table_schema`: defined attribute types must match, key attributes must be there. */
  validateAttributes(attributes: Item, keysOnly: boolean, indexName?: string): void {
    const expected = new Set(this.keys);
    if (indexName !== undefined) expected.add(this.indexes.get(indexName)!.rangeKey);
    if (keysOnly && expected.size !== Object.keys(attributes).length) {
      throw MagnetoError.validation(`Specified key: ${JSON.stringify(attributes)} doesn't match expected key attributes set: ${[...expected].join(', ')}`);
    }
    for (const [name, value] of Object.entries(attributes)) {
      const type = this.attributeTypes.get(name);
      if (type === undefined) continue;
      expected.delete(name);
      if (typeOf(value) !== type) {
        throw MagnetoError.validation(`Attribute: '${name}' of type: '${typeOf(value)}' doesn't match table schema expected attribute type: '${type}'`);
      }
    }
    if (expected.size > 0) throw MagnetoError.validation(`Couldn't find expected key attributes: '${[...expected].join(', ')}'`);
  }

  keyOf(item: Item): Record<string, TypedValue> {
    return Object.fromEntries(this.keys.map((key) => [key, item[key]!]));
  }

  /** The body of `table` (describe) or `table_description` (create, delete). */
  describe(href: string, alwaysIndexes = false): Record<string, unknown> {
    const description: Record<string, unknown> = {
      attribute_definitions: [...this.attributeTypes].map(([attribute_name, attribute_type]) => ({ attribute_name, attribute_type })),
      creation_date_time: pythonDateTime(this.createdAt),
      item_count: 0,
      key_schema: formatKeySchema(this.keys),
      table_id: this.id,
      table_name: this.name,
      table_status: this.status,
      table_size_bytes: 0,
      links: [
        { href, rel: 'self' },
        { href, rel: 'bookmark' },
      ],
    };
    if (this.indexes.size > 0 || alwaysIndexes) {
      description['local_secondary_indexes'] = [...this.indexes].map(([index_name, index]) => ({
        index_name,
        key_schema: formatKeySchema([this.hashKey, index.rangeKey]),
        projection:
          index.projected === null
            ? { projection_type: 'ALL' }
            : index.projected.length === 0
              ? { projection_type: 'KEYS_ONLY' }
              : { projection_type: 'INCLUDE', non_key_attributes: index.projected },
        item_count: 0,
        index_size_bytes: 0,
      }));
    }
    return description;
  }
}

/** pecan serialises Python datetimes with str(): "2015-06-01 12:00:00.123000". */
export function pythonDateTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').slice(0, 23)}000`;
}

function formatKeySchema(keys: string[]): { key_type: string; attribute_name: string }[] {
  return keys.map((attribute_name, i) => ({ key_type: i === 0 ? 'HASH' : 'RANGE', attribute_name }));
}

function parseKeySchema(value: unknown): string[] {
  let hash: string | undefined;
  let range: string | undefined;
  for (const element of requireList(value, 'key_schema')) {
    const { attribute_name, key_type, ...rest } = requireObject(element, 'key_definition');
    const name = requireAttributeName(attribute_name);
    if (key_type === 'HASH') {
      if (hash !== undefined) throw MagnetoError.validation("Only one 'HASH' key is allowed");
      hash = name;
    } else if (key_type === 'RANGE') {
      if (range !== undefined) throw MagnetoError.validation("Only one 'RANGE' key is allowed");
      range = name;
    } else throw MagnetoError.validation(`Only 'RANGE' or 'HASH' key types are allowed, but '${String(key_type)}' is found`);
    rejectUnexpected(rest, 'key_definition');
  }
  if (hash === undefined) throw MagnetoError.validation('HASH key is missing');
  return range === undefined ? [hash] : [hash, range];
}

function parseIndex(value: unknown): [string, string[], IndexDefinition] {
  const { key_schema, index_name, projection, ...rest } = requireObject(value, 'local_secondary_indexes');
  const keys = parseKeySchema(key_schema);
  if (keys.length < 2) throw MagnetoError.validation("Range key in index wasn't specified");
  const name = requireIndexName(index_name);
  const { projection_type = 'INCLUDE', non_key_attributes, ...projectionRest } = requireObject(projection, 'projection');
  rejectUnexpected(rest, 'local_secondary_index');
  let projected: string[] | null;
  if (projection_type === 'ALL') projected = null;
  else if (projection_type === 'KEYS_ONLY') projected = [];
  else if (projection_type === 'INCLUDE') projected = non_key_attributes === undefined ? [] : requireList(non_key_attributes, 'non_key_attributes').map(requireAttributeName);
  else throw MagnetoError.validation(`Only 'ALL', 'KEYS_ONLY' of 'INCLUDE' projection types are allowed, but '${String(projection_type)}' is found`);
  rejectUnexpected(projectionRest, 'projection');
  return [name, keys, { rangeKey: keys[1]!, projected }];
}

/** Parses and validates a create_table body into a new CREATING table. */
export function parseCreateTable(body: unknown): Table {
  const { table_name, attribute_definitions, key_schema, local_secondary_indexes, ...rest } = requireObject(body, 'body');
  const name = requireTableName(table_name);
  const attributeTypes = new Map<string, string>();
  for (const definition of requireList(attribute_definitions, 'attribute_definitions')) {
    const { attribute_name, attribute_type, ...defRest } = requireObject(definition, 'attribute_definitions');
    attributeTypes.set(requireAttributeName(attribute_name), validateType(attribute_type));
    rejectUnexpected(defRest, 'attribute_definition');
  }
  const keys = parseKeySchema(key_schema);
  const indexes = new Map<string, IndexDefinition>();
  const indexList = local_secondary_indexes ? requireList(local_secondary_indexes, 'local_secondary_indexes') : [];
  for (const entry of indexList) {
    const [indexName, indexKeys, index] = parseIndex(entry);
    if (indexes.has(indexName)) throw MagnetoError.validation('Two or more indexes with the same name');
    if (indexKeys[0] !== keys[0]) throw MagnetoError.validation(`Hash key of index '${indexName}' must be the same as primary key's hash key.`);
    indexes.set(indexName, index);
  }
  if (keys.length < 2 && indexes.size > 0) throw MagnetoError.validation('Table without range key in primary key schema can not have indices');
  const rangeKeys = [...keys.slice(1), ...[...indexes.values()].map((index) => index.rangeKey)];
  if (new Set(rangeKeys).size !== rangeKeys.length) throw MagnetoError.validation('Table and its indices must have unique key schema');
  rejectUnexpected(rest, 'body');
  for (const key of [...keys, ...rangeKeys]) {
    const type = attributeTypes.get(key);
    if (type === undefined) throw MagnetoError.validation(`Definition for attribute['${key}'] wasn't found`);
    if (!isScalarType(type)) throw MagnetoError.validation(`Type '${type}' is not a scalar type`);
  }
  return new Table(name, attributeTypes, keys, indexes);
}

/** All tables of all projects; status changes run on timers like MagnetoDB's async schema operations. */
export class TableStore {
  readonly #projects = new Map<string, Map<string, Table>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly delayMs: () => number) {}

  #tables(project: string): Map<string, Table> {
    let tables = this.#projects.get(project);
    if (tables === undefined) this.#projects.set(project, (tables = new Map()));
    return tables;
  }

  #later(action: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      action();
    }, this.delayMs());
    this.#timers.add(timer);
  }

  get(project: string, name: string): Table {
    const table = this.#tables(project).get(name);
    if (table === undefined) throw MagnetoError.tableNotFound(name);
    return table;
  }

  create(project: string, table: Table): Table {
    const tables = this.#tables(project);
    if (tables.has(table.name)) throw new MagnetoError('TableAlreadyExistsException', `Table ${table.name} already exists`);
    tables.set(table.name, table);
    this.#later(() => {
      if (table.status === 'CREATING') table.status = 'ACTIVE';
    });
    return table;
  }

  delete(project: string, name: string): Table {
    const tables = this.#tables(project);
    const table = this.get(project, name);
    if (table.status === 'DELETING') return table;
    // TableInfo.in_use: a table still being created cannot be deleted yet.
    if (table.status === 'CREATING') throw new MagnetoError('ResourceInUseException', 'An unknown exception occurred');
    table.status = 'DELETING';
    this.#later(() => {
      if (tables.get(name) === table) tables.delete(name);
    });
    return table;
  }

  /** Names sorted like the Cassandra table_info rows, after `exclusiveStart`, at most `limit`. */
  list(project: string, exclusiveStart: string | undefined, limit: number | undefined): string[] {
    const names = [...this.#tables(project).keys()].sort().filter((name) => exclusiveStart === undefined || name > exclusiveStart);
    return limit ? names.slice(0, limit) : names;
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
