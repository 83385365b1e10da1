// Issue 13 point 10 for the gateway's own archives: the writer holds every document to GATEWAY_MAX_DOCUMENT_LINE_BYTES
// (document_too_large at backup time), and the reader refuses a longer line, or documents decompressing past the
// manifest's documentBytes, with invalid_backup_file before the file's checksum is known — on real files, with a
// manifest forged to match them.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MiB, repeated } from '../../plugins/meilisearch/test/hostile.ts';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import { createArchiveWriter } from '../../src/storage/archive-writer.ts';
import type { BackupManifest } from '../../src/storage/archive-types.ts';
import { setInputLimits, type InputLimits } from '../../src/storage/bounded-input.ts';
import type { ArchiveWriterSession } from '../../src/storage/driver.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { expectCode, listFiles, tempDir } from './helpers.ts';

const META: Parameters<ArchiveWriterSession['finalize']>[0] = {
  plugin: 'typesense',
  engineVersion: '29.0',
  strategy: 'LOGICAL',
  type: 'FULL',
  createdAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:01:00.000Z',
  warnings: [],
};

const doc = (i: number, size = 0) => ({ id: String(i), title: `Book ${i} — ☕`, text: 'x'.repeat(size) });

async function readAll(storage: LocalFsStorage, backupId: string, collection = 'books'): Promise<unknown[]> {
  const reader = await openArchiveReader({ storage, backupId });
  const documents: unknown[] = [];
  for await (const batch of reader.readDocuments(collection, 500)) documents.push(...batch);
  return documents;
}

