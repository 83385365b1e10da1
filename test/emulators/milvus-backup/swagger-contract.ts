// Holds recorded milvus-backup exchanges to the published swagger 2.0 contract
// (../shared/reference/milvus-backup-swagger.json, read at test time, never copied): every request the client
// sends and every answer the emulator gives is checked with ajv against the swagger definitions turned into
// JSON Schema. Objects are closed (additionalProperties: false), so a misspelt or invented field fails.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { sharedPath } from '../../helpers/requirements.ts';
import type { Generation } from './generations.ts';
import type { RecordedExchange } from './server.ts';

export const SWAGGER_PATH = sharedPath('reference', 'milvus-backup-swagger.json');
const BASE_PATH = '/api/v1';

type Schema = Record<string, unknown>;

interface SwaggerParameter {
  name: string;
  in: 'header' | 'query' | 'body';
  required?: boolean;
  type?: string;
  schema?: Schema;
}

interface SwaggerOperation {
  consumes?: string[];
  parameters?: SwaggerParameter[];
  responses: Record<string, { schema?: Schema }>;
}

interface Swagger {
  basePath: string;
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, Schema>;
}

/**
 * Routes milvus-backup serves outside its swagger (core/server/server.go): plain-text answers.
 * Also the answers the server gives that swagger does not document (create.go / restore.go bind failures).
 */
export const OUTSIDE_SWAGGER: readonly string[] = ['GET /api/v1/hello', 'GET /api/v1/check'];
const BIND_FAILURE = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'], additionalProperties: false };

/**
 * v0.5.9 answered get_backup and list with the full BackupInfo: the brief's fields plus task state and the
 * partition/segment tree of each collection (zilliztech/milvus-backup @ v0.5.9 : core/proto/backup.proto
 * CollectionBackupInfo, PartitionBackupInfo, SegmentBackupInfo, BackupInfo.rbac_meta; its docs/swagger.json
 * declares ListBackupsResponse.data as []BackupInfo). The published swagger (v0.5.10+) has none of these.
 */
const V059_OVERLAY = {
  collection: {
    state_code: { $ref: '#/definitions/backuppb.BackupTaskStateCode' },
    errorMessage: { type: 'string' },
    start_time: { type: 'integer' },
    end_time: { type: 'integer' },
    progress: { type: 'integer' },
    consistency_level: { type: 'integer' },
    partition_backups: { type: 'array', items: { $ref: '#/definitions/v059.PartitionBackupInfo' } },
    l0_segments: { type: 'array', items: { $ref: '#/definitions/v059.SegmentBackupInfo' } },
  },
  backup: { rbac_meta: { type: 'object' } },
  definitions: {
    'v059.PartitionBackupInfo': {
      type: 'object',
      properties: {
        partition_id: { type: 'integer' },
        partition_name: { type: 'string' },
        collection_id: { type: 'integer' },
        segment_backups: { type: 'array', items: { $ref: '#/definitions/v059.SegmentBackupInfo' } },
        size: { type: 'integer' },
        load_state: { type: 'string' },
      },
    },
    'v059.SegmentBackupInfo': {
      type: 'object',
      properties: {
        segment_id: { type: 'integer' },
        collection_id: { type: 'integer' },
        partition_id: { type: 'integer' },
        num_of_rows: { type: 'integer' },
        binlogs: { type: 'array' },
        statslogs: { type: 'array' },
        deltalogs: { type: 'array' },
        size: { type: 'integer' },
        group_id: { type: 'integer' },
        backuped: { type: 'boolean' },
        is_l0: { type: 'boolean' },
        v_channel: { type: 'string' },
        storage_version: { type: 'integer' },
      },
    },
  },
};

export function loadSwagger(): Swagger {
  return JSON.parse(readFileSync(SWAGGER_PATH, 'utf8')) as Swagger;
}

/**
 * v0.6 added `format` (auto | binlog | snapshot) to CreateBackupRequest (core/proto/backup.proto field 16,
 * read by core/server/create.go toFormat), but docs/swagger.json was not regenerated for it: the published
 * swagger (== docs/swagger.json after v0.5.16, which ../shared holds) documents `format` only on BackupInfoBrief.
 */
const V06_REQUEST_OVERLAY = { format: { type: 'string', enum: ['auto', 'binlog', 'snapshot'] } };

