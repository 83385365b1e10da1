// The portable archive as plugins see it: they write collections and extras; the core writes the manifest.

export const ARCHIVE_FORMAT_VERSION = 1 as const;

export interface ArchiveFile {
  /** Path inside the backup, e.g. "collections/movies/documents-00001.jsonl.gz". */
  path: string;
  bytes: number;
  sha256: string;
  /** Set on manifest extras: the name given to writeExtra, so readers look it up instead of guessing a path. */
  name?: string;
  /** Stored age-encrypted: bytes and sha256 describe the stored (encrypted) bytes. */
  encrypted?: boolean;
}

export interface ManifestCollection {
  name: string;
  /** Path of the engine-native schema/settings file. */
  schemaFile: string;
  documentCount: number;
  /** Uncompressed JSONL bytes of the documents. */
  documentBytes: number;
  files: ArchiveFile[];
}

export interface BackupManifest {
  formatVersion: typeof ARCHIVE_FORMAT_VERSION;
  backupId: string;
  plugin: string;
  engineVersion: string | null;
  strategy: 'LOGICAL' | 'NATIVE';
  type: 'FULL' | 'INCREMENTAL';
  createdAt: string;
  finishedAt: string;
  collections: ManifestCollection[];
  extras: ArchiveFile[];
  warnings: string[];
  totals: { documentCount: number; bytes: number; files: number };
  /** Present when files are encrypted at rest; each such file says `encrypted: true`. */
  encryption?: { format: 'age'; recipients: string[] } | null;
}

/** Appends documents of one collection into chunked, gzip-compressed JSONL files. */
export interface DocumentSink {
  /** Backpressure: resolves when the batch is accepted by the file stream. */
  write(documents: readonly unknown[]): Promise<void>;
  /**
   * Documents the engine already sent as JSON lines, passed through as bytes without a parse: `lines` complete
   * lines, each ending in "\n" (e.g. Typesense's export). The plugin vouches for each line being one JSON document.
   */
  writeJsonLines(data: Uint8Array, lines: number): Promise<void>;
  /** Closes the current chunk; returns totals for this collection. */
  close(): Promise<{ documentCount: number; documentBytes: number }>;
}

export interface ArchiveWriter {
  writeCollectionSchema(collection: string, schema: unknown): Promise<void>;
  openDocuments(collection: string): DocumentSink;
  /**
   * Drops every document written for the collection so far (open or closed), so openDocuments() can start it
   * again: a plugin that saw the collection change while it read it retries the read. Optional: writers that
   * cannot delete a committed file leave it out, and the plugin warns instead of retrying.
   */
  discardDocuments?(collection: string): Promise<void>;
  /** extras/<name>.json — aliases, synonyms, keys metadata (never secrets). */
  writeExtra(name: string, data: unknown): Promise<void>;
  /** Bytes written so far (compressed, on storage). */
  readonly bytesWritten: number;
}

export interface ArchiveReader {
  readonly manifest: BackupManifest;
  readCollectionSchema(collection: string): Promise<unknown>;
  /** Streams documents in batches of at most `batchSize`, verifying each file's sha256 as it goes. */
  readDocuments(collection: string, batchSize: number): AsyncIterable<unknown[]>;
  readExtra(name: string): Promise<unknown | undefined>;
}
