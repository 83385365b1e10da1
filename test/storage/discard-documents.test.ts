// discardDocuments (issue 13.3): a plugin that saw a collection change while reading it drops what it wrote,
// committed chunks included, and writes the collection again; the manifest and the folder hold only the retry.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArchiveReader, verifyArchive } from '../../src/storage/archive-reader.ts';
import { createArchiveWriter } from '../../src/storage/archive-writer.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { listFiles, tempDir } from './helpers.ts';

const META = {
  plugin: 'meilisearch',
  engineVersion: '1.16.0',
  strategy: 'LOGICAL',
  type: 'FULL',
  createdAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:01:00.000Z',
  warnings: [] as string[],
} as const;

describe('discardDocuments', () => {
  it('drops open and committed chunks of one collection, keeps the others, and lets it be written again', async () => {
    const root = join(await tempDir(), 'backups');
    const storage = new LocalFsStorage({ root });
    const writer = createArchiveWriter({ storage, backupId: 'b1', chunkBytes: 4 * 1024 });
    const docs = (from: number, count: number, tag: string) => Array.from({ length: count }, (_, i) => ({ id: from + i, tag, pad: 'x'.repeat(100) }));
    await writer.writeCollectionSchema('keep', {});
    const keep = writer.openDocuments('keep');
    await keep.write(docs(0, 50, 'keep'));
    await keep.close();
    await writer.writeCollectionSchema('movies', {});
    const first = writer.openDocuments('movies');
    await first.write(docs(0, 300, 'first')); // several committed 4 KiB chunks, one still open
    await writer.discardDocuments!('movies');
    await expect(first.write(docs(0, 1, 'late'))).rejects.toMatchObject({ code: 'storage_error' });
    const retry = writer.openDocuments('movies');
    await retry.write(docs(0, 120, 'retry'));
    await retry.close();
    const manifest = await writer.finalize(META);

    expect(manifest.collections.find((c) => c.name === 'movies')?.documentCount).toBe(120);
    expect(manifest.totals.documentCount).toBe(170);
    const listed = new Set(manifest.collections.flatMap((c) => c.files.map((f) => f.path)));
    const onDisk = (await listFiles(join(root, 'b1'))).filter((file) => file !== 'manifest.json');
    expect(new Set(onDisk)).toEqual(listed);
    expect(
      writer
        .files()
        .map((f) => f.path)
        .sort(),
    ).toEqual([...listed, 'manifest.json'].sort());
    await verifyArchive(storage, 'b1');
    const reader = await openArchiveReader({ storage, backupId: 'b1' });
    const read: Array<{ tag: string }> = [];
    for await (const batch of reader.readDocuments('movies', 1000)) read.push(...(batch as Array<{ tag: string }>));
    expect(read).toHaveLength(120);
    expect(read.every((doc) => doc.tag === 'retry')).toBe(true);
  });
});
