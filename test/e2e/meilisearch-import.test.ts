// importBackup: real Meilisearch dump files from the gateway host become catalog entries, restorable over the API;
// anything outside GATEWAY_IMPORT_DIR, missing, corrupt or not a dump is refused and nothing is cataloged.
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { describeWithShared, sharedPath } from '../helpers/requirements.ts';

const FIXTURES = sharedPath('fixtures', 'meilisearch-dumps');
const IMPORT = `mutation($i: ImportBackupInput!) { importBackup(input: $i) { id name status origin strategy engineVersion documentCount
  collections { name documentCount } artifacts { path bytes sha256 external } warnings } }`;

describeWithShared('importBackup of Meilisearch dump files', () => {
  let importDir: string;
  let outside: string;
  let t: TestGateway;
  let emulator: MeilisearchEmulator;

  beforeAll(async () => {
    importDir = await mkdtemp(path.join(os.tmpdir(), 'gw-import-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'gw-outside-'));
    await copyFile(path.join(FIXTURES, 'v4_v0.25.2_movies_with_settings.dump'), path.join(importDir, 'movies-v4.dump'));
    await copyFile(path.join(FIXTURES, 'v6-with-vectors.dump'), path.join(importDir, 'vectors-v6.dump'));
    const good = await readFile(path.join(FIXTURES, 'v6-with-vectors.dump'));
    await writeFile(path.join(importDir, 'truncated.dump'), good.subarray(0, Math.floor(good.length / 2)));
    await writeFile(path.join(importDir, 'garbage.dump'), Buffer.from('this is not a tarball at all'));
    await writeFile(path.join(importDir, 'not-a-dump.tar.gz'), gzipSync(tarWithOneFile('hello.txt', 'hello')));
    await copyFile(path.join(FIXTURES, 'v2.dump'), path.join(outside, 'secret.dump'));
    await symlink(path.join(outside, 'secret.dump'), path.join(importDir, 'link-out.dump'));
    t = await startTestGateway({ env: { GATEWAY_IMPORT_DIR: importDir } });
    emulator = await startMeilisearchEmulator({ version: '1.16.0' });
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
    await rm(importDir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses paths outside the import directory, missing, corrupt, truncated and non-dump files — cataloging nothing', async () => {
    const cases: Array<[string, string]> = [
      [path.join(outside, 'secret.dump'), 'path_not_allowed'],
      ['../' + path.basename(outside) + '/secret.dump', 'path_not_allowed'],
      ['link-out.dump', 'path_not_allowed'],
      ['/etc/passwd', 'path_not_allowed'],
      ['missing.dump', 'file_not_found'],
      ['garbage.dump', 'invalid_backup_file'],
      ['truncated.dump', 'invalid_backup_file'],
      ['not-a-dump.tar.gz', 'invalid_backup_file'],
    ];
    for (const [file, code] of cases) {
      const res = await t.gql(IMPORT, { i: { plugin: 'meilisearch', path: file } });
      expect(res.errors?.[0]?.extensions?.code, `${file}: ${JSON.stringify(res.errors)}`).toBe(code);
    }
    const unknownPlugin = await t.gql(IMPORT, { i: { plugin: 'nope', path: 'movies-v4.dump' } });
    expect(unknownPlugin.errors?.[0]?.extensions?.code).toBe('plugin_not_found');
    expect(await t.gateway.prisma.backup.count()).toBe(0);
  });

  it('catalogs a dump with its indexes and counts, copied with its sha256', async () => {
    const res = await t.gql(IMPORT, { i: { plugin: 'meilisearch', path: 'movies-v4.dump', name: 'old movies' } });
    expect(res.errors).toBeUndefined();
    const backup = res.data!.importBackup;
    expect(backup).toMatchObject({ name: 'old movies', status: 'COMPLETE', origin: 'IMPORTED', strategy: 'NATIVE' });
    expect(backup.collections.length).toBeGreaterThan(0);
    expect(backup.collections.every((c: { documentCount: number | null }) => (c.documentCount ?? 0) > 0)).toBe(true);
    const dump = backup.artifacts.find((a: { path: string }) => a.path.endsWith('.dump'));
    const bytes = await readFile(path.join(importDir, 'movies-v4.dump'));
    expect(dump.bytes).toBe(bytes.length);
    expect(dump.sha256).toBe((await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'));
  });

  it('restores an imported dump into a running Meilisearch, with rename', async () => {
    const imported = await t.gql(IMPORT, { i: { plugin: 'meilisearch', path: 'movies-v4.dump' } });
    const backup = imported.data!.importBackup;
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'target', plugin: 'meilisearch', config: { url: emulator.url } },
    });
    const source = backup.collections[0].name as string;
    const started = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
      i: { backupId: backup.id, engineId: engine.data!.registerEngine.id, collections: [source], rename: [{ from: source, to: 'restored' }] },
    });
    expect(started.errors).toBeUndefined();
    const job = await waitForJob(t, started.data!.startRestore.id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const stats = await new Meilisearch({ host: emulator.url }).index('restored').getStats();
    expect(stats.numberOfDocuments).toBe(backup.collections[0].documentCount);
  });
});

/** A minimal ustar archive holding one file: a tarball that is not a dump. */
function tarWithOneFile(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  const sum = header.reduce((acc, byte) => acc + byte, 0);
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const body = Buffer.alloc(512);
  body.write(content);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}
