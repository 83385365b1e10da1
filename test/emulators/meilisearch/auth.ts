// Bearer authentication exactly as extractors/authentication/mod.rs (v1.16): header parsing first,
// then the master key, then API keys with their actions, index patterns and expiry. Tenant tokens
// (search-only) are not emulated.

import type { IncomingHttpHeaders } from 'node:http';
import { MeiliError, invalidApiKey } from './errors.ts';
import { indexPatternMatches, type KeyStore, type RouteAction } from './keys.ts';

/** What a request may see: the engine's AuthFilter. */
export interface AuthFilter {
  /** null = every index. */
  indexPatterns: string[] | null;
  allowIndexCreation: boolean;
}

export const FULL_ACCESS: AuthFilter = { indexPatterns: null, allowIndexCreation: true };

export function isIndexAuthorized(filter: AuthFilter, uid: string): boolean {
  return filter.indexPatterns === null || filter.indexPatterns.some((p) => indexPatternMatches(p, uid));
}

export function allowIndexCreation(filter: AuthFilter, uid: string): boolean {
  return filter.allowIndexCreation && isIndexAuthorized(filter, uid);
}

const KEY_ACTIONS: readonly RouteAction[] = ['keys.get', 'keys.create', 'keys.update', 'keys.delete'];

const missingHeader = (): MeiliError => new MeiliError('missing_authorization_header', 'The Authorization header is missing. It must use the bearer authorization method.');

const missingMasterKey = (): MeiliError =>
  new MeiliError('missing_master_key', 'Meilisearch is running without a master key. To access this API endpoint, you must have set a master key at launch.');

/** `extract_token_from_request`: no header → null; anything but `Bearer <token>` → an error. */
function extractToken(headers: IncomingHttpHeaders): string | null {
  const header = headers.authorization;
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme !== 'Bearer') throw missingHeader();
  if (space < 0) throw invalidApiKey();
  return header.slice(space + 1);
}

/**
 * `ActionPolicy::authenticate`. `indexUid` is the raw `{index_uid}` path segment when the route has
 * one (the engine checks it before validating the uid format).
 */
export function authenticate(keys: KeyStore, headers: IncomingHttpHeaders, action: RouteAction, indexUid?: string): AuthFilter {
  const token = extractToken(headers);
  const master = keys.masterKey;
  if (master === undefined) {
    // Without a master key every route is open except the key routes.
    if (KEY_ACTIONS.includes(action)) throw missingMasterKey();
    return FULL_ACCESS;
  }
  if (token === master) return FULL_ACCESS;
  if (token === null) throw missingHeader();

  const uid = keys.uidFromSecret(token);
  const key = uid === undefined ? undefined : keys.get(uid);
  if (!key) throw invalidApiKey();

  const allIndexes = key.indexes.includes('*');
  const filter: AuthFilter = {
    indexPatterns: allIndexes ? null : key.indexes,
    allowIndexCreation: keys.isAuthorized(key, 'indexes.create', undefined),
  };
  if (indexUid !== undefined && !isIndexAuthorized(filter, indexUid)) {
    const allowed = `[${key.indexes.map((p) => JSON.stringify(p)).join(', ')}]`;
    throw new MeiliError('invalid_api_key', `The API key cannot acces the index \`${indexUid}\`, authorized indexes are ${allowed}.`);
  }
  if (!keys.isAuthorized(key, action, indexUid)) throw invalidApiKey();
  return filter;
}
