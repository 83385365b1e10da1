// A storage driver wrapper that encrypts every file but manifest.json with age on the way in, and hands out
// the decryption stage for readers. Stored bytes are what size and sha256 describe: checks need no identity.
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAgeDecryptStream, createAgeEncryptStream, type EncryptionInfo } from './age.ts';
import { MANIFEST_PATH } from './archive-layout.ts';
import type { ArchiveFile } from './archive-types.ts';
import type { ArtifactWriteHandle, StorageDriver, StoredObject } from './driver.ts';

export interface EncryptionOptions {
  /** age recipients new files are encrypted to; empty = written as they are. */
  recipients: readonly string[];
  /** age identities for reading encrypted files back (the gateway's GATEWAY_AGE_IDENTITY_FILE). */
  identities: readonly string[];
}

export class EncryptingStorage implements StorageDriver {
  readonly kind: string;
  readonly encryption: EncryptionInfo | null;
  readonly #inner: StorageDriver;
  readonly #identities: readonly string[];

  constructor(inner: StorageDriver, options: EncryptionOptions) {
    this.#inner = inner;
    this.kind = inner.kind;
    this.#identities = options.identities;
    this.encryption = options.recipients.length > 0 ? { format: 'age', recipients: [...options.recipients] } : null;
  }

  /** The driver underneath, for callers that must bypass encryption (tests, reconciliation). */
  get inner(): StorageDriver {
    return this.#inner;
  }

  locationOf(backupId: string): string {
    return this.#inner.locationOf(backupId);
  }

  async openWrite(backupId: string, path: string): Promise<ArtifactWriteHandle> {
    const handle = await this.#inner.openWrite(backupId, path);
    // The manifest says what is encrypted, so it stays readable without the identity.
    if (this.encryption === null || path === MANIFEST_PATH) return handle;
    let encrypt: Duplex;
    try {
      encrypt = createAgeEncryptStream(this.encryption.recipients);
    } catch (error) {
      await handle.abort();
      throw error;
    }
    const piped = pipeline(encrypt, handle.stream);
    // Awaited by commit(); this branch only keeps a failure before commit from being unhandled.
    piped.catch(() => undefined);
    return {
      stream: encrypt,
      async commit(): Promise<ArchiveFile> {
        try {
          if (!encrypt.writableEnded) encrypt.end();
          await piped;
        } catch (error) {
          await handle.abort();
          throw error;
        }
        return { ...(await handle.commit()), encrypted: true };
      },
      async abort(): Promise<void> {
        encrypt.destroy();
        await handle.abort();
      },
    };
  }

  openRead(backupId: string, path: string) {
    return this.#inner.openRead(backupId, path);
  }

  stat(backupId: string, path: string) {
    return this.#inner.stat(backupId, path);
  }

  deleteBackup(backupId: string): Promise<void> {
    return this.#inner.deleteBackup(backupId);
  }

  sweepTemp(): Promise<number> {
    return this.#inner.sweepTemp();
  }

  listObjects(): AsyncIterable<StoredObject> {
    if (!this.#inner.listObjects) throw new Error(`${this.kind} storage cannot list its objects`);
    return this.#inner.listObjects();
  }

  async ownsRoot(): Promise<boolean> {
    return this.#inner.ownsRoot ? this.#inner.ownsRoot() : true;
  }

  async deleteObject(key: string): Promise<void> {
    if (!this.#inner.deleteObject) throw new Error(`${this.kind} storage cannot delete single objects`);
    await this.#inner.deleteObject(key);
  }

  decryptStream(what: string): Duplex {
    return createAgeDecryptStream(this.#identities, what);
  }
}