/**
 * The swagger each generation is held to. ../shared holds the one published after v0.5.16 (it has v0.6's
 * `format` and `ezkMapping`). When `MILVUS_BACKUP_REPO` names a checkout or bare git dir of
 * zilliztech/milvus-backup (e.g. the one `fetch github:zilliztech/milvus-backup` gives), v0.5.16 exchanges are
 * held to that tag's own docs/swagger.json instead, read at test time (never copied into this repository).
 */
export function swaggerSources(): { label: Record<Generation, string>; swaggers: Record<Generation, Swagger> } {
  const shared = loadSwagger();
  const repo = process.env['MILVUS_BACKUP_REPO'];
  let v0516 = shared;
  let v0516Label = SWAGGER_PATH;
  if (repo) {
    const text = execFileSync('git', ['--git-dir', gitDir(repo), 'show', 'v0.5.16:docs/swagger.json'], { encoding: 'utf8' });
    v0516 = JSON.parse(text) as Swagger;
    v0516Label = `${repo} @ v0.5.16:docs/swagger.json`;
  }
  return {
    label: { 'v0.5.9': `${SWAGGER_PATH} + v0.5.9 overlay`, 'v0.5.16': v0516Label, 'v0.6.0': `${SWAGGER_PATH} + CreateBackupRequest.format` },
    swaggers: { 'v0.5.9': shared, 'v0.5.16': v0516, 'v0.6.0': shared },
  };
}

/** A checkout has its git dir in `.git`; a bare mirror is the git dir itself. */
function gitDir(repo: string): string {
  try {
    readFileSync(`${repo}/.git/HEAD`);
    return `${repo}/.git`;
  } catch {
    return repo;
  }
}

/**
 * Swagger 2.0 schema → JSON Schema: `$ref`s point into the same `definitions`, objects without a map schema are
 * closed, and — since swaggo documents Go structs, whose nil pointers, slices and maps encode as `null` —
 * a property holding an object or array may also be null. Scalars keep their exact type and enums.
 */
