// Issue 13 point 10 through the gateway's doors: importBackup of a dump listing 100k indexes and of a dump with a
// 48 MiB document line answers invalid_backup_file naming the limit and catalogs nothing; the gateway-dump importer
// refuses a dump whose first line is 64 MiB (it used to crash the process) and leaves the database empty.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGatewayDump } from '../../src/gateway-dump/import.ts';
import { SecretBox } from '../../src/secret-box.ts';
import { MiB, repeated, text, writeTarGz } from '../../plugins/meilisearch/test/hostile.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const IMPORT = `mutation($i: ImportBackupInput!) { importBackup(input: $i) { id } }`;

describe('hostile files at the import doors', () => {
  let importDir: string;
  let t: TestGateway;

  beforeAll(async () => {
    importDir = await mkdtemp(path.join(os.tmpdir(), 'gw-hostile-import-'));
    t = await startTestGateway({ env: { GATEWAY_IMPORT_DIR: importDir } });
  });
  afterAll(async () => {
    await t?.close();
    await rm(importDir, { recursive: true, force: true });
  });

  it('importBackup refuses a dump listing 100k indexes and one with a 48 MiB line; nothing is cataloged', async () => {
    const listed = path.join(importDir, 'listed.dump');
    const indexes = Array.from({ length: 100_000 }, (_, i) => ({ uid: `i${i}`, primaryKey: 'id' }));
    await writeTarGz(listed, [text('metadata.json', JSON.stringify({ dumpVersion: 'V1', dbVersion: '0.20.0', indexes }))]);
    const longLine = path.join(importDir, 'long-line.dump');
    await writeTarGz(longLine, [
      text('metadata.json', JSON.stringify({ dumpVersion: 'V6', dbVersion: '1.12.0', dumpDate: '2025-01-01T00:00:00Z' })),
      text('indexes/movies/metadata.json', JSON.stringify({ uid: 'movies', primaryKey: 'id' })),
      text('indexes/movies/settings.json', '{}'),
      repeated('indexes/movies/documents.jsonl', '{"id":1,"title":"', Buffer.from('a'), '"}\n', 48 * MiB),
    ]);
    for (const [file, limit] of [
      [listed, /exceeds the limit of 10000 indexes/],
      [longLine, /exceeds the limit of 16 MiB per line/],
    ] as const) {
      const res = await t.gql(IMPORT, { i: { plugin: 'meilisearch', path: file } });
      expect(res.errors?.[0]?.extensions?.code, file).toBe('invalid_backup_file');
      expect(res.errors?.[0]?.message).toMatch(limit);
    }
    expect(await t.gateway.prisma.backup.count()).toBe(0);
  });

  it('the gateway-dump importer refuses a 64 MiB line with a coded error; the database stays empty', async () => {
    const file = path.join(importDir, 'long-line.jsonl.gz');
    const line = repeated('dump', '{"format":"', Buffer.from('x'), '"}\n', 64 * MiB);
    await pipeline(Readable.from(line.pieces()), createGzip(), createWriteStream(file));
    const db = await createTestDatabase('pglite');
    try {
      await expect(importGatewayDump({ prisma: db.prisma, secretBox: SecretBox.fromPassphrase('target-key-0123456789') }, { file })).rejects.toMatchObject({
        code: 'invalid_backup_file',
        message: expect.stringMatching(/line 1 exceeds the limit of 16 MiB per line/),
      });
      expect(await db.prisma.engine.count()).toBe(0);
    } finally {
      await db.close();
    }
  });
});
