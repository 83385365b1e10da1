// `npm start` on a fresh machine: the embedded database, /health within 5 s, one process per data dir.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';

describe('npm start', () => {
  let dataDir: string;
  let first: ChildGateway | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-start-'));
  });
  afterAll(async () => {
    await first?.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  });

  // Retried because a loaded 2-core CI machine can stall any process; the point is the order of magnitude.
  it('answers /health within 5 s on a new embedded database', { retry: 2 }, async () => {
    await first?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    const started = Date.now();
    first = await spawnGateway({ GATEWAY_DATA_DIR: dataDir }, ['npm', 'start', '--silent']);
    const response = await fetch(`${first.url}/health`);
    const elapsed = Date.now() - started;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'available' });
    expect(elapsed).toBeLessThan(5000);
    expect(first.output()).toContain('NO GATEWAY_MASTER_KEY SET');
    expect(first.output()).toContain('"database":"pglite"');
  });

  it('refuses a second process on the same data directory with a clear message', async () => {
    const second = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: '0', GATEWAY_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    second.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain('data_dir_locked');
    expect(output).toMatch(/Another gateway process \(pid \d+\) is using the data directory/);
  });

  it('stops gracefully on SIGTERM and frees the data directory', async () => {
    // `npm start` passes SIGTERM on to the gateway and may exit before the gateway has finished stopping.
    await first!.kill('SIGTERM');
    for (let attempt = 0; ; attempt++) {
      try {
        first = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    await first.kill('SIGTERM');
    expect(first.process.exitCode).toBe(0);
    first = undefined;
  });
});
