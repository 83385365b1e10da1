// The only file that speaks to MagnetoDB: its OpenStack REST API (data API v1 and /healthcheck) over fetch,
// every request bound to the job's AbortSignal plus a per-request timeout, every answer checked with zod,
// every failure turned into a coded GatewayError (the token never appears in a message).
import { z } from 'zod';
import { callEngine, fetchEngine, parseEngineJson, pathSegment, sleepOrCancel, timerMs } from '../../src/plugin.ts';
/** Cancel and status helpers of the kit, for this plugin's other files. */
export { canceledError, engineStatus, sleepOrCancel, throwIfCanceled } from '../../src/plugin.ts';
import { GatewayError } from '../../src/errors.ts';

export interface MagnetoDbConnection {
  url: string;
  projectId: string;
  token: string;
  timeoutMs: number;
}

/** `{"<type>": value}` with exactly one key, kept exactly as MagnetoDB returns it. */
export const typedValue = z.record(z.string(), z.unknown()).refine((value) => Object.keys(value).length === 1, 'a typed value has exactly one type key');
export const typedItem = z.record(z.string(), typedValue);
export type TypedItem = z.infer<typeof typedItem>;

export const keyElement = z.object({ attribute_name: z.string(), key_type: z.enum(['HASH', 'RANGE']) });
export const attributeDefinition = z.object({ attribute_name: z.string(), attribute_type: z.string() });
export const projection = z.object({
  projection_type: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']),
  non_key_attributes: z.array(z.string()).optional(),
});
const indexDescription = z.looseObject({ index_name: z.string(), key_schema: z.array(keyElement), projection });

export const tableDescription = z.looseObject({
  table_name: z.string(),
  table_status: z.string(),
  attribute_definitions: z.array(attributeDefinition),
  key_schema: z.array(keyElement).min(1).max(2),
  local_secondary_indexes: z.array(indexDescription).optional(),
  table_id: z.string().optional(),
  creation_date_time: z.unknown().optional(),
});
export type TableDescription = z.infer<typeof tableDescription>;

/** The create_table body. */
export interface TableDefinition {
  table_name: string;
  attribute_definitions: z.infer<typeof attributeDefinition>[];
  key_schema: z.infer<typeof keyElement>[];
  local_secondary_indexes?: { index_name: string; key_schema: z.infer<typeof keyElement>[]; projection: z.infer<typeof projection> }[];
}

/** One scan_filter condition: `{"comparison_operator", "attribute_value_list"}` (engine-api.md §4.5). */
export interface ScanCondition {
  comparison_operator: string;
  attribute_value_list?: Record<string, unknown>[];
}
export type ScanFilter = Record<string, ScanCondition>;

export interface ScanPage {
  count: number;
  items: TypedItem[];
  lastEvaluatedKey: TypedItem | null;
}

const faultBody = z.object({ error: z.object({ message: z.string(), type: z.string() }) });
const scanAnswer = z.object({ count: z.number(), items: z.array(typedItem).optional(), last_evaluated_key: typedItem.optional() });
const listAnswer = z.object({ tables: z.array(z.object({ href: z.string() })), last_evaluated_table_name: z.string().optional() });
const batchWriteAnswer = z.object({
  unprocessed_items: z.record(z.string(), z.array(z.looseObject({ put_request: z.object({ item: typedItem }).optional() }))).optional(),
});

/** A record of the management backup API (§4.7); kept whole, whatever else it carries. */
export const managementBackup = z.looseObject({
  backup_id: z.string(),
  backup_name: z.string().nullable().optional(),
  table_name: z.string(),
  status: z.string(),
  strategy: z.record(z.string(), z.unknown()).optional(),
  location: z.string().nullable().optional(),
});
export type ManagementBackup = z.infer<typeof managementBackup>;
const managementBackupList = z.object({ backups: z.array(managementBackup), last_evaluated_backup_id: z.string().optional() });

const LIST_PAGE = 100;
const COUNT_PAGE = 10_000;

/** MagnetoDB's exception class name (`TableNotExistsException`, `ResourceInUseException`, …) of a failed call. */
export function engineType(error: unknown): string | null {
  const type = error instanceof GatewayError ? error.details?.['engineType'] : undefined;
  return typeof type === 'string' ? type : null;
}

export class MagnetoDbClient {
  readonly #connection: MagnetoDbConnection;
  readonly #base: string;
  readonly #data: string;

  constructor(connection: MagnetoDbConnection) {
    this.#connection = { ...connection, timeoutMs: timerMs(connection.timeoutMs) };
    this.#base = connection.url.replace(/\/+$/, '');
    this.#data = `/v1/data/${encodeURIComponent(connection.projectId)}`;
  }

  /** GET /healthcheck: `{"API": "OK"}` when the API process is up (no token needed). */
  async healthcheck(signal: AbortSignal): Promise<Record<string, string>> {
    return this.#request('healthcheck', 'GET', '/healthcheck', z.record(z.string(), z.string()), signal);
  }

