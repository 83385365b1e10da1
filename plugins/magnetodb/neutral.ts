// MagnetoDB → the neutral description (issue 20 §2): a table's typed items become JSON documents (numbers exact,
// binary as base64, sets as arrays) and its key attributes the primary key (`hash`, or `hash` and `range` joined).
// MagnetoDB is a source only: search engines' settings have nothing to map onto a table.
import type { NeutralCollection, NeutralConversion, NeutralField } from '../../src/plugin.ts';
import { inferFields } from '../../src/plugin.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A decimal string in one canonical spelling: no sign on zero, no leading or trailing zeros. */
function canonicalDecimal(text: string): string | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null;
  const whole = match[2]!.replace(/^0+(?=\d)/, '') || '0';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const body = fraction ? `${whole}.${fraction}` : whole;
  return body === '0' ? '0' : `${match[1] === '-' ? '-' : ''}${body}`;
}

/** A MagnetoDB number as a JSON number when a double holds it exactly, else its digits as a string. */
export function exactNumber(text: string): number | string {
  const value = Number(text);
  const canonical = canonicalDecimal(text);
  if (!Number.isFinite(value) || canonical === null) return text;
  const back = String(value);
  return !back.includes('e') && canonicalDecimal(back) === canonical ? value : text;
}

/** One typed value (`{S}`, `{N}`, `{B}`, `{SS}`, `{NS}`, `{BS}`) as JSON. */
export function plainValue(typed: unknown): unknown {
  if (!isRecord(typed)) return typed;
  const [type, value] = Object.entries(typed)[0] ?? [];
  switch (type) {
    case 'N':
      return exactNumber(String(value));
    case 'NS':
      return (Array.isArray(value) ? value : []).map((n) => exactNumber(String(n)));
    case 'S':
    case 'B':
      return value;
    case 'SS':
    case 'BS':
      return Array.isArray(value) ? value : [];
    default:
      return value;
  }
}

function readTable(collection: string, schemaFile: unknown, sample: Json[], rawSample: Json[]): NeutralCollection {
  const file = isRecord(schemaFile) ? schemaFile : {};
  const keys = (Array.isArray(file['key_schema']) ? file['key_schema'] : []).filter(isRecord);
  const hash = keys.find((k) => k['key_type'] === 'HASH')?.['attribute_name'];
  const range = keys.find((k) => k['key_type'] === 'RANGE')?.['attribute_name'];
  const fields: NeutralField[] = inferFields([], sample).map((field) => ({ ...field, roles: field.name === hash || field.name === range ? ['filterable' as const] : [] }));
  const binary = new Set<string>();
  let inexact = 0;
  for (const item of rawSample) {
    for (const [name, typed] of Object.entries(item)) {
      if (isRecord(typed) && ('B' in typed || 'BS' in typed)) binary.add(name);
      if (isRecord(typed) && 'N' in typed && typeof exactNumber(String(typed['N'])) === 'string') inexact++;
    }
  }
  const sourceConversions = [
    'typed items → JSON documents: S as strings, N as numbers, B as base64 strings, SS/NS/BS as arrays',
    `N values a double cannot hold exactly are written as strings of their digits (${inexact} in the ${rawSample.length} sampled items)`,
    ...(binary.size > 0 ? [`binary attributes ${[...binary].sort().join(', ')} are base64 strings`] : []),
  ];
  const indexes = Array.isArray(file['local_secondary_indexes']) ? file['local_secondary_indexes'].filter(isRecord) : [];
  return {
    name: collection,
    primaryKey: range ? null : typeof hash === 'string' ? hash : null,
    ...(typeof hash === 'string' && typeof range === 'string' ? { compositeKey: [hash, range] } : {}),
    fields: fields.sort((a, b) => a.name.localeCompare(b.name)),
    relevance: { synonyms: [], stopWords: [], rankingRules: null, typoTolerance: null },
    notCarried: indexes.map((index) => `local secondary index ${String(index['index_name'])}: a query path of the table, not a search setting`),
    sourceConversions,
  };
}

export const magnetodbNeutral: NeutralConversion = {
  async read({ collection, schemaFile, sample, rawSample }) {
    return readTable(collection, schemaFile, sample, (rawSample ?? []).filter(isRecord));
  },
  readDocument(document) {
    return Object.fromEntries(Object.entries(isRecord(document) ? document : {}).map(([name, typed]) => [name, plainValue(typed)]));
  },
};
