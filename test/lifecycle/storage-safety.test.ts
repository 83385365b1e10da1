// Issue 13 point 2: a storage location must be a folder of its own. Registering `/`, the data directory, a parent of
// it, a system folder, a symlink to the data directory or a folder already full of someone's files is refused, and
// reconcile with deleteOrphans deletes nothing in a folder without the gateway's marker and nothing that is not named
// like a backup file — the files of the attack survive.
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const REGISTER = `mutation($u: String!, $n: String!) { registerStorage(input: {name: $n, url: $u}) { id url } }`;
const RECONCILE = `mutation($id: ID!, $d: Boolean) { reconcileStorage(storageId: $id, deleteOrphans: $d) { objects orphans { key reason } deletedOrphans } }`;
const ORPHAN_ID = '6f1c2a4e-0000-4000-8000-000000000000';

describe('storage location safety', () => {
  let t: TestGateway;
  let base: string;
  let victim: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'gw-storage-safety-'));
    victim = path.join(base, 'victim-folder');
    await mkdir(victim);
    await writeFile(path.join(victim, 'thesis.txt'), 'years of work');
    await mkdir(path.join(victim, ORPHAN_ID));
    await writeFile(path.join(victim, ORPHAN_ID, 'manifest.json'), '{}');
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('refuses /, the data directory, its parents, system folders, symlinks to them and folders holding other files', async () => {
    await symlink(t.dataDir, path.join(base, 'link-to-data'));
    const refused = [
      '/',
      t.dataDir,
      path.join(t.dataDir, 'backups'),
      path.join(t.dataDir, 'db'),
      path.dirname(t.dataDir),
      '/etc',
      '/etc/backups',
      '/usr/local/backups',
      '/proc/self',
      '/var',
      '/home',
      os.homedir(),
      path.join(base, 'link-to-data'),
      path.join(base, 'link-to-data', 'sub'),
      victim,
    ];
    for (const [index, folder] of refused.entries()) {
      const res = await t.gql(REGISTER, { n: `bad${index}`, u: pathToFileURL(folder).href });
      expect(res.errors?.[0]?.extensions?.code, folder).toBe('invalid_storage_location');
    }
    expect((await readdir(victim)).sort()).toEqual([ORPHAN_ID, 'thesis.txt']);
    expect(await t.gateway.prisma.storage.count()).toBe(0);
  });

  it('registers a new folder with the marker; a folder overlapping it is refused', async () => {
    const fresh = path.join(base, 'fresh', 'vault');
    const res = await t.gql(REGISTER, { n: 'vault', u: pathToFileURL(fresh).href });
    expect(res.errors).toBeUndefined();
    expect(await readdir(fresh)).toEqual(['.backup-gateway-location']);
    for (const overlapping of [path.join(fresh, 'inner'), path.join(base, 'fresh')]) {
      const again = await t.gql(REGISTER, { n: 'overlap', u: pathToFileURL(overlapping).href });
      expect(again.errors?.[0]?.extensions?.code, overlapping).toBe('invalid_storage_location');
    }
    const reconcile = await t.gql(RECONCILE, { id: res.data!.registerStorage.id, d: true });
    expect(reconcile.data!.reconcileStorage).toEqual({ objects: 0, orphans: [], deletedOrphans: 0 });
  });

  it('reconcile deletes nothing in a folder without the marker (a location registered before the check)', async () => {
    // What an older gateway accepted: a row straight in the catalog pointing at someone's folder.
    const row = await t.gateway.prisma.storage.create({ data: { name: 'victim', kind: 'LOCAL', url: pathToFileURL(victim).href, config: {} } });
    const dry = await t.gql(RECONCILE, { id: row.id, d: false });
    expect(dry.data!.reconcileStorage.orphans).toEqual([
      { key: `${ORPHAN_ID}/manifest.json`, reason: 'no_catalog_entry' },
      { key: 'thesis.txt', reason: 'not_a_backup_file' },
    ]);
    const wet = await t.gql(RECONCILE, { id: row.id, d: true });
    expect(wet.errors?.[0]?.extensions?.code).toBe('invalid_storage_location');
    expect((await readdir(victim)).sort()).toEqual([ORPHAN_ID, 'thesis.txt']);
    expect(await readdir(path.join(victim, ORPHAN_ID))).toEqual(['manifest.json']);
  });

  it('in the built-in location, deletes orphans named like backup files and keeps every other file', async () => {
    const root = path.join(t.dataDir, 'backups');
    expect(await readdir(root)).toContain('.backup-gateway-location');
    await writeFile(path.join(root, 'notes.txt'), 'not a backup');
    await mkdir(path.join(root, ORPHAN_ID, 'collections', 'books'), { recursive: true });
    await writeFile(path.join(root, ORPHAN_ID, 'collections', 'books', 'schema.json'), '{}');
    await writeFile(path.join(root, ORPHAN_ID, 'collections', 'books', 'passwords.txt'), 'secret');
    const res = await t.gql(RECONCILE, { id: 'local', d: true });
    expect(res.errors).toBeUndefined();
    expect(res.data!.reconcileStorage.deletedOrphans).toBe(1);
    expect((await readdir(root)).sort()).toEqual(['.backup-gateway-location', ORPHAN_ID, 'notes.txt']);
    expect(await readdir(path.join(root, ORPHAN_ID, 'collections', 'books'))).toEqual(['passwords.txt']);
  });
});
