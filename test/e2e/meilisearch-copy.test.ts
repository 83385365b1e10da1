// copyEngine through GraphQL between two Meilisearch emulators: the source's own POST /export sends the indexes
// (settings, documents, a filter) to the target with the target's stored key, the export's batch progress shows
// as the job's progress and events; a source before 1.16 is refused before any job exists; a target that does
// not answer is `engine_unreachable`; the target's key appears in no answer, event or log line.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { startServer } from '../../src/server.ts';
import { createGateway } from '../../src/gateway.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const SOURCE_KEY = 'source-master-key-0001';
const TARGET_KEY = 'target-master-key-secret-0002';
const emulators: MeilisearchEmulator[] = [];
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
  await Promise.all(emulators.map((e) => e.close()));
});

async function emulator(version: string | undefined, masterKey: string): Promise<MeilisearchEmulator> {
  const started = await startMeilisearchEmulator({ masterKey, ...(version ? { version } : {}) });
  emulators.push(started);
  return started;
}

/** books (4, `genre` filterable, custom searchable attributes) and movies (2). */
async function seed(source: MeilisearchEmulator): Promise<void> {
  const client = new Meilisearch({ host: source.url, apiKey: SOURCE_KEY });
  await client.createIndex('books', { primaryKey: 'isbn' }).waitTask();
  await client
    .index('books')
    .updateSettings({ filterableAttributes: ['genre'], searchableAttributes: ['title', 'author'] })
    .waitTask();
  await client
    .index('books')
    .addDocuments([
      { isbn: 'a1', title: 'Dune', author: 'Herbert', genre: 'sf' },
      { isbn: 'a2', title: 'Emma', author: 'Austen', genre: 'classic' },
      { isbn: 'a3', title: 'Solaris', author: 'Lem', genre: 'sf' },
      { isbn: 'a4', title: 'Ubik', author: 'Dick', genre: 'sf' },
    ])
    .waitTask();
  await client
    .index('movies')
    .addDocuments([
      { id: 1, title: 'Alien' },
      { id: 2, title: 'Heat' },
    ])
    .waitTask();
}

async function register(name: string, url: string, apiKey: string): Promise<string> {
  const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name, plugin: 'meilisearch', config: { url, apiKey } } });
  expect(res.errors).toBeUndefined();
  return res.data!.registerEngine.id;
}

/** Statuses of the source's export tasks (the pinned meilisearch-js types predate the `export` task type). */
async function exportStatuses(url: string, status?: string): Promise<string[]> {
  const response = await fetch(`${url}/tasks?types=export${status ? `&statuses=${status}` : ''}`, { headers: { authorization: `Bearer ${SOURCE_KEY}` } });
  return ((await response.json()) as { results: Array<{ status: string }> }).results.map((task) => task.status);
}

const copyEngine = (input: Record<string, unknown>) => t.gql(`mutation($i: CopyEngineInput!) { copyEngine(input: $i) { id kind status } }`, { i: input });

async function copyJobs(): Promise<number> {
  const res = await t.gql(`query { jobs(kind: [COPY]) { totalCount } }`);
  expect(res.errors).toBeUndefined();
  return res.data!.jobs.totalCount;
}

