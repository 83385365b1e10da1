// Encryption at rest with age: archives written through the encrypting driver are standard age files (opened here
// by Debian's `age` tool), their checksums describe the stored bytes, the manifest says what is encrypted, and
// reading needs the right identity.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { openArchiveReader, readManifest, verifyArchive } from '../../src/storage/archive-reader.ts';
import { createArchiveWriter } from '../../src/storage/archive-writer.ts';
import { EncryptingStorage } from '../../src/storage/encrypted.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { createNativeSink, openNativeBackup } from '../../src/storage/native-sink.ts';
import { AGE_CLI, itWith } from '../helpers/requirements.ts';
import { expectCode, tempDir } from './helpers.ts';

const docs = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, title: `Title ${i}`, n: i }));

describe('age encryption at rest', () => {
  let identity: string;
  let recipient: string;

  beforeAll(async () => {
    identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
  });

  async function writeEncryptedArchive(root: string) {
    const storage = new EncryptingStorage(new LocalFsStorage({ root }), { recipients: [recipient], identities: [identity] });
    const writer = createArchiveWriter({ storage, backupId: 'enc1', chunkBytes: 64 * 1024 });
    await writer.writeCollectionSchema('movies', { primaryKey: 'id', settings: { searchable: ['title'] } });
    const sink = writer.openDocuments('movies');
    await sink.write(docs(3000, 'm'));
    await sink.close();
    await writer.writeCollectionSchema('books', { primaryKey: 'id' });
    const books = writer.openDocuments('books');
    await books.write(docs(10, 'b'));
    await books.close();
    await writer.writeExtra('aliases', [{ name: 'films', collection: 'movies' }]);
    const manifest = await writer.finalize({
      plugin: 'test',
      engineVersion: '1.0',
      strategy: 'LOGICAL',
      type: 'FULL',
      createdAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      warnings: [],
    });
    return { storage, manifest, files: writer.files() };
  }

  itWith(AGE_CLI)('writes age files the age CLI opens with the identity; checksums are of the stored bytes; the manifest says what is encrypted', async () => {
    const root = await tempDir();
    const { manifest, files } = await writeEncryptedArchive(root);
    expect(manifest.encryption).toEqual({ format: 'age', recipients: [recipient] });
    const listed = [...manifest.collections.flatMap((c) => c.files), ...manifest.extras];
    expect(listed.length).toBeGreaterThan(4); // several document chunks
    for (const file of listed) expect(file.encrypted).toBe(true);
    // The manifest itself stays readable without the identity, and says all of the above.
    const manifestOnDisk = JSON.parse(await readFile(join(root, 'enc1', 'manifest.json'), 'utf8'));
    expect(manifestOnDisk.encryption.recipients).toEqual([recipient]);
    expect(files.find((f) => f.path === 'manifest.json')?.encrypted).toBeUndefined();

    const identityFile = join(root, 'identity.txt');
    await writeFile(identityFile, `# gateway test identity\n${identity}\n`, { mode: 0o600 });
    let documents = 0;
    for (const file of listed) {
      const stored = await readFile(join(root, 'enc1', file.path));
      expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      expect(stored.length).toBe(file.bytes);
      expect(createHash('sha256').update(stored).digest('hex')).toBe(file.sha256);
      const plain = execFileSync('age', ['--decrypt', '-i', identityFile, join(root, 'enc1', file.path)], { maxBuffer: 64 * 1024 * 1024 });
      if (file.path.endsWith('.jsonl.gz')) {
        const lines = gunzipSync(plain).toString('utf8').split('\n').filter(Boolean);
        documents += lines.length;
        expect(JSON.parse(lines[0]!)).toHaveProperty('title');
      } else {
        expect(() => JSON.parse(plain.toString('utf8'))).not.toThrow();
      }
    }
    expect(documents).toBe(3010);
  });

  it('reads back with the identity, checks stored bytes without it, and refuses a flipped byte or a wrong identity', async () => {
    const root = await tempDir();
    const { storage } = await writeEncryptedArchive(root);
    const reader = await openArchiveReader({ storage, backupId: 'enc1' });
    let count = 0;
    for await (const batch of reader.readDocuments('movies', 500)) count += batch.length;
    expect(count).toBe(3000);
    expect(await reader.readCollectionSchema('movies')).toEqual({ primaryKey: 'id', settings: { searchable: ['title'] } });
    expect(await reader.readExtra('aliases')).toEqual([{ name: 'films', collection: 'movies' }]);

    // Checksums need no identity: they are of what lies in storage.
    const plainDriver = new LocalFsStorage({ root });
    expect((await verifyArchive(plainDriver, 'enc1')).problems).toEqual([]);
    // Without an identity, or with another one, the content cannot be read.
    await expectCode(async () => {
      const noIdentity = await openArchiveReader({ storage: new EncryptingStorage(plainDriver, { recipients: [], identities: [] }), backupId: 'enc1' });
      for await (const batch of noIdentity.readDocuments('books', 10)) void batch;
    }, 'decryption_failed');
    const other = await generateX25519Identity();
    await expectCode(async () => {
      const wrong = await openArchiveReader({ storage: new EncryptingStorage(plainDriver, { recipients: [], identities: [other] }), backupId: 'enc1' });
      await wrong.readCollectionSchema('books');
    }, 'decryption_failed');

    const manifest = await readManifest(plainDriver, 'enc1');
    const chunk = manifest.collections.find((c) => c.name === 'movies')!.files[2]!;
    const path = join(root, 'enc1', chunk.path);
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(path, bytes);
    const damaged = await expectCode(async () => {
      for await (const batch of (await openArchiveReader({ storage, backupId: 'enc1' })).readDocuments('movies', 500)) void batch;
    }, 'checksum_mismatch');
    expect(damaged.message).toContain(chunk.path);
    expect((await verifyArchive(plainDriver, 'enc1')).problems).toEqual([expect.objectContaining({ path: chunk.path, problem: 'sha256_mismatch' })]);
  });

  it('encrypts native files too and decrypts them for a restore, size and sha256 checked first', async () => {
    const root = await tempDir();
    const storage = new EncryptingStorage(new LocalFsStorage({ root }), { recipients: [recipient], identities: [identity] });
    const sink = createNativeSink({ storage, backupId: 'nat1' });
    const content = Buffer.from('a native dump\n'.repeat(10_000));
    const file = await sink.writeFile('dump.bin', Readable.from([content]));
    expect(file.encrypted).toBe(true);
    const manifest = await sink.finalize({ plugin: 'test', engineVersion: null, externalId: null, collections: [], warnings: [], createdAt: '', finishedAt: '' });
    expect(manifest.encryption?.recipients).toEqual([recipient]);
    const handle = await openNativeBackup({ storage, backupId: 'nat1' });
    expect(handle.files[0]?.encrypted).toBe(true);
    const read: Buffer[] = [];
    for await (const chunk of await handle.openFile('native/dump.bin')) read.push(chunk as Buffer);
    expect(Buffer.concat(read).equals(content)).toBe(true);
  });
});
