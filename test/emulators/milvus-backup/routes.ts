// The /api/v1 handlers of core/server/*.go (v0.5.16) and core/backup_context.go (v0.5.9): HTTP 200 for every
// handled outcome with the result in `code`; 400 {"error"} only when the JSON body does not bind.
import { randomUUID } from 'node:crypto';
import { answersBrief, knowsFormat, type Generation } from './generations.ts';
import { DEFAULT_DB, type MilvusCollection } from './milvus.ts';
import { backupInfoFromStorage, backupInfoFromTask, backupSummary, getBackupData, restoreTaskResponse } from './responses.ts';
import type { NS, TaskBoard } from './tasks.ts';

export interface RouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  requestIdHeader: string | undefined;
  body: unknown;
  /** The body was not JSON. */
  bodyError: string | null;
}

export type RouteResponse = { status: number; json: unknown } | { status: number; text: string };

type Json = Record<string, unknown>;

const ok = (json: Json): RouteResponse => ({ status: 200, json });
const HELLO = 'Hello, This is backup service';
/** The backup storage `check` reports (backup.yaml minio.backupBucketName / backupRootPath). */
const BACKUP_BUCKET = 'a-bucket';
const BACKUP_ROOT = 'backup';

/** A few rows of the table v0.6's /check prints first (`milvus-backup config show` prints the same). */
const CONFIG_TABLE = [
  'Configuration:',
  'PARAMETER                         VALUE            SOURCE   SOURCE_KEY',
  '---------                         -----            ------   ----------',
  'Milvus.Grpc.Address               localhost        default',
  'Milvus.Grpc.Port                  19530            default',
  `Milvus.Storage.Bucket             a-bucket         default`,
  'Milvus.Storage.Auth.AccessKeyID   mi****in         default',
  `Backup.Storage.Bucket             ${BACKUP_BUCKET}         default`,
  `Backup.Storage.RootPath           ${BACKUP_ROOT}           default`,
  '',
].join('\n');

function parseNS(ns: string): NS | null {
  if (ns === '') return null;
  if (!ns.includes('.')) return { db: DEFAULT_DB, name: ns };
  const parts = ns.split('.');
  return parts.length === 2 ? { db: parts[0]!, name: parts[1]! } : null;
}

/** Go binds JSON into the proto struct: wrong types fail the bind (HTTP 400). */
function bindProblem(body: unknown, bodyError: string | null, strings: string[], booleans: string[], stringArrays: string[]): string | null {
  if (bodyError !== null) return bodyError;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'json: cannot unmarshal into Go value of type object';
  const record = body as Json;
  for (const key of strings)
    if (record[key] !== undefined && typeof record[key] !== 'string') return `json: cannot unmarshal ${typeof record[key]} into Go struct field .${key} of type string`;
  for (const key of booleans)
    if (record[key] !== undefined && typeof record[key] !== 'boolean') return `json: cannot unmarshal ${typeof record[key]} into Go struct field .${key} of type bool`;
  for (const key of stringArrays) {
    const value = record[key];
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.every((item) => typeof item === 'string')))
      return `json: cannot unmarshal into Go struct field .${key} of type []string`;
  }
  return null;
}

/** v0.5.16 core/backup/func.go ValidateName; v0.5.9 utils.ValidateType wording. */
function nameProblem(name: string, generation: Generation): string | null {
  const v9 = generation === 'v0.5.9';
  if (/\s/u.test(name))
    return v9 ? `Invalid collection BackupName: ${name}. BackupName can only contain numbers, letters and underscores.` : 'backup name should not contain whitespace';
  if (Buffer.byteLength(name) > 128)
    return v9 ? `Invalid collection BackupName: ${name}. The length of BackupName must be less than 128 characters.` : 'backup name length should not exceed 128';
  if (!/^[A-Za-z_]/.test(name))
    return v9
      ? `Invalid collection BackupName: ${name}. The first character of  BackupName must be an underscore or letter.`
      : 'backup name should start with an underscore or letter';
  if (!/^[A-Za-z0-9_]*$/.test(name))
    return v9
      ? `Invalid collection BackupName: ${name}. BackupName can only contain numbers, letters and underscores.`
      : 'backup name should only contain numbers, letters and underscores';
  return null;
}