  /** One page of table names; `limit: 1` is the cheapest call that proves the token and project. */
  async listTablesPage(limit: number, start: string | null, signal: AbortSignal): Promise<{ names: string[]; next: string | null }> {
    const query = `limit=${limit}${start === null ? '' : `&exclusive_start_table_name=${encodeURIComponent(start)}`}`;
    const page = await this.#request('list tables', 'GET', `${this.#data}/tables?${query}`, listAnswer, signal);
    // Names only come as hrefs `<request url>/<name>`.
    const names = page.tables.map((link) => decodeURIComponent(link.href.replace(/\/+$/, '').split('/').at(-1) ?? ''));
    return { names, next: page.last_evaluated_table_name ?? null };
  }

  async listTableNames(signal: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    for (let start: string | null = null; ;) {
      const page = await this.listTablesPage(LIST_PAGE, start, signal);
      names.push(...page.names);
      if (page.next === null || page.names.length === 0) return names;
      start = page.next;
    }
  }

  async describeTable(table: string, signal: AbortSignal): Promise<TableDescription> {
    return (await this.#request('describe table', 'GET', this.#table(table), z.object({ table: tableDescription }), signal)).table;
  }

  /** null when the table does not exist. */
  async findTable(table: string, signal: AbortSignal): Promise<TableDescription | null> {
    try {
      return await this.describeTable(table, signal);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'collection_not_found') return null;
      throw error;
    }
  }

  async createTable(definition: TableDefinition, signal: AbortSignal): Promise<TableDescription> {
    const answer = await this.#request('create table', 'POST', `${this.#data}/tables`, z.object({ table_description: tableDescription }), signal, definition);
    return answer.table_description;
  }

  async deleteTable(table: string, signal: AbortSignal): Promise<void> {
    await this.#request('delete table', 'DELETE', this.#table(table), z.unknown(), signal);
  }

  /**
   * One scan page. MagnetoDB applies `filter` to the `limit` items it read, so a filtered page may hold fewer
   * items (even none) and still carry `last_evaluated_key`: keep paging until the marker is absent.
   */
  async scan(table: string, page: { limit: number; exclusiveStartKey: TypedItem | null; countOnly?: boolean; filter?: ScanFilter | null }, signal: AbortSignal): Promise<ScanPage> {
    const body = {
      limit: page.limit,
      ...(page.countOnly ? { select: 'COUNT' } : {}),
      ...(page.filter ? { scan_filter: page.filter } : {}),
      ...(page.exclusiveStartKey === null ? {} : { exclusive_start_key: page.exclusiveStartKey }),
    };
    const answer = await this.#request('scan', 'POST', `${this.#table(table)}/scan`, scanAnswer, signal, body);
    return { count: answer.count, items: answer.items ?? [], lastEvaluatedKey: answer.last_evaluated_key ?? null };
  }

  /** Exact item count by COUNT scans (MagnetoDB's describe always says item_count 0); `filter` counts the matching ones. */
  async countItems(table: string, signal: AbortSignal, filter: ScanFilter | null = null): Promise<number> {
    let count = 0;
    for (let start: TypedItem | null = null; ;) {
      const page = await this.scan(table, { limit: COUNT_PAGE, exclusiveStartKey: start, countOnly: true, filter }, signal);
      count += page.count;
      if (page.lastEvaluatedKey === null) return count;
      start = page.lastEvaluatedKey;
    }
  }

  /** Puts items with one batch_write_item call; returns the items MagnetoDB left unprocessed. */
  async batchWriteItem(table: string, items: readonly TypedItem[], signal: AbortSignal): Promise<TypedItem[]> {
    const body = { request_items: { [table]: items.map((item) => ({ put_request: { item } })) } };
    const answer = await this.#request('batch_write_item', 'POST', `${this.#data}/batch_write_item`, batchWriteAnswer, signal, body);
    const unprocessed = answer.unprocessed_items?.[table] ?? [];
    return unprocessed.flatMap((request) => (request.put_request === undefined ? [] : [request.put_request.item]));
  }

  /** Polls describe until the table is ACTIVE; CREATE_FAILED is restore_failed, the deadline engine_timeout. */
  async waitUntilActive(table: string, options: { timeoutMs: number; signal: AbortSignal }): Promise<TableDescription> {
    const deadline = Date.now() + options.timeoutMs;
    for (let interval = 10; ; interval = Math.min(interval * 2, 500)) {
      const description = await this.describeTable(table, options.signal);
      if (description.table_status === 'ACTIVE') return description;
      if (description.table_status !== 'CREATING') {
        throw new GatewayError('restore_failed', `MagnetoDB table ${table} is ${description.table_status} instead of ACTIVE`, { details: { table } });
      }
      if (Date.now() + interval > deadline) throw new GatewayError('engine_timeout', `MagnetoDB table ${table} still CREATING after ${options.timeoutMs} ms`);
      await sleepOrCancel(interval, options.signal);
    }
  }

