// One collection's documents as gzip JSONL chunks, streamed to storage with backpressure.
import { GatewayError } from '../errors.ts';
import { documentsPath } from './archive-layout.ts';
import type { ArchiveFile, DocumentSink } from './archive-types.ts';
import { DOCUMENT_LINE_SETTING, findLongLine, inputLimits, sizeText } from './bounded-input.ts';
import type { ArtifactWriteHandle } from './driver.ts';
import { GzipMembers } from './gzip-members.ts';

/** Lines are gathered into buffers of about this size before gzip sees them: fewer, larger writes. */
const FLUSH_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/** What a sink needs from the archive writer that owns it. */
export interface SinkHost {
  readonly chunkBytes: number;
  readonly gzipLevel: number;
  /** Opens a file of this backup; throws once the writer is finalized or aborted. */
  openFile(path: string): Promise<ArtifactWriteHandle>;
  /** Commits a file and counts it as written; `inFlightBytes` is what was already reported for it. */
  commitFile(handle: ArtifactWriteHandle, inFlightBytes: number): Promise<ArchiveFile>;
  abortFile(handle: ArtifactWriteHandle, inFlightBytes: number): Promise<void>;
  /** Compressed bytes that reached the file stream but are not committed yet. */
  addInFlightBytes(bytes: number): void;
}

export interface SinkTotals {
  documentCount: number;
  documentBytes: number;
  files: ArchiveFile[];
}

interface OpenChunk {
  handle: ArtifactWriteHandle;
  /** Members compressed side by side on the thread pool, written to the file in order. */
  gzip: GzipMembers;
  uncompressedBytes: number;
  compressedBytes: number;
}

export class ChunkedDocumentSink implements DocumentSink {
  readonly #host: SinkHost;
  readonly #collection: string;
  readonly #segment: string;
  /** Writes run one after another even when a caller does not await the previous one. */
  #queue: Promise<unknown> = Promise.resolve();
  #state: 'open' | 'closed' | 'failed' = 'open';
  #failure: GatewayError | undefined;
  #chunk: OpenChunk | undefined;
  #chunkNumber = 0;
  #pending: string[] = [];
  /** UTF-16 length of the pending lines: a cheap estimate of their bytes, enough to decide when to flush. */
  #pendingChars = 0;
  readonly #totals: SinkTotals = { documentCount: 0, documentBytes: 0, files: [] };

  constructor(host: SinkHost, collection: string, segment: string) {
    this.#host = host;
    this.#collection = collection;
    this.#segment = segment;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Committed files and counts; complete once close() has resolved. */
  get totals(): SinkTotals {
    return this.#totals;
  }

  write(documents: readonly unknown[]): Promise<void> {
    return this.#enqueue(async () => {
      this.#assertOpen();
      if (!Array.isArray(documents)) throw this.#error('write() takes an array of documents');
      for (let index = 0; index < documents.length; index++) {
        this.#append(documents[index], index);
        // Flushed before FLUSH_BYTES when the chunk is full, so a chunk ends at the document that filled it.
        if (this.#pendingChars >= FLUSH_BYTES || this.#pendingChars + (this.#chunk?.uncompressedBytes ?? 0) >= this.#host.chunkBytes) await this.#flush();
      }
      await this.#flush();
    });
  }

