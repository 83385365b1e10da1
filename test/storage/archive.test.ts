import { existsSync } from 'node:fs';
import { readFile, writeFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArchiveReader, verifyArchive } from '../../src/storage/archive-reader.ts';
import type { BackupManifest } from '../../src/storage/archive-types.ts';
import { createArchiveWriter } from '../../src/storage/archive-writer.ts';
import type { ArchiveWriterSession } from '../../src/storage/driver.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { expectCode, listFiles, readJsonl, sha256Of, tempDir } from './helpers.ts';

const META = {
  plugin: 'typesense',
  engineVersion: '27.1',
  strategy: 'LOGICAL',
  type: 'FULL',
  createdAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:01:00.000Z',
  warnings: ['embedder apiKey masked by the engine'],
} as const satisfies Parameters<ArchiveWriterSession['finalize']>[0];

async function setup(): Promise<{ storage: LocalFsStorage; root: string }> {
  const root = join(await tempDir(), 'backups');
  return { storage: new LocalFsStorage({ root }), root };
}

function movie(i: number): Record<string, unknown> {
  return { id: `m${i}`, title: `Movie ${i} — ☕ "quoted"\nline`, year: 1950 + (i % 70), tags: ['a', 'b'].slice(0, i % 3) };
}

async function writeDocuments(writer: ArchiveWriterSession, collection: string, count: number, make = movie): Promise<void> {
  const sink = writer.openDocuments(collection);
  for (let start = 0; start < count; start += 1000) {
    await sink.write(Array.from({ length: Math.min(1000, count - start) }, (_, k) => make(start + k)));
  }
  await sink.close();
}

async function readAllDocuments(reader: Awaited<ReturnType<typeof openArchiveReader>>, collection: string, batchSize: number): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const batch of reader.readDocuments(collection, batchSize)) {
    expect(batch.length).toBeGreaterThan(0);
    expect(batch.length).toBeLessThanOrEqual(batchSize);
    all.push(...batch);
  }
  return all;
}

/** A finished backup with one collection spread over several chunks. */
async function smallBackup(storage: LocalFsStorage, backupId = 'b1', count = 5000): Promise<BackupManifest> {
  const writer = createArchiveWriter({ storage, backupId, chunkBytes: 64 * 1024 });
  await writer.writeCollectionSchema('movies', { fields: [{ name: 'title', type: 'string' }] });
  await writeDocuments(writer, 'movies', count);
  await writer.writeExtra('aliases', [{ name: 'films', collection: 'movies' }]);
  return writer.finalize(META);
}

