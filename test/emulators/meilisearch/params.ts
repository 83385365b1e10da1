// Input validation worded like Meilisearch's deserr errors (deserr/src/errors/{json,query_params}.rs
// and meilisearch-types/src/deserr): same messages, same codes, same order of checks.

import { MeiliError, type MeiliErrorCode } from './errors.ts';

/** deserr's did_you_mean: suggest the closest accepted name within a length-based typo budget. */
function didYouMean(received: string, accepted: readonly string[]): string {
  const len = received.length;
  if (len <= 3) return '';
  const budget = len <= 7 ? 1 : len <= 12 ? 2 : len <= 17 ? 3 : len <= 24 ? 4 : 5;
  let best: { name: string; distance: number } | null = null;
  for (const name of accepted) {
    const distance = damerauLevenshtein(received, name);
    if (distance <= budget && (best === null || distance < best.distance)) best = { name, distance };
  }
  return best ? `did you mean \`${best.name}\`? ` : '';
}

function damerauLevenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      const prev = d[i - 1]!;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

const list = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

// ---------------------------------------------------------------------------------------------
// Query parameters

/**
 * Parses a query string and rejects parameters the route does not declare, like deserr's
 * `deny_unknown_fields` (code `bad_request`). Later duplicates win.
 */
export function parseQuery(search: string, accepted: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(search)) {
    if (!accepted.includes(key)) {
      throw new MeiliError('bad_request', `Unknown parameter \`${key}\`: ${didYouMean(key, accepted)}expected one of ${list(accepted)}`);
    }
    params.set(key, value);
  }
  return params;
}

export function invalidParam(name: string, detail: string, code: MeiliErrorCode): MeiliError {
  return new MeiliError(code, `Invalid value in parameter \`${name}\`: ${detail}`);
}

const MAX_U32 = 4294967295;

/** Rust's `usize`/`u32::from_str`: optional `+`, ASCII digits, no overflow. */
export function parseUnsigned(raw: string, max = Number.MAX_SAFE_INTEGER): number | null {
  if (!/^\+?\d+$/.test(raw)) return null;
  const value = Number(raw);
  return value <= max ? value : null;
}

export function usizeParam(params: Map<string, string>, name: string, code: MeiliErrorCode): number | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const value = parseUnsigned(raw);
  if (value === null) throw invalidParam(name, `could not parse \`${raw}\` as a positive integer`, code);
  return value;
}

export function u32Param(params: Map<string, string>, name: string, code: MeiliErrorCode): number | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const value = parseUnsigned(raw, MAX_U32);
  if (value === null) throw invalidParam(name, `could not parse \`${raw}\` as a positive integer`, code);
  return value;
}

export function boolParam(params: Map<string, string>, name: string, code: MeiliErrorCode): boolean | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidParam(name, `could not parse \`${raw}\` as a boolean, expected either \`true\` or \`false\``, code);
}

/**
 * `OptionStarOrList<T>`: a comma-separated list where `*` means "everything" (returned as null).
 * `parse` returns the element or an error detail; the location gets `[i]` only for lists of 2+.
 */
export function listParam<T>(
  params: Map<string, string>,
  name: string,
  code: MeiliErrorCode,
  parse: (raw: string) => { ok: true; value: T } | { ok: false; detail: string },
): T[] | null | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const parts = raw.split(',');
  let star = false;
  const values: T[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '*') {
      star = true;
      continue;
    }
    const parsed = parse(part);
    if (!parsed.ok) throw invalidParam(parts.length > 1 ? `${name}[${i}]` : name, parsed.detail, code);
    values.push(parsed.value);
  }
  return star ? null : values;
}

export const positiveIntegerElement = (raw: string): { ok: true; value: number } | { ok: false; detail: string } => {
  const value = parseUnsigned(raw, MAX_U32);
  return value === null ? { ok: false, detail: `could not parse \`${raw}\` as a positive integer` } : { ok: true, value };
};

// ---------------------------------------------------------------------------------------------
// JSON bodies

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** deserr's kind names, e.g. "a positive integer", used in "expected …, but found …". */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? (value >= 0 ? 'a positive integer' : 'a negative integer') : 'a number';
  if (typeof value === 'string') return 'a string';
  if (Array.isArray(value)) return 'an array';
  return 'an object';
}

function describe(value: unknown): string {
  return value === null ? 'null' : `${kindOf(value)}: \`${JSON.stringify(value)}\``;
}

const at = (location: string, article: string): string => (location === '' ? '' : ` ${article} \`${location}\``);

/** `expected` is deserr's kind description, e.g. 'an array' or 'a positive integer'. */
export function typeError(location: string, expected: string, value: unknown, code: MeiliErrorCode): MeiliError {
  return new MeiliError(code, `Invalid value type${at(location, 'at')}: expected ${expected}, but found ${describe(value)}`);
}

export function invalidValue(location: string, detail: string, code: MeiliErrorCode): MeiliError {
  return new MeiliError(code, `Invalid value${at(location, 'at')}: ${detail}`);
}

export function unknownField(key: string, accepted: readonly string[], location = ''): MeiliError {
  return new MeiliError('bad_request', `Unknown field \`${key}\`${at(location, 'inside')}: ${didYouMean(key, accepted)}expected one of ${list(accepted)}`);
}

export function unknownValue(value: string, accepted: readonly string[], location: string, code: MeiliErrorCode): MeiliError {
  return new MeiliError(code, `Unknown value \`${value}\`${at(location, 'at')}: ${didYouMean(value, accepted)}expected one of ${list(accepted)}`);
}

export function missingField(field: string, code: MeiliErrorCode, location = ''): MeiliError {
  return new MeiliError(code, `Missing field \`${field}\`${at(location, 'inside')}`);
}

export function expectObject(value: unknown, location: string, code: MeiliErrorCode): JsonObject {
  if (!isObject(value)) throw typeError(location, 'an object', value, code);
  return value;
}

/** Rejects the first key (in input order) that the object does not declare. */
export function checkKeys(body: JsonObject, accepted: readonly string[], location = ''): void {
  for (const key of Object.keys(body)) {
    if (!accepted.includes(key)) throw unknownField(key, accepted, location);
  }
}

export function stringArray(value: unknown, location: string, code: MeiliErrorCode): string[] {
  if (!Array.isArray(value)) throw typeError(location, 'an array', value, code);
  return value.map((item, i) => {
    if (typeof item !== 'string') throw typeError(`${location}[${i}]`, 'a string', item, code);
    return item;
  });
}

export function optionalString(value: unknown, location: string, code: MeiliErrorCode): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw typeError(location, 'a string', value, code);
  return value;
}

export function unsignedInteger(value: unknown, location: string, code: MeiliErrorCode): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw typeError(location, 'a positive integer', value, code);
  return value;
}

export function boolean(value: unknown, location: string, code: MeiliErrorCode): boolean {
  if (typeof value !== 'boolean') throw typeError(location, 'a boolean', value, code);
  return value;
}
