// `npm run bench`: every figure of the performance goals in one table. Each gateway figure is measured against
// the script a user would write (same emulator, same run, alternately, median of BENCH_RUNS); ratios are
// baseline time / gateway time, so >1 means the gateway is faster. Emulators run and are seeded in their own
// processes. BENCH_SCALE documents (default 100k) in one collection, and again spread over four.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createGateway, type Gateway } from '../src/gateway.ts';
import { alternate, median, RUNS, SCALE, seed, startEmulator, TYPESENSE_KEY, type Emulator, type Pair } from './lib.ts';
import { baselineFile, dropCollection, gatewayBackup, gatewayRestore, meilisearchFetchGzip, naiveRestore, typesenseCurlGzip, type EngineName } from './scenarios.ts';
import { JOBS_RATE, measureJobsList, measureSubscribers, percentile, SUBSCRIBERS } from './load.ts';
import { measureStartup, type StartupFigures } from './startup.ts';

const PARTS = ['part0', 'part1', 'part2', 'part3'];
const ENGINES = (process.env.BENCH_ENGINES ?? 'meilisearch,typesense').split(',').filter(Boolean) as EngineName[];

interface Row {
  what: string;
  goal: string;
  pair?: Pair;
  figure?: string;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-bench-'));
  const emulators: Emulator[] = [];
  const started = performance.now();
  try {
    // BENCH_STARTUP=0 leaves the start-up figures out (while working on the pipelines).
    const startup = process.env.BENCH_STARTUP === '0' ? null : await measureStartup();
    const gateway = await createGateway({ config: loadConfig({ GATEWAY_DATA_DIR: path.join(dir, 'gw'), GATEWAY_LOG_LEVEL: 'warn' }) });
    try {
      for (const engine of ENGINES) {
        const emulator = await startEmulator(engine);
        emulators.push(emulator);
        console.error(`seeding ${engine}: ${SCALE} documents in one collection, ${SCALE} in four…`);
        await seed(engine, emulator.url, [{ name: 'one', count: SCALE }, ...PARTS.map((name) => ({ name, count: SCALE / 4 }))]);
        const config = engine === 'typesense' ? { url: emulator.url, apiKey: TYPESENSE_KEY } : { url: emulator.url };
        const registered = await gateway.engines.register({ name: `bench-${engine}`, plugin: engine, config }, 'bench');
        const pipe = engine === 'meilisearch' ? meilisearchFetchGzip : typesenseCurlGzip;
        const label = engine === 'meilisearch' ? 'Meilisearch' : 'Typesense';
        const baselineName = engine === 'meilisearch' ? 'paged fetch | gzip -1' : 'curl export | gzip -1';
        const nothing = async () => undefined;

        console.error(`${engine}: backup of one collection…`);
        if (process.env.BENCH_PROFILE) await gatewayBackup(gateway, registered.id, ['one']); // warm-up
        let backupId = '';
        const one = await alternate(
          nothing,
          () => pipe(emulator.url, 'one', baselineFile(dir, engine, 'one')),
          async () => (backupId = await gatewayBackup(gateway, registered.id, ['one'])),
          emulator.process.pid,
        );
        rows.push({ what: `${label} backup, 1 collection (${baselineName})`, goal: '≥ 1.2', pair: one });
        logRow(rows.at(-1)!);

        console.error(`${engine}: backup of four collections…`);
        const four = await alternate(
          nothing,
          async () => {
            for (const part of PARTS) await pipe(emulator.url, part, baselineFile(dir, engine, part));
          },
          () => gatewayBackup(gateway, registered.id, PARTS),
          emulator.process.pid,
        );
        rows.push({ what: `${label} backup, 4 collections (same, one after another)`, goal: '≥ 1.8', pair: four });
        logRow(rows.at(-1)!);

        console.error(`${engine}: restore…`);
        const restore = await alternate(
          async () => {
            await dropCollection(engine, emulator.url, 'naive');
            await dropCollection(engine, emulator.url, 'restored');
          },
          () => naiveRestore(engine, emulator.url, baselineFile(dir, engine, 'one'), 'naive', 'one'),
          () => gatewayRestore(gateway, backupId, 'one', 'restored'),
          emulator.process.pid,
        );
        rows.push({ what: `${label} restore, 1 collection (official client, ${engine === 'meilisearch' ? 'a call per 50k' : 'one call'})`, goal: '≥ 2', pair: restore });
        logRow(rows.at(-1)!);
        await dropCollection(engine, emulator.url, 'naive');
        await dropCollection(engine, emulator.url, 'restored');
        // BENCH_SUBSCRIBERS=0 leaves the subscriber rows out; measured on the first engine only.
        if (SUBSCRIBERS > 0 && engine === ENGINES[0]) rows.push(...(await subscriberRows(gateway, registered.id, label)));
        emulator.process.kill('SIGTERM');
      }
    } finally {
      await gateway.close();
    }
    // BENCH_JOBS_RATE=0 leaves the jobs-list rows out.
    if (JOBS_RATE > 0) rows.push(...(await jobsListRows()));
    printTable(rows, startup, (performance.now() - started) / 1000);
  } finally {
    for (const emulator of emulators) emulator.process.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

async function subscriberRows(gateway: Gateway, engineId: string, label: string): Promise<Row[]> {
  console.error(`${SUBSCRIBERS} SSE subscribers to jobEvents during a ${label} backup…`);
  const figures = await measureSubscribers(gateway, engineId, ['one']);
  const ms = (p: number) => `${percentile(figures.latencies, p).toFixed(0)} ms`;
  const rows: Row[] = [
    { what: `${label} backup watched by ${SUBSCRIBERS} SSE subscribers (vs none)`, goal: '≥ 0.91', pair: figures.pair },
    {
      what: `${SUBSCRIBERS} subscribers: event latency p50 / p99* (${figures.eventsPerSubscriber.toFixed(0)} events each)`,
      goal: 'p99 ≤ 50 ms',
      figure: `${ms(50)} / ${ms(99)}`,
    },
  ];
  rows.forEach(logRow);
  return rows;
}

async function jobsListRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const kind of ['pglite', 'postgres'] as const) {
    for (const changing of [false, true]) {
      const what = `jobs(first: 50) at ${JOBS_RATE} req/s, 1,000 jobs${changing ? ', one changing 10×/s' : ''}, ${kind}`;
      console.error(`${what}…`);
      const goal = kind === 'pglite' ? 'p99 ≤ 50 ms' : 'p99 ≤ 20 ms';
      try {
        const f = await measureJobsList(kind, changing);
        const lost = f.timeouts + f.failures > 0 ? `, ${f.timeouts} timeouts, ${f.failures} failed` : '';
        const figure = `${percentile(f.latencies, 50).toFixed(0)} / ${percentile(f.latencies, 99).toFixed(0)} ms, ${f.served.toFixed(0)} req/s${lost}`;
        rows.push({ what: `${what}: p50 / p99, served*`, goal, figure });
      } catch (error) {
        rows.push({ what, goal, figure: `not measured: ${error instanceof Error ? error.message : String(error)}`.slice(0, 80) });
      }
      logRow(rows.at(-1)!);
    }
  }
  return rows;
}

