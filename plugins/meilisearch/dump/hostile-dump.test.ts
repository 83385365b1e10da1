// Issue 13 point 10: crafted dumps cost little. Each hostile file is generated here, streamed (never held whole):
// a gzip bomb, a 48 MiB document line, a settings.json of `[{},{},…]`, a dump listing 100k indexes. The reader
// answers `invalid_backup_file` naming the limit, in the summary pass (import, verify) and the documents pass
// (native restore). Memory stays bounded: were any of them read whole, this file would need gigabytes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setInputLimits } from '../../../src/storage/bounded-input.ts';
import { MiB, repeated, text, writeTarGz } from '../test/hostile.ts';
import { readDumpIndex, readDumpSummary } from './reader.ts';

const signal = () => AbortSignal.timeout(120_000);

const V6_METADATA = text('metadata.json', JSON.stringify({ dumpVersion: 'V6', dbVersion: '1.12.0', dumpDate: '2025-01-01T00:00:00Z' }));
const v6Index = (uid: string, settings = '{}') => [text(`indexes/${uid}/metadata.json`, JSON.stringify({ uid, primaryKey: 'id' })), text(`indexes/${uid}/settings.json`, settings)];

describe('hostile Meilisearch dumps', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gw-hostile-dump-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a gzip bomb (512 MiB of newlines in ~0.5 MB) is refused by its compression ratio', async () => {
    const file = join(dir, 'bomb.dump');
    await writeTarGz(file, [V6_METADATA, ...v6Index('movies'), repeated('indexes/movies/documents.jsonl', '', Buffer.from('\n'), '', 512 * MiB)]);
    await expect(readDumpSummary(file, signal())).rejects.toMatchObject({
      code: 'invalid_backup_file',
      message: expect.stringMatching(/compression ratio .* exceeds the limit of 200:1/),
    });
  });

  it('a 48 MiB document line is refused at the 16 MiB line limit, in the summary and in the documents pass', async () => {
    const file = join(dir, 'long-line.dump');
    const line = repeated('indexes/movies/documents.jsonl', '{"id":1,"title":"', Buffer.from('a'), '"}\n', 48 * MiB);
    await writeTarGz(file, [V6_METADATA, ...v6Index('movies'), line]);
    const refused = { code: 'invalid_backup_file', message: expect.stringMatching(/line 1 exceeds the limit of 16 MiB per line \(GATEWAY_MAX_DOCUMENT_LINE_BYTES\)/) };
    await expect(readDumpSummary(file, signal())).rejects.toMatchObject(refused);
    // What a native restore reads: the documents of one index.
    const documents = async () => {
      for await (const item of readDumpIndex(file, 'movies', { signal: signal() })) void item;
    };
    await expect(documents()).rejects.toMatchObject(refused);
  });

  it('a settings.json of [{},{},…] is refused by its size, or by its array length when it is small enough', async () => {
    const huge = join(dir, 'settings-huge.dump');
    await writeTarGz(huge, [
      V6_METADATA,
      text('indexes/movies/metadata.json', JSON.stringify({ uid: 'movies', primaryKey: 'id' })),
      repeated('indexes/movies/settings.json', '{"stopWords":[', Buffer.from('{},'), '{}]}', 300 * MiB),
    ]);
    await expect(readDumpSummary(huge, signal())).rejects.toMatchObject({ code: 'invalid_backup_file', message: expect.stringMatching(/file size exceeds the limit of 4 MiB/) });

    const many = join(dir, 'settings-many.dump');
    await writeTarGz(many, [V6_METADATA, ...v6Index('movies', `{"stopWords":[${Array.from({ length: 200_000 }, () => '{}').join(',')}]}`)]);
    await expect(readDumpSummary(many, signal())).rejects.toMatchObject({
      code: 'invalid_backup_file',
      message: expect.stringMatching(/array of 200000 elements exceeds the limit of 100000/),
    });
  });

  it('a dump listing 100k indexes is refused at 10,000 indexes, whether listed in metadata.json or as folders', async () => {
    const listed = join(dir, 'listed.dump');
    const indexes = Array.from({ length: 100_000 }, (_, i) => ({ uid: `i${i}`, primaryKey: 'id' }));
    await writeTarGz(listed, [text('metadata.json', JSON.stringify({ dumpVersion: 'V1', dbVersion: '0.20.0', indexes }))]);
    await expect(readDumpSummary(listed, signal())).rejects.toMatchObject({
      code: 'invalid_backup_file',
      message: expect.stringMatching(/number of indexes .* exceeds the limit of 10000 indexes/),
    });

    // As index folders: the same check while scanning, shown with a lower limit so the file stays small.
    const folders = join(dir, 'folders.dump');
    await writeTarGz(folders, [V6_METADATA, ...Array.from({ length: 150 }, (_, i) => v6Index(`i${i}`)).flat()]);
    const previous = setInputLimits({ maxDumpIndexes: 100 });
    try {
      await expect(readDumpSummary(folders, signal())).rejects.toMatchObject({ code: 'invalid_backup_file', message: expect.stringMatching(/exceeds the limit of 100 indexes/) });
    } finally {
      setInputLimits(previous);
    }
  });
});
