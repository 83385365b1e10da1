// Reading files that come from outside (engine dumps, gateway dumps) at a bounded cost: gunzip that refuses a
// decompression bomb, lines read as bytes and refused past a length limit, and parsed JSON refused when it holds
// more values than any real file of its kind. Every refusal is `invalid_backup_file` naming the limit, so a crafted
// file costs little memory and CPU instead of the process. Plugins reach this through `backup-gateway/plugin`.
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GatewayError } from '../errors.ts';

export interface InputLimits {
  /** One line of a documents file (one document) or of a gateway dump (one row). GATEWAY_MAX_DOCUMENT_LINE_BYTES. */
  maxDocumentLineBytes: number;
  /** A whole small file read at once: settings, metadata, keys. */
  maxSmallFileBytes: number;
  /** Decompressed bytes of one gzip stream, whatever its ratio. */
  maxDecompressedBytes: number;
  /** Past `ratioCheckAfterBytes`, decompressed bytes may be at most this many times the compressed bytes read. */
  maxCompressionRatio: number;
  ratioCheckAfterBytes: number;
  /** Elements of one JSON array, and values (of any kind) in one small JSON file. */
  maxJsonArrayLength: number;
  maxJsonValues: number;
  /** Indexes (collections) one dump may list, and the bytes of all its small files together. */
  maxDumpIndexes: number;
  maxDumpMetadataBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxDocumentLineBytes: 16 * MiB,
  maxSmallFileBytes: 4 * MiB,
  maxDecompressedBytes: 1024 * 1024 * MiB,
  // Real JSON compresses 5–20×; gzip of zeros reaches ~1000×.
  maxCompressionRatio: 200,
  ratioCheckAfterBytes: 64 * MiB,
  maxJsonArrayLength: 100_000,
  maxJsonValues: 500_000,
  maxDumpIndexes: 10_000,
  maxDumpMetadataBytes: 64 * MiB,
});

let current: InputLimits = { ...DEFAULT_INPUT_LIMITS };

/** The limits in force: the defaults, with what the gateway's configuration set (createGateway) or a test. */
export function inputLimits(): Readonly<InputLimits> {
  return current;
}

/** Changes some limits for the whole process; returns the previous ones (tests restore them). */
export function setInputLimits(changes: Partial<InputLimits>): InputLimits {
  const previous = current;
  current = { ...current, ...changes };
  return previous;
}

export function limitExceeded(label: string, what: string, limit: string, details: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('invalid_backup_file', `${label}: ${what} exceeds the limit ${limit}`, { details: { ...details, reason: 'limit_exceeded' } });
}

export function sizeText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

export interface DecompressionLimit {
  /** Goes before gunzip: counts the compressed bytes read. */
  compressed: Transform;
  /** Goes after gunzip: passes the output on, or fails with `invalid_backup_file` once it passes a limit. */
  decompressed: Transform;
  /** Decompressed bytes passed on so far. */
  readonly bytes: number;
}

/**
 * The two checkpoints of a bounded gunzip, for a caller that builds its own pipeline (e.g. with decryption in
 * between): the output may not pass maxDecompressedBytes (`what` names where that figure comes from) nor, past the
 * first ratioCheckAfterBytes, grow more than maxCompressionRatio times the input read so far (a gzip bomb).
 */
export function decompressionLimit(label: string, limits: Readonly<InputLimits> = current, what?: string): DecompressionLimit {
  let compressed = 0;
  let decompressed = 0;
  const counter = new PassThrough();
  counter.on('data', (chunk: Buffer) => (compressed += chunk.length));
  const source = what ? ` (${what})` : '';
  const guard = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      decompressed += chunk.length;
      if (decompressed > limits.maxDecompressedBytes) {
        callback(limitExceeded(label, 'the decompressed size', `of ${sizeText(limits.maxDecompressedBytes)}${source}`, { limit: 'maxDecompressedBytes' }));
      } else if (decompressed > limits.ratioCheckAfterBytes && decompressed > compressed * limits.maxCompressionRatio) {
        callback(
          limitExceeded(label, `the compression ratio (${Math.round(decompressed / Math.max(compressed, 1))}:1, a gzip bomb?)`, `of ${limits.maxCompressionRatio}:1`, {
            limit: 'maxCompressionRatio',
          }),
        );
      } else callback(null, chunk);
    },
  });
  return {
    compressed: counter,
    decompressed: guard,
    get bytes() {
      return decompressed;
    },
  };
}

/**
 * `input` gunzipped, stopped with `invalid_backup_file` past the limits of decompressionLimit().
 * Errors of `input` and of gunzip come out of the returned stream; destroying it destroys them.
 */
