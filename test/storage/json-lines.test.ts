// Documents handed to the archive as JSON lines already serialised (an engine's JSONL export passed through):
// counted, chunked and read back like documents written one by one.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import { createArchiveWriter } from '../../src/storage/archive-writer.ts';
import type { ArchiveWriterSession } from '../../src/storage/driver.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { expectCode, tempDir } from './helpers.ts';

const META: Parameters<ArchiveWriterSession['finalize']>[0] = {
  plugin: 'typesense',
  engineVersion: '29.0',
  strategy: 'LOGICAL',
  type: 'FULL',
  createdAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:01:00.000Z',
  warnings: [],
};

const doc = (i: number) => ({ id: String(i), title: `Book ${i} — ☕`, points: i });
const lines = (from: number, to: number) => Buffer.from(Array.from({ length: to - from }, (_, k) => JSON.stringify(doc(from + k)) + '\n').join(''));

describe('DocumentSink.writeJsonLines', () => {
  it('passes JSON lines through, mixed with parsed batches, across chunks, and reads them back', async () => {
    const storage = new LocalFsStorage({ root: join(await tempDir(), 'backups') });
    const writer = createArchiveWriter({ storage, backupId: 'b1', chunkBytes: 64 * 1024 });
    await writer.writeCollectionSchema('books', { name: 'books' });
    const sink = writer.openDocuments('books');
    for (let start = 0; start < 3000; start += 500) await sink.writeJsonLines(lines(start, start + 500), 500);
    await sink.write([doc(3000), doc(3001)]);
    await sink.writeJsonLines(Buffer.alloc(0), 0);
    const totals = await sink.close();
    const manifest = await writer.finalize(META);

    const expectedBytes = lines(0, 3002).length;
    expect(totals).toEqual({ documentCount: 3002, documentBytes: expectedBytes });
    expect(manifest.collections[0]).toMatchObject({ documentCount: 3002, documentBytes: expectedBytes });
    expect(manifest.collections[0]!.files.length).toBeGreaterThan(1);
    const reader = await openArchiveReader({ storage, backupId: 'b1' });
    const read: unknown[] = [];
    for await (const batch of reader.readDocuments('books', 700)) read.push(...batch);
    expect(read).toEqual(Array.from({ length: 3002 }, (_, i) => doc(i)));
  });

  it('refuses bytes that do not end with a whole line, and a bad count', async () => {
    const storage = new LocalFsStorage({ root: join(await tempDir(), 'backups') });
    const writer = createArchiveWriter({ storage, backupId: 'b2' });
    await expectCode(writer.openDocuments('a').writeJsonLines(Buffer.from('{"id":"1"}'), 1), 'storage_error');
    await expectCode(writer.openDocuments('b').writeJsonLines(Buffer.from('{"id":"1"}\n'), -1), 'storage_error');
  });
});
