import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.ts';
import { GatewayError } from '../../src/errors.ts';
import { seedPGliteDataDir } from '../helpers/db.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/open-data-dir.ts', import.meta.url));

function lockedMessage(pid: number, dataDir: string): string {
  return `Another gateway process (pid ${pid}) is using the data directory ${dataDir}; stop it or set GATEWAY_DATA_DIR to another directory`;
}

function startChild(dataDir: string, mode: 'once' | 'hold'): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, mode], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return Object.assign(child, { output });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function ready(child: ReturnType<typeof startChild>): Promise<void> {
  while (!child.output.stdout.includes('ready')) {
    if (child.exitCode !== null) throw new Error(`child exited ${child.exitCode}: ${child.output.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('data directory lock (PGlite)', () => {
  let dataDir: string;
  let lockFile: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-lock-test-'));
    lockFile = path.join(dataDir, 'gateway.lock');
    await seedPGliteDataDir(dataDir);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('makes a second gateway process on the same data directory exit with data_dir_locked', async () => {
    const db = await openDatabase({ dataDir });
    try {
      expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);

      const child = startChild(dataDir, 'once');
      children.push(child);
      expect(await exited(child)).toBe(3);
      expect(JSON.parse(child.output.stderr)).toEqual({ code: 'data_dir_locked', message: lockedMessage(process.pid, dataDir) });

      // A second open inside this process is refused too, and the first stays usable.
      await expect(openDatabase({ dataDir })).rejects.toMatchObject({ code: 'data_dir_locked' });
      expect(await db.prisma.engine.count()).toBe(0);
    } finally {
      await db.close();
    }
    expect(existsSync(lockFile)).toBe(false); // released: the next process gets it
  });

  it('takes over the lock of a gateway that crashed, with its data intact', async () => {
    const crashed = startChild(dataDir, 'hold');
    children.push(crashed);
    await ready(crashed);
    const pid = crashed.pid!;
    expect(await readFile(lockFile, 'utf8')).toBe(`${pid}\n`);

    const refused = await openDatabase({ dataDir }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ code: 'data_dir_locked', message: lockedMessage(pid, dataDir) });

    crashed.kill('SIGKILL');
    await exited(crashed);
    expect(await readFile(lockFile, 'utf8')).toBe(`${pid}\n`); // left behind: stale

    const db = await openDatabase({ dataDir });
    try {
      expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
      expect(await db.prisma.engine.findMany({ select: { name: true } })).toEqual([{ name: `written-by-${pid}` }]);
    } finally {
      await db.close();
    }
    expect(existsSync(lockFile)).toBe(false);
  });
});
