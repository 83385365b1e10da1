// The S3 storage driver against a real S3-protocol server (s3rver on loopback): streaming multipart writes, reads,
// listing, deletion, and the promise that an interrupted upload leaves nothing under its key.
import { randomBytes, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, S3Storage, type S3Location } from '../../src/storage/s3.ts';
import { S3_CREDENTIALS, startS3Server, type TestS3Server } from '../helpers/s3.ts';
import { expectCode } from './helpers.ts';

const MiB = 1024 * 1024;

describe('S3 storage driver', () => {
  let s3: TestS3Server;
  let location: S3Location;

  beforeAll(async () => {
    s3 = await startS3Server();
    location = { bucket: s3.bucket, prefix: 'gw/', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3_CREDENTIALS } };
  });
  afterAll(async () => {
    await s3?.close();
  });

  /** A driver whose client records every command it sends. */
  function observedStorage(): { storage: S3Storage; commands: string[]; client: S3Client } {
    const client = createS3Client(location);
    const commands: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    return { storage: new S3Storage({ location, client, partSize: 5 * MiB }), commands, client };
  }

  it('streams a file in parts, then reads, stats, lists and deletes it', async () => {
    const { storage, commands, client } = observedStorage();
    const data = randomBytes(12 * MiB);
    const handle = await storage.openWrite('b1', 'collections/movies/documents-00001.jsonl.gz');
    await pipeline(Readable.from(chunks(data, 256 * 1024)), handle.stream);
    const file = await handle.commit();
    expect(file).toEqual({ path: 'collections/movies/documents-00001.jsonl.gz', bytes: data.length, sha256: sha256(data) });
    // Three parts of ≤ 5 MiB: a multipart upload, completed only at the end.
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
    expect(commands.indexOf('CompleteMultipartUploadCommand')).toBeGreaterThan(commands.lastIndexOf('UploadPartCommand'));
    expect(commands).not.toContain('PutObjectCommand');

    const small = await storage.openWrite('b1', 'manifest.json');
    small.stream.end('{"a":1}\n');
    expect((await small.commit()).bytes).toBe(8);

    expect(await s3.listKeys('gw/')).toEqual(['gw/b1/collections/movies/documents-00001.jsonl.gz', 'gw/b1/manifest.json']);
    expect(sha256(await s3.getObject('gw/b1/collections/movies/documents-00001.jsonl.gz'))).toBe(file.sha256);
    expect(await storage.stat('b1', 'manifest.json')).toEqual({ bytes: 8 });
    expect(await storage.stat('b1', 'nope.json')).toBeNull();
    const read: Buffer[] = [];
    for await (const chunk of await storage.openRead('b1', 'collections/movies/documents-00001.jsonl.gz')) read.push(chunk as Buffer);
    expect(sha256(Buffer.concat(read))).toBe(file.sha256);
    expect(storage.locationOf('b1')).toBe(`s3://${s3.bucket}/gw/b1/`);

    const listed = [];
    for await (const object of storage.listObjects()) listed.push(object);
    expect(listed).toEqual([
      { key: 'b1/collections/movies/documents-00001.jsonl.gz', bytes: data.length },
      { key: 'b1/manifest.json', bytes: 8 },
    ]);
    await storage.deleteObject('b1/manifest.json');
    expect(await storage.stat('b1', 'manifest.json')).toBeNull();
    await storage.deleteBackup('b1');
    expect(await s3.listKeys('gw/')).toEqual([]);
    await expectCode(storage.openRead('b1', 'manifest.json'), 'storage_error');
    client.destroy();
  });

  it('an upload interrupted halfway leaves no object under its key', async () => {
    const { storage, commands, client } = observedStorage();
    const handle = await storage.openWrite('b2', 'collections/big/documents-00001.jsonl.gz');
    // The source fails after 11 MiB: two parts are already uploaded when the writer gives up.
    const source = Readable.from(
      (async function* () {
        for (let sent = 0; sent < 11 * MiB; sent += MiB) yield randomBytes(MiB);
        while (commands.filter((c) => c === 'UploadPartCommand').length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
        throw new Error('the engine connection dropped');
      })(),
    );
    await expect(pipeline(source, handle.stream)).rejects.toThrow('the engine connection dropped');
    await handle.abort();
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands.filter((c) => c === 'UploadPartCommand').length).toBeGreaterThanOrEqual(2);
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    expect(await s3.listKeys('gw/b2/')).toEqual([]);
    expect(await storage.stat('b2', 'collections/big/documents-00001.jsonl.gz')).toBeNull();
    client.destroy();
  });

  it('a small file aborted before commit is never written, and commit after abort is refused', async () => {
    const storage = new S3Storage({ location });
    const handle = await storage.openWrite('b3', 'schema.json');
    handle.stream.write('{"half":');
    await handle.abort();
    await expectCode(handle.commit(), 'storage_error');
    expect(await s3.listKeys('gw/b3/')).toEqual([]);
    storage.close();
  });

  it('refuses unsafe paths and reports bad credentials as coded errors', async () => {
    const storage = new S3Storage({ location });
    for (const path of ['../x', 'a/../../b', '/abs', 'a//b', '']) await expectCode(storage.openWrite('b4', path), 'storage_error');
    await expectCode(storage.openWrite('../b4', 'x.json'), 'storage_error');
    await expectCode(storage.deleteObject('a/../b'), 'storage_error');
    await storage.check();
    storage.close();

    const wrong = new S3Storage({ location: { ...location, credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' } } });
    const unreachable = await expectCode(wrong.check(), 'storage_unreachable');
    expect(unreachable.message).toContain(s3.bucket);
    const handle = await wrong.openWrite('b5', 'x.json');
    handle.stream.end('{}');
    const failed = await expectCode(handle.commit(), 'storage_error');
    expect(failed.message).toMatch(/Access Key Id|InvalidAccessKeyId|403/);
    expect(await s3.listKeys('gw/b5/')).toEqual([]);
    wrong.close();
  });
});

function* chunks(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