function convert(node: unknown, definitions: Record<string, Schema>): unknown {
  if (Array.isArray(node)) return node.map((item) => convert(item, definitions));
  if (node === null || typeof node !== 'object') return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'description' || key.startsWith('x-')) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, property]) => {
          const converted = convert(property, definitions);
          return [name, isComposite(property, definitions) ? { anyOf: [converted, { type: 'null' }] } : converted];
        }),
      );
    } else out[key] = convert(value, definitions);
  }
  if (source['type'] === 'object' && source['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

function isComposite(schema: unknown, definitions: Record<string, Schema>): boolean {
  const node = schema as Schema;
  const ref = (node['$ref'] as string | undefined) ?? ((node['allOf'] as Schema[] | undefined)?.[0]?.['$ref'] as string | undefined);
  if (ref !== undefined) return isComposite(definitions[ref.replace('#/definitions/', '')] ?? {}, definitions);
  return node['type'] === 'object' || node['type'] === 'array';
}

export interface SwaggerChecker {
  /** Problems with what the client sent; empty when it follows the contract. */
  checkRequest(exchange: RecordedExchange): string[];
  /** Problems with what the server answered; empty when it follows the contract. */
  checkResponse(exchange: RecordedExchange): string[];
}

let sharedChecker: SwaggerChecker | undefined;

/** One checker per test file, built on first use (the swagger is read from ../shared only when a test runs). */
export function swaggerChecker(): SwaggerChecker {
  sharedChecker ??= createSwaggerChecker();
  return sharedChecker;
}

export function createSwaggerChecker(swaggers: Record<Generation, Swagger> = swaggerSources().swaggers): SwaggerChecker {
  const swagger = swaggers['v0.5.16'];
  const validators = new Map<string, ValidateFunction>();
  const v06 = structuredClone(swaggers['v0.6.0'].definitions);
  const create = v06['backuppb.CreateBackupRequest']!;
  create['properties'] = { ...(create['properties'] as Schema), ...V06_REQUEST_OVERLAY };
  const schemaSets: Record<Generation, Record<string, Schema>> = {
    'v0.5.16': swagger.definitions,
    'v0.5.9': withOverlay(swaggers['v0.5.9'].definitions),
    'v0.6.0': v06,
  };
  const ajvs = Object.fromEntries(
    Object.entries(schemaSets).map(([generation, definitions]) => {
      const ajv = new Ajv({ allErrors: true, strict: false });
      ajv.addSchema({ $id: 'swagger', definitions: convert(definitions, definitions) as Schema });
      return [generation, ajv];
    }),
  ) as Record<Generation, Ajv>;

  const validate = (generation: Generation, schema: Schema, value: unknown, where: string): string[] => {
    const key = `${generation}:${JSON.stringify(schema)}`;
    let validator = validators.get(key);
    if (validator === undefined) {
      const converted = JSON.stringify(convert(schema, schemaSets[generation]));
      validator = ajvs[generation].compile(JSON.parse(converted.replaceAll('"#/definitions/', '"swagger#/definitions/')) as Schema);
      validators.set(key, validator);
    }
    if (validator(value)) return [];
    return (validator.errors ?? []).map((error) => `${where}${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
  };

  const operationOf = (exchange: RecordedExchange): SwaggerOperation | string => {
    const route = `${exchange.method} ${exchange.path}`;
    if (!exchange.path.startsWith(BASE_PATH)) return `${route}: outside basePath ${BASE_PATH}`;
    return swagger.paths[exchange.path.slice(BASE_PATH.length)]?.[exchange.method.toLowerCase()] ?? `${route}: not in the swagger contract`;
  };

  return {
    checkRequest(exchange) {
      const route = `${exchange.method} ${exchange.path}`;
      if (OUTSIDE_SWAGGER.includes(route)) {
        return Object.keys(exchange.query).length > 0 || exchange.body !== undefined ? [`${route}: takes no parameters`] : [];
      }
      const operation = operationOf(exchange);
      if (typeof operation === 'string') return [operation];
      const problems: string[] = [];
      const parameters = operation.parameters ?? [];
      for (const name of Object.keys(exchange.query)) {
        if (!parameters.some((p) => p.in === 'query' && p.name === name)) problems.push(`${route}: query parameter ${name} is not in the contract`);
      }
      if (exchange.requestIdHeader !== undefined && !parameters.some((p) => p.in === 'header' && p.name === 'request_id')) {
        problems.push(`${route}: takes no request_id header`);
      }
      for (const parameter of parameters) {
        if (parameter.in === 'query' && parameter.required && !(parameter.name in exchange.query)) problems.push(`${route}: required query parameter ${parameter.name} missing`);
        if (parameter.in !== 'body') continue;
        if (exchange.body === undefined) {
          if (parameter.required) problems.push(`${route}: required body missing`);
          continue;
        }
        if (!(operation.consumes ?? []).some((type) => exchange.contentType?.startsWith(type)))
          problems.push(`${route}: content-type ${exchange.contentType} not in ${operation.consumes}`);
        // Requests: v0.5.9 binds the same request structs as v0.5.16; v0.6 also reads `format`.
        problems.push(...validate(exchange.generation === 'v0.6.0' ? 'v0.6.0' : 'v0.5.16', parameter.schema!, exchange.body, `${route} request body`));
      }
      if (parameters.every((p) => p.in !== 'body') && exchange.body !== undefined) problems.push(`${route}: sends a body the contract does not take`);
      return problems;
    },

    checkResponse(exchange) {
      const route = `${exchange.method} ${exchange.path}`;
      if (OUTSIDE_SWAGGER.includes(route)) return exchange.responseIsJson || exchange.status !== 200 ? [`${route}: answers 200 text`] : [];
      const operation = operationOf(exchange);
      if (typeof operation === 'string') return [operation];
      if (!exchange.responseIsJson) return [`${route}: answered ${exchange.status} text ${JSON.stringify(exchange.response)}`];
      if (exchange.status === 200) return validate(exchange.generation, operation.responses['200']!.schema!, exchange.response, `${route} response`);
      if (exchange.status === 400 && (operation.parameters ?? []).some((p) => p.in === 'body')) {
        return validate(exchange.generation, BIND_FAILURE, exchange.response, `${route} bind-failure response`);
      }
      return [`${route}: HTTP ${exchange.status} is not a documented answer`];
    },
  };
}

function withOverlay(definitions: Record<string, Schema>): Record<string, Schema> {
  const copy = structuredClone(definitions);
  const extend = (name: string, properties: Record<string, unknown>): void => {
    const definition = copy[name]!;
    definition['properties'] = { ...(definition['properties'] as Schema), ...properties };
  };
  extend('backuppb.CollectionBackupInfoBrief', V059_OVERLAY.collection);
  extend('backuppb.BackupInfoBrief', V059_OVERLAY.backup);
  extend('backuppb.ListBackupsResponse', { data: { type: 'array', items: { $ref: '#/definitions/backuppb.BackupInfoBrief' } } });
  return { ...copy, ...V059_OVERLAY.definitions };
}