/** A real backup of `books`, then its documents file replaced by `pieces` gzipped and manifest.json made to match. */
async function forged(pieces: Iterable<Buffer>, documentBytes?: number): Promise<{ storage: LocalFsStorage; root: string }> {
  const root = join(await tempDir(), 'backups');
  const storage = new LocalFsStorage({ root });
  const writer = createArchiveWriter({ storage, backupId: 'b1' });
  await writer.writeCollectionSchema('books', { name: 'books' });
  const sink = writer.openDocuments('books');
  await sink.write([doc(1), doc(2)]);
  await sink.close();
  await writer.finalize(META);

  const manifestPath = join(root, 'b1', 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;
  const collection = manifest.collections[0]!;
  const file = collection.files.find((candidate) => candidate.path !== collection.schemaFile)!;
  const target = join(root, 'b1', file.path);
  await pipeline(Readable.from(pieces), createGzip(), createWriteStream(target));
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(target) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  file.bytes = bytes;
  file.sha256 = hash.digest('hex');
  if (documentBytes !== undefined) collection.documentBytes = documentBytes;
  await writeFile(manifestPath, JSON.stringify(manifest));
  return { storage, root };
}

/** The highest growth of the process's Buffer memory while `run` runs, sampled every few milliseconds. */
async function bufferGrowth(run: () => Promise<unknown>): Promise<number> {
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 2);
  try {
    await run();
  } finally {
    clearInterval(sample);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  return peak - base;
}

describe('archive documents within GATEWAY_MAX_DOCUMENT_LINE_BYTES', () => {
  let previous: InputLimits;
  beforeEach(() => {
    previous = setInputLimits({ maxDocumentLineBytes: MiB });
  });
  afterEach(() => {
    setInputLimits(previous);
  });

  it('a document above the limit fails the write with document_too_large naming the collection, its size and the setting', async () => {
    const root = join(await tempDir(), 'backups');
    const storage = new LocalFsStorage({ root });
    const writer = createArchiveWriter({ storage, backupId: 'big' });
    await writer.writeCollectionSchema('books', { name: 'books' });
    const sink = writer.openDocuments('books');
    // 400k '€' are 400k UTF-16 units but 1.2 MB of UTF-8: the byte count decides, not the string length.
    const error = await expectCode(sink.write([doc(1), { id: '2', text: '€'.repeat(400_000) }]), 'document_too_large');
    expect(error.message).toMatch(
      /collection "books": document 1 of the batch is 1200\d{3} bytes of JSON, over the limit of 1 MiB per document \(GATEWAY_MAX_DOCUMENT_LINE_BYTES\)/,
    );
    expect(error.details).toMatchObject({ collection: 'books', limit: MiB, setting: 'GATEWAY_MAX_DOCUMENT_LINE_BYTES' });
    await expectCode(sink.close(), 'document_too_large');

    // The pass-through path (Typesense's export bytes) is held to the same limit.
    const json = writer.openDocuments('json');
    const lines = Buffer.from(`${JSON.stringify(doc(1))}\n${JSON.stringify(doc(2, MiB))}\n`);
    const passed = await expectCode(json.writeJsonLines(lines, 2), 'document_too_large');
    expect(passed.message).toMatch(/collection "json": line 2 of the JSON lines written is \d+ bytes of JSON, over the limit of 1 MiB/);
  });

  it('a document just under the limit round-trips; one byte more does not', async () => {
    const storage = new LocalFsStorage({ root: join(await tempDir(), 'backups') });
    const overhead = Buffer.byteLength(JSON.stringify(doc(1)));
    const writer = createArchiveWriter({ storage, backupId: 'edge', chunkBytes: 256 * 1024 });
    await writer.writeCollectionSchema('books', { name: 'books' });
    const sink = writer.openDocuments('books');
    const documents = [doc(1, MiB - overhead), ...Array.from({ length: 2000 }, (_, i) => doc(i + 2, 100))];
    await sink.write(documents);
    await sink.writeJsonLines(Buffer.from(`${JSON.stringify(doc(1, MiB - overhead))}\n`), 1);
    await sink.close();
    await writer.finalize(META);
    expect(await readAll(storage, 'edge')).toEqual([...documents, doc(1, MiB - overhead)]);

    const over = createArchiveWriter({ storage, backupId: 'over' });
    await expectCode(over.openDocuments('books').write([doc(1, MiB - overhead + 1)]), 'document_too_large');
  });

  it('a forged 32 MiB line is refused at the 1 MiB limit, naming the file, without holding the line', async () => {
    const line = repeated('documents', '{"id":"1","text":"', Buffer.from('a'), '"}\n', 32 * MiB);
    // The forger also claims the bytes, so only the line limit stands in the way.
    const { storage } = await forged(line.pieces(), 64 * MiB);
    let error: unknown;
    const growth = await bufferGrowth(async () => {
      error = await expectCode(readAll(storage, 'b1'), 'invalid_backup_file');
    });
    expect(String(error)).toMatch(/backup b1: collections\/books\/documents-00001\.jsonl\.gz: line 1 exceeds the limit of 1 MiB per line \(GATEWAY_MAX_DOCUMENT_LINE_BYTES\)/);
    expect(growth).toBeLessThan(8 * MiB);
  });

  it('a forged gzip bomb (256 MiB of newlines in ~250 KB) stops at the documentBytes manifest.json records', async () => {
    const bomb = repeated('documents', '', Buffer.from('\n'), '', 256 * MiB);
    const { storage, root } = await forged(bomb.pieces());
    expect((await listFiles(join(root, 'b1'))).length).toBe(3);
    const error = await expectCode(readAll(storage, 'b1'), 'invalid_backup_file');
    expect(error.message).toMatch(
      /documents-00001\.jsonl\.gz: the decompressed size exceeds the limit of \d+ bytes \(what is left of the collection's documentBytes in manifest\.json\)/,
    );
  });

  it('documents past the count manifest.json records are refused as they come', async () => {
    const many = Buffer.from(Array.from({ length: 5000 }, (_, i) => `${JSON.stringify(doc(i))}\n`).join(''));
    const { storage } = await forged([many], many.length);
    const error = await expectCode(readAll(storage, 'b1'), 'archive_invalid');
    expect(error.message).toMatch(/holds more than the 2 documents the manifest says/);
  });
});
