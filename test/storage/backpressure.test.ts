import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import { createArchiveWriter } from '../../src/storage/archive-writer.ts';
import type { ArtifactWriteHandle, StorageDriver } from '../../src/storage/driver.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { tempDir } from './helpers.ts';

/** The real file system behind a gate: a disk that stops taking bytes until `open()` is called. */
class GatedStorage implements StorageDriver {
  readonly kind = 'gated';
  readonly #inner: LocalFsStorage;
  #release!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#release = resolve));
  #firstBytes!: () => void;
  /** Resolves when the first compressed bytes reach the "disk". */
  readonly firstBytes = new Promise<void>((resolve) => (this.#firstBytes = resolve));

  constructor(inner: LocalFsStorage) {
    this.#inner = inner;
  }

  open(): void {
    this.#release();
  }

  locationOf(backupId: string): string {
    return this.#inner.locationOf(backupId);
  }

  async openWrite(backupId: string, path: string): Promise<ArtifactWriteHandle> {
    const real = await this.#inner.openWrite(backupId, path);
    const gate = this.#gate;
    const reached = (): void => this.#firstBytes();
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        reached();
        void gate.then(() => real.stream.write(chunk, (error) => callback(error)));
      },
      final(callback) {
        real.stream.end(() => callback());
      },
    });
    return {
      stream,
      commit: async () => {
        if (!stream.writableEnded) stream.end();
        await finished(stream);
        return real.commit();
      },
      abort: async () => {
        stream.destroy();
        await real.abort();
      },
    };
  }

  openRead(backupId: string, path: string): Promise<Readable> {
    return this.#inner.openRead(backupId, path);
  }

  stat(backupId: string, path: string): Promise<{ bytes: number } | null> {
    return this.#inner.stat(backupId, path);
  }

  deleteBackup(backupId: string): Promise<void> {
    return this.#inner.deleteBackup(backupId);
  }

  sweepTemp(): Promise<number> {
    return this.#inner.sweepTemp();
  }
}

describe('DocumentSink backpressure', () => {
  it('does not accept a batch while storage is not taking bytes', async () => {
    const local = new LocalFsStorage({ root: join(await tempDir(), 'backups') });
    const storage = new GatedStorage(local);
    const writer = createArchiveWriter({ storage, backupId: 'b1' });
    const sink = writer.openDocuments('random');
    // ~11 MB that gzip cannot shrink: far more than every stream buffer between the sink and the disk (gzip
    // takes up to 4 MiB before it asks for a pause, so compression overlaps serialisation).
    const documents = Array.from({ length: 8000 }, (_, id) => ({ id, noise: randomBytes(1000).toString('base64') }));
    let accepted = false;
    const write = sink.write(documents).then(() => (accepted = true));

    await storage.firstBytes;
    await new Promise((resolve) => setImmediate(resolve));
    expect(accepted).toBe(false);
    expect(writer.bytesWritten).toBeLessThan(1024 * 1024); // what is in flight is bounded, not the batch

    storage.open();
    await write;
    await sink.close();
    await writer.writeCollectionSchema('random', {});
    await writer.finalize({
      plugin: 'test',
      engineVersion: null,
      strategy: 'LOGICAL',
      type: 'FULL',
      createdAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      warnings: [],
    });
    const reader = await openArchiveReader({ storage: local, backupId: 'b1' });
    const read: unknown[] = [];
    for await (const batch of reader.readDocuments('random', 500)) read.push(...batch);
    expect(read).toEqual(documents);
  });
});
