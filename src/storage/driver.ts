// A storage driver keeps backup files: streaming writes to a temp name, committed only when whole.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { EncryptionInfo } from './age.ts';
import type { ArchiveFile, ArchiveWriter, BackupManifest } from './archive-types.ts';

/** One stored object, named by its key relative to the storage root: `<backupId>/<path>`. */
export interface StoredObject {
  key: string;
  bytes: number;
}

export interface ArtifactWriteHandle {
  /** Write the file's bytes here; sha256 and size are computed while writing. */
  readonly stream: Writable;
  /** Ends the stream, fsyncs, renames the temp file to its final path; returns size and sha256. */
  commit(): Promise<ArchiveFile>;
  /** Destroys the stream and removes the temp file. Safe to call after a failure. */
  abort(): Promise<void>;
}

export interface StorageDriver {
  readonly kind: string;
  /** URL of a backup's folder, stored in Backup.location (e.g. file:///data/backups/<id>). */
  locationOf(backupId: string): string;
  openWrite(backupId: string, path: string): Promise<ArtifactWriteHandle>;
  openRead(backupId: string, path: string): Promise<Readable>;
  stat(backupId: string, path: string): Promise<{ bytes: number } | null>;
  /** Removes every file of the backup (committed and temp). */
  deleteBackup(backupId: string): Promise<void>;
  /** Removes temp files left by a process that died mid-write; returns how many. */
  sweepTemp(): Promise<number>;
  /** Every committed object under the storage root (catalog reconciliation). */
  listObjects?(): AsyncIterable<StoredObject>;
  /** Local folders: true when the root holds the marker the gateway writes into locations it creates. */
  ownsRoot?(): Promise<boolean>;
  /** Removes one object by its key as listObjects() names it (orphan cleanup). */
  deleteObject?(key: string): Promise<void>;
  /** Set when files written through this driver are encrypted; the manifest records it. */
  readonly encryption?: EncryptionInfo | null;
  /** Turns the stored bytes of an encrypted file back into what was written; throws `decryption_failed` without an identity. */
  decryptStream?(what: string): Duplex;
}

/** The writer the core hands to a plugin, plus what only the core may do with it. */
export interface ArchiveWriterSession extends ArchiveWriter {
  /** Every committed file so far. */
  files(): ArchiveFile[];
  /** Writes manifest.json last, once every other file is committed. */
  finalize(meta: Omit<BackupManifest, 'formatVersion' | 'collections' | 'extras' | 'totals' | 'backupId'>): Promise<BackupManifest>;
  /** Removes everything written for this backup. */
  abort(): Promise<void>;
}
