// `npm run bench` (first part): how long a gateway takes from `node` to a 200 on /health on a new embedded
// database, as `npm start` runs it (the compiled build in dist/; `npm run build` first). The median of a few
// starts, each on its own fresh data directory. Start-up time is measured here, never asserted in a test.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const RUNS = Number(process.env.BENCH_STARTS ?? 5);

async function timedStart(): Promise<number> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-bench-start-'));
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', GATEWAY_DATA_DIR: dataDir, GATEWAY_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"gateway listening".*?"url":"([^"]+)"/.exec(output);
        if (match?.[1]) resolve(match[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code} before listening:\n${output}`)));
    });
    const response = await fetch(`${url}/health`);
    if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
    return performance.now() - started;
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (!existsSync(MAIN)) {
  console.error(`no compiled gateway at ${MAIN}: run \`npm run build\` first`);
  process.exit(1);
}
const times: number[] = [];
for (let run = 0; run < RUNS; run++) times.push(await timedStart());
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
console.log(`Start-up to /health 200 on a new embedded database (compiled build, ${RUNS} starts)`);
console.log(`  median ${(median / 1000).toFixed(2)} s, fastest ${(times[0]! / 1000).toFixed(2)} s, slowest ${(times.at(-1)! / 1000).toFixed(2)} s`);
