// Backups as plain files under <root>/<backupId>/<path>, each written to a temp name and renamed when whole.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep, win32 } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { GatewayError } from '../errors.ts';
import type { ArchiveFile } from './archive-types.ts';
import type { ArtifactWriteHandle, StorageDriver, StoredObject } from './driver.ts';
// Backups are private: whatever the umask, files are 0600 and folders 0700.
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../private-files.ts';

/** `<final>.tmp-<16 hex>`: the only names sweepTemp() removes, and never a committed file's name. */
const TEMP_SUFFIX = /\.tmp-[0-9a-f]{16}$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/** The file the gateway puts in every local location it creates; reconcile deletes nothing in a folder without it. */
export const OWNER_MARKER = '.backup-gateway-location';

export class LocalFsStorage implements StorageDriver {
  readonly kind = 'local-fs';
  readonly root: string;
  /** Temp files this process is writing right now; sweepTemp() leaves them alone. */
  readonly #activeTemps = new Set<string>();

  constructor(options: { root: string }) {
    this.root = resolve(options.root);
  }

  /** Creates the root (0700) and the owner marker when missing: the gateway made this folder for backups. */
  async claimRoot(): Promise<void> {
    try {
      await makeDirDurably(this.root);
      const handle = await open(join(this.root, OWNER_MARKER), 'wx', PRIVATE_FILE_MODE).catch((error: unknown) => {
        if (errorCode(error) === 'EEXIST') return null;
        throw error;
      });
      if (handle) {
        try {
          await handle.writeFile(`${JSON.stringify({ createdBy: 'backup-gateway', createdAt: new Date().toISOString() })}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await syncDir(this.root);
      }
    } catch (error) {
      throw storageError(`cannot prepare ${this.root}`, error, {});
    }
  }

  /** True when the root holds the owner marker (a regular file, not a symlink). */
  async ownsRoot(): Promise<boolean> {
    try {
      return (await lstat(join(this.root, OWNER_MARKER))).isFile();
    } catch {
      return false;
    }
  }

  locationOf(backupId: string): string {
    return pathToFileURL(this.#backupDir(backupId)).href;
  }

  async openWrite(backupId: string, path: string): Promise<ArtifactWriteHandle> {
    const finalPath = this.#filePath(backupId, path);
    const tempPath = `${finalPath}.tmp-${randomBytes(8).toString('hex')}`;
    let handle: FileHandle;
    try {
      await makeDirDurably(dirname(finalPath));
      handle = await open(tempPath, 'wx', PRIVATE_FILE_MODE);
    } catch (error) {
      throw storageError(`cannot create ${backupId}/${path}`, error, { backupId, path });
    }
    this.#activeTemps.add(tempPath);
    return new LocalWriteHandle(handle, { path, tempPath, finalPath, done: () => this.#activeTemps.delete(tempPath) });
  }

  async openRead(backupId: string, path: string): Promise<Readable> {
    const filePath = this.#filePath(backupId, path);
    try {
      const handle = await open(filePath, 'r');
      return handle.createReadStream();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        throw new GatewayError('storage_error', `backup file not found: ${backupId}/${path}`, {
          cause: error,
          details: { backupId, path, reason: 'not_found' },
        });
      }
      throw storageError(`cannot read ${backupId}/${path}`, error, { backupId, path });
    }
  }

  async stat(backupId: string, path: string): Promise<{ bytes: number } | null> {
    const filePath = this.#filePath(backupId, path);
    try {
      const info = await stat(filePath);
      return info.isFile() ? { bytes: info.size } : null;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw storageError(`cannot stat ${backupId}/${path}`, error, { backupId, path });
    }
  }

  async deleteBackup(backupId: string): Promise<void> {
    const dir = this.#backupDir(backupId);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      throw storageError(`cannot delete backup ${backupId}`, error, { backupId });
    }
  }

  async sweepTemp(): Promise<number> {
    let removed = 0;
    const visit = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw storageError(`cannot list ${dir}`, error, {});
      }
      for (const entry of entries) {
        const entryPath = join(dir, entry.name);
        if (entry.isDirectory()) await visit(entryPath);
        else if (entry.isFile() && TEMP_SUFFIX.test(entry.name) && !this.#activeTemps.has(entryPath)) {
          await removeFile(entryPath);
          removed += 1;
        }
      }
    };
    await visit(this.root);
    return removed;
  }

  /** Committed files under the root as `<backupId>/<path>` keys; temp files (sweepTemp's business) are left out. */
  async *listObjects(): AsyncIterable<StoredObject> {
    const visit = async function* (dir: string, root: string): AsyncGenerator<StoredObject> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw storageError(`cannot list ${dir}`, error, {});
      }
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const entryPath = join(dir, entry.name);
        if (entry.isDirectory()) yield* visit(entryPath, root);
        else if (entry.isFile() && !TEMP_SUFFIX.test(entry.name) && !(dir === root && entry.name === OWNER_MARKER)) {
          yield { key: relative(root, entryPath).split(sep).join('/'), bytes: (await stat(entryPath)).size };
        }
      }
    };
    yield* visit(this.root, this.root);
  }

  /** Removes one file by its listObjects() key, then the folders it leaves empty. */
  async deleteObject(key: string): Promise<void> {
    const segments = typeof key === 'string' ? key.split('/') : [];
    if (segments.length === 0) throw unsafePath(`unsafe object key ${JSON.stringify(key)}`, '', key);
    for (const segment of segments) assertSafeSegment(segment, 'object key', segments[0]!, key);
    const target = this.#inside(join(this.root, ...segments), segments[0]!, key);
    await removeFile(target);
    for (let dir = dirname(target); dir !== this.root && relative(this.root, dir) !== ''; dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or gone): stop climbing
      }
    }
  }

  #backupDir(backupId: string): string {
    assertSafeSegment(backupId, 'backup id', backupId);
    return this.#inside(join(this.root, backupId), backupId);
  }

  #filePath(backupId: string, path: string): string {
    const dir = this.#backupDir(backupId);
    if (typeof path !== 'string' || path === '' || isAbsolute(path) || win32.isAbsolute(path) || path.includes('\\')) {
      throw unsafePath(`unsafe backup file path ${JSON.stringify(path)}`, backupId, path);
    }
    const segments = path.split('/');
    for (const segment of segments) assertSafeSegment(segment, 'backup file path', backupId, path);
    if (TEMP_SUFFIX.test(segments.at(-1) ?? '')) {
      throw unsafePath(`backup file path ${JSON.stringify(path)} looks like a temp file`, backupId, path);
    }
    return this.#inside(join(dir, ...segments), backupId, path);
  }

  /** Last line of defence: whatever the checks above missed, nothing resolves outside the root. */
  #inside(target: string, backupId: string, path?: string): string {
    const rel = relative(this.root, target);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      throw unsafePath(`path escapes the backup root`, backupId, path);
    }
    return target;
  }
}

class LocalWriteHandle implements ArtifactWriteHandle {
  readonly stream: HashingFileStream;
  #state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';
  readonly #file: { path: string; tempPath: string; finalPath: string; done: () => void };

  constructor(handle: FileHandle, file: { path: string; tempPath: string; finalPath: string; done: () => void }) {
    this.stream = new HashingFileStream(handle);
    // A failed write must not crash the process when nobody listens yet; commit() reports it.
    this.stream.on('error', () => undefined);
    this.#file = file;
  }

  async commit(): Promise<ArchiveFile> {
    if (this.#state !== 'open') throw new GatewayError('storage_error', `${this.#file.path} is already ${this.#state}`);
    this.#state = 'committing';
    try {
      if (!this.stream.writableEnded) this.stream.end();
      await finished(this.stream); // _final has fsynced and closed the file by now
      await rename(this.#file.tempPath, this.#file.finalPath);
      await syncDir(dirname(this.#file.finalPath));
    } catch (error) {
      try {
        await this.#discard();
      } catch (cleanupError) {
        throw storageError(`cannot commit ${this.#file.path} nor remove its temp file`, new AggregateError([error, cleanupError]), {
          path: this.#file.path,
        });
      }
      throw storageError(`cannot commit ${this.#file.path}`, error, { path: this.#file.path });
    }
    this.#state = 'committed';
    this.#file.done();
    return { path: this.#file.path, ...this.stream.digest() };
  }

  async abort(): Promise<void> {
    // After a successful commit the file belongs to the backup; deleteBackup() removes it.
    if (this.#state === 'committed' || this.#state === 'aborted') return;
    await this.#discard();
  }

  async #discard(): Promise<void> {
    this.#state = 'aborted';
    if (!this.stream.closed) {
      this.stream.destroy();
      // Destroying is what we asked for, so the premature-close rejection carries no news.
      await finished(this.stream).catch(() => undefined);
    }
    try {
      await removeFile(this.#file.tempPath);
    } finally {
      this.#file.done();
    }
  }
}

/** Writes straight to a file handle, hashing exactly the bytes handed to the file, then fsyncs on end. */
class HashingFileStream extends Writable {
  readonly #handle: FileHandle;
  readonly #hash = createHash('sha256');
  #bytes = 0;
  #handleClosed = false;
  #sha256: string | undefined;

  constructor(handle: FileHandle) {
    super({ highWaterMark: 256 * 1024 });
    this.#handle = handle;
  }

  digest(): { bytes: number; sha256: string } {
    this.#sha256 ??= this.#hash.digest('hex');
    return { bytes: this.#bytes, sha256: this.#sha256 };
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeAll(chunk).then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#writeAll(Buffer.concat(chunks.map(({ chunk }) => chunk))).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#handle
      .sync()
      .then(() => this.#close())
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#close().then(
      () => callback(error),
      (closeError: unknown) => callback(error ?? (closeError as Error)),
    );
  }

  async #writeAll(buffer: Buffer): Promise<void> {
    this.#hash.update(buffer);
    this.#bytes += buffer.length;
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.#handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
  }

  async #close(): Promise<void> {
    if (this.#handleClosed) return;
    this.#handleClosed = true;
    await this.#handle.close();
  }
}

function assertSafeSegment(segment: string, what: string, backupId: string, path?: string): void {
  const unsafe =
    typeof segment !== 'string' ||
    segment === '' ||
    segment === '.' ||
    segment === '..' ||
    segment.includes('/') ||
    segment.includes('\\') ||
    CONTROL_CHARS.test(segment) ||
    Buffer.byteLength(segment) > 255;
  if (unsafe) throw unsafePath(`unsafe ${what} ${JSON.stringify(segment)}`, backupId, path);
}

/** mkdir -p, then fsync the parent of every folder it created so the new entries survive a crash. */
async function makeDirDurably(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (firstCreated === undefined) return;
  const created: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    created.push(current);
    if (current === firstCreated || dirname(current) === current) break;
  }
  for (const folder of created.reverse()) await syncDir(dirname(folder));
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw storageError(`cannot remove ${path}`, error, {});
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function storageError(message: string, cause: unknown, details: Record<string, unknown>): GatewayError {
  if (cause instanceof GatewayError) return cause;
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new GatewayError('storage_error', `${message}${reason}`, { cause, details });
}

function unsafePath(message: string, backupId: string, path: string | undefined): GatewayError {
  return new GatewayError('storage_error', message, { details: { backupId, path, reason: 'unsafe_path' } });
}
