// Helpers of `npm run bench`: ports, emulator processes, timing with RSS sampling, medians, documents.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const SCALE = Number(process.env.BENCH_SCALE ?? 100_000);
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);
export const TYPESENSE_KEY = 'bench-key';

export interface Measured<T> {
  seconds: number;
  result: T;
  peakRssGrowth: number;
  /** CPU seconds of this process (the gateway runs in it) while `run` ran. */
  cpuSeconds: number;
  /** CPU seconds of the engine's process meanwhile, when its pid was given (Linux /proc). */
  engineCpuSeconds: number;
}

/** utime + stime of a process in seconds, from /proc (Linux); NaN elsewhere. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Runs `run` once, sampling this process's RSS every 20 ms and counting its CPU (and the engine's). */
export async function measure<T>(run: () => Promise<T>, enginePid?: number): Promise<Measured<T>> {
  globalThis.gc?.();
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  const cpu = process.cpuUsage();
  const engineCpu = enginePid ? processCpuSeconds(enginePid) : Number.NaN;
  const started = performance.now();
  try {
    const result = await run();
    const used = process.cpuUsage(cpu);
    return {
      seconds: (performance.now() - started) / 1000,
      result,
      peakRssGrowth: peakRss - startRss,
      cpuSeconds: (used.user + used.system) / 1e6,
      engineCpuSeconds: enginePid ? processCpuSeconds(enginePid) - engineCpu : Number.NaN,
    };
  } finally {
    clearInterval(sampler);
  }
}

export interface Pair {
  baseline: number[];
  gateway: number[];
  gatewayRssGrowth: number[];
  /** The gateway process's CPU seconds per gateway run. */
  gatewayCpu: number[];
  /** The engine's CPU seconds per second of each run: ~1 means its one thread was the limit. */
  engineBusyBaseline: number[];
  engineBusyGateway: number[];
}

export const emptyPair = (): Pair => ({ baseline: [], gateway: [], gatewayRssGrowth: [], gatewayCpu: [], engineBusyBaseline: [], engineBusyGateway: [] });

/** Baseline and gateway alternately, RUNS times each, in the same series (ratios are what counts). */
export async function alternate(prepare: () => Promise<void>, baseline: () => Promise<unknown>, gateway: () => Promise<unknown>, enginePid?: number): Promise<Pair> {
  const pair = emptyPair();
  for (let run = 0; run < RUNS; run++) {
    await prepare();
    const base = await measure(baseline, enginePid);
    pair.baseline.push(base.seconds);
    pair.engineBusyBaseline.push(base.engineCpuSeconds / base.seconds);
    await prepare();
    const measured = await measure(gateway, enginePid);
    pair.gateway.push(measured.seconds);
    pair.gatewayRssGrowth.push(measured.peakRssGrowth);
    pair.gatewayCpu.push(measured.cpuSeconds);
    pair.engineBusyGateway.push(measured.engineCpuSeconds / measured.seconds);
  }
  return pair;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A realistic ~1 KB document: text, numbers, tags, a nested object. */
export function makeDocument(i: number): Record<string, unknown> {
  const words = ['search', 'backup', 'vector', 'gateway', 'archive', 'restore', 'engine', 'index', 'shard', 'replica'];
  const sentence = (seed: number, length: number) => Array.from({ length }, (_, k) => words[(seed * 7 + k * 3) % words.length]).join(' ');
  return {
    id: String(i),
    title: `Document ${i}: ${sentence(i, 6)}`,
    body: sentence(i, 110),
    author: { name: `Author ${i % 977}`, country: ['FR', 'DE', 'US', 'JP', 'BR'][i % 5] },
    tags: [`t${i % 17}`, `g${i % 5}`, `k${i % 101}`],
    price: (i % 10_000) / 100,
    stock: i % 313,
    published: 1_600_000_000 + i,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export interface Emulator {
  url: string;
  process: ChildProcess;
}

/** One engine emulator in its own process, so its CPU is not counted as the gateway's. */
export async function startEmulator(name: 'meilisearch' | 'typesense'): Promise<Emulator> {
  const port = await freePort();
  const portEnv = name === 'meilisearch' ? 'MEILISEARCH_PORT' : 'TYPESENSE_PORT';
  const child = spawn(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', 'test/emulators/main.ts'], {
    env: { ...process.env, [portEnv]: String(port), EMULATORS_ONLY: name, TYPESENSE_API_KEY: TYPESENSE_KEY },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { url, process: child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGTERM');
  throw new Error(`${name} emulator did not start`);
}

/** Seeds collections in a child process (bench/seed.ts), so seeding costs neither side anything. */
export async function seed(engine: 'meilisearch' | 'typesense', url: string, collections: Array<{ name: string; count: number }>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/seed.ts', engine, url, JSON.stringify(collections)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`seeding ${engine} failed (${code})`);
}
