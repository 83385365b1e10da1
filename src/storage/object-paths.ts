// What a backup id, a file path inside a backup, and an object key may look like on object storage. The local
// file system driver has its own, stricter checks (it also resolves paths against its root).
import { GatewayError } from '../errors.ts';

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function safeSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('\\') && !CONTROL_CHARS.test(segment) && Buffer.byteLength(segment) <= 255;
}

function unsafe(what: string, value: string): GatewayError {
  return new GatewayError('storage_error', `unsafe ${what} ${JSON.stringify(value.slice(0, 120))}`, { details: { reason: 'unsafe_path' } });
}

export function checkedBackupId(backupId: string): string {
  if (typeof backupId !== 'string' || backupId.includes('/') || !safeSegment(backupId)) throw unsafe('backup id', String(backupId));
  return backupId;
}

/** `collections/movies/schema.json`: relative, `/`-separated, no empty, `.` or `..` segment. */
export function checkedRelativePath(backupId: string, path: string): string {
  if (typeof path !== 'string' || path === '' || path.startsWith('/') || !path.split('/').every(safeSegment)) {
    throw unsafe(`backup file path in ${backupId}:`, String(path));
  }
  return path;
}

/** A key relative to the storage root as listObjects() names it: `<backupId>/<path>` or a stray top-level name. */
export function checkedObjectKey(key: string): string {
  if (typeof key !== 'string' || key === '' || key.startsWith('/') || !key.split('/').every(safeSegment)) throw unsafe('object key', String(key));
  return key;
}