/** filter (v0.5.10+), db_collections (JSON string or object) or collection_names, in the server's order. */
function backupFilter(body: Json, generation: Generation): Map<string, string[] | '*'> | null | string {
  const filter = answersBrief(generation) ? (body['filter'] as Record<string, { colls?: string[] }> | undefined) : undefined;
  if (filter !== undefined && filter !== null) {
    return new Map(Object.entries(filter).map(([db, f]) => [db, !f.colls || f.colls.length === 0 || f.colls.includes('*') ? '*' : f.colls]));
  }
  const raw = body['db_collections'];
  const text = typeof raw === 'string' ? raw : raw !== undefined && raw !== null ? JSON.stringify(raw) : '';
  if (text !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return `server: build option: server: build filter: server: unmarshal dbCollections: ${(error as Error).message}`;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return 'server: build option: server: build filter: server: unmarshal dbCollections: json: cannot unmarshal into map[string][]string';
    return new Map(Object.entries(parsed as Record<string, string[]>).map(([db, colls]) => [db || DEFAULT_DB, colls.length === 0 ? '*' : colls]));
  }
  const names = (body['collection_names'] as string[] | undefined) ?? [];
  if (names.length === 0) return null;
  const map = new Map<string, string[]>();
  for (const name of names) {
    const ns = parseNS(name);
    if (ns === null) return `server: build option: server: build filter: server: invalid collection name ${name}`;
    map.set(ns.db, [...(map.get(ns.db) ?? []), ns.name]);
  }
  return map;
}

