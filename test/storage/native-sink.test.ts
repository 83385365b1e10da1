import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { createNativeSink, openNativeBackup } from '../../src/storage/native-sink.ts';

describe('native backups in gateway storage', () => {
  let root: string;
  let storage: LocalFsStorage;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gw-native-'));
    storage = new LocalFsStorage({ root });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const meta = {
    plugin: 'test',
    engineVersion: '1.0',
    externalId: 'dump-1',
    collections: [{ name: 'a', documentCount: 2, bytes: null }],
    warnings: [],
    createdAt: 'x',
    finishedAt: 'y',
  };

  it('copies files with their sha256, records external ones, writes the manifest last, and reads back verified', async () => {
    const sink = createNativeSink({ storage, backupId: 'b1' });
    const payload = Buffer.from('dump bytes '.repeat(10_000));
    const file = await sink.writeFile('x.dump', Readable.from([payload.subarray(0, 500), payload.subarray(500)]));
    expect(file).toMatchObject({ path: 'native/x.dump', bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex') });
    sink.addExternal({ path: 'x.dump', location: 'server:dumps/x.dump', bytes: payload.length, description: 'on the server' });
    expect(await readdir(path.join(root, 'b1'))).not.toContain('manifest.json');
    const manifest = await sink.finalize(meta);
    expect(manifest.files).toHaveLength(1);
    expect(JSON.parse(await readFile(path.join(root, 'b1', 'manifest.json'), 'utf8')).external).toHaveLength(1);

    const handle = await openNativeBackup({ storage, backupId: 'b1' });
    expect(handle.externalId).toBe('dump-1');
    const chunks: Buffer[] = [];
    for await (const chunk of await handle.openFile('native/x.dump')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it('fails a tampered file with checksum_mismatch, and refuses unsafe paths', async () => {
    const sink = createNativeSink({ storage, backupId: 'b2' });
    await sink.writeFile('x.dump', Readable.from([Buffer.from('original')]));
    await expect(sink.writeFile('../escape', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ code: 'storage_error' });
    await expect(sink.writeFile('/abs', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ code: 'storage_error' });
    await sink.finalize(meta);
    await writeFile(path.join(root, 'b2', 'native', 'x.dump'), 'tampered');
    const handle = await openNativeBackup({ storage, backupId: 'b2' });
    const read = async () => {
      for await (const _chunk of await handle.openFile('native/x.dump'));
    };
    await expect(read()).rejects.toMatchObject({ code: 'checksum_mismatch' });
  });

  it('abort removes everything; a backup without manifest is archive_invalid', async () => {
    const sink = createNativeSink({ storage, backupId: 'b3' });
    await sink.writeFile('x.dump', Readable.from([Buffer.from('partial')]));
    await expect(openNativeBackup({ storage, backupId: 'b3' })).rejects.toMatchObject({ code: 'archive_invalid' });
    await sink.abort();
    await expect(readdir(path.join(root, 'b3'))).rejects.toThrow();
  });
});