describe('copyEngine (Meilisearch POST /export)', () => {
  it('copies every index with settings and documents, the export progress as the job progress', async () => {
    const source = await emulator(undefined, SOURCE_KEY);
    const target = await emulator(undefined, TARGET_KEY);
    await seed(source);
    const sourceId = await register('copy-source', source.url, SOURCE_KEY);
    const targetId = await register('copy-target', target.url, TARGET_KEY);
    // the export spends this long processing, its batch progress advancing meanwhile
    source.setOptions({ taskDelayMs: 1200 });

    const started = await copyEngine({ sourceEngineId: sourceId, targetEngineId: targetId });
    expect(started.errors).toBeUndefined();
    expect(started.data!.copyEngine.kind).toBe('COPY');
    const updates: Array<Record<string, any>> = [];
    const query = `subscription($id: ID!) { jobUpdated(id: $id) { status progress { phase completed total unit message } error { code message } } }`;
    for await (const message of t.subscribe(query, { id: started.data!.copyEngine.id })) updates.push(message.data!.jobUpdated);
    const last = updates.at(-1)!;
    expect(last.error).toBeNull();
    expect(last.status).toBe('SUCCEEDED');
    expect(last.progress.message).toContain('books (4 documents)');
    expect(last.progress.message).toContain('movies (2 documents)');
    // live progress from the export task's batch: a percentage strictly between the ends
    expect(updates.some((u) => u.progress.unit === 'percent' && u.progress.completed > 0 && u.progress.completed < 100)).toBe(true);

    const events = await t.gql(`query($id: ID!) { job(id: $id) { events(last: 100) { phase message } } }`, { id: started.data!.copyEngine.id });
    const phases = events.data!.job.events.map((e: { phase: string }) => e.phase);
    expect(phases).toEqual(expect.arrayContaining(['queued', 'export requested', 'exported', 'done']));

    const client = new Meilisearch({ host: target.url, apiKey: TARGET_KEY });
    const books = client.index('books');
    expect((await books.getStats()).numberOfDocuments).toBe(4);
    expect((await client.index('movies').getStats()).numberOfDocuments).toBe(2);
    expect(await books.getDocument('a3')).toMatchObject({ title: 'Solaris', author: 'Lem' });
    expect((await books.fetchInfo()).primaryKey).toBe('isbn');
    const settings = await books.getSettings();
    expect(settings.filterableAttributes).toEqual(['genre']);
    expect(settings.searchableAttributes).toEqual(['title', 'author']);

    // the target's key travels to the source engine only
    expect(JSON.stringify(updates)).not.toContain(TARGET_KEY);
    expect(JSON.stringify(events.data)).not.toContain(TARGET_KEY);
    expect(t.logLines.join('\n')).not.toContain(TARGET_KEY);
  });

  it('copies selected indexes with a filter', async () => {
    const source = await emulator(undefined, SOURCE_KEY);
    const target = await emulator(undefined, TARGET_KEY);
    await seed(source);
    const sourceId = await register('filter-source', source.url, SOURCE_KEY);
    const targetId = await register('filter-target', target.url, TARGET_KEY);
    const started = await copyEngine({ sourceEngineId: sourceId, targetEngineId: targetId, collections: ['books'], filter: 'genre = sf' });
    expect(started.errors).toBeUndefined();
    const job = await waitForJob(t, started.data!.copyEngine.id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('SUCCEEDED');
    const client = new Meilisearch({ host: target.url, apiKey: TARGET_KEY });
    const { results } = await client.index('books').getDocuments({ fields: ['isbn'] });
    expect(results.map((d) => d['isbn']).sort()).toEqual(['a1', 'a3', 'a4']);
    expect((await client.getIndexes()).results.map((i) => i.uid)).toEqual(['books']);
  });

  it('refuses a source without POST /export (before 1.16) before any job exists', async () => {
    const source = await emulator('1.12.8', SOURCE_KEY);
    const target = await emulator(undefined, TARGET_KEY);
    const sourceId = await register('old-source', source.url, SOURCE_KEY);
    const targetId = await register('new-target', target.url, TARGET_KEY);
    const before = await copyJobs();
    const refused = await copyEngine({ sourceEngineId: sourceId, targetEngineId: targetId });
    expect(refused.errors?.[0]?.extensions?.code).toBe('capability_not_supported');
    expect(refused.errors?.[0]?.message).toContain('1.12.8');
    expect(await copyJobs()).toBe(before);
  });

  it('refuses a target that does not answer, a copy into itself, and an unknown index', async () => {
    const source = await emulator(undefined, SOURCE_KEY);
    const gone = await emulator(undefined, TARGET_KEY);
    await seed(source);
    const sourceId = await register('lonely-source', source.url, SOURCE_KEY);
    const goneId = await register('gone-target', gone.url, TARGET_KEY);
    await gone.close();
    const refused = await copyEngine({ sourceEngineId: sourceId, targetEngineId: goneId });
    expect(refused.errors?.[0]?.extensions?.code).toBe('engine_unreachable');
    expect(refused.errors?.[0]?.message).not.toContain(TARGET_KEY);
    expect((await copyEngine({ sourceEngineId: sourceId, targetEngineId: sourceId })).errors?.[0]?.extensions?.code).toBe('invalid_input');

    const target = await emulator(undefined, TARGET_KEY);
    const targetId = await register('live-target', target.url, TARGET_KEY);
    const started = await copyEngine({ sourceEngineId: sourceId, targetEngineId: targetId, collections: ['nope'] });
    expect(started.errors).toBeUndefined();
    const job = await waitForJob(t, started.data!.copyEngine.id);
    expect(job.status).toBe('FAILED');
    expect(job.error.code).toBe('collection_not_found');
  });

  it('a canceled copy cancels the export task on the source', async () => {
    const source = await emulator(undefined, SOURCE_KEY);
    const target = await emulator(undefined, TARGET_KEY);
    await seed(source);
    const sourceId = await register('cancel-source', source.url, SOURCE_KEY);
    const targetId = await register('cancel-target', target.url, TARGET_KEY);
    source.setOptions({ taskDelayMs: 60_000 });
    const started = await copyEngine({ sourceEngineId: sourceId, targetEngineId: targetId });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.copyEngine.id;
    for (let i = 0; i < 400 && (await exportStatuses(source.url, 'processing')).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: jobId })).errors).toBeUndefined();
    const job = await waitForJob(t, jobId);
    expect(job.status).toBe('CANCELED');
    expect(await exportStatuses(source.url)).toEqual(['canceled']);
    expect((await new Meilisearch({ host: target.url, apiKey: TARGET_KEY }).getIndexes()).results).toEqual([]);
  });

  it('survives a gateway restart mid-export: the next run follows the same export task', async () => {
    const source = await emulator(undefined, SOURCE_KEY);
    const target = await emulator(undefined, TARGET_KEY);
    await seed(source);
    const own = await startTestGateway();
    const gql = own.gql.bind(own);
    const reg = async (name: string, url: string, apiKey: string) =>
      (await gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name, plugin: 'meilisearch', config: { url, apiKey } } })).data!.registerEngine
        .id;
    const sourceId = await reg('restart-source', source.url, SOURCE_KEY);
    const targetId = await reg('restart-target', target.url, TARGET_KEY);
    source.setOptions({ taskDelayMs: 1500 });
    const started = await gql(`mutation($i: CopyEngineInput!) { copyEngine(input: $i) { id } }`, { i: { sourceEngineId: sourceId, targetEngineId: targetId } });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.copyEngine.id as string;
    for (let i = 0; i < 400 && (await exportStatuses(source.url, 'processing')).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await own.gateway.close();
    const restarted = await createGateway({ config: own.gateway.config, database: own.gateway.db, logWrite: () => undefined });
    try {
      let job = await restarted.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
      for (let i = 0; i < 2000 && !['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        job = await restarted.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
      }
      expect(job.errorMessage).toBeNull();
      expect(job.status).toBe('SUCCEEDED');
      expect(await exportStatuses(source.url)).toEqual(['succeeded']);
      expect((await new Meilisearch({ host: target.url, apiKey: TARGET_KEY }).index('books').getStats()).numberOfDocuments).toBe(4);
    } finally {
      await restarted.close();
      await own.close().catch(() => undefined);
    }
  });

  it('runs from the CLI: engines copy <source> <target> --collections --filter --wait', async () => {
    const source = await emulator(undefined, SOURCE_KEY);
    const target = await emulator(undefined, TARGET_KEY);
    await seed(source);
    await register('cli-source', source.url, SOURCE_KEY);
    await register('cli-target', target.url, TARGET_KEY);
    const server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    try {
      let stdout = '';
      let stderr = '';
      const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { GATEWAY_URL: server.url } };
      const code = await runCli(['engines', 'copy', 'cli-source', 'cli-target', '--collections', 'books', '--filter', 'genre = classic', '--wait'], io);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/^Copy job \S+ SUCCEEDED/);
    } finally {
      await server.close();
    }
    const client = new Meilisearch({ host: target.url, apiKey: TARGET_KEY });
    expect((await client.index('books').getDocuments()).results).toEqual([{ isbn: 'a2', title: 'Emma', author: 'Austen', genre: 'classic' }]);
  });
});