export function createRoutes(board: TaskBoard): (request: RouteRequest) => Promise<RouteResponse> {
  const generation = (): Generation => board.options.generation;
  const v9 = (): boolean => generation() === 'v0.5.9';
  /** v0.5.9 always fills requestId; v0.5.16 echoes the header where the handler builds the response before complete(). */
  const echoId = (request: RouteRequest): Json => {
    const id = request.requestIdHeader || (v9() ? randomUUID() : '');
    return id === '' ? {} : { requestId: id };
  };

  async function create(request: RouteRequest): Promise<RouteResponse> {
    const strings = ['backup_name', 'backup_root_path', 'strategy', ...(knowsFormat(generation()) ? ['format'] : [])];
    const problem = bindProblem(request.body, request.bodyError, strings, ['async', 'force', 'meta_only', 'rbac'], ['collection_names']);
    if (problem !== null) return { status: 400, json: { error: 'Invalid request body' } };
    const body = request.body as Json;
    const requestId = request.requestIdHeader || randomUUID();
    let name = (body['backup_name'] as string | undefined) ?? '';
    if (name === '') {
      // v0.5.16 indexes the first rune of an empty name: a panic, answered 500 by gin's recovery.
      if (!v9()) return { status: 500, text: '' };
      name = `backup_${new Date().toISOString().replace(/[-T:]/g, '_').slice(0, 19)}_${process.hrtime()[1]}`;
    }
    const invalid = nameProblem(name, generation());
    if (invalid !== null) return ok({ requestId, code: 400, msg: invalid, data: null });
    const filter = backupFilter(body, generation());
    if (typeof filter === 'string') return ok({ requestId, code: 3, msg: filter, data: null });
    // v0.6 core/backup/func.go ParseFormat; older tools do not bind the field (Go drops unknown JSON keys).
    const format = knowsFormat(generation()) ? ((body['format'] as string | undefined) ?? '') : '';
    if (!['', 'auto', 'binlog', 'snapshot'].includes(format)) {
      return ok({ requestId, code: 3, msg: `server: build option: server: build format: backup: invalid format ${format}`, data: null });
    }
    const requestedFormat = format === 'binlog' || format === 'snapshot' ? format : 'auto';
    const running = board.taskByName(name);
    if (!v9() && running !== undefined && running.state !== 'fail') {
      return ok({ requestId, code: 3, msg: `backup: add backup task to manager: ${name} (existing task ${running.id})`, data: null });
    }
    if (body['async'] === true) {
      const task = board.startBackup(requestId, name, filter, requestedFormat);
      const data = v9() ? backupInfoFromTask(task, board.milvus.version, undefined) : null;
      return ok({ requestId, msg: 'create backup is executing asynchronously', data });
    }
    if (!v9() && board.storage.has(name)) return ok({ requestId, code: 3, msg: `backup: backup with name ${name} already exist`, data: null });
    const task = board.startBackup(requestId, name, filter, requestedFormat);
    await board.ended(task.id);
    if (task.state === 'fail') return ok({ requestId, code: 3, msg: task.errorMessage, data: v9() ? backupInfoFromTask(task, board.milvus.version, undefined) : null });
    // v0.5.10+ builds the brief, then returns a fresh object without it (core/server/create.go runSync).
    if (!v9()) return ok({ msg: 'success', data: null });
    return ok({ requestId, msg: 'success', data: backupInfoFromTask(task, board.milvus.version, board.storage.get(name)) });
  }

  function getBackup(request: RouteRequest): RouteResponse {
    const id = request.query.get('backup_id') ?? '';
    const name = request.query.get('backup_name') ?? '';
    const base = echoId(request);
    if (id === '' && name === '') {
      const msg = v9() ? 'empty backup name and backup id, please set a backup name or id' : 'server: empty backup name and backup id, please set a backup name or id';
      return ok({ ...base, code: 400, msg, data: null });
    }
    if (id !== '') {
      const task = board.backupTasks.get(id);
      if (task === undefined) {
        if (v9()) return ok({ ...base, msg: 'success', data: null });
        return ok({ ...base, code: 3, msg: 'server: get backup by id server: get backup task task not found', data: null });
      }
      return ok({ ...base, msg: 'success', data: getBackupData(board.options.generation, task, board.storage.get(task.name), board.milvus.version) });
    }
    const task = board.taskByName(name);
    const stored = board.storage.get(name);
    if (v9() && task === undefined && stored === undefined) return ok({ ...base, code: 404, msg: 'not found', data: null });
    return ok({ ...base, msg: 'success', data: getBackupData(board.options.generation, task, stored, board.milvus.version) });
  }

  function list(request: RouteRequest): RouteResponse {
    const collection = request.query.get('collection_name') ?? '';
    const stored = [...board.storage.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (!v9()) {
      if (collection !== '') return ok({ ...echoId(request), code: 400, msg: 'collection_name is deprecated', data: null });
      return ok({ ...echoId(request), data: stored.map(backupSummary) });
    }
    const matching = collection === '' ? stored : stored.filter((b) => b.collections.some((c) => c.name === collection));
    return ok({ ...echoId(request), msg: 'success', data: matching.map(backupInfoFromStorage) });
  }

  function remove(request: RouteRequest): RouteResponse {
    const name = request.query.get('backup_name') ?? '';
    const requestId = request.requestIdHeader || randomUUID();
    if (name === '') return ok({ requestId, code: 400, msg: v9() ? 'empty backup name' : 'backup name is required' });
    if (!board.storage.has(name)) {
      if (v9()) return ok({ requestId, code: 404, msg: 'not found' });
      return ok({ requestId, code: 3, msg: `delete: read backup info: meta: read backup meta: backup/${name}/meta/backup_meta.json: The specified key does not exist.` });
    }
    board.storage.delete(name);
    return ok({ requestId, msg: 'success' });
  }

  async function restore(request: RouteRequest): Promise<RouteResponse> {
    const problem = bindProblem(
      request.body,
      request.bodyError,
      ['backup_name', 'collection_suffix', 'id', 'requestId', 'db_collections', 'bucket_name', 'path'],
      ['async', 'dropExistCollection', 'skipCreateCollection', 'metaOnly', 'restoreIndex', 'useAutoIndex', 'rbac', 'dropExistIndex'],
      ['collection_names'],
    );
    if (problem !== null) return { status: 400, json: { error: `invalid request body: ${problem}` } };
    const body = request.body as Json;
    const fail = (code: number, msg: string): RouteResponse => ok({ code, msg, data: null });
    const name = (body['backup_name'] as string | undefined) ?? '';
    const suffix = (body['collection_suffix'] as string | undefined) ?? '';
    if (name === '') return fail(400, 'backup name is required');
    if (suffix !== '' && !/^[A-Za-z0-9_]+$/.test(suffix)) return fail(400, 'only alphanumeric characters and underscores are allowed in collection suffix');
    if (body['dropExistCollection'] === true && body['skipCreateCollection'] === true) {
      return fail(400, 'drop_exist_collection and skip_create_collection cannot be true at the same time');
    }
    // bucket_name + path (both) override the configured backup storage; this emulation has only that one bucket.
    const bucket = (body['bucket_name'] as string | undefined) ?? '';
    const root = (body['path'] as string | undefined) ?? '';
    const elsewhere = bucket !== '' && root !== '' && (bucket !== BACKUP_BUCKET || root !== BACKUP_ROOT);
    const stored = elsewhere ? undefined : board.storage.get(name);
    if (stored === undefined) return fail(400, `backup ${name} not found`);
    const filter = backupFilter({ db_collections: body['db_collections'], collection_names: body['collection_names'] }, 'v0.5.9');
    if (typeof filter === 'string') return fail(3, filter.replace('server: build option: server: build filter: server:', 'restore: create backup filter: restore:'));
    const selected = stored.collections.filter((c) => {
      const colls = filter?.get(c.db);
      return filter === null || colls === '*' || (colls !== undefined && colls.includes(c.name));
    });
    const renames = (body['collection_renames'] as Record<string, string> | undefined) ?? {};
    const target = (c: MilvusCollection): NS => {
      const renamed = renames[`${c.db}.${c.name}`] ?? (c.db === DEFAULT_DB ? renames[c.name] : undefined);
      if (renamed !== undefined) return parseNS(renamed) ?? { db: c.db, name: renamed };
      const wildcard = renames[`${c.db}.*`];
      if (wildcard !== undefined) return { db: wildcard.slice(0, -2), name: c.name };
      return { db: c.db, name: c.name + suffix };
    };
    const requestId = (body['requestId'] as string | undefined) || randomUUID();
    const id = (body['id'] as string | undefined) || `restore_${new Date().toISOString().replace(/[-T:]/g, '_').slice(0, 20)}${process.hrtime()[1]}`;
    const task = board.startRestore(
      id,
      selected.map((c) => ({ source: c, target: target(c) })),
      body['dropExistCollection'] === true,
      {
        skipCreate: body['skipCreateCollection'] === true,
        metaOnly: body['metaOnly'] === true,
        format: stored.format,
      },
    );
    if (body['async'] === true) return ok({ requestId, msg: 'restore backup is executing asynchronously', data: restoreTaskResponse(task) });
    await board.ended(task.id);
    if (task.state === 3) return fail(3, task.errorMessage);
    return ok({ requestId, msg: 'success', data: restoreTaskResponse(task) });
  }

  function getRestore(request: RouteRequest): RouteResponse {
    const id = request.query.get('id') ?? '';
    const base = echoId(request);
    if (id === '') return ok({ ...base, code: 3, msg: 'empty restore id', data: null });
    const task = board.restoreTasks.get(id);
    if (task === undefined) return ok({ ...base, code: 3, msg: v9() ? 'restore id not exist in context' : 'task not found', data: null });
    return ok({ ...base, msg: 'success', data: restoreTaskResponse(task) });
  }

  const check = (): RouteResponse => ({
    status: 200,
    // v0.6 leads with the effective v2 configuration (internal/cfg/param WriteTable: tab-aligned, secrets masked).
    text: `${knowsFormat(generation()) ? CONFIG_TABLE : ''}\nMilvus version: ${board.milvus.version}\nStorage:\n  milvus-bucket: a-bucket\n  milvus-rootpath: files\n  backup-bucket: ${BACKUP_BUCKET}\n  backup-rootpath: ${BACKUP_ROOT}\n\nSuccess!\n`,
  });

  const routes: Record<string, (request: RouteRequest) => RouteResponse | Promise<RouteResponse>> = {
    'GET /api/v1/hello': () => ({ status: 200, text: HELLO }),
    'POST /api/v1/create': create,
    'GET /api/v1/list': list,
    'GET /api/v1/get_backup': getBackup,
    'DELETE /api/v1/delete': remove,
    'POST /api/v1/restore': restore,
    'GET /api/v1/get_restore': getRestore,
    'GET /api/v1/check': check,
  };

  return async (request) => {
    if (request.path === '/' || request.path === '') return { status: 200, text: HELLO };
    const route = routes[`${request.method} ${request.path}`];
    return route === undefined ? { status: 404, text: '404 page not found' } : route(request);
  };
}
