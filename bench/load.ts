// The load rows of `npm run bench`: subscribers watching a backup, and the jobs list at a fixed request rate.
// Clients run in their own process (bench/load-client.ts); the gateway serves them over real HTTP (SSE).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { createGateway, type Gateway } from '../src/gateway.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { emptyPair, measure, RUNS, type Pair } from './lib.ts';
import { gatewayBackup } from './scenarios.ts';

export const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
export const JOBS_RATE = Number(process.env.BENCH_JOBS_RATE ?? 500);
const JOBS_SECONDS = Number(process.env.BENCH_JOBS_SECONDS ?? 5);
const JOBS_IN_DB = 1000;
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Client {
  lines: AsyncIterator<string>;
  end(): void;
  exited: Promise<number | null>;
}

function startClient(args: string[]): Client {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-client.ts', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), end: () => child.stdin.end(), exited };
}

async function nextJson<T>(client: Client): Promise<T> {
  const line = await client.lines.next();
  if (line.done) throw new Error(`bench client ended early (exit ${await client.exited})`);
  return JSON.parse(line.value) as T;
}

/** Nearest-rank percentile of milliseconds. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Stops serving HTTP without closing the gateway's job bus (RunningServer.close() does: it is for shutdown). */
async function stopServing(running: RunningServer): Promise<void> {
  const closed = new Promise<void>((resolve) => running.server.close(() => resolve()));
  running.server.closeAllConnections();
  await closed;
}

export interface SubscriberFigures {
  /** baseline: the backup alone; gateway: the same backup watched by the subscribers. */
  pair: Pair;
  /** Bus delivery (after coalescing) → arrival at a subscriber, every event of every subscriber, ms. */
  latencies: number[];
  /** Events one subscriber received per watched backup (median). */
  eventsPerSubscriber: number;
}

/** A backup alone, then the same backup with SUBSCRIBERS SSE subscribers to jobEvents, RUNS times. */
export async function measureSubscribers(gateway: Gateway, engineId: string, collections: string[]): Promise<SubscriberFigures> {
  const running = await startServer(gateway, { port: 0, host: '127.0.0.1' });
  const pair: Pair = emptyPair();
  const latencies: number[] = [];
  const perSubscriber: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      pair.baseline.push((await measure(() => gatewayBackup(gateway, engineId, collections))).seconds);
      const client = startClient(['subscribe', running.url, String(SUBSCRIBERS)]);
      await nextJson(client);
      // When the bus hands each change to subscribers: the first in-process feed is served first.
      const delivered = new Map<string, number>();
      const feed = gateway.bus.changes();
      const recording = (async () => {
        for await (const job of feed) delivered.set(`${job.id}:${job.status}:${(job.progress as { completed?: number }).completed ?? 0}`, Date.now());
      })();
      const watched = await measure(() => gatewayBackup(gateway, engineId, collections));
      pair.gateway.push(watched.seconds);
      pair.gatewayRssGrowth.push(watched.peakRssGrowth);
      pair.gatewayCpu.push(watched.cpuSeconds);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the last events reach every subscriber
      client.end();
      const { arrivals, events } = await nextJson<{ arrivals: Record<string, number[]>; events: number }>(client);
      await client.exited;
      await feed.return?.();
      await recording;
      for (const [key, times] of Object.entries(arrivals)) {
        const at = delivered.get(key);
        if (at !== undefined) for (const time of times) latencies.push(time - at);
      }
      perSubscriber.push(events / SUBSCRIBERS);
    }
  } finally {
    await stopServing(running);
  }
  perSubscriber.sort((x, y) => x - y);
  return { pair, latencies, eventsPerSubscriber: perSubscriber[Math.floor(perSubscriber.length / 2)] ?? 0 };
}

export interface JobsListFigures {
  latencies: number[];
  served: number;
  timeouts: number;
  failures: number;
}

/**
 * `jobs(first: 50)` at JOBS_RATE req/s for JOBS_SECONDS against a gateway holding 1,000 jobs; with `changing`,
 * one job's progress is written and published every 100 ms meanwhile (a running job, as subscribers see it),
 * so answers are read afresh after each change.
 */
export async function measureJobsList(kind: 'pglite' | 'postgres', changing = false): Promise<JobsListFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-bench-jobs-'));
  const database = kind === 'postgres' ? `gw_bench_${randomBytes(4).toString('hex')}` : null;
  const admin = database ? new pg.Client({ connectionString: POSTGRES_ADMIN_URL }) : null;
  try {
    let databaseUrl = '';
    if (admin && database) {
      await admin.connect();
      await admin.query(`CREATE DATABASE "${database}"`);
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${database}`;
      databaseUrl = url.toString();
    }
    const gateway = await createGateway({
      config: loadConfig({ GATEWAY_DATA_DIR: path.join(dir, 'gw'), GATEWAY_LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) }),
    });
    try {
      await seedJobs(gateway);
      const running = await startServer(gateway, { port: 0, host: '127.0.0.1' });
      try {
        // One second at the same rate first, not counted: connections opened, first queries planned.
        const warmUp = startClient(['rate', running.url, String(JOBS_RATE), '1']);
        await nextJson(warmUp);
        await warmUp.exited;
        const client = startClient(['rate', running.url, String(JOBS_RATE), String(JOBS_SECONDS)]);
        const stopChanging = changing ? changeOneJob(gateway) : async () => undefined;
        const result = await nextJson<{ latencies: number[]; timeouts: number; failures: number; seconds: number }>(client).finally(stopChanging);
        await client.exited;
        return { latencies: result.latencies, served: result.latencies.length / result.seconds, timeouts: result.timeouts, failures: result.failures };
      } finally {
        await stopServing(running);
      }
    } finally {
      await gateway.close();
    }
  } finally {
    if (admin && database) {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes and publishes the newest job's progress every 100 ms until the returned function is called. */
function changeOneJob(gateway: Gateway): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    const newest = await gateway.prisma.job.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    for (let completed = 0; !stopped; completed++) {
      const job = await gateway.prisma.job.update({ where: { id: newest.id }, data: { progress: { phase: 'documents', completed, total: 1_000_000, unit: 'documents' } } });
      gateway.bus.publish(job);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** 1,000 finished jobs of every kind and status the list shows, a second apart. */
export async function seedJobs(gateway: Gateway): Promise<void> {
  const kinds = ['BACKUP', 'RESTORE', 'VERIFY', 'DELETE'] as const;
  const statuses = ['SUCCEEDED', 'FAILED', 'CANCELED'] as const;
  const start = Date.UTC(2026, 0, 1);
  await gateway.prisma.job.createMany({
    data: Array.from({ length: JOBS_IN_DB }, (_, i) => ({
      kind: kinds[i % kinds.length]!,
      status: statuses[i % statuses.length]!,
      input: { collections: [`c${i % 7}`] },
      progress: { phase: 'done', completed: 1000, total: 1000, unit: 'documents', bytes: 1_000_000, message: null, updatedAt: new Date(start + i * 1000).toISOString() },
      timeoutMs: 3_600_000,
      createdBy: 'bench',
      createdAt: new Date(start + i * 1000),
      startedAt: new Date(start + i * 1000 + 10),
      finishedAt: new Date(start + i * 1000 + 900),
    })),
  });
}
