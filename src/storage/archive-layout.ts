// Where each part of a portable archive lives inside a backup folder.
import { createHash } from 'node:crypto';

export const MANIFEST_PATH = 'manifest.json';

/** Names used as they are; anything else is encoded so it is one safe path segment. */
const PLAIN_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;
const KEPT_CHAR = /[A-Za-z0-9_-]/;
/** Encoded segments stay well under the 255-byte file name limit of common file systems. */
const MAX_ENCODED_LENGTH = 200;

/**
 * The folder name for a collection or extra: the name itself when it is plainly safe, otherwise every
 * byte outside [A-Za-z0-9_-] as `~XX`. Plain names never contain `~`, so the two forms cannot collide.
 * The manifest maps names to paths, so readers never need to reverse this.
 */
export function encodeSegment(name: string): string {
  if (PLAIN_SEGMENT.test(name) && name !== '.' && name !== '..') return name;
  let encoded = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && KEPT_CHAR.test(char) ? char : `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (encoded.length <= MAX_ENCODED_LENGTH && encoded.includes('~')) return encoded;
  return hashedSegment(name);
}

/**
 * A segment that stays unique when the plain or encoded form cannot be used: too long, or clashing
 * with another name on a case-insensitive file system ("Movies" and "movies").
 */
export function hashedSegment(name: string): string {
  // JSON.stringify keeps lone surrogates distinct, where UTF-8 would turn them all into U+FFFD.
  const digest = createHash('sha256').update(JSON.stringify(name)).digest('hex').slice(0, 16);
  const readable = [...name]
    .filter((char) => KEPT_CHAR.test(char))
    .join('')
    .slice(0, 64);
  return `${readable}~h${digest}`;
}

export function collectionSchemaPath(segment: string): string {
  return `collections/${segment}/schema.json`;
}

export function documentsPath(segment: string, chunkNumber: number): string {
  return `collections/${segment}/documents-${String(chunkNumber).padStart(5, '0')}.jsonl.gz`;
}

export function extraPath(segment: string): string {
  return `extras/${segment}.json`;
}

const BACKUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEGMENT = String.raw`[A-Za-z0-9_~.-]{1,255}`;
/** Every path a portable or native backup writes inside its folder (native copies under native/). */
const BACKUP_FILE = new RegExp(
  String.raw`^(?:manifest\.json|collections/${SEGMENT}/(?:schema\.json|documents-\d{5,}\.jsonl\.gz)|extras/${SEGMENT}\.json|native/[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*)$`,
);

/**
 * True when a storage key (`<backupId>/<path>`) has the shape of a file the gateway writes: a backup id folder and
 * a path of the archive layout. Reconcile never deletes anything else, whatever folder it was pointed at.
 */
export function isBackupObjectKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash <= 0) return false;
  const path = key.slice(slash + 1);
  return BACKUP_ID.test(key.slice(0, slash)) && BACKUP_FILE.test(path) && !path.split('/').some((segment) => segment === '.' || segment === '..');
}