  /**
   * Documents already serialised as JSON lines (e.g. an engine's JSONL export passed through as bytes): `lines`
   * complete lines, each ending in "\n". The bytes are not parsed: the caller vouches for them.
   */
  writeJsonLines(data: Uint8Array, lines: number): Promise<void> {
    return this.#enqueue(async () => {
      this.#assertOpen();
      if (!Number.isSafeInteger(lines) || lines < 0) throw this.#error(`writeJsonLines(): invalid line count ${lines}`);
      if (data.length === 0 && lines === 0) return;
      if (data.length === 0 || data[data.length - 1] !== NEWLINE) throw this.#error('writeJsonLines() takes complete lines ending in a newline');
      const long = findLongLine(data, inputLimits().maxDocumentLineBytes);
      if (long !== null) throw this.#tooLarge(`line ${long.line} of the JSON lines written`, long.bytes);
      await this.#flush();
      this.#totals.documentCount += lines;
      await this.#writeBytes(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length));
    });
  }

  close(): Promise<{ documentCount: number; documentBytes: number }> {
    return this.#enqueue(async () => {
      if (this.#state !== 'closed') {
        this.#assertOpen();
        await this.#flush();
        await this.#closeChunk();
        this.#state = 'closed';
      }
      return { documentCount: this.#totals.documentCount, documentBytes: this.#totals.documentBytes };
    });
  }

  /** Called by the writer's discardDocuments(): after the queued writes, stops and removes the open chunk. */
  async discard(): Promise<ArchiveFile[]> {
    await this.#queue;
    if (this.#state !== 'failed') this.#fail(this.#error('documents discarded'));
    await this.#abortChunk();
    return [...this.#totals.files];
  }

  /** Called by the writer's abort(): stops at once; the writer then aborts every open handle. */
  destroy(reason: GatewayError): void {
    if (this.#state === 'open') this.#fail(reason);
    this.#chunk?.handle.stream.destroy(reason);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    // The queue only orders tasks; each task's own failure reaches its caller through `run`.
    this.#queue = run.catch(() => undefined);
    return run.catch(async (error: unknown) => {
      const failure = error instanceof GatewayError ? error : this.#error('writing documents failed', error);
      if (this.#state === 'open') {
        this.#fail(failure);
        await this.#abortChunk();
      }
      throw failure;
    });
  }

  /** Serialises one document into the pending lines; bytes are counted exactly when they are flushed. */
  #append(document: unknown, index: number): void {
    let line: string | undefined;
    try {
      line = JSON.stringify(document);
    } catch (error) {
      throw this.#error(`document ${index} of the batch cannot be serialised as JSON`, error);
    }
    if (typeof line !== 'string') throw this.#error(`document ${index} of the batch is ${typeof document}, not JSON`);
    const limit = inputLimits().maxDocumentLineBytes;
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit: the exact count is only needed near the limit.
    if (line.length * 3 > limit) {
      const bytes = Buffer.byteLength(line);
      if (bytes > limit) throw this.#tooLarge(`document ${index} of the batch`, bytes);
    }
    this.#pending.push(line);
    this.#pendingChars += line.length + 1;
    this.#totals.documentCount += 1;
  }

  async #openChunk(): Promise<OpenChunk> {
    this.#chunkNumber += 1;
    const handle = await this.#host.openFile(documentsPath(this.#segment, this.#chunkNumber));
    const gzip = new GzipMembers(handle.stream, {
      level: this.#host.gzipLevel,
      onCompressed: (bytes) => {
        chunk.compressedBytes += bytes;
        this.#host.addInFlightBytes(bytes);
      },
    });
    const chunk: OpenChunk = { handle, gzip, uncompressedBytes: 0, compressedBytes: 0 };
    this.#chunk = chunk;
    return chunk;
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    this.#pending.push('');
    const buffer = Buffer.from(this.#pending.join('\n'), 'utf8');
    this.#pending = [];
    this.#pendingChars = 0;
    await this.#writeBytes(buffer);
  }

  /** Whole lines into the open chunk (opened on demand); the chunk is closed once it reached chunkBytes. */
  async #writeBytes(buffer: Buffer): Promise<void> {
    const chunk = this.#chunk ?? (await this.#openChunk());
    this.#totals.documentBytes += buffer.length;
    chunk.uncompressedBytes += buffer.length;
    await chunk.gzip.write(buffer);
    if (chunk.uncompressedBytes >= this.#host.chunkBytes) await this.#closeChunk();
  }

  async #closeChunk(): Promise<void> {
    const chunk = this.#chunk;
    if (chunk === undefined) return;
    await chunk.gzip.end();
    this.#chunk = undefined;
    this.#totals.files.push(await this.#host.commitFile(chunk.handle, chunk.compressedBytes));
  }

  async #abortChunk(): Promise<void> {
    const chunk = this.#chunk;
    if (chunk === undefined) return;
    this.#chunk = undefined;
    await this.#host.abortFile(chunk.handle, chunk.compressedBytes);
  }

  #assertOpen(): void {
    if (this.#state === 'closed') throw this.#error('documents are already closed');
    if (this.#failure !== undefined) throw this.#failure;
  }

  #fail(failure: GatewayError): void {
    this.#state = 'failed';
    this.#failure = failure;
  }

  /** A line the reader would refuse (same limit): the backup fails now rather than being unrestorable later. */
  #tooLarge(what: string, bytes: number): GatewayError {
    const limit = inputLimits().maxDocumentLineBytes;
    return new GatewayError(
      'document_too_large',
      `collection ${JSON.stringify(this.#collection)}: ${what} is ${bytes} bytes of JSON, over the limit of ${sizeText(limit)} per document ` +
        `(${DOCUMENT_LINE_SETTING}); raise it to back this collection up (restoring the backup needs the same setting)`,
      { details: { collection: this.#collection, bytes, limit, setting: DOCUMENT_LINE_SETTING } },
    );
  }

  #error(message: string, cause?: unknown): GatewayError {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    return new GatewayError('storage_error', `collection ${JSON.stringify(this.#collection)}: ${message}${reason}`, {
      cause,
      details: { collection: this.#collection },
    });
  }
}
