// `npm run bench`: logical backup of 200k documents from the Meilisearch emulator, against a baseline measured
// in the same run: the same pages fetched straight from the emulator's documents route and piped through gzip.
// The emulator runs in a child process so the figures are the gateway's own.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Meilisearch } from 'meilisearch';
import { loadConfig } from '../src/config.ts';
import { createGateway } from '../src/gateway.ts';

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 200_000);
const PAGE_SIZE = 1000;
const INDEX = 'bench';

async function main(): Promise<void> {
  const port = await freePort();
  const emulator = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/main.ts'], {
    env: { ...process.env, MEILISEARCH_PORT: String(port), EMULATORS_ONLY: 'meilisearch' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-bench-'));
  try {
    await waitForHealth(url);
    const client = new Meilisearch({ host: url });
    console.log(`seeding ${DOCUMENTS} documents…`);
    await client.createIndex(INDEX, { primaryKey: 'id' }).waitTask();
    for (let start = 0; start < DOCUMENTS; start += 20_000) {
      const docs = Array.from({ length: Math.min(20_000, DOCUMENTS - start) }, (_, i) => makeDocument(start + i));
      await client.index(INDEX).addDocuments(docs).waitTask({ timeout: 120_000 });
    }

    const baseline = await measure(() => baselineFetchGzip(url, path.join(dataDir, 'baseline.jsonl.gz')));
    const prepared = await prepareGateway(url, dataDir);
    const gateway = await measure(() => prepared.backup());
    await prepared.close();

    const mb = (bytes: number) => bytes / 1024 / 1024;
    // Both read the same JSON pages; MB/s is JSON read per second.
    const jsonRead = baseline.result.jsonBytes;
    console.log(`archive size: baseline ${fmt(mb(baseline.result.gzipBytes))} MB, gateway ${fmt(mb(gateway.result))} MB (gzip level 3)`);
    const rows = [
      ['', 'seconds', 'documents/s', 'MB/s (JSON read)', 'peak RSS MB', 'RSS growth MB'],
      [
        'baseline: fetch + gzip',
        baseline.seconds.toFixed(2),
        fmt(DOCUMENTS / baseline.seconds),
        fmt(mb(jsonRead) / baseline.seconds),
        fmt(mb(baseline.peakRss)),
        fmt(mb(baseline.peakRss - baseline.startRss)),
      ],
      [
        'gateway logical backup',
        gateway.seconds.toFixed(2),
        fmt(DOCUMENTS / gateway.seconds),
        fmt(mb(jsonRead) / gateway.seconds),
        fmt(mb(gateway.peakRss)),
        fmt(mb(gateway.peakRss - gateway.startRss)),
      ],
    ];
    console.log(`\nLogical backup of ${DOCUMENTS} documents (page size ${PAGE_SIZE})`);
    for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(26) : cell.padStart(18))).join(''));
    console.log(
      `\nratio gateway / baseline: time ×${(gateway.seconds / baseline.seconds).toFixed(2)}, ` +
        `throughput ×${(baseline.seconds / gateway.seconds).toFixed(2)}, RSS growth ×${((gateway.peakRss - gateway.startRss) / Math.max(1, baseline.peakRss - baseline.startRss)).toFixed(2)}`,
    );
  } finally {
    emulator.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

function makeDocument(i: number) {
  return {
    id: i,
    title: `Document number ${i}`,
    body: `Lorem ipsum dolor sit amet ${i % 1000} consectetur adipiscing elit`,
    tags: [`t${i % 17}`, `g${i % 5}`],
    price: (i % 1000) / 10,
  };
}

/** Same pages the plugin reads, straight through gzip to a file: what any backup must at least cost. */
async function baselineFetchGzip(url: string, file: string): Promise<{ jsonBytes: number; gzipBytes: number }> {
  let bytes = 0;
  async function* lines() {
    for (let offset = 0; offset < DOCUMENTS; offset += PAGE_SIZE) {
      const response = await fetch(`${url}/indexes/${INDEX}/documents?offset=${offset}&limit=${PAGE_SIZE}&retrieveVectors=true`);
      const text = await response.text();
      bytes += text.length;
      const page = JSON.parse(text) as { results: unknown[] };
      yield page.results.map((doc) => JSON.stringify(doc)).join('\n') + '\n';
    }
  }
  await pipeline(Readable.from(lines()), createGzip({ level: 3 }), createWriteStream(file));
  return { jsonBytes: bytes, gzipBytes: (await stat(file)).size };
}

/** Opens a gateway (database and all) outside the measured part; returns the measured backup. */
async function prepareGateway(url: string, dataDir: string) {
  const gateway = await createGateway({ config: loadConfig({ GATEWAY_DATA_DIR: path.join(dataDir, 'gw'), GATEWAY_LOG_LEVEL: 'warn' }) });
  const engine = await gateway.engines.register({ name: 'bench', plugin: 'meilisearch', config: { url, pageSize: PAGE_SIZE } }, 'bench');
  return {
    close: () => gateway.close(),
    async backup(): Promise<number> {
      const job = await gateway.jobs.startBackup({ engineId: engine.id }, 'bench');
      for (;;) {
        const current = await gateway.jobs.get(job.id);
        if (current.status === 'SUCCEEDED') break;
        if (current.status === 'FAILED' || current.status === 'CANCELED') throw new Error(`backup ${current.status}: ${current.errorMessage}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const backup = await gateway.prisma.backup.findUniqueOrThrow({ where: { id: job.backupId! } });
      return Number(backup.sizeBytes);
    },
  };
}

async function measure<T>(run: () => Promise<T>): Promise<{ seconds: number; result: T; startRss: number; peakRss: number }> {
  globalThis.gc?.();
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  const started = performance.now();
  try {
    const result = await run();
    return { seconds: (performance.now() - started) / 1000, result, startRss, peakRss };
  } finally {
    clearInterval(sampler);
  }
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('emulator did not start');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

await main();
