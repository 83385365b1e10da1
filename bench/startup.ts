// Start-up figures of `npm run bench`: time from `node dist/src/main.js` to a 200 on /readyz on an existing data
// directory (embedded database already created), and the idle RSS of that process once it is ready. The compiled
// build, as `npm start` runs it; the median of BENCH_STARTS starts. Measured here, never asserted in a test.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const STARTS = Number(process.env.BENCH_STARTS ?? 3);
/** Idle RSS is read this long after /readyz answered, once start-up garbage had a chance to go. */
const SETTLE_MS = 2000;

export interface StartupFigures {
  firstStartSeconds: number;
  startSeconds: number;
  idleRss: number;
}

async function start(dataDir: string, readIdleRss: boolean): Promise<{ seconds: number; idleRss: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', GATEWAY_DATA_DIR: dataDir, GATEWAY_LOG_LEVEL: 'info', DATABASE_URL: '' },
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
    for (;;) {
      const status = await fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    if (!readIdleRss) return { seconds, idleRss: 0 };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return { seconds, idleRss: kb * 1024 };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

export async function measureStartup(): Promise<StartupFigures> {
  if (!existsSync(MAIN)) throw new Error(`no compiled gateway at ${MAIN}: run \`npm run build\` first`);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-bench-start-'));
  try {
    const first = await start(dataDir, false);
    const starts: number[] = [];
    let idleRss = 0;
    for (let run = 0; run < STARTS; run++) {
      const measured = await start(dataDir, run === 0);
      starts.push(measured.seconds);
      if (run === 0) idleRss = measured.idleRss;
    }
    return { firstStartSeconds: first.seconds, startSeconds: median(starts), idleRss };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
