// Streams the entries of a .tar.gz (a Meilisearch dump) one by one: gunzip + tar-stream, nothing but the
// current chunk in memory. macOS AppleDouble entries (`._name`) are skipped; pax/GNU long headers are
// applied by tar-stream. Any read, gzip or tar failure becomes `invalid_backup_file`.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { boundedGunzip, GatewayError } from '../../../src/plugin.ts';

/** Where dump bytes come from: a file on the gateway host, or an opener (a copied backup file, verified while read). */
export type DumpSource = string | (() => Promise<NodeJS.ReadableStream>);

export interface TarEntry {
  /** Normalised: no leading `./`, no trailing `/`. */
  path: string;
  type: 'file' | 'directory' | 'other';
  size: number;
  /** The entry's bytes; read it to its end or leave it alone (it is drained after the visitor returns). */
  body: AsyncIterable<Buffer>;
}

export function invalidDump(message: string, cause?: unknown): GatewayError {
  return new GatewayError('invalid_backup_file', message, cause === undefined ? undefined : { cause });
}

export function describeSource(source: DumpSource): string {
  return typeof source === 'string' ? source : 'the backup file';
}

async function openSource(source: DumpSource): Promise<NodeJS.ReadableStream> {
  if (typeof source !== 'string') return source();
  let info;
  try {
    info = await stat(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new GatewayError('file_not_found', `No file at ${source}`, { cause: error });
    throw invalidDump(`Cannot read ${source}: ${(error as Error).message}`, error);
  }
  if (!info.isFile()) throw invalidDump(`${source} is not a regular file`);
  return createReadStream(source);
}

export function normaliseEntryPath(name: string): string {
  let path = name.replace(/\\/g, '/');
  while (path.startsWith('./')) path = path.slice(2);
  path = path.replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  return path === '.' ? '' : path;
}

function isAppleDouble(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('._'));
}

/**
 * Calls `visit` for every entry in archive order and waits for it; what the visitor left unread is
 * drained before the next entry. Stops early (and closes the file) when `visit` returns `'stop'`.
 */
export async function visitTarGz(source: DumpSource, signal: AbortSignal, visit: (entry: TarEntry) => Promise<void | 'stop'>): Promise<void> {
  const label = describeSource(source);
  const input = await openSource(source);
  // Bounded: a gzip bomb is refused once its ratio gives it away, not read to its end.
  const gunzip = boundedGunzip(input, label);
  const tar = extract();
  const fail = (error: unknown) => tar.destroy(error instanceof Error ? error : new Error(String(error)));
  gunzip.on('error', fail);
  const onAbort = () => fail(signal.reason ?? new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  gunzip.pipe(tar as unknown as NodeJS.WritableStream);
  let entries = 0;
  let visiting = false;
  try {
    if (signal.aborted) onAbort();
    for await (const entry of tar) {
      entries += 1;
      const header = entry.header;
      // streamx readables are async iterables of Buffers at run time; their typings omit it.
      const body = guarded(entry as unknown as AsyncIterable<Buffer>, label);
      const path = normaliseEntryPath(header.name);
      if (path === '' || isAppleDouble(path)) {
        await drain(body);
        continue;
      }
      const type = header.type === 'file' || header.type === 'contiguous-file' ? 'file' : header.type === 'directory' ? 'directory' : 'other';
      visiting = true;
      const outcome = await visit({ path, type, size: header.size ?? 0, body });
      visiting = false;
      await drain(body);
      if (outcome === 'stop') break;
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason instanceof GatewayError ? signal.reason : new GatewayError('job_canceled', 'Operation canceled', { cause: error });
    // The visitor's own failures (an engine error during a restore…) go out as they are.
    if (error instanceof GatewayError || visiting) throw error;
    throw unreadable(label, error);
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Stops reading the file when the visitor stopped early or something failed.
    (input as Readable).destroy?.();
    gunzip.destroy();
  }
  if (entries === 0) throw invalidDump(`${label} is an empty archive`);
}

function unreadable(label: string, error: unknown): GatewayError {
  return invalidDump(`${label} is not a readable .tar.gz: ${error instanceof Error ? error.message : String(error)}`, error);
}

/** An entry's bytes; a gzip or tar failure while they are read is `invalid_backup_file`. */
async function* guarded(entry: AsyncIterable<Buffer>, label: string): AsyncGenerator<Buffer> {
  try {
    yield* entry;
  } catch (error) {
    throw error instanceof GatewayError ? error : unreadable(label, error);
  }
}

/** Reads whatever the visitor left of an entry. */
async function drain(entry: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of entry) void chunk;
}
