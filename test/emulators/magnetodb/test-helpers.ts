// Test support: MagnetoDB over plain HTTP (there is no official JS client), for the emulator's own tests,
// the plugin's contract harness and the end-to-end tests. Works against the emulator or a real server.

export interface HttpAnswer {
  status: number;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: any;
  text: string;
  headers: Headers;
}

export type TypedItem = Record<string, Record<string, unknown>>;

export interface MagnetoDbHttp {
  project: string;
  call(method: string, path: string, body?: unknown, token?: string): Promise<HttpAnswer>;
  /** POST /v1/data/{p}/tables/{table}/{action}; throws on a non-200 answer. */
  data(table: string, action: string, body: unknown): Promise<any>;
  createTable(definition: Record<string, unknown>): Promise<void>;
  /** Polls describe until the table is ACTIVE. */
  waitActive(table: string, timeoutMs?: number): Promise<Record<string, any>>;
  /** Deletes the table (no error when missing) and waits until it is gone. */
  dropTable(table: string, timeoutMs?: number): Promise<void>;
  listTables(): Promise<string[]>;
  describe(table: string): Promise<Record<string, any>>;
  /** Writes with batch_write_item in chunks of 25, resending unprocessed items. */
  putItems(table: string, items: TypedItem[]): Promise<void>;
  scanAll(table: string, pageSize?: number): Promise<TypedItem[]>;
}

export function magnetoDbHttp(options: { url: string; token: string; project: string }): MagnetoDbHttp {
  const base = options.url.replace(/\/+$/, '');
  const dataPath = `/v1/data/${encodeURIComponent(options.project)}`;

  const call = async (method: string, path: string, body?: unknown, token = options.token): Promise<HttpAnswer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-auth-token': token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };

  const ok = async (method: string, path: string, body?: unknown): Promise<any> => {
    const answer = await call(method, path, body);
    if (answer.status !== 200) throw new Error(`${method} ${path} → ${answer.status}: ${answer.text}`);
    return answer.body;
  };

  const describe = async (table: string): Promise<Record<string, any>> => (await ok('GET', `${dataPath}/tables/${table}`)).table;

  const http: MagnetoDbHttp = {
    project: options.project,
    call,
    data: (table, action, body) => ok('POST', `${dataPath}/tables/${table}/${action}`, body),
    async createTable(definition) {
      await ok('POST', `${dataPath}/tables`, definition);
    },
    async waitActive(table, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const description = await describe(table);
        if (description['table_status'] === 'ACTIVE') return description;
        if (Date.now() > deadline) throw new Error(`table ${table} still ${description['table_status']}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async dropTable(table, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await call('DELETE', `${dataPath}/tables/${table}`);
        if (answer.status === 404) return;
        // A table still CREATING cannot be deleted yet (ResourceInUseException): try again.
        if (answer.status !== 200 && answer.body?.error?.type !== 'ResourceInUseException') throw new Error(`drop ${table}: ${answer.text}`);
        if (Date.now() > deadline) throw new Error(`table ${table} is not gone after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async listTables() {
      const names: string[] = [];
      let start: string | undefined;
      for (;;) {
        const query = `limit=100${start === undefined ? '' : `&exclusive_start_table_name=${encodeURIComponent(start)}`}`;
        const page = await ok('GET', `${dataPath}/tables?${query}`);
        names.push(...(page.tables as { href: string }[]).map((link) => decodeURIComponent(link.href.split('/').at(-1)!)));
        start = page.last_evaluated_table_name;
        if (start === undefined) return names;
      }
    },
    describe,
    async putItems(table, items) {
      for (let i = 0; i < items.length; i += 25) {
        let pending: unknown[] = items.slice(i, i + 25).map((item) => ({ put_request: { item } }));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 50) throw new Error(`batch_write_item keeps items unprocessed in ${table}`);
          const answer = await ok('POST', `${dataPath}/batch_write_item`, { request_items: { [table]: pending } });
          pending = answer.unprocessed_items?.[table] ?? [];
        }
      }
    },
    async scanAll(table, pageSize = 500) {
      const items: TypedItem[] = [];
      let start: unknown;
      for (;;) {
        const page = await http.data(table, 'scan', { limit: pageSize, ...(start === undefined ? {} : { exclusive_start_key: start }) });
        items.push(...(page.items ?? []));
        start = page.last_evaluated_key;
        if (start === undefined) return items;
      }
    },
  };
  return http;
}
