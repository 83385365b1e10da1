// A real gateway for tests: a fresh database, a temp data dir, the job runner, and GraphQL through yoga.fetch.
import { loadConfig } from '../../src/config.ts';
import type { DatabaseKind } from '../../src/db/open.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { createGatewayYoga, type GatewayYoga } from '../../src/graphql/yoga.ts';
import { createTestDatabase } from './db.ts';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; type?: string; [key: string]: unknown } }>;
}

export interface TestGateway {
  gateway: Gateway;
  yoga: GatewayYoga;
  dataDir: string;
  logLines: string[];
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GraphQLResponse<T>>;
  /** A subscription over SSE; yields each `data` payload until the server completes the stream. */
  subscribe<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string | null): AsyncGenerator<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export async function startTestGateway(options: { db?: DatabaseKind; masterKey?: string; env?: Record<string, string>; runJobs?: boolean } = {}): Promise<TestGateway> {
  const database = await createTestDatabase(options.db ?? 'pglite');
  const logLines: string[] = [];
  const config = loadConfig({
    GATEWAY_DATA_DIR: database.dataDir,
    GATEWAY_LOG_LEVEL: 'debug',
    ...(options.masterKey ? { GATEWAY_MASTER_KEY: options.masterKey } : {}),
    ...options.env,
  });
  const gateway = await createGateway({
    config,
    database,
    logWrite: (line) => logLines.push(line),
    ...(options.runJobs === false ? { runJobs: false } : {}),
  });
  const yoga = createGatewayYoga(gateway);
  const defaultKey = options.masterKey ?? null;
  const headers = (key: string | null | undefined, accept: string) => ({
    'content-type': 'application/json',
    accept,
    ...((key === undefined ? defaultKey : key) ? { authorization: `Bearer ${key === undefined ? defaultKey : key}` } : {}),
  });

  return {
    gateway,
    yoga,
    dataDir: database.dataDir,
    logLines,
    async gql(query, variables, key) {
      const response = await yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: headers(key, 'application/graphql-response+json, application/json'),
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async *subscribe(query, variables, key) {
      const response = await yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: headers(key, 'text/event-stream'),
        body: JSON.stringify({ query, variables }),
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === 'complete') return;
            if (data) yield { status: response.status, ...JSON.parse(data) };
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    },
    async close() {
      await gateway.close();
      await database.close();
    },
  };
}

/** Polls a job until it ends; returns the job as GraphQL shows it. */
export async function waitForJob(t: TestGateway, id: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.gql(`query($id: ID!) { job(id: $id) { id status kind progress { phase completed total unit } error { code message type } } }`, { id });
    const job = res.data?.job;
    if (job && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not end in ${timeoutMs} ms: ${JSON.stringify(job ?? res.errors)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
