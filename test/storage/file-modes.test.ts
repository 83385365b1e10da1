// Issue 13 point 6: data at rest is private. A gateway started with umask 000 (as `npm start` in a careless shell)
// takes a logical backup, a native dump copy and a gateway dump; then every file under its fresh data directory and
// its dumps folder is 0600-ish and every folder 0700-ish: no group or other bit anywhere (PGlite's files included).
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';

const MEILI_KEY = 'emulator-master-key-0123456789';

async function everyEntry(root: string): Promise<Array<{ path: string; mode: number; kind: string }>> {
  const found: Array<{ path: string; mode: number; kind: string }> = [];
  const visit = async (entry: string) => {
    const info = await lstat(entry);
    found.push({ path: path.relative(root, entry) || '.', mode: info.mode & 0o777, kind: info.isDirectory() ? 'dir' : info.isSymbolicLink() ? 'link' : 'file' });
    if (info.isDirectory()) for (const name of await readdir(entry)) await visit(path.join(entry, name));
  };
  await visit(root);
  return found;
}

describe('file modes under a permissive umask', () => {
  let base: string;
  let emulator: MeilisearchEmulator;
  let gateway: ChildGateway | undefined;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'gw-file-modes-'));
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    const client = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    await client.createIndex('books', { primaryKey: 'id' }).waitTask();
    await client
      .index('books')
      .addDocuments(Array.from({ length: 50 }, (_, id) => ({ id, title: `Book ${id}` })))
      .waitTask();
  });
  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await emulator?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('leaves no group/other permission bit on any file or folder it wrote', async () => {
    const dataDir = path.join(base, 'data');
    const dumpsDir = path.join(base, 'dumps');
    gateway = await spawnGateway({ GATEWAY_DATA_DIR: dataDir, GATEWAY_DUMPS_DIR: dumpsDir }, [
      '/bin/sh',
      '-c',
      'umask 000 && exec "$0" --import tsx src/main.ts',
      process.execPath,
    ]);
    const engine = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY, dumpsDir: emulator.dumpsDir } },
    });
    expect(engine.errors).toBeUndefined();
    const engineId = engine.data.registerEngine.id;
    for (const strategy of ['LOGICAL', 'NATIVE']) {
      const started = await gateway.gql(`mutation($e: ID!, $s: BackupStrategy) { startBackup(input: {engineId: $e, strategy: $s}) { id } }`, { e: engineId, s: strategy });
      expect(started.errors).toBeUndefined();
      let status = 'QUEUED';
      while (!['SUCCEEDED', 'FAILED', 'CANCELED'].includes(status)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await gateway.gql(`query($id: ID!) { job(id: $id) { status } }`, { id: started.data.startBackup.id })).data.job.status;
      }
      expect(status, strategy).toBe('SUCCEEDED');
    }
    const dump = await gateway.gql(`mutation { createGatewayDump { path } }`);
    expect(dump.errors).toBeUndefined();

    const entries = [...(await everyEntry(dataDir)), ...(await everyEntry(dumpsDir)).map((e) => ({ ...e, path: `dumps/${e.path}` }))];
    // The backups are there: a portable archive and a copied native dump, each with its manifest.
    expect(entries.filter((e) => e.path.startsWith('backups/') && e.path.endsWith('manifest.json'))).toHaveLength(2);
    expect(entries.some((e) => /^backups\/[^/]+\/native\//.test(e.path) && e.kind === 'file')).toBe(true);
    expect(entries.some((e) => e.path.startsWith('db/') && e.kind === 'file')).toBe(true);
    expect(entries.some((e) => e.path.startsWith('dumps/') && e.kind === 'file')).toBe(true);
    const open = entries.filter((e) => e.kind !== 'link' && (e.mode & 0o077) !== 0).map((e) => `${e.path} ${e.mode.toString(8)}`);
    expect(open).toEqual([]);
    expect(entries.find((e) => e.path === '.')!.mode).toBe(0o700);
    expect(entries.find((e) => e.path === 'secret.key')!.mode).toBe(0o600);
  });
});
