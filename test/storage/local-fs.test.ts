import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { sha256File, sha256Stream } from '../../src/storage/sha256.ts';
import { expectCode, listFiles, sha256Of, tempDir } from './helpers.ts';

async function storageIn(): Promise<{ storage: LocalFsStorage; root: string; base: string }> {
  const base = await tempDir();
  const root = join(base, 'backups');
  return { storage: new LocalFsStorage({ root }), root, base };
}

describe('LocalFsStorage', () => {
  it('streams to a temp file and renames it on commit, with size and sha256 of the bytes written', async () => {
    const { storage, root } = await storageIn();
    const handle = await storage.openWrite('b1', 'collections/movies/schema.json');
    handle.stream.write('{"a":');
    handle.stream.write(Buffer.from('1}'));

    const during = await listFiles(root);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^b1\/collections\/movies\/schema\.json\.tmp-[0-9a-f]{16}$/);
    expect(await storage.stat('b1', 'collections/movies/schema.json')).toBeNull();

    const file = await handle.commit();
    const expected = createHash('sha256').update('{"a":1}').digest('hex');
    expect(file).toEqual({ path: 'collections/movies/schema.json', bytes: 7, sha256: expected });
    expect(await listFiles(root)).toEqual(['b1/collections/movies/schema.json']);
    expect(await sha256Of(join(root, 'b1/collections/movies/schema.json'))).toBe(expected);
    expect(await sha256File(join(root, 'b1/collections/movies/schema.json'))).toEqual({ bytes: 7, sha256: expected });
    expect(await storage.stat('b1', 'collections/movies/schema.json')).toEqual({ bytes: 7 });
    expect(await sha256Stream(await storage.openRead('b1', 'collections/movies/schema.json'))).toEqual({ bytes: 7, sha256: expected });

    await expectCode(handle.commit(), 'storage_error');
    await handle.abort(); // a no-op once committed
    expect(await listFiles(root)).toEqual(['b1/collections/movies/schema.json']);
  });

  it('abort removes the temp file, also after the stream failed', async () => {
    const { storage, root } = await storageIn();
    const handle = await storage.openWrite('b1', 'extras/aliases.json');
    handle.stream.write('partial');
    await handle.abort();
    await handle.abort();
    expect(await listFiles(root)).toEqual([]);

    const broken = await storage.openWrite('b1', 'extras/keys.json');
    broken.stream.destroy(new Error('engine went away'));
    await expectCode(broken.commit(), 'storage_error');
    await broken.abort();
    expect(await listFiles(root)).toEqual([]);
  });

  it('reports missing files as storage_error or null', async () => {
    const { storage } = await storageIn();
    const error = await expectCode(storage.openRead('b1', 'manifest.json'), 'storage_error');
    expect(error.details).toMatchObject({ reason: 'not_found' });
    expect(await storage.stat('b1', 'manifest.json')).toBeNull();
  });

  it('gives a file:// location and deletes a whole backup', async () => {
    const { storage, root } = await storageIn();
    expect(fileURLToPath(storage.locationOf('b1'))).toBe(join(root, 'b1'));
    expect(storage.locationOf('b1')).toMatch(/^file:\/\//);
    for (const path of ['a.json', 'collections/x/schema.json']) {
      const handle = await storage.openWrite('b1', path);
      handle.stream.end('{}');
      await handle.commit();
    }
    const other = await storage.openWrite('b2', 'a.json');
    other.stream.end('{}');
    await other.commit();
    const inFlight = await storage.openWrite('b1', 'b.json');
    inFlight.stream.write('{');

    await storage.deleteBackup('b1');
    expect(existsSync(join(root, 'b1'))).toBe(false);
    expect(await listFiles(root)).toEqual(['b2/a.json']);
    await storage.deleteBackup('never-existed');
    await inFlight.abort();
  });

  it('sweepTemp removes temp files left by a dead process and nothing else', async () => {
    const { storage, root } = await storageIn();
    expect(await storage.sweepTemp()).toBe(0); // root does not even exist yet

    const kept = await storage.openWrite('b1', 'collections/x/schema.json');
    kept.stream.end('{}');
    await kept.commit();
    await mkdir(join(root, 'b1/collections/x'), { recursive: true });
    await writeFile(join(root, 'b1/collections/x/documents-00001.jsonl.gz.tmp-0123456789abcdef'), 'left');
    await writeFile(join(root, 'b2.json.tmp-fedcba9876543210'), 'left');
    // Looks alike but is not one of ours: an extra named "notes.tmp-x".
    await writeFile(join(root, 'b1/notes.tmp-x.json'), 'kept');
    const live = await storage.openWrite('b3', 'manifest.json');
    live.stream.write('{');

    expect(await storage.sweepTemp()).toBe(2);
    const remaining = await listFiles(root);
    expect(remaining.filter((path) => !path.startsWith('b3/'))).toEqual(['b1/collections/x/schema.json', 'b1/notes.tmp-x.json']);
    // The write of this process goes on undisturbed.
    live.stream.end('}');
    await live.commit();
    expect(await readFile(join(root, 'b3/manifest.json'), 'utf8')).toBe('{}');
    expect(await storage.sweepTemp()).toBe(0);
  });

  it('rejects backup ids and paths that could leave the root', async () => {
    const { storage, base, root } = await storageIn();
    await mkdir(root, { recursive: true });
    const badIds = ['', '.', '..', 'a/b', '../x', 'a\\b', 'a\0b', '/etc', 'x\n'];
    const badPaths = ['', '/etc/passwd', '../x', 'a/../../x', 'a/./b', 'a//b', 'a/', 'a\\..\\x', 'C:\\x', 'a\0b', '..', 'x.json.tmp-0123456789abcdef', `${'x'.repeat(256)}.json`];
    for (const id of badIds) {
      await expectCode(() => storage.locationOf(id), 'storage_error');
      await expectCode(storage.openWrite(id, 'x.json'), 'storage_error');
      await expectCode(storage.openRead(id, 'x.json'), 'storage_error');
      await expectCode(storage.stat(id, 'x.json'), 'storage_error');
      await expectCode(storage.deleteBackup(id), 'storage_error');
    }
    for (const path of badPaths) {
      const error = await expectCode(storage.openWrite('b1', path), 'storage_error');
      expect(error.details).toMatchObject({ reason: 'unsafe_path' });
      await expectCode(storage.openRead('b1', path), 'storage_error');
      await expectCode(storage.stat('b1', path), 'storage_error');
    }
    expect((await readdir(base)).sort()).toEqual(['backups']);
    expect(await listFiles(root)).toEqual([]);
  });
});
