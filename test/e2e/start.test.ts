// The gateway started on a fresh data directory: the embedded database, /health, one process per data dir.
// (The compiled build started from the packed tarball is test/package/pack.test.ts.)
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

  // How fast it starts is measured by `npm run bench` (bench/startup.ts), never asserted here: a busy machine
  // stalls any process. This checks what a new user sees: it serves, on the embedded database, and says it is open.
  it('serves /health on a new embedded database, and warns that it is open', async () => {
    first = await spawnGateway({ GATEWAY_DATA_DIR: dataDir });
    const response = await fetch(`${first.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'available' });
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
