// `node --import tsx bench/jobs-cpu.ts [requests]`: CPU per `jobs(first: 50)` request on the embedded PGlite, the
// gateway's own process, requests one after another through yoga (no HTTP, no client in the process's CPU).
// Add `--cpu-prof` to node's flags to see where it goes. A tool for working on the jobs list, not a bench row.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createGateway } from '../src/gateway.ts';
import { createGatewayYoga } from '../src/graphql/yoga.ts';
import { seedJobs } from './load.ts';
import { JOBS_PAGE } from './queries.ts';

const REQUESTS = Number(process.argv[2] ?? 500);
const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-jobs-cpu-'));
const gateway = await createGateway({ config: loadConfig({ GATEWAY_DATA_DIR: path.join(dir, 'gw'), GATEWAY_LOG_LEVEL: 'warn' }) });
try {
  await seedJobs(gateway);
  const yoga = createGatewayYoga(gateway);
  const ask = async () => {
    const response = await yoga.fetch('http://127.0.0.1/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: JOBS_PAGE }) });
    const result = (await response.json()) as { data?: { jobs?: { nodes: unknown[] } } };
    if (result.data?.jobs?.nodes.length !== 50) throw new Error(`unexpected answer: ${JSON.stringify(result).slice(0, 300)}`);
  };
  for (let i = 0; i < 50; i++) await ask(); // warm-up
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) await ask();
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  console.log(
    `jobs(first: 50) on PGlite: ${((used.user + used.system) / 1000 / REQUESTS).toFixed(2)} ms CPU and ${(wall / REQUESTS).toFixed(2)} ms wall per request (${REQUESTS} requests)`,
  );
} finally {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
}
