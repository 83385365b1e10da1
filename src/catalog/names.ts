// What a user-given name (engine, backup, API key, collection rename target) may look like.
import { GatewayError } from '../errors.ts';

export const MAX_NAME_LENGTH = 128;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;

/** Trims, then refuses empty, huge or path-like names with `invalid_name`. */
export function validateName(raw: string, what: string): string {
  const name = raw.trim();
  if (name.length === 0) throw new GatewayError('invalid_name', `${what} must not be empty`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new GatewayError('invalid_name', `${what} is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`);
  }
  if (name.includes('..') || !NAME_PATTERN.test(name)) {
    throw new GatewayError(
      'invalid_name',
      `${what} "${name.slice(0, 40)}" is not allowed: use letters, digits, spaces, ".", "_" and "-", starting with a letter or digit, no ".." or "/"`,
    );
  }
  return name;
}

/** Collection names are the engine's; we only refuse what can never be one (empty, huge, control chars, path tricks). */
export function validateCollectionName(raw: string): string {
  if (raw.length === 0 || raw.length > 512) {
    throw new GatewayError('invalid_name', 'collection names must be 1–512 characters long');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f/\\]/.test(raw) || raw === '.' || raw === '..' || raw.includes('../')) {
    throw new GatewayError('invalid_name', `collection name "${raw.slice(0, 40)}" contains a path separator or control character`);
  }
  return raw;
}
