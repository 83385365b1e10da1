// What `collections/<table>/schema.json` holds for a MagnetoDB table, and how it becomes a create_table body.
import { z } from 'zod';
import { attributeDefinition, keyElement, projection, type TableDefinition, type TableDescription } from './client.ts';

/** MagnetoDB's own names (validation.py): tables and indexes 3–255, attributes 1–255 of [a-zA-Z0-9_.-]. */
export const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
export const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.-]{1,255}$/;

const indexSchema = z.object({ index_name: z.string(), key_schema: z.array(keyElement).length(2), projection });

export const tableSchemaFile = z.looseObject({
  table_name: z.string(),
  attribute_definitions: z.array(attributeDefinition).min(1),
  key_schema: z.array(keyElement).min(1).max(2),
  local_secondary_indexes: z.array(indexSchema).default([]),
});

/** The create_table fields as describe_table showed them, plus where they came from. */
export interface MagnetoDbTableSchema {
  table_name: string;
  attribute_definitions: TableDefinition['attribute_definitions'];
  key_schema: TableDefinition['key_schema'];
  /** Without describe's per-index item_count/index_size_bytes, which create_table refuses. */
  local_secondary_indexes: NonNullable<TableDefinition['local_secondary_indexes']>;
  table_id: string | null;
  creation_date_time: unknown;
}

export function schemaFromDescription(description: TableDescription): MagnetoDbTableSchema {
  return {
    table_name: description.table_name,
    attribute_definitions: description.attribute_definitions,
    key_schema: description.key_schema,
    local_secondary_indexes: (description.local_secondary_indexes ?? []).map((index) => ({
      index_name: index.index_name,
      key_schema: index.key_schema,
      projection: index.projection,
    })),
    table_id: description.table_id ?? null,
    creation_date_time: description.creation_date_time ?? null,
  };
}

export function definitionFromSchema(schema: z.infer<typeof tableSchemaFile>, tableName: string): TableDefinition {
  return {
    table_name: tableName,
    attribute_definitions: schema.attribute_definitions,
    key_schema: schema.key_schema,
    ...(schema.local_secondary_indexes.length > 0 ? { local_secondary_indexes: schema.local_secondary_indexes } : {}),
  };
}

/** The key attributes an item must carry to be written into this table. */
export function keyAttributes(schema: z.infer<typeof tableSchemaFile>): string[] {
  return schema.key_schema.map((key) => key.attribute_name);
}
