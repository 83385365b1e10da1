// Document filters as milli evaluates them for the documents fetch/delete routes: the array form
// (AND of ORs), the filterable-attributes check with the engine's message and position, and
// evaluation. Geo filters are not emulated. String equality is case-insensitive (facet normalisation).

import { MeiliError, type MeiliErrorCode } from './errors.ts';
import { FilterSyntaxError, Parser, type Cond } from './filter-parser.ts';
import { isObject } from './params.ts';
import type { Doc } from './state.ts';

/** Filterable attribute rules → "is this attribute filterable?" (patterns with `*` wildcards). */
function patternMatches(pattern: string, attr: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(attr) || attr.startsWith(`${pattern}.`);
}

function filterablePatterns(rules: unknown): string[] {
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule) => {
    if (typeof rule === 'string') return [rule];
    if (!isObject(rule) || !Array.isArray(rule.attributePatterns)) return [];
    const filter = isObject(rule.features) && isObject(rule.features.filter) ? rule.features.filter : null;
    const enabled = filter === null || filter.equality !== false || filter.comparison === true;
    return enabled ? rule.attributePatterns.filter((p): p is string => typeof p === 'string') : [];
  });
}

function attributesOf(cond: Cond): string[] {
  if ('items' in cond) return cond.items.flatMap(attributesOf);
  if ('inner' in cond) return attributesOf(cond.inner);
  return [cond.attr];
}

/** Values of a possibly dotted attribute, flattening arrays like milli's facet extraction. */
function valuesAt(doc: unknown, path: string): unknown[] {
  if (Array.isArray(doc)) return doc.flatMap((d) => valuesAt(d, path));
  if (!isObject(doc)) return [];
  if (path in doc) {
    const v = doc[path];
    return Array.isArray(v) ? v.flat(Infinity) : [v];
  }
  const dot = path.indexOf('.');
  for (let i = dot; i >= 0; i = path.indexOf('.', i + 1)) {
    const head = path.slice(0, i);
    if (head in doc) return valuesAt(doc[head], path.slice(i + 1));
  }
  return [];
}

function hasAttribute(doc: Doc, path: string): boolean {
  if (path in doc) return true;
  for (let i = path.indexOf('.'); i >= 0; i = path.indexOf('.', i + 1)) {
    const head = path.slice(0, i);
    const inner = doc[head];
    if (isObject(inner) && hasAttribute(inner, path.slice(i + 1))) return true;
  }
  return false;
}

const norm = (s: string): string => s.trim().toLowerCase();

function equals(value: unknown, target: string): boolean {
  if (typeof value === 'number') return target.trim() !== '' && Number(target) === value;
  if (typeof value === 'string') return norm(value) === norm(target);
  if (typeof value === 'boolean') return String(value) === norm(target);
  return false;
}

function evaluate(cond: Cond, doc: Doc): boolean {
  switch (cond.kind) {
    case 'or':
      return cond.items.some((c) => evaluate(c, doc));
    case 'and':
      return cond.items.every((c) => evaluate(c, doc));
    case 'not':
      return !evaluate(cond.inner, doc);
    case 'exists':
      return hasAttribute(doc, cond.attr);
    case 'null':
      return hasAttribute(doc, cond.attr) && valuesAt(doc, cond.attr).some((v) => v === null);
    case 'empty': {
      if (!(cond.attr in doc)) return false;
      const v = doc[cond.attr];
      return v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
    }
    case 'in':
      return valuesAt(doc, cond.attr).some((v) => cond.values.some((t) => equals(v, t)));
    case 'startsWith':
      return valuesAt(doc, cond.attr).some((v) => typeof v === 'string' && norm(v).startsWith(norm(cond.value)));
    case 'range': {
      const from = Number(cond.from);
      const to = Number(cond.to);
      return valuesAt(doc, cond.attr).some((v) => typeof v === 'number' && v >= from && v <= to);
    }
    case 'cmp': {
      const values = valuesAt(doc, cond.attr);
      if (cond.op === '=') return values.some((v) => equals(v, cond.value));
      if (cond.op === '!=') return !values.some((v) => equals(v, cond.value));
      const n = Number(cond.value);
      return values.some((v) => {
        if (typeof v !== 'number' || Number.isNaN(n)) return false;
        return cond.op === '>' ? v > n : cond.op === '>=' ? v >= n : cond.op === '<' ? v < n : v <= n;
      });
    }
  }
}

export type DocumentPredicate = (doc: Doc) => boolean;

function compileOne(src: string, filterable: string[] | null, code: MeiliErrorCode): Cond | null {
  if (src.trim() === '') return null;
  const fail = (message: string, start: number, fragment: string): MeiliError => {
    const column = [...src.slice(0, start)].length + 1;
    return new MeiliError(code, `${message}\n${column}:${column + [...fragment].length} ${src}`);
  };
  let cond: Cond;
  try {
    cond = new Parser(src).parse();
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw fail(error.message, error.start, error.fragment);
    throw error;
  }
  const patterns = filterable ?? [];
  for (const attr of filterable === null ? [] : attributesOf(cond)) {
    if (!patterns.some((p) => patternMatches(p, attr))) {
      const start = src.indexOf(attr);
      const list = [...new Set(patterns)].sort();
      const hint =
        list.length === 0
          ? ' This index does not have configured filterable attributes.'
          : ` Available filterable attribute patterns are: ${list.map((p) => `\`${p}\``).join(', ')}.`;
      throw fail(`Attribute \`${attr}\` is not filterable.${hint}`, Math.max(start, 0), attr);
    }
  }
  return cond;
}

/**
 * Compiles a filter (string, or array of strings / arrays of strings = AND of ORs) against the
 * index's filterable attributes (`undefined`: syntax only, as the engine checks a delete-by-filter
 * request). Returns null when the filter is empty (no filtering).
 */
export function compileFilter(filter: unknown, filterableAttributes: unknown, code: MeiliErrorCode = 'invalid_document_filter'): DocumentPredicate | null {
  const filterable = filterableAttributes === undefined ? null : filterablePatterns(filterableAttributes);
  const one = (v: unknown): Cond | null => {
    if (typeof v === 'string') return compileOne(v, filterable, code);
    throw new MeiliError(code, `Invalid syntax for the filter parameter: \`expected String, Array, found: ${JSON.stringify(v)}\`.`);
  };
  let cond: Cond | null;
  if (typeof filter === 'string') cond = one(filter);
  else if (Array.isArray(filter)) {
    const ands = filter
      .map((item): Cond | null => {
        if (!Array.isArray(item)) return one(item);
        const ors = item.map(one).filter((c): c is Cond => c !== null);
        return ors.length === 0 ? null : { kind: 'or', items: ors };
      })
      .filter((c): c is Cond => c !== null);
    cond = ands.length === 0 ? null : { kind: 'and', items: ands };
  } else {
    throw new MeiliError(code, `Invalid syntax for the filter parameter: \`expected String, Array, found: ${JSON.stringify(filter)}\`.`);
  }
  if (cond === null) return null;
  const compiled = cond;
  return (doc) => evaluate(compiled, doc);
}
