// Typesense responses the plugin depends on (validated with zod at the edge), and collection schemas:
// what a backup keeps of `GET /collections/:name`, and the create body a restore sends.

import { z } from 'zod';
import { GatewayError } from '../../src/errors.ts';
import type { Json } from './client.ts';

const looseItem = z.looseObject({});

export const collectionSummary = z.looseObject({
  name: z.string(),
  num_documents: z.number().optional(),
  fields: z.array(z.looseObject({ name: z.string(), type: z.string() })),
  synonym_sets: z.array(z.string()).optional(),
  curation_sets: z.array(z.string()).optional(),
});
export type CollectionSummary = z.infer<typeof collectionSummary>;

export const collectionList = z.array(collectionSummary);
export const debugInfo = z.looseObject({ version: z.string().optional() });
export const aliasList = z.object({ aliases: z.array(z.object({ name: z.string(), collection_name: z.string() })) });
export type Alias = z.infer<typeof aliasList>['aliases'][number];
export const synonymList = z.object({ synonyms: z.array(z.looseObject({ id: z.string() })) });
export const overrideList = z.object({ overrides: z.array(z.looseObject({ id: z.string() })) });
export const stopwordList = z.object({ stopwords: z.array(z.looseObject({ id: z.string() })) });
export const presetList = z.object({ presets: z.array(z.object({ name: z.string(), value: z.unknown() })) });
export const namedSetList = z.array(z.looseObject({ name: z.string() }));
export const analyticsRulesV1 = z.object({ rules: z.array(z.looseObject({ name: z.string() })) });
export const keyList = z.object({ keys: z.array(looseItem) });
export const importLine = z.object({ success: z.boolean(), error: z.string().optional(), code: z.number().optional(), id: z.string().optional() });

/** Parses an engine response the plugin relies on; a different shape is an engine error, not a crash later. */
export function parseResponse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new GatewayError('engine_error', `Unexpected Typesense ${what} response: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A credential Typesense masks in `embed.model_config`; removed from the backup, re-supplied on restore. */
export interface RemovedSecret {
  field: string;
  credential: string;
  model: string;
}

/** What `collections/<name>/schema.json` holds. */
export const collectionSchemaFile = z.object({
  schema: z.looseObject({ name: z.string(), fields: z.array(z.looseObject({ name: z.string(), type: z.string() })) }),
  secretsRemoved: z.array(z.object({ field: z.string(), credential: z.string(), model: z.string() })).optional(),
});
export type CollectionSchemaFile = z.infer<typeof collectionSchemaFile>;

const MASKED_CREDENTIALS = ['api_key', 'access_token', 'refresh_token', 'client_id', 'client_secret', 'project_id'];
const SERVER_ONLY_KEYS = ['num_documents', 'created_at'];

/** The summary minus server-only keys and minus the masked credentials (the masks are not the real values). */
export function schemaForBackup(summary: CollectionSummary): CollectionSchemaFile {
  const schema = structuredClone(summary) as Json & CollectionSummary;
  for (const key of SERVER_ONLY_KEYS) delete schema[key];
  const secretsRemoved: RemovedSecret[] = [];
  for (const field of schema.fields) {
    const config = modelConfigOf(field);
    if (config === null) continue;
    for (const credential of MASKED_CREDENTIALS) {
      if (!(credential in config)) continue;
      delete config[credential];
      secretsRemoved.push({ field: field.name, credential, model: String(config['model_name'] ?? '') });
    }
  }
  return { schema, ...(secretsRemoved.length > 0 ? { secretsRemoved } : {}) };
}

/**
 * The body of `POST /collections` for a restore under `name`. Removed credentials come back from
 * `modelApiKeys` (by model name); `api_key` is the only one that can be re-supplied this way.
 */
export function createBody(file: CollectionSchemaFile, name: string, modelApiKeys: Record<string, string>): Json {
  const body = structuredClone(file.schema) as Json & { fields: Json[] };
  body['name'] = name;
  for (const key of SERVER_ONLY_KEYS) delete body[key];
  for (const secret of file.secretsRemoved ?? []) {
    const config = modelConfigOf(body.fields.find((field) => field['name'] === secret.field));
    const value = modelApiKeys[secret.model];
    if (config === null || secret.credential !== 'api_key' || value === undefined) {
      throw new GatewayError(
        'restore_failed',
        `Collection ${file.schema.name}: field ${secret.field} embeds with ${secret.model}, whose ${secret.credential} Typesense never returns ` +
          `(the backup has no copy); add it to the engine config as modelApiKeys["${secret.model}"] and restore again`,
        { details: { collection: file.schema.name, field: secret.field, model: secret.model, credential: secret.credential } },
      );
    }
    config[secret.credential] = value;
  }
  return body;
}

function modelConfigOf(field: Json | undefined): Json | null {
  const embed = field?.['embed'];
  if (typeof embed !== 'object' || embed === null) return null;
  const config = (embed as Json)['model_config'];
  return typeof config === 'object' && config !== null ? (config as Json) : null;
}

/** Major version from `/debug` ("29.0", "v30.1", "0.22.2"); null when unknown. */
export function majorVersion(version: string | null): number | null {
  const match = version === null ? null : /^v?(\d+)\./.exec(version);
  return match === null ? null : Number(match[1]);
}
