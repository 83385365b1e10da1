// The committed schema.graphql: sorted SDL printed from the Pothos schema, under a "generated" header.
import { printSchema } from 'graphql';
import { schema } from './schema/index.ts';

export const SCHEMA_FILE_HEADER = '# Generated from the Pothos schema by `npm run schema` — do not edit.\n# A test fails when this file is stale.\n\n';

export function renderSchemaFile(): string {
  return SCHEMA_FILE_HEADER + printSchema(schema) + '\n';
}
