// The measured pairs of `npm run bench`: each gateway operation and the script a user would write instead,
// against the same emulator, alternately.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Meilisearch } from 'meilisearch';
import { Client as TypesenseSdk } from 'typesense';
import type { Gateway } from '../src/gateway.ts';
import { TYPESENSE_KEY } from './lib.ts';

export type EngineName = 'meilisearch' | 'typesense';
const PAGE_SIZE = 1000;
const NAIVE_MEILISEARCH_CALL = 50_000;

/** Meilisearch: pages (with stored embeddings) fetched one after another, written as JSON lines through `gzip -1`. */
export async function meilisearchFetchGzip(url: string, index: string, file: string): Promise<number> {
  async function* lines() {
    for (let offset = 0; ; offset += PAGE_SIZE) {
      // retrieveVectors: a backup that drops stored embeddings is not the same backup (the gateway keeps them).
      const response = await fetch(`${url}/indexes/${index}/documents?offset=${offset}&limit=${PAGE_SIZE}&retrieveVectors=true`);
      const page = (await response.json()) as { results: unknown[] };
      if (page.results.length === 0) return;
      yield page.results.map((doc) => JSON.stringify(doc)).join('\n') + '\n';
      if (page.results.length < PAGE_SIZE) return;
    }
  }
  await pipeline(Readable.from(lines()), createGzip({ level: 1 }), createWriteStream(file));
  return (await stat(file)).size;
}

/** Typesense: `curl …/documents/export | gzip -1 > file`, the shell pipe itself. */
export async function typesenseCurlGzip(url: string, collection: string, file: string): Promise<number> {
  const script = `curl -sf -H "X-TYPESENSE-API-KEY: ${TYPESENSE_KEY}" "${url}/collections/${collection}/documents/export" | gzip -1 > "${file}"`;
  const child = spawn('bash', ['-o', 'pipefail', '-c', script], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`curl | gzip exited with ${code}`);
  return (await stat(file)).size;
}

/** The naive restore: every document of the baseline file in memory, one official-client call (Meilisearch: per 50k). */
export async function naiveRestore(engine: EngineName, url: string, file: string, target: string, source: string): Promise<void> {
  const text = (await readFile(file)).length > 0 ? await gunzipText(file) : '';
  const documents = text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  if (engine === 'meilisearch') {
    const client = new Meilisearch({ host: url });
    await client.createIndex(target, { primaryKey: 'id' }).waitTask();
    // One call per 50k documents: one call for all would pass Meilisearch's 100 MB payload limit.
    for (let start = 0; start < documents.length; start += NAIVE_MEILISEARCH_CALL) {
      await client
        .index(target)
        .addDocuments(documents.slice(start, start + NAIVE_MEILISEARCH_CALL))
        .waitTask({ timeout: 600_000, interval: 50 });
    }
  } else {
    const client = typesenseSdk(url);
    const schema = await client.collections(source).retrieve();
    await client.collections().create({ name: target, fields: schema.fields, enable_nested_fields: schema.enable_nested_fields ?? false });
    await client.collections(target).documents().import(documents, { action: 'create' });
  }
}

export async function dropCollection(engine: EngineName, url: string, name: string): Promise<void> {
  if (engine === 'meilisearch') {
    const client = new Meilisearch({ host: url });
    await client
      .deleteIndex(name)
      .waitTask()
      .catch(() => undefined);
  } else {
    await typesenseSdk(url)
      .collections(name)
      .delete()
      .catch(() => undefined);
  }
}

export function typesenseSdk(url: string): TypesenseSdk {
  const parsed = new URL(url);
  return new TypesenseSdk({
    nodes: [{ host: parsed.hostname, port: Number(parsed.port), protocol: 'http' }],
    apiKey: TYPESENSE_KEY,
    connectionTimeoutSeconds: 600,
    logLevel: 'error',
  });
}

async function gunzipText(file: string): Promise<string> {
  const parts: Buffer[] = [];
  await pipeline(createReadStream(file), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) parts.push(chunk);
  });
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Waits for a job's end through the job bus, as a subscriber would: polling the database every few ms would
 * load the (embedded) database on the gateway's own thread and slow the job it measures.
 */
export async function awaitJob(gateway: Gateway, jobId: string): Promise<void> {
  let last: Awaited<ReturnType<Gateway['jobs']['get']>> | undefined;
  for await (const job of gateway.bus.follow(jobId, () => gateway.jobs.get(jobId))) last = job;
  if (last?.status !== 'SUCCEEDED') throw new Error(`job ${last?.status}: ${last?.errorMessage}`);
}

export async function gatewayBackup(gateway: Gateway, engineId: string, collections: string[]): Promise<string> {
  const job = await gateway.jobs.startBackup({ engineId, collections }, 'bench');
  await awaitJob(gateway, job.id);
  if (process.env.BENCH_DEBUG) {
    const done = await gateway.jobs.get(job.id);
    console.error('job', done.createdAt.getTime(), (done.startedAt!.getTime() - done.createdAt.getTime()) / 1000, (done.finishedAt!.getTime() - done.startedAt!.getTime()) / 1000);
  }
  return job.backupId!;
}

export async function gatewayRestore(gateway: Gateway, backupId: string, from: string, to: string): Promise<void> {
  const job = await gateway.jobs.startRestore({ backupId, rename: [{ from, to }], onExisting: 'REPLACE' }, 'bench');
  await awaitJob(gateway, job.id);
}

export const baselineFile = (dir: string, engine: EngineName, collection: string) => path.join(dir, `${engine}-${collection}.jsonl.gz`);