/** Each figure as soon as it is measured, so a failure later in the run does not lose it. */
function logRow(row: Row): void {
  if (row.figure) console.error(`  ${row.what}: ${row.figure}`);
  if (row.pair)
    console.error(`  ${row.what}: baseline ${row.pair.baseline.map((s) => s.toFixed(2)).join('/')} s, gateway ${row.pair.gateway.map((s) => s.toFixed(2)).join('/')} s`);
}

function printTable(rows: Row[], startup: StartupFigures | null, seconds: number): void {
  const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
  const busy = (values: number[]) => (values.length && !Number.isNaN(median(values)) ? `${Math.round(median(values) * 100)} %` : '');
  const table = rows.map((row) => {
    if (!row.pair) return [row.what, '', '', row.figure ?? '', row.goal, '', '', ''];
    const baseline = median(row.pair.baseline);
    const gateway = median(row.pair.gateway);
    const cpu = row.pair.gatewayCpu.length ? `${median(row.pair.gatewayCpu).toFixed(2)} s` : '';
    return [
      row.what,
      `${baseline.toFixed(2)} s`,
      `${gateway.toFixed(2)} s`,
      `×${(baseline / gateway).toFixed(2)}`,
      row.goal,
      cpu,
      busy(row.pair.engineBusyBaseline),
      busy(row.pair.engineBusyGateway),
    ];
  });
  const rss = rows
    .filter((row) => row.pair)
    .map((row) => median(row.pair!.gatewayRssGrowth))
    .reduce((a, b) => Math.max(a, b), 0);
  table.push(['gateway peak RSS growth during a backup/restore*', '', mb(rss), '', '(flat from 100k to 1M)', '', '', '']);
  if (startup) {
    table.push(['start to /readyz, existing data dir, embedded DB*', '', `${startup.startSeconds.toFixed(2)} s`, '', '≤ 1 s', '', '', '']);
    table.push(['idle RSS, embedded DB*', '', mb(startup.idleRss), '', '≤ 250 MB', '', '', '']);
  }
  const header = ['what', 'baseline', 'gateway', 'ratio', 'goal', 'gateway CPU*', 'engine busy (baseline)*', 'engine busy (gateway)*'];
  const widths = header.map((_, i) => Math.max(...[header, ...table].map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(`\n${SCALE} documents (~1 KB), median of ${RUNS} alternating runs; ratio = baseline time / gateway time (>1: gateway faster)`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
  console.log(`* machine-dependent absolute figure. Whole bench: ${seconds.toFixed(0)} s.`);
  console.log("engine busy: the engine process's CPU seconds per second of the run; near 100 % its one thread (the emulators are single-threaded) was the limit.");
}

await main();
