// Property-based fuzzing of the GraphQL API through yoga.fetch: thousands of hostile inputs (names, ids, paths,
// huge strings, wrong types, cron strings, JSON configs, deep and wide documents, broken bodies and headers).
// Properties: never a 5xx, never `internal`, every error coded from the catalogue, the process unharmed.
// FUZZ_SCALE=10 multiplies the runs (default ~3,000 requests in ~30 s).
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '../../src/errors.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { anyJson, cronish, engineConfig, hostileDocument, hostileJson, hostileString, maybe, urlish, wrongOr } from './arbitraries.ts';

const MASTER_KEY = 'fuzz-master-key-0123456789';
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

interface Outcome {
  status: number;
  codes: string[];
  problem: string | null;
}

describe('fuzzed GraphQL input', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let importDir: string;
  let dumpsDir: string;
  const known = { engineId: '', jobId: '', backupId: '' };
  const stats = { requests: 0, byStatus: new Map<number, number>(), byCode: new Map<string, number>() };
  const outsideConnections: string[] = [];
  const originalConnect = net.Socket.prototype.connect;

  beforeAll(async () => {
    // Safety net: this test may only ever reach 127.0.0.1. Any other connection is refused and fails the test.
    net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
      const first = args[0] as { host?: string; path?: string } | number | string | unknown[];
      const options = Array.isArray(first) ? (first[0] as { host?: string; path?: string }) : first;
      const host =
        typeof options === 'object' && options !== null ? (options.path ? '127.0.0.1' : (options.host ?? 'localhost')) : typeof args[1] === 'string' ? args[1] : 'localhost';
      if (!['127.0.0.1', 'localhost', '::ffff:127.0.0.1'].includes(host)) {
        outsideConnections.push(host);
        throw new Error(`fuzz test refused a connection to ${host}`);
      }
      return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof net.Socket.prototype.connect;

    emulator = await startMeilisearchEmulator();
    importDir = await mkdtemp(path.join(os.tmpdir(), 'gw-fuzz-import-'));
    dumpsDir = await mkdtemp(path.join(os.tmpdir(), 'gw-fuzz-dumps-'));
    t = await startTestGateway({ masterKey: MASTER_KEY, env: { GATEWAY_IMPORT_DIR: importDir, GATEWAY_DUMPS_DIR: dumpsDir, GATEWAY_LOG_LEVEL: 'warn' } });
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'fuzz-engine', plugin: 'meilisearch', config: { url: emulator.url } },
    });
    known.engineId = registered.data!.registerEngine.id;
    await fetch(`${emulator.url}/indexes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uid: 'movies', primaryKey: 'id' }) });
    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id backup { id } } }`, { e: known.engineId });
    known.jobId = started.data!.startBackup.id;
    known.backupId = started.data!.startBackup.backup.id;
    await waitForJob(t, known.jobId);
  });
  afterAll(async () => {
    net.Socket.prototype.connect = originalConnect;
    await t?.close();
    await emulator?.close();
    await rm(importDir, { recursive: true, force: true });
    await rm(dumpsDir, { recursive: true, force: true });
  });

  /** Sends one request and checks the promises; returns what was wrong, if anything. */
  async function send(init: { body?: BodyInit | null; headers?: Record<string, string>; method?: string; url?: string }): Promise<Outcome> {
    const response = await t.yoga.fetch(init.url ?? 'http://gateway.test/graphql', {
      method: init.method ?? 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${MASTER_KEY}`, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    stats.requests++;
    stats.byStatus.set(response.status, (stats.byStatus.get(response.status) ?? 0) + 1);
    const text = await readSome(response);
    const outcome: Outcome = { status: response.status, codes: [], problem: null };
    if (response.status >= 500) outcome.problem = `HTTP ${response.status}: ${text.slice(0, 300)}`;
    if (!text && (response.status === 204 || response.status === 404)) return outcome; // a CORS preflight; not the GraphQL endpoint
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('text/html') && response.status === 200) return outcome; // GraphiQL, for a browser's GET
    const payloads = type.includes('text/event-stream')
      ? [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]!)
      : type.includes('multipart/mixed')
        ? [...text.matchAll(/\r\n\r\n(.*?)\r\n---/gs)].map((m) => m[1]!)
        : [text];
    for (const payload of payloads) {
      let body: { data?: unknown; errors?: Array<{ message?: string; extensions?: { code?: unknown; type?: unknown } }> };
      try {
        body = JSON.parse(payload) as typeof body;
      } catch {
        outcome.problem ??= `HTTP ${response.status} with a body that is not JSON: ${payload.slice(0, 200)}`;
        continue;
      }
      if (body.errors === undefined && body.data === undefined) outcome.problem ??= `neither data nor errors: ${payload.slice(0, 200)}`;
      for (const error of body.errors ?? []) {
        const code = error.extensions?.code;
        if (typeof code === 'string') {
          outcome.codes.push(code);
          stats.byCode.set(code, (stats.byCode.get(code) ?? 0) + 1);
        }
        if (!isErrorCode(code) || typeof error.extensions?.type !== 'string') outcome.problem ??= `uncoded error: ${JSON.stringify(error).slice(0, 300)}`;
        else if (code === 'internal') outcome.problem ??= `internal error: ${error.message}`;
      }
    }
    return outcome;
  }

  const gql = (query: string, variables?: unknown, headers?: Record<string, string>) => send({ body: JSON.stringify({ query, variables }), ...(headers ? { headers } : {}) });

  function assertClean(outcome: Outcome): void {
    if (outcome.problem) throw new Error(outcome.problem);
  }

  const assertOptions = (runs: number) => ({ numRuns: Math.round(runs * SCALE), ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true });

  it('hostile variables for every root field: coded errors, never a 5xx', async () => {
    const id = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(known.engineId, known.jobId, known.backupId) },
      { weight: 2, arbitrary: fc.uuid() },
      { weight: 3, arbitrary: hostileString },
    );
    const names = fc.oneof(hostileString, fc.stringMatching(/^[A-Za-z0-9 ._-]{1,128}$/));
    const collections = maybe(wrongOr(fc.array(names, { maxLength: 5 })));
    const enumOf = (...values: string[]) => wrongOr(fc.constantFrom(...values, ...values.map((v) => v.toLowerCase()), 'NOPE'));
    const pathish = fc.oneof(hostileString, fc.constantFrom(importDir, `${importDir}/x.dump`, `${importDir}/../x`, '/dev/zero', '/proc/self/mem', '/'));
    const retention = maybe(
      wrongOr(fc.record({ keepLast: wrongOr(fc.integer()), keepDaily: wrongOr(fc.integer()), maxAgeDays: wrongOr(fc.double({ noNaN: true })) }, { requiredKeys: [] })),
    );
    const credentials = maybe(wrongOr(fc.record({ accessKeyId: hostileString, secretAccessKey: hostileString })));
    const webhookUrl = fc.oneof(
      urlish(emulator.url),
      hostileString.filter((s) => !s.includes('://') && !s.includes('.')),
    );

    const operations: Array<fc.Arbitrary<{ query: string; variables: unknown }>> = [
      op('mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id name config health { ok } } }', {
        i: wrongOr(
          fc.record({
            name: wrongOr(names),
            plugin: wrongOr(fc.oneof(fc.constantFrom('meilisearch', 'typesense', 'milvus', 'magnetodb'), hostileString)),
            config: engineConfig(emulator.url),
          }),
        ),
      }),
      op('mutation($id: ID!, $i: UpdateEngineInput!) { updateEngine(id: $id, input: $i) { id name } }', {
        id,
        i: wrongOr(fc.record({ name: maybe(wrongOr(names)), config: maybe(engineConfig(emulator.url)) }, { requiredKeys: [] })),
      }),
      op('mutation($id: ID!) { removeEngine(id: $id) }', { id: fc.oneof(fc.uuid(), hostileString) }),
      op('mutation($i: StartBackupInput!) { startBackup(input: $i) { id status } }', {
        i: wrongOr(
          fc.record(
            {
              engineId: id,
              collections,
              strategy: maybe(enumOf('LOGICAL', 'NATIVE')),
              type: maybe(enumOf('FULL', 'INCREMENTAL')),
              name: maybe(wrongOr(names)),
              labels: maybe(hostileJson),
              timeoutSeconds: maybe(wrongOr(fc.integer())),
              storageId: maybe(fc.oneof(fc.constant('local'), id)),
            },
            { requiredKeys: ['engineId'] },
          ),
        ),
      }),
      op('mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }', {
        i: wrongOr(
          fc.record(
            {
              backupId: id,
              engineId: maybe(id),
              collections,
              rename: maybe(wrongOr(fc.array(fc.record({ from: wrongOr(names), to: wrongOr(names) }), { maxLength: 4 }))),
              atomic: maybe(wrongOr(fc.boolean())),
              dropExisting: maybe(wrongOr(fc.boolean())),
              timeoutSeconds: maybe(wrongOr(fc.integer())),
              credentials,
            },
            { requiredKeys: ['backupId'] },
          ),
        ),
      }),
      op('mutation($id: ID!) { cancelJob(id: $id) { id status } }', { id }),
      op('mutation($id: ID!) { deleteBackup(id: $id) { id status } }', { id: fc.oneof(fc.uuid(), hostileString) }),
      op('mutation($i: ImportBackupInput!) { importBackup(input: $i) { id } }', {
        i: wrongOr(
          fc.record(
            { plugin: wrongOr(fc.oneof(fc.constant('meilisearch'), hostileString)), path: wrongOr(pathish), name: maybe(wrongOr(names)) },
            { requiredKeys: ['plugin', 'path'] },
          ),
        ),
      }),
      op('mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }', {
        i: wrongOr(fc.record({ name: wrongOr(names), scope: enumOf('ADMIN', 'OPERATOR', 'VIEWER') })),
      }),
      op('mutation($id: ID!) { revokeApiKey(id: $id) }', { id }),
      op('mutation($id: ID!) { syncEngineBackups(engineId: $id) { __typename } }', { id }),
      op('mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }', {
        i: wrongOr(
          fc.record(
            {
              engineId: id,
              cron: wrongOr(cronish),
              timezone: maybe(wrongOr(fc.oneof(fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York'), hostileString))),
              name: maybe(wrongOr(names)),
              collections,
              paused: fc.constant(true),
              retention,
            },
            { requiredKeys: ['engineId', 'cron'] },
          ),
        ),
      }),
      op('mutation($id: ID!, $i: UpdateScheduleInput!) { updateSchedule(id: $id, input: $i) { id } }', {
        id,
        i: wrongOr(fc.record({ cron: maybe(wrongOr(cronish)), timezone: maybe(hostileString), name: maybe(names) }, { requiredKeys: [] })),
      }),
      op('mutation($id: ID!) { deleteSchedule(id: $id) }', { id }),
      op('mutation($id: ID!, $p: RetentionPolicyInput) { setRetention(engineId: $id, policy: $p) { id } }', { id, p: retention }),
      op('query($id: ID!, $p: RetentionPolicyInput) { planRetention(engineId: $id, policy: $p) { __typename } }', { id, p: retention }),
      op('mutation($id: ID!, $pinned: Boolean) { pinBackup(id: $id, pinned: $pinned) { id } }', { id, pinned: maybe(wrongOr(fc.boolean())) }),
      op('mutation($id: ID!, $e: ID, $c: StorageCredentialsInput) { verifyBackup(id: $id, engineId: $e, credentials: $c) { id } }', { id, e: maybe(id), c: credentials }),
      op('mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }', {
        i: wrongOr(
          fc.record({ url: wrongOr(webhookUrl), secret: wrongOr(hostileString), events: wrongOr(fc.array(hostileString, { maxLength: 3 })), description: maybe(hostileString) }),
        ),
      }),
      op('query($id: ID!) { engine(id: $id) { id name collections { name documentCount locked } } }', { id }),
      op('query($id: ID!, $last: Int) { job(id: $id) { id status events(last: $last) { phase } progress { percent } } }', { id, last: maybe(wrongOr(fc.integer())) }),
      op('query($id: ID!) { backup(id: $id) { id artifacts { path } collections { name } parent { id } } }', { id }),
      op('query($f: Int, $a: String, $s: [BackupStatus!], $e: ID) { backups(first: $f, after: $a, status: $s, engineId: $e) { totalCount nodes { id } } }', {
        f: maybe(wrongOr(fc.integer())),
        a: maybe(hostileString),
        s: maybe(wrongOr(fc.array(enumOf('COMPLETE', 'FAILED', 'PENDING'), { maxLength: 3 }))),
        e: maybe(id),
      }),
      op('query($f: Int, $a: String, $k: [JobKind!], $e: ID) { jobs(first: $f, after: $a, kind: $k, engineId: $e) { totalCount nodes { id } } }', {
        f: maybe(wrongOr(fc.integer())),
        a: maybe(hostileString),
        k: maybe(wrongOr(fc.array(enumOf('BACKUP', 'RESTORE'), { maxLength: 3 }))),
        e: maybe(id),
      }),
      op('query($id: ID!) { schedule(id: $id) { id } }', { id }),
      op('query($f: Int, $w: ID) { webhookDeliveries(first: $f, webhookId: $w) { __typename } }', { f: maybe(wrongOr(fc.integer())), w: maybe(id) }),
      op('{ engines { id name plugin config } plugins { name configSchema } apiKeys { id } }', {}),
      fc.record({ query: fc.constant('query($v: JSON) { __typename }'), variables: fc.oneof(anyJson, fc.record({ v: hostileJson })) }),
    ];

    await fc.assert(
      fc.asyncProperty(fc.oneof(...operations), async ({ query, variables }) => assertClean(await gql(query, variables))),
      assertOptions(2_000),
    );
  }, 300_000);

  it('hostile documents (deep, wide, cyclic, token soup, huge literals) end in coded errors', async () => {
    await fc.assert(
      fc.asyncProperty(hostileDocument, async (query) => assertClean(await gql(query))),
      assertOptions(300),
    );
    // The limits are those that answered.
    const deep = await gql(`{ backups { nodes { ${'parent { '.repeat(20)}id${' }'.repeat(20)} } } }`);
    expect(deep.codes).toEqual(['query_too_complex']);
    const wide = await gql(`{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: engines { id name plugin }`).join(' ')} }`);
    expect(wide.codes).toEqual(['query_too_complex']);
    const soup = await gql(`{ ${'__typename '.repeat(20_000)} }`);
    expect(soup.codes).toEqual(['query_too_complex']);
  }, 300_000);

  it('hostile transport: bodies, content types, methods, headers', async () => {
    const body = fc.oneof(
      fc.constantFrom(
        '',
        '{',
        '[]',
        '[{}]',
        'null',
        '"query"',
        '1',
        'true',
        '{"query": 5}',
        '{"query": null}',
        '{"query": "{ engines { id } }", "variables": []}',
        '{"query": "{ engines { id } }", "variables": "x"}',
        '{"query": "{ engines { id } }", "operationName": {}}',
        '{"query": "{ engines { id } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "x"}}}',
        '\ufeff{"query": "{ engines { id } }"}',
        '{"query": "{ engines { id } }", "__proto__": {"x": 1}}',
      ),
      fc.string({ unit: 'binary', maxLength: 500 }),
      fc.uint8Array({ maxLength: 500 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    );
    const header = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'application/json; charset=utf-16',
          'text/plain',
          'application/graphql',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'multipart/form-data',
          '',
          'application/graphql+json',
          '*/*',
        ),
        accept: fc.constantFrom('application/json', 'application/graphql-response+json', '*/*', 'text/html', 'image/png', 'multipart/mixed', ''),
        authorization: fc.oneof(
          fc.constantFrom(
            `Bearer ${MASTER_KEY}`,
            'Bearer',
            'Bearer ',
            `Basic ${Buffer.from('a:b').toString('base64')}`,
            `bearer ${MASTER_KEY}`,
            `Bearer ${'x'.repeat(10_000)}`,
            `Bearer ${MASTER_KEY} extra`,
          ),
          hostileString.map((s) => s.replace(/[\r\n\0]/g, '').slice(0, 500)).filter(isHeaderSafe),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), body, header, hostileString, async (method, payload, headers, queryParam) => {
        const withBody = method !== 'GET';
        const url = method === 'GET' ? `http://gateway.test/graphql?query=${encodeURIComponent(queryParam)}&variables=${encodeURIComponent(payload)}` : undefined;
        assertClean(await send({ method, headers, ...(withBody ? { body: payload } : {}), ...(url ? { url } : {}) }));
      }),
      assertOptions(700),
    );
    // Over the body limit, declared or streamed: request_too_large.
    const huge = JSON.stringify({ query: '{ engines { id } }', variables: { x: 'x'.repeat(1_100_000) } });
    expect((await send({ body: huge })).codes).toEqual(['request_too_large']);
    const streamed = new ReadableStream({ start: (controller) => (controller.enqueue(new TextEncoder().encode(huge)), controller.close()) });
    expect((await send({ body: streamed, ...({ duplex: 'half' } as object) })).codes).toEqual(['request_too_large']);
    const noAuth = await send({ body: JSON.stringify({ query: '{ engines { id } }' }), headers: { authorization: '' } });
    expect(noAuth).toMatchObject({ status: 401, codes: ['missing_authorization_header'] });
  }, 300_000);

  it('leaves the gateway healthy: no 5xx, no internal error, no connection outside 127.0.0.1', async () => {
    const health = await t.yoga.fetch('http://gateway.test/health');
    expect(health.status).toBe(200);
    const engines = await t.gql(`{ engine(id: "${known.engineId}") { id name } }`);
    expect(engines.errors).toBeUndefined();
    const fiveHundreds = [...stats.byStatus].filter(([status]) => status >= 500);
    console.info(
      `fuzz: ${stats.requests} requests; statuses ${JSON.stringify(Object.fromEntries(stats.byStatus))}; codes ${JSON.stringify(Object.fromEntries([...stats.byCode].sort((a, b) => b[1] - a[1])))}`,
    );
    expect(fiveHundreds).toEqual([]);
    expect(stats.byCode.get('internal') ?? 0).toBe(0);
    expect(stats.requests).toBeGreaterThanOrEqual(Math.round(3_000 * SCALE));
    expect(outsideConnections).toEqual([]);
    expect(t.logLines.filter((line) => line.includes('"level":"error"') && line.includes('unexpected error'))).toEqual([]);
  });
});

function op(query: string, variables: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<{ query: string; variables: unknown }> {
  return fc.record(variables).map((vars) => ({ query, variables: Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)) }));
}

function isHeaderSafe(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
}

async function readSome(response: Response): Promise<string> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream') && !type.includes('multipart/mixed')) return response.text();
  // A stream (a subscription): the first event or two is enough; then hang up.
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const deadline = Date.now() + 1_000;
  try {
    while (Date.now() < deadline && !/\n\n/.test(text.replace(/^:\n\n/, '')) && !/\r\n-----\r\n$|\}\r\n---/.test(text)) {
      const next = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), deadline - Date.now()))]);
      if (!next || next.done) break;
      text += next.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}
