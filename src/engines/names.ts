// Plugin kit for engine names: a rule per engine (the first wall) and path-segment encoding (the second).
// A name that reaches a URL unencoded can address another resource: `movies?` is `/indexes/movies`, and
// `../keys/x` is `/keys/x` once the URL is resolved. Every plugin client builds paths with pathSegment().
import { GatewayError } from '../errors.ts';

/** A name as quoted in messages: JSON (so control characters are visible), cut short. */
export function quoteName(name: string): string {
  const quoted = JSON.stringify(name);
  return quoted.length > 120 ? `${quoted.slice(0, 117)}…"` : quoted;
}

export function invalidName(name: string, message: string): GatewayError {
  return new GatewayError('invalid_name', message, { details: { name } });
}

/**
 * `name` encoded as ONE path segment. `.` and `..` cannot be: URL resolution treats them (and `%2e%2e`) as
 * dot segments whatever the encoding, so they are refused.
 */
export function pathSegment(name: string): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..') {
    throw invalidName(String(name), `${quoteName(String(name))} cannot be sent as a URL path segment`);
  }
  return encodeURIComponent(name);
}

export interface NameRule {
  /** e.g. "Meilisearch index uid". */
  what: string;
  pattern: RegExp;
  /** The rule in words, shown in refusals and docs. */
  description: string;
}

/** A validator for the contract's `validateCollectionName`: throws `invalid_name` naming the value. */
export function nameRule(rule: NameRule): (name: string) => void {
  return (name: string) => {
    if (typeof name !== 'string' || !rule.pattern.test(name)) {
      throw invalidName(String(name), `${quoteName(String(name))} is not a valid ${rule.what}: ${rule.description}`);
    }
  };
}