describe('portable archive', () => {
  const ODD_NAMES = ['a/b', '..', '.', 'café ☕', 'Movies', 'movies', '', 'x'.repeat(300), 'CON', '~h'];

  it('round-trips several collections, odd names and 50k documents across chunks', async () => {
    const { storage, root } = await setup();
    const writer = createArchiveWriter({ storage, backupId: 'b1', chunkBytes: 256 * 1024 });
    await writer.writeCollectionSchema('big', { fields: ['title'], engineNative: true });
    await writeDocuments(writer, 'big', 50_000);
    await Promise.all(
      ODD_NAMES.map(async (name, index) => {
        await writer.writeCollectionSchema(name, { name });
        await writeDocuments(writer, name, index * 3, (i) => ({ id: i, from: name }));
      }),
    );
    await writer.writeCollectionSchema('empty', {});
    await writer.writeExtra('aliases', [{ name: 'films', collection: 'big' }]);
    await writer.writeExtra('a/../synonyms', { car: ['auto'] });
    expect(await storage.stat('b1', 'manifest.json')).toBeNull();
    const bytesBeforeManifest = writer.bytesWritten;

    const manifest = await writer.finalize(META);
    expect(writer.bytesWritten).toBeGreaterThan(bytesBeforeManifest);
    const big = manifest.collections.find((collection) => collection.name === 'big');
    expect(big?.documentCount).toBe(50_000);
    expect(big?.files.length).toBeGreaterThan(5); // schema + several chunks
    expect(manifest.collections.map((collection) => collection.name)).toEqual(['big', ...ODD_NAMES, 'empty']);
    expect(manifest.totals.documentCount).toBe(50_000 + ODD_NAMES.reduce((sum, _, index) => sum + index * 3, 0));

    // The manifest on disk is what finalize returned, and lists every other file with its real sha256.
    const onDisk = JSON.parse(await readFile(join(root, 'b1/manifest.json'), 'utf8')) as BackupManifest;
    expect(onDisk).toEqual(manifest);
    const listed = [...manifest.collections.flatMap((collection) => collection.files), ...manifest.extras];
    expect(listed.map((file) => file.path).sort()).toEqual((await listFiles(join(root, 'b1'))).filter((path) => path !== 'manifest.json'));
    for (const file of listed) expect(await sha256Of(join(root, 'b1', file.path))).toBe(file.sha256);
    expect(manifest.totals.files).toBe(listed.length);
    expect(manifest.totals.bytes).toBe(listed.reduce((sum, file) => sum + file.bytes, 0));
    expect(
      writer
        .files()
        .map((file) => file.path)
        .sort(),
    ).toEqual([...listed.map((file) => file.path), 'manifest.json'].sort());

    // Every folder name is one safe segment, distinct even ignoring case.
    const folders = new Set(listed.map((file) => file.path.split('/')[1]));
    for (const folder of folders) expect(folder).toMatch(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,254}$/);
    const collectionFolders = manifest.collections.map((collection) => collection.schemaFile.split('/')[1]?.toLowerCase());
    expect(new Set(collectionFolders).size).toBe(manifest.collections.length);

    // Chunks rotate once past chunkBytes, and an independent gunzip sees the documents in order.
    const chunks = big?.files.filter((file) => file.path !== big.schemaFile) ?? [];
    expect(chunks.map((file) => file.path)).toEqual(chunks.map((_, index) => `collections/big/documents-${String(index + 1).padStart(5, '0')}.jsonl.gz`));
    const independent = (await Promise.all(chunks.map((file) => readJsonl(join(root, 'b1', file.path))))).flat();
    expect(independent).toEqual(Array.from({ length: 50_000 }, (_, i) => movie(i)));

    const reader = await openArchiveReader({ storage, backupId: 'b1' });
    expect(reader.manifest).toEqual(manifest);
    expect(await reader.readCollectionSchema('big')).toEqual({ fields: ['title'], engineNative: true });
    expect(await readAllDocuments(reader, 'big', 777)).toEqual(independent);
    for (const [index, name] of ODD_NAMES.entries()) {
      expect(await reader.readCollectionSchema(name)).toEqual({ name });
      expect(await readAllDocuments(reader, name, 2)).toEqual(Array.from({ length: index * 3 }, (_, i) => ({ id: i, from: name })));
    }
    expect(await readAllDocuments(reader, 'empty', 10)).toEqual([]);
    expect(await reader.readExtra('aliases')).toEqual([{ name: 'films', collection: 'big' }]);
    expect(await reader.readExtra('a/../synonyms')).toEqual({ car: ['auto'] });
    expect(await reader.readExtra('stopwords')).toBeUndefined();
    await expectCode(async () => reader.readDocuments('nope', 10), 'collection_not_found');
    await expectCode(reader.readCollectionSchema('nope'), 'collection_not_found');

    const verification = await verifyArchive(storage, 'b1');
    expect(verification.problems).toEqual([]);
    expect(verification.files).toBe(listed.length);
    expect(await listFiles(root)).not.toContainEqual(expect.stringContaining('.tmp-'));
  });

  it('writes the manifest last: before finalize the backup is not restorable', async () => {
    const { storage, root } = await setup();
    const writer = createArchiveWriter({ storage, backupId: 'b1' });
    await writer.writeCollectionSchema('movies', {});
    await writeDocuments(writer, 'movies', 10);
    expect(await listFiles(join(root, 'b1'))).toEqual(['collections/movies/documents-00001.jsonl.gz', 'collections/movies/schema.json']);
    const error = await expectCode(openArchiveReader({ storage, backupId: 'b1' }), 'archive_invalid');
    expect(error.message).toBe('backup has no finished manifest; it is not restorable');
    await expectCode(verifyArchive(storage, 'b1'), 'archive_invalid');
    await writer.finalize(META);
    expect((await openArchiveReader({ storage, backupId: 'b1' })).manifest.collections).toHaveLength(1);
  });

  it('refuses duplicate writes, writes after finalize or abort, and unfinished collections', async () => {
    const { storage } = await setup();
    const writer = createArchiveWriter({ storage, backupId: 'b1' });
    await writer.writeCollectionSchema('movies', {});
    await expectCode(writer.writeCollectionSchema('movies', {}), 'storage_error');
    const sink = writer.openDocuments('movies');
    await expectCode(() => writer.openDocuments('movies'), 'storage_error');
    await writer.writeExtra('aliases', []);
    await expectCode(writer.writeExtra('aliases', []), 'storage_error');
    await expectCode(writer.writeExtra('undefined', undefined), 'storage_error');
    await expectCode(sink.write([{ ok: 1 }, undefined]), 'storage_error');
    await expectCode(sink.write([{ ok: 2 }]), 'storage_error'); // a failed sink stays failed

    const other = writer.openDocuments('books');
    await other.write([{ id: 1 }]);
    await expectCode(writer.finalize(META), 'storage_error'); // books not closed
    await other.close();
    await expectCode(writer.finalize(META), 'storage_error'); // books has no schema
    await writer.writeCollectionSchema('books', {});
    await expectCode(writer.finalize(META), 'storage_error'); // movies sink failed, never closed
    await writer.abort();

    const second = createArchiveWriter({ storage, backupId: 'b2' });
    await second.writeCollectionSchema('books', {});
    const books = second.openDocuments('books');
    await books.write([{ id: 1 }]);
    await books.close();
    await expect(books.close()).resolves.toEqual({ documentCount: 1, documentBytes: 9 });
    await expectCode(books.write([{ id: 2 }]), 'storage_error');
    await second.finalize(META);
    await expectCode(second.finalize(META), 'storage_error');
    await expectCode(second.writeCollectionSchema('late', {}), 'storage_error');
    await expectCode(second.writeExtra('late', {}), 'storage_error');
    await expectCode(() => second.openDocuments('late'), 'storage_error');
  });

  it('abort deletes the folder, including files still being written, and leaves no temp files', async () => {
    const { storage, root } = await setup();
    const writer = createArchiveWriter({ storage, backupId: 'b1', chunkBytes: 8 * 1024 });
    await writer.writeCollectionSchema('movies', {});
    const sink = writer.openDocuments('movies');
    await sink.write(Array.from({ length: 500 }, (_, i) => movie(i)));
    const running = sink.write(Array.from({ length: 5000 }, (_, i) => movie(i)));
    expect(await listFiles(root)).toContainEqual(expect.stringMatching(/\.tmp-[0-9a-f]{16}$/));
    await writer.abort();
    await expectCode(running, 'storage_error');
    expect(existsSync(join(root, 'b1'))).toBe(false);
    expect(await listFiles(root)).toEqual([]);
    await expectCode(sink.write([{ id: 1 }]), 'storage_error');
    await expectCode(writer.writeExtra('x', {}), 'storage_error');
    await expectCode(writer.finalize(META), 'storage_error');
    await writer.abort(); // twice is fine
  });

  it('stops at a tampered file with checksum_mismatch naming it', async () => {
    const { storage, root } = await setup();
    const manifest = await smallBackup(storage);
    const movies = manifest.collections[0]!;
    const firstChunk = movies.files[1]!;
    const path = join(root, 'b1', firstChunk.path);
    const firstChunkDocuments = (await readJsonl(path)).length;
    const original = await readFile(path);

    // Same size, still valid gzip (the header mtime changed): only the sha256 can tell.
    const mtimeChanged = Buffer.from(original);
    mtimeChanged[4] = (mtimeChanged[4]! + 1) % 256;
    await writeFile(path, mtimeChanged);
    const reader = await openArchiveReader({ storage, backupId: 'b1' });
    const seen: unknown[] = [];
    const error = await expectCode(async () => {
      for await (const batch of reader.readDocuments('movies', 100)) seen.push(...batch);
    }, 'checksum_mismatch');
    expect(error.message).toContain(firstChunk.path);
    expect(seen.length).toBeLessThan(firstChunkDocuments); // the file's last document was never handed out

    // Same size, corrupted deflate data.
    const flipped = Buffer.from(original);
    const middle = Math.floor(flipped.length / 2);
    flipped[middle] = flipped[middle]! ^ 0xff;
    await writeFile(path, flipped);
    expect((await expectCode(readAllDocuments(reader, 'movies', 100), 'checksum_mismatch')).message).toContain(firstChunk.path);

    // Truncated: caught from its size before a single document is yielded.
    await truncate(path, original.length - 10);
    const iterator = reader.readDocuments('movies', 100)[Symbol.asyncIterator]();
    await expectCode(iterator.next(), 'checksum_mismatch');

    await writeFile(path, original);
    expect(await readAllDocuments(reader, 'movies', 100)).toHaveLength(5000);

    await writeFile(join(root, 'b1', movies.schemaFile), '{"fields":[]}\n');
    await expectCode(reader.readCollectionSchema('movies'), 'checksum_mismatch');
    const verification = await verifyArchive(storage, 'b1');
    expect(verification.problems).toEqual([expect.objectContaining({ path: movies.schemaFile, problem: 'size_mismatch', actual: expect.objectContaining({ bytes: 14 }) })]);
  });

  it('lets a reader stop early and start over', async () => {
    const { storage } = await setup();
    await smallBackup(storage);
    const reader = await openArchiveReader({ storage, backupId: 'b1' });
    for await (const batch of reader.readDocuments('movies', 10)) {
      expect(batch).toEqual(Array.from({ length: 10 }, (_, i) => movie(i)));
      break;
    }
    await expectCode(async () => reader.readDocuments('movies', 0), 'storage_error');
    expect(await readAllDocuments(reader, 'movies', 4999)).toEqual(Array.from({ length: 5000 }, (_, i) => movie(i)));
  });

  it('reports missing files and rejects broken manifests as archive_invalid', async () => {
    const { storage, root } = await setup();
    const manifest = await smallBackup(storage);
    const extra = manifest.extras[0]!;
    await writeFile(join(root, 'b1', extra.path), 'x'.repeat(extra.bytes)); // same size, other bytes
    await storage.openWrite('b1', 'ignored.json').then((handle) => handle.abort());
    const { rm } = await import('node:fs/promises');
    await rm(join(root, 'b1', manifest.collections[0]!.files[2]!.path));
    const progress: number[] = [];
    const verification = await verifyArchive(storage, 'b1', { onProgress: ({ files }) => progress.push(files) });
    expect(verification.problems.map(({ path, problem }) => ({ path, problem }))).toEqual([
      { path: manifest.collections[0]!.files[2]!.path, problem: 'missing' },
      { path: extra.path, problem: 'sha256_mismatch' },
    ]);
    expect(progress.at(-1)).toBe(manifest.totals.files);
    const reader = await openArchiveReader({ storage, backupId: 'b1' });
    await expectCode(readAllDocuments(reader, 'movies', 1000), 'archive_invalid');

    await writeFile(join(root, 'b1/manifest.json'), '{"formatVersion": 1');
    await expectCode(openArchiveReader({ storage, backupId: 'b1' }), 'archive_invalid');
    await writeFile(join(root, 'b1/manifest.json'), JSON.stringify({ ...manifest, formatVersion: 2 }));
    await expectCode(openArchiveReader({ storage, backupId: 'b1' }), 'archive_invalid');
    const twice = { ...manifest, collections: [manifest.collections[0], manifest.collections[0]] };
    await writeFile(join(root, 'b1/manifest.json'), JSON.stringify(twice));
    await expectCode(openArchiveReader({ storage, backupId: 'b1' }), 'archive_invalid');
    // A manifest pointing outside the backup is refused by the driver.
    const escaping = { ...manifest, extras: [{ ...extra, path: '../b2/manifest.json', name: 'evil' }] };
    await writeFile(join(root, 'b1/manifest.json'), JSON.stringify(escaping));
    await expectCode((await openArchiveReader({ storage, backupId: 'b1' })).readExtra('evil'), 'storage_error');
  });

  it('keeps memory bounded while 200k documents stream through (backpressure)', async () => {
    const { storage } = await setup();
    const writer = createArchiveWriter({ storage, backupId: 'big', chunkBytes: 16 * 1024 * 1024 });
    await writer.writeCollectionSchema('docs', {});
    const sink = writer.openDocuments('docs');
    const padding = 'lorem ipsum dolor sit amet '.repeat(30); // ~800 bytes a document, ~170 MB in all
    const before = process.memoryUsage();
    let peak = 0;
    for (let start = 0; start < 200_000; start += 2000) {
      await sink.write(Array.from({ length: 2000 }, (_, k) => ({ id: start + k, padding })));
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.external - before.heapUsed - before.external);
    }
    const totals = await sink.close();
    expect(totals.documentCount).toBe(200_000);
    expect(totals.documentBytes).toBeGreaterThan(160_000_000);
    // Holding the documents (or their compressed output) would need well over 160 MB.
    expect(peak).toBeLessThan(100 * 1024 * 1024);
    const manifest = await writer.finalize(META);
    expect(manifest.collections[0]!.files.length).toBeGreaterThan(9);
    expect(writer.bytesWritten).toBeLessThan(totals.documentBytes / 10);
  });
});
