// What a user-given name (engine, backup, API key, collection rename target) may look like.
import type { EnginePlugin } from '../engines/contract.ts';
import { invalidName, quoteName } from '../engines/names.ts';
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
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 512) {
    throw invalidName(String(raw), `collection name ${quoteName(String(raw))} is not 1–512 characters long`);
  }
  if (/[\u0000-\u001f\u007f/\\]/.test(raw) || raw === '.' || raw === '..') {
    throw invalidName(raw, `collection name ${quoteName(raw)} contains a path separator or control character`);
  }
  return raw;
}

/** What the core needs of a plugin to check a name: its engine rule, when it has one. */
export type NamedPlugin = Pick<EnginePlugin, 'name' | 'validateCollectionName'>;

/**
 * The one entry point for collection names from outside (a request, a dump, an archive, a manifest, an engine
 * listing): the generic check, then the engine's own rule. Returns the name unchanged — what is checked is
 * exactly what is sent, locked and audited.
 */
export function checkCollectionName(plugin: NamedPlugin, raw: string, where?: string): string {
  try {
    validateCollectionName(raw);
    plugin.validateCollectionName?.(raw);
  } catch (error) {
    if (where === undefined || !(error instanceof GatewayError) || error.code !== 'invalid_name') throw error;
    throw new GatewayError('invalid_name', `${where}: ${error.message}`, { details: { ...error.details, name: raw } });
  }
  return raw;
}

export function checkCollectionNames(plugin: NamedPlugin, names: readonly string[], where?: string): string[] {
  for (const name of names) checkCollectionName(plugin, name, where);
  return [...names];
}