  /** Deletes the table and waits until it is gone; a table still CREATING is deleted once it may be. */
  async dropTable(table: string, options: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    let requested = false;
    for (let interval = 10; ; interval = Math.min(interval * 2, 500)) {
      try {
        if (!requested) {
          await this.deleteTable(table, options.signal);
          requested = true;
        }
        const description = await this.describeTable(table, options.signal);
        if (description.table_status === 'DELETE_FAILED') throw new GatewayError('engine_error', `MagnetoDB could not delete table ${table} (DELETE_FAILED)`);
      } catch (error) {
        if (error instanceof GatewayError && error.code === 'collection_not_found') return;
        if (engineType(error) !== 'ResourceInUseException') throw error;
      }
      if (Date.now() + interval > deadline) throw new GatewayError('engine_timeout', `MagnetoDB table ${table} not deleted after ${options.timeoutMs} ms`);
      await sleepOrCancel(interval, options.signal);
    }
  }

  /** POST /v1/management/{project}/tables/{table}/backups: as shipped, a metadata row and nothing else (§4.7). */
  async createManagementBackup(table: string, body: { backup_name: string; strategy: Record<string, unknown> }, signal: AbortSignal): Promise<ManagementBackup> {
    return this.#request('create management backup', 'POST', `${this.#management(table)}/backups`, managementBackup, signal, body);
  }

  /** Every management backup record of the table (GET …/backups, paged by exclusive_start_backup_id). */
  async listManagementBackups(table: string, signal: AbortSignal): Promise<ManagementBackup[]> {
    const backups: ManagementBackup[] = [];
    for (let start: string | null = null; ;) {
      const query: string = `limit=${LIST_PAGE}${start === null ? '' : `&exclusive_start_backup_id=${encodeURIComponent(start)}`}`;
      const page: z.infer<typeof managementBackupList> = await this.#request(
        'list management backups',
        'GET',
        `${this.#management(table)}/backups?${query}`,
        managementBackupList,
        signal,
      );
      backups.push(...page.backups);
      if (page.last_evaluated_backup_id === undefined || page.backups.length === 0) return backups;
      start = page.last_evaluated_backup_id;
    }
  }

  /** Where a management backup record lives, for the catalog (no host, no token). */
  managementBackupPath(table: string, backupId: string): string {
    return `/v1/management/${encodeURIComponent(this.#connection.projectId)}/tables/${pathSegment(table)}/backups/${pathSegment(backupId)}`;
  }

  #management(table: string): string {
    return `/v1/management/${encodeURIComponent(this.#connection.projectId)}/tables/${pathSegment(table)}`;
  }

  #table(table: string): string {
    return `${this.#data}/tables/${pathSegment(table)}`;
  }

  /** Reads (GET, scan) are retried on transient failures; writes and the health probe are sent once. */
  #request<T>(operation: string, method: string, path: string, schema: z.ZodType<T>, signal: AbortSignal, body?: unknown): Promise<T> {
    const idempotent = (method === 'GET' && operation !== 'healthcheck') || operation === 'scan';
    return callEngine({ idempotent, signal }, () => this.#requestOnce(operation, method, path, schema, signal, body));
  }

  async #requestOnce<T>(operation: string, method: string, path: string, schema: z.ZodType<T>, signal: AbortSignal, body?: unknown): Promise<T> {
    const headers = { 'x-auth-token': this.#connection.token };
    const answer = await fetchEngine(`MagnetoDB ${operation}`, `${this.#base}${path}`, { method, headers, body }, signal, this.#connection.timeoutMs);
    if (answer.status < 200 || answer.status > 299) throw httpError(operation, answer.status, answer.text);
    return parseEngineJson(`MagnetoDB ${operation}`, answer, schema);
  }
}

/** FaultWrapper bodies carry the exception class; keystonemiddleware's 401 is plain text. */
function httpError(operation: string, status: number, text: string): GatewayError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const fault = faultBody.safeParse(json);
  const engineTypeName = fault.success ? fault.data.error.type : null;
  const engineMessage = fault.success ? fault.data.error.message : text.trim().slice(0, 200);
  const details = { status, engineType: engineTypeName, engineMessage };
  if (status === 401 || status === 403) {
    const reason = status === 401 ? 'the token was refused' : 'the token may not use this project';
    return new GatewayError('engine_auth_failed', `MagnetoDB ${operation}: ${reason} (${status} ${engineMessage})`, { details });
  }
  if (engineTypeName === 'TableNotExistsException') {
    return new GatewayError('collection_not_found', `MagnetoDB ${operation}: ${engineMessage}`, { details });
  }
  return new GatewayError('engine_error', `MagnetoDB ${operation} failed (${status} ${engineTypeName ?? 'error'}): ${engineMessage}`, { details });
}
