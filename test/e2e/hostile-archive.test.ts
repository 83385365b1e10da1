// Issue 13 point 10 for the gateway's own archives, through GraphQL with GATEWAY_MAX_DOCUMENT_LINE_BYTES = 1 MiB:
// a backup holding a longer document fails with document_too_large and catalogs nothing COMPLETE; a normal backup
// restores under another name; a backup whose documents file and manifest.json were forged on storage to hold a
// 32 MiB line fails its restore with invalid_backup_file naming the limit.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Client } from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, repeated } from '../../plugins/meilisearch/test/hostile.ts';
import { DEFAULT_INPUT_LIMITS, setInputLimits } from '../../src/storage/bounded-input.ts';
import type { BackupManifest } from '../../src/storage/archive-types.ts';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const BACKUP = `mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`;
const RESTORE = `mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`;
const books = Array.from({ length: 200 }, (_, i) => ({ id: String(i), title: `Book ${i} — ☕` }));

describe('the gateway archives within GATEWAY_MAX_DOCUMENT_LINE_BYTES', () => {
  let emulator: TypesenseEmulator;
  let sdk: Client;
  let t: TestGateway;
  let engineId: string;

  const backup = async (collections: string[]): Promise<{ job: Record<string, any>; backupId: string }> => {
    const res = await t.gql(BACKUP, { i: { engineId, name: `b-${collections.join('-')}`, collections } });
    expect(res.errors).toBeUndefined();
    return { job: await waitForJob(t, res.data!['startBackup'].id), backupId: res.data!['startBackup'].backup.id };
  };
  const restore = async (input: Record<string, unknown>): Promise<Record<string, any>> => {
    const res = await t.gql(RESTORE, { i: input });
    expect(res.errors).toBeUndefined();
    return waitForJob(t, res.data!['startRestore'].id);
  };

  beforeAll(async () => {
    emulator = await startTypesenseEmulator();
    sdk = new Client({ nodes: [{ url: emulator.url }], apiKey: emulator.apiKey, numRetries: 0, logLevel: 'silent' });
    for (const name of ['books', 'big']) await sdk.collections().create({ name, fields: [{ name: 'title', type: 'string' }] });
    await sdk.collections('books').documents().import(books, { action: 'create' });
    await sdk
      .collections('big')
      .documents()
      .import([books[0]!, { id: 'huge', title: 'x'.repeat(2 * MiB) }], { action: 'create' });
    t = await startTestGateway({ env: { GATEWAY_MAX_DOCUMENT_LINE_BYTES: String(MiB) } });
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'search', plugin: 'typesense', config: { url: emulator.url, apiKey: emulator.apiKey } },
    });
    expect(res.errors).toBeUndefined();
    engineId = res.data!['registerEngine'].id;
  });

  afterAll(async () => {
    await t?.close();
    await emulator?.close();
    setInputLimits({ maxDocumentLineBytes: DEFAULT_INPUT_LIMITS.maxDocumentLineBytes });
  });

  it('a backup holding a 2 MiB document fails with document_too_large; nothing COMPLETE is cataloged', async () => {
    const { job } = await backup(['big']);
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatchObject({ code: 'document_too_large' });
    expect(job.error.message).toMatch(/collection "big": .* is 2097\d{3} bytes of JSON, over the limit of 1 MiB per document \(GATEWAY_MAX_DOCUMENT_LINE_BYTES\)/);
    expect(await t.gateway.prisma.backup.count({ where: { status: 'COMPLETE' } })).toBe(0);
  });

  it('a normal backup restores under another name; the same backup forged to hold a 32 MiB line does not', async () => {
    const { job, backupId } = await backup(['books']);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const restored = await restore({ backupId, collections: ['books'], rename: [{ from: 'books', to: 'books_copy' }] });
    expect(restored.status, JSON.stringify(restored.error)).toBe('SUCCEEDED');
    const exported = (await sdk.collections('books_copy').documents().export()) as string;
    expect(exported.split('\n').map((line) => JSON.parse(line) as unknown)).toEqual(books);

    // Someone who can write to the storage replaces the documents and makes manifest.json match them.
    const dir = path.join(t.dataDir, 'backups', backupId);
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
    const collection = manifest.collections[0]!;
    const file = collection.files.find((candidate) => candidate.path !== collection.schemaFile)!;
    const line = repeated('documents', '{"id":"1","title":"', Buffer.from('a'), '"}\n', 32 * MiB);
    await pipeline(Readable.from(line.pieces()), createGzip(), createWriteStream(path.join(dir, file.path)));
    const stored = await readFile(path.join(dir, file.path));
    Object.assign(file, { bytes: stored.length, sha256: createHash('sha256').update(stored).digest('hex') });
    Object.assign(collection, { documentCount: 1, documentBytes: 32 * MiB });
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));

    const forged = await restore({ backupId, collections: ['books'], rename: [{ from: 'books', to: 'books_forged' }] });
    expect(forged.status).toBe('FAILED');
    expect(forged.error).toMatchObject({ code: 'invalid_backup_file' });
    expect(forged.error.message).toMatch(/documents-00001\.jsonl\.gz: line 1 exceeds the limit of 1 MiB per line \(GATEWAY_MAX_DOCUMENT_LINE_BYTES\)/);
  });
});
