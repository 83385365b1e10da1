// Reads a finished portable archive back, checking every file's size and sha256 against the manifest; documents
// files are read within the limits the writer held them to (line length, the manifest's uncompressed size).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import { encodeSegment, extraPath, MANIFEST_PATH } from './archive-layout.ts';
import { boundedLines, decompressionLimit, documentLineOptions, inputLimits } from './bounded-input.ts';
import type { ArchiveFile, ArchiveReader, BackupManifest, ManifestCollection } from './archive-types.ts';
import type { StorageDriver } from './driver.ts';
import { decodeBuffer, decodeStages } from './decode.ts';
import { backupManifestSchema } from './manifest-schema.ts';
import { createDigestPassThrough, sha256Stream, type ByteDigest } from './sha256.ts';

/** A manifest lists files, not data; anything near this size is not one of ours. */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

export async function openArchiveReader(options: { storage: StorageDriver; backupId: string }): Promise<ArchiveReader> {
  const manifest = await readManifest(options.storage, options.backupId);
  return new PortableArchiveReader(options.storage, options.backupId, manifest);
}

export async function readManifest(storage: StorageDriver, backupId: string): Promise<BackupManifest> {
  const info = await storage.stat(backupId, MANIFEST_PATH);
  if (info === null) {
    throw new GatewayError('archive_invalid', 'backup has no finished manifest; it is not restorable', { details: { backupId } });
  }
  if (info.bytes > MAX_MANIFEST_BYTES) {
    throw new GatewayError('archive_invalid', `manifest.json of backup ${backupId} is too large (${info.bytes} bytes)`, { details: { backupId } });
  }
  const text = (await readAll(await storage.openRead(backupId, MANIFEST_PATH), backupId, MANIFEST_PATH)).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new GatewayError('archive_invalid', `manifest.json of backup ${backupId} is not JSON`, { cause: error, details: { backupId } });
  }
  const parsed = backupManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new GatewayError('archive_invalid', `manifest.json of backup ${backupId} is invalid:\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
      details: { backupId },
    });
  }
  return parsed.data;
}

/**
 * Documents are yielded while a file streams, so a batch may hold documents of a file whose check has
 * not finished yet. The guarantee: the batch holding a file's LAST document is yielded only after that
 * file's size and sha256 matched; a mismatch throws `checksum_mismatch` instead of yielding it. A file
 * whose size on storage already differs fails before any of its documents is yielded.
 */
class PortableArchiveReader implements ArchiveReader {
  readonly manifest: BackupManifest;
  readonly #storage: StorageDriver;
  readonly #backupId: string;

  constructor(storage: StorageDriver, backupId: string, manifest: BackupManifest) {
    this.#storage = storage;
    this.#backupId = backupId;
    this.manifest = manifest;
  }

  async readCollectionSchema(collection: string): Promise<unknown> {
    const entry = this.#collection(collection);
    const file = entry.files.find((candidate) => candidate.path === entry.schemaFile);
    if (file === undefined) throw invalid(this.#backupId, `${entry.schemaFile} is not among the files of ${JSON.stringify(collection)}`);
    return this.#readJson(file);
  }

  async readExtra(name: string): Promise<unknown | undefined> {
    const byName = this.manifest.extras.find((file) => file.name === name);
    // Manifests whose extras carry no name: the writer's encoding is the only place the file can be.
    const file = byName ?? this.manifest.extras.find((candidate) => candidate.name === undefined && candidate.path === extraPath(encodeSegment(name)));
    return file === undefined ? undefined : this.#readJson(file);
  }

  readDocuments(collection: string, batchSize: number): AsyncIterable<unknown[]> {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new GatewayError('storage_error', `batchSize must be a positive integer, got ${batchSize}`);
    }
    return this.#batches(this.#collection(collection), batchSize);
  }

  async *#batches(entry: ManifestCollection, batchSize: number): AsyncGenerator<unknown[]> {
    let batch: unknown[] = [];
    let documentCount = 0;
    // The writer records the collection's uncompressed bytes exactly: its files may not decompress to more.
    const read = { bytes: 0 };
    for (const file of entry.files) {
      if (file.path === entry.schemaFile) continue;
      for await (const documents of this.#fileDocuments(file, entry.documentBytes, read)) {
        documentCount += documents.length;
        if (documentCount > entry.documentCount) {
          throw invalid(this.#backupId, `collection ${JSON.stringify(entry.name)} holds more than the ${entry.documentCount} documents the manifest says`);
        }
        for (const document of documents) {
          batch.push(document);
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
    }
    if (documentCount !== entry.documentCount) {
      throw invalid(this.#backupId, `collection ${JSON.stringify(entry.name)} holds ${documentCount} documents, the manifest says ${entry.documentCount}`);
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * Groups of parsed documents of one file; the last group comes only after the file checked out. Reading costs
   * at most one line of maxDocumentLineBytes (the limit the writer held every document to) and stops once the
   * collection's files decompressed past `documentBytes` (`read.bytes` counts them across its files): a forged
   * file is refused with `invalid_backup_file` before its checksum, which is only known at its end.
   */
  async *#fileDocuments(file: ArchiveFile, documentBytes: number, read: { bytes: number }): AsyncGenerator<unknown[]> {
    const info = await this.#storage.stat(this.#backupId, file.path);
    if (info === null) throw invalid(this.#backupId, `${file.path} is listed in the manifest but missing`);
    if (info.bytes !== file.bytes) throw mismatch(this.#backupId, file, { bytes: info.bytes, sha256: null });

    const label = `backup ${this.#backupId}: ${file.path}`;
    const limits = inputLimits();
    const left = Math.max(documentBytes - read.bytes, 0);
    const bounded = left < limits.maxDecompressedBytes;
    const decompression = decompressionLimit(
      label,
      // No ratio check: the writer's documents may compress better than any dump, and documentBytes is exact.
      { ...limits, maxDecompressedBytes: bounded ? left : limits.maxDecompressedBytes, maxCompressionRatio: Number.POSITIVE_INFINITY },
      bounded ? "what is left of the collection's documentBytes in manifest.json" : undefined,
    );
    const decode = decodeStages(this.#storage, file);
    const source = await this.#storage.openRead(this.#backupId, file.path);
    const digest = createDigestPassThrough();
    // The digest sees the stored bytes (encrypted or not); decryption and gunzip come after it.
    const piped = pipeline([source, digest.stream, ...decode, decompression.compressed, createGunzip(), decompression.decompressed]);
    // Awaited below; this branch only keeps a failure after an early exit from being unhandled.
    piped.catch(() => undefined);
    let lineNumber = 0;
    let held: unknown[] | undefined;
    try {
      for await (const lines of boundedLines(decompression.decompressed as AsyncIterable<Buffer>, documentLineOptions(label))) {
        const documents: unknown[] = [];
        for (const line of lines) {
          lineNumber += 1;
          if (line.length > 0) documents.push(parseLine(line, lineNumber, file.path));
        }
        if (documents.length === 0) continue;
        if (held !== undefined) yield held;
        held = documents;
      }
      await piped;
    } catch (error) {
      source.destroy();
      if (!isDecodeError(error)) throw toStorageError(this.#backupId, file.path, error);
      throw await this.#explainUnreadable(file, error);
    } finally {
      read.bytes += decompression.bytes;
    }
    const actual = digest.result();
    if (actual.bytes !== file.bytes || actual.sha256 !== file.sha256) throw mismatch(this.#backupId, file, actual);
    if (held !== undefined) yield held;
  }

  /** A file that does not decode: damaged since it was written (checksum) or written broken (invalid). */
  async #explainUnreadable(file: ArchiveFile, decodeError: unknown): Promise<GatewayError> {
    const actual = await sha256Stream(await this.#storage.openRead(this.#backupId, file.path));
    if (actual.bytes !== file.bytes || actual.sha256 !== file.sha256) return mismatch(this.#backupId, file, actual, decodeError);
    // Intact stored bytes the identity cannot open, or past a limit (a forged file): say so, not "invalid archive".
    if (decodeError instanceof GatewayError && (decodeError.code === 'decryption_failed' || decodeError.code === 'invalid_backup_file')) return decodeError;
    const reason = decodeError instanceof Error ? decodeError.message : String(decodeError);
    return invalid(this.#backupId, `${file.path} matches its checksum but cannot be decoded: ${reason}`, decodeError);
  }

  async #readJson(file: ArchiveFile): Promise<unknown> {
    const content = await readAll(await this.#storage.openRead(this.#backupId, file.path), this.#backupId, file.path);
    const actual = { bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
    if (actual.bytes !== file.bytes || actual.sha256 !== file.sha256) throw mismatch(this.#backupId, file, actual);
    const decoded = await decodeBuffer(this.#storage, file, content);
    try {
      return JSON.parse(decoded.toString('utf8')) as unknown;
    } catch (error) {
      throw invalid(this.#backupId, `${file.path} is not JSON`, error);
    }
  }

  #collection(name: string): ManifestCollection {
    const entry = this.manifest.collections.find((collection) => collection.name === name);
    if (entry === undefined) {
      throw new GatewayError('collection_not_found', `backup ${this.#backupId} has no collection ${JSON.stringify(name)}`, {
        details: { backupId: this.#backupId, collection: name, available: this.manifest.collections.map((collection) => collection.name) },
      });
    }
    return entry;
  }
}

function parseLine(line: Buffer, lineNumber: number, path: string): unknown {
  try {
    return JSON.parse(line.toString('utf8'));
  } catch (error) {
    throw new LineDecodeError(`line ${lineNumber} of ${path} is not JSON`, { cause: error });
  }
}

class LineDecodeError extends Error {}

function isDecodeError(error: unknown): boolean {
  if (error instanceof LineDecodeError) return true;
  if (error instanceof GatewayError && (error.code === 'decryption_failed' || error.code === 'invalid_backup_file')) return true;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return code.startsWith('Z_');
}

export interface ArchiveProblem {
  path: string;
  problem: 'missing' | 'size_mismatch' | 'sha256_mismatch';
  expected: ByteDigest;
  actual: ByteDigest | null;
}

export interface ArchiveVerification {
  manifest: BackupManifest;
  /** Files checked and their bytes (as found on storage). */
  files: number;
  bytes: number;
  /** Empty when every file matches the manifest. */
  problems: ArchiveProblem[];
}

/**
 * Re-reads every file the manifest lists and compares size and sha256. Reports every problem rather than
 * stopping at the first; a missing or invalid manifest throws `archive_invalid`.
 */
export async function verifyArchive(
  storage: StorageDriver,
  backupId: string,
  options: { signal?: AbortSignal; onProgress?: (progress: { files: number; totalFiles: number; bytes: number }) => void } = {},
): Promise<ArchiveVerification> {
  const manifest = await readManifest(storage, backupId);
  const listed = [...manifest.collections.flatMap((collection) => collection.files), ...manifest.extras];
  const verification: ArchiveVerification = { manifest, files: 0, bytes: 0, problems: [] };
  for (const file of listed) {
    options.signal?.throwIfAborted();
    const expected = { bytes: file.bytes, sha256: file.sha256 };
    const info = await storage.stat(backupId, file.path);
    if (info === null) {
      verification.problems.push({ path: file.path, problem: 'missing', expected, actual: null });
    } else {
      const actual = await sha256Stream(await storage.openRead(backupId, file.path));
      if (actual.bytes !== file.bytes) verification.problems.push({ path: file.path, problem: 'size_mismatch', expected, actual });
      else if (actual.sha256 !== file.sha256) verification.problems.push({ path: file.path, problem: 'sha256_mismatch', expected, actual });
      verification.bytes += actual.bytes;
    }
    verification.files += 1;
    options.onProgress?.({ files: verification.files, totalFiles: listed.length, bytes: verification.bytes });
  }
  return verification;
}

async function readAll(stream: Readable, backupId: string, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (error) {
    throw toStorageError(backupId, path, error);
  }
  return Buffer.concat(chunks);
}

function mismatch(backupId: string, file: ArchiveFile, actual: { bytes: number; sha256: string | null }, cause?: unknown): GatewayError {
  const found = actual.sha256 === null ? `${actual.bytes} bytes` : `${actual.bytes} bytes, sha256 ${actual.sha256}`;
  return new GatewayError('checksum_mismatch', `${file.path} does not match the manifest: expected ${file.bytes} bytes, sha256 ${file.sha256}; found ${found}`, {
    cause,
    details: { backupId, path: file.path, expected: { bytes: file.bytes, sha256: file.sha256 }, actual },
  });
}

function invalid(backupId: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError('archive_invalid', message, { cause, details: { backupId } });
}

function toStorageError(backupId: string, path: string, error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new GatewayError('storage_error', `cannot read ${path}: ${reason}`, { cause: error, details: { backupId, path } });
}
