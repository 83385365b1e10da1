// Secret redaction by structure and by value. By structure: fields whose name says "secret" (apiKey, password,
// token, authorization, …) and GraphQL documents/variables are replaced before anything is serialised. By value:
// every known secret (master key, engine keys, storage credentials, URL passwords) is scrubbed from text in the
// forms it travels in — raw, JSON-escaped, URL-encoded — so an engine that echoes a header cannot leak it.

export const REDACTED = '[redacted]';

/** Field names whose values are secrets (or carry them: a GraphQL document may hold inline keys). Lower case. */
const SECRET_FIELDS = new Set([
  'apikey',
  'api_key',
  'modelapikeys',
  'secret',
  'secretkey',
  'secretaccesskey',
  'sessiontoken',
  'password',
  'passphrase',
  'token',
  'authorization',
  'x-typesense-api-key',
  'x-meili-api-key',
  'masterkey',
  'dumpsecretkey',
  'identity',
  'variables',
  'query',
  'document',
  'cookie',
]);

export function isSecretField(name: string): boolean {
  return SECRET_FIELDS.has(name.toLowerCase());
}

/** The spellings of one secret in the text it may end up in. */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  // A JSON string inside a JSON string (a log line holding an engine's JSON answer).
  forms.add(JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1));
  return [...forms].filter((form) => form.length >= 4).sort((a, b) => b.length - a.length);
}

/** Every string in a value (secrets nested in records, e.g. Typesense modelApiKeys). */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) stringsIn(item, out);
  return out;
}

/** A URL's password (and user name when a password goes with it), decoded: secrets of whatever config holds the URL. */
export function urlSecrets(text: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(text)) return [];
  try {
    const url = new URL(text);
    return url.password ? [decodeURIComponent(url.password)] : [];
  } catch {
    return [];
  }
}

/** A URL as it may be shown: without user name and password. Anything else is returned unchanged. */
export function withoutUserinfo(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  }
}

/** Secret strings (master key, engine API keys) that must never be printed. */
export class Redactor {
  private readonly secrets = new Set<string>();
  private forms: string[] = [];

  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 4 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.forms = [...new Set([...this.forms, ...secretForms(secret)])].sort((a, b) => b.length - a.length);
  }

  /** Adds every string in `value` (a secrets object, a record of keys). */
  addAll(value: unknown): void {
    for (const secret of stringsIn(value)) this.add(secret);
  }

  redact(text: string): string {
    return scrub(text, this.forms);
  }
}

export function scrub(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * A copy of `value` safe to serialise: secret-named fields replaced, strings scrubbed, errors as plain objects,
 * bigints as strings, URLs without userinfo. Cycles and depth are bounded.
 */
export function redactStructure(value: unknown, redact: (text: string) => string, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redact(withoutUserinfo(value));
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    const coded = value as Error & { code?: unknown; details?: unknown };
    return redactStructure(
      { name: value.name, message: value.message, code: coded.code, ...(coded.details ? { details: coded.details } : {}), stack: value.stack },
      redact,
      depth + 1,
      seen,
    );
  }
  if (Array.isArray(value)) return value.map((item) => redactStructure(item, redact, depth + 1, seen));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = isSecretField(key) && item !== null && item !== undefined ? REDACTED : redactStructure(item, redact, depth + 1, seen);
  return out;
}