export function boundedGunzip(input: NodeJS.ReadableStream, label: string, limits: Readonly<InputLimits> = current): Readable {
  const { compressed: counter, decompressed: guard } = decompressionLimit(label, limits);
  const gunzip = createGunzip();
  const fail = (error: Error) => guard.destroy(error);
  (input as Readable).on('error', fail);
  counter.on('error', fail);
  gunzip.on('error', fail);
  guard.on('close', () => {
    (input as Readable).destroy?.();
    counter.destroy();
    gunzip.destroy();
  });
  input.pipe(counter).pipe(gunzip).pipe(guard);
  return guard;
}

export interface LineOptions {
  label: string;
  maxLineBytes: number;
  /** Names the setting of the limit in the error (e.g. an environment variable). */
  what?: string;
}

/** The setting that sets maxDocumentLineBytes, named by every error about a document line. */
export const DOCUMENT_LINE_SETTING = 'GATEWAY_MAX_DOCUMENT_LINE_BYTES';

/**
 * Line options for documents (engine dumps, gateway dumps, the gateway's own archives): one limit, the one the
 * archive writer also holds each document to, so whatever the gateway wrote it can read back.
 */
export function documentLineOptions(label: string): LineOptions {
  return { label, maxLineBytes: current.maxDocumentLineBytes, what: DOCUMENT_LINE_SETTING };
}

/** The first line of `data` (lines end in `\n`; a last one may not) longer than `maxLineBytes`, or null. */
export function findLongLine(data: Uint8Array, maxLineBytes: number): { line: number; bytes: number } | null {
  if (data.length <= maxLineBytes) return null;
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    if (end - start > maxLineBytes) return { line, bytes: end - start };
    start = end + 1;
  }
  return null;
}

function lineTooLong(options: LineOptions, lineNumber: number): GatewayError {
  const setting = options.what ? ` (${options.what})` : '';
  return limitExceeded(options.label, `line ${lineNumber}`, `of ${sizeText(options.maxLineBytes)} per line${setting}`, { line: lineNumber, limit: 'maxLineBytes' });
}

/**
 * The lines of `body` (without `\n`), a batch per chunk read, found by scanning bytes: a line longer than
 * `maxLineBytes` is refused as soon as it passes the limit, before it is ever held whole. Batches keep the cost of a
 * file of many short (or empty) lines that of a loop, not of an async step per line.
 */
export async function* boundedLines(body: AsyncIterable<Buffer | string>, options: LineOptions): AsyncGenerator<Buffer[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 1;
  for await (const raw of body) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const lines: Buffer[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      if (pendingBytes + newline - start > options.maxLineBytes) throw lineTooLong(options, lineNumber);
      const piece = chunk.subarray(start, newline);
      lines.push(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      pendingBytes = 0;
      lineNumber += 1;
      start = newline + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > options.maxLineBytes) throw lineTooLong(options, lineNumber);
      pending.push(chunk.subarray(start));
    }
    if (lines.length > 0) yield lines;
  }
  if (pendingBytes > 0) yield [Buffer.concat(pending)];
}

/** Counts the lines holding anything but blanks, refusing a line longer than `maxLineBytes`; keeps no line. */
export async function countBoundedLines(body: AsyncIterable<Buffer | string>, options: LineOptions): Promise<number> {
  let count = 0;
  let content = false;
  let length = 0;
  let lineNumber = 1;
  for await (const raw of body) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x0a) {
        if (content) count += 1;
        content = false;
        length = 0;
        lineNumber += 1;
        continue;
      }
      if (++length > options.maxLineBytes) throw lineTooLong(options, lineNumber);
      if (!content && byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) content = true;
    }
  }
  return content ? count + 1 : count;
}

/** Reads `body` whole, refusing it past `maxBytes`. */
export async function readBounded(body: AsyncIterable<Buffer | string>, label: string, maxBytes: number = current.maxSmallFileBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const raw of body) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    size += chunk.length;
    if (size > maxBytes) throw limitExceeded(label, 'the file size', `of ${sizeText(maxBytes)} for this kind of file`, { limit: 'maxSmallFileBytes' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Throws unless `value` (parsed JSON) has no array longer than maxJsonArrayLength and at most maxJsonValues values
 * in all: what a settings file of `[{},{},…]` would otherwise cost every later step.
 */
export function assertJsonWithinLimits(value: unknown, label: string, limits: Readonly<InputLimits> = current): void {
  let values = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    values += 1;
    if (values > limits.maxJsonValues) throw limitExceeded(label, 'the number of JSON values', `of ${limits.maxJsonValues}`, { limit: 'maxJsonValues' });
    if (Array.isArray(next)) {
      if (next.length > limits.maxJsonArrayLength)
        throw limitExceeded(label, `an array of ${next.length} elements`, `of ${limits.maxJsonArrayLength}`, { limit: 'maxJsonArrayLength' });
      for (const item of next) stack.push(item);
    } else if (typeof next === 'object' && next !== null) {
      for (const item of Object.values(next)) stack.push(item);
    }
  }
}
