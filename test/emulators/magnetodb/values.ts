// Typed attribute values as MagnetoDB parses and returns them (storage/models.py AttributeType and
// AttributeValue): `{"<type>": value}` with exactly one key; numbers come back as strings in Python's
// int/Decimal spelling, binaries re-encoded as base64, sets sorted and de-duplicated.
import { MagnetoError } from './errors.ts';

export type TypedValue = Record<string, unknown>;
export type Item = Record<string, TypedValue>;

const PRIMITIVES = new Set(['S', 'N', 'B']);
const INTEGER = /^\s*[+-]?\d+\s*$/;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `S`, `N`, `B`, sets `SS`/`NS`/`BS`, maps `<key><value>M`; anything else is a ValidationError. */
export function validateType(type: unknown): string {
  const ok =
    typeof type === 'string' &&
    ((type.length === 1 && PRIMITIVES.has(type)) ||
      (type.length === 2 && type[1] === 'S' && PRIMITIVES.has(type[0]!)) ||
      (type.length === 3 && type[2] === 'M' && PRIMITIVES.has(type[0]!) && PRIMITIVES.has(type[1]!)));
  if (!ok) throw MagnetoError.validation(`Attribute type '${String(type)}' is not recognized`);
  return type;
}

export function isScalarType(type: string): boolean {
  return type.length === 1;
}

/** Python's str(Decimal(text)): plain notation for small exponents, otherwise scientific. */
export function decimalString(text: string): string | null {
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const sign = m[1] === '-' ? '-' : '';
  const fraction = m[3] ?? '';
  const digits = (m[2]! + fraction).replace(/^0+(?=\d)/, '');
  const exponent = Number(m[4] ?? '0') - fraction.length;
  const leftDigits = exponent + digits.length;
  const dot = exponent <= 0 && leftDigits > -6 ? leftDigits : 1;
  let intPart: string;
  let fracPart: string;
  if (dot <= 0) [intPart, fracPart] = ['0', `.${'0'.repeat(-dot)}${digits}`];
  else if (dot >= digits.length) [intPart, fracPart] = [digits + '0'.repeat(dot - digits.length), ''];
  else [intPart, fracPart] = [digits.slice(0, dot), `.${digits.slice(dot)}`];
  const exp = leftDigits === dot ? '' : `E${leftDigits - dot >= 0 ? '+' : ''}${leftDigits - dot}`;
  return `${sign}${intPart}${fracPart}${exp}`;
}

function normalizeSingle(type: string, value: unknown): string | null {
  if (type === 'S') return typeof value === 'string' ? value : null;
  if (type === 'N') {
    if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : null;
    if (typeof value !== 'string') return null;
    // Python tries int() first (exact, any size), then Decimal.
    if (INTEGER.test(value)) return BigInt(value.trim()).toString();
    return decimalString(value);
  }
  if (typeof value !== 'string' || !BASE64.test(value)) return null;
  return Buffer.from(value, 'base64').toString('base64');
}

function unrecognized(type: string, value: unknown): MagnetoError {
  return MagnetoError.validation(`Can't recognize attribute value '${JSON.stringify(value)}'of type ${type}`);
}

/** Parses `{"<type>": value}` into its normalized stored form. */
export function parseTypedValue(json: unknown): TypedValue {
  if (json === null || typeof json !== 'object' || Array.isArray(json) || Object.keys(json).length !== 1) {
    throw MagnetoError.validation(`Can't recognize attribute typed value format: '${JSON.stringify(json)}'`);
  }
  const [rawType, value] = Object.entries(json)[0]!;
  const type = validateType(rawType);
  if (type.length === 1) {
    const single = normalizeSingle(type, value);
    if (single === null) throw unrecognized(type, value);
    return { [type]: single };
  }
  if (type.length === 3) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw unrecognized(type, value);
    const map: Record<string, string> = {};
    for (const [key, inner] of Object.entries(value)) {
      const k = normalizeSingle(type[0]!, key);
      const v = normalizeSingle(type[1]!, inner);
      if (k === null || v === null) throw unrecognized(type, value);
      map[k] = v;
    }
    return { [type]: map };
  }
  if (!Array.isArray(value)) throw unrecognized(type, value);
  const elements: string[] = [];
  for (const element of value) {
    const normalized = normalizeSingle(type[0]!, element);
    if (normalized === null) throw unrecognized(type, value);
    if (!elements.some((seen) => compareSingle(type[0]!, seen, normalized) === 0)) elements.push(normalized);
  }
  return { [type]: elements.sort((a, b) => compareSingle(type[0]!, a, b)) };
}

export function parseItem(json: unknown, what = 'item'): Item {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw MagnetoError.validation(`Wrong '${what}' type. Object is expected, but ${JSON.stringify(json)} found`);
  }
  const item: Item = {};
  for (const [name, value] of Object.entries(json)) {
    if (!/^[a-zA-Z0-9_.-]{1,255}$/.test(name)) throw MagnetoError.validation(`Wrong attribute name '${name}' found`);
    item[name] = parseTypedValue(value);
  }
  return item;
}

export function typeOf(value: TypedValue): string {
  return Object.keys(value)[0]!;
}

/** Exact numeric comparison of two normalized number strings (any size). */
function compareNumbers(a: string, b: string): number {
  const parse = (text: string): { coefficient: bigint; exponent: number } => {
    const m = DECIMAL.exec(text)!;
    const fraction = m[3] ?? '';
    const coefficient = BigInt(`${m[1] ?? ''}${m[2] || '0'}${fraction}`);
    return { coefficient, exponent: Number(m[4] ?? '0') - fraction.length };
  };
  const x = parse(a);
  const y = parse(b);
  const low = Math.min(x.exponent, y.exponent);
  const left = x.coefficient * 10n ** BigInt(x.exponent - low);
  const right = y.coefficient * 10n ** BigInt(y.exponent - low);
  return left < right ? -1 : left > right ? 1 : 0;
}

export function compareSingle(type: string, a: string, b: string): number {
  if (type === 'N') return compareNumbers(a, b);
  if (type === 'B') return Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64'));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two scalar values of the same type; values of different types compare by type name. */
export function compareValues(a: TypedValue, b: TypedValue): number {
  const [ta, tb] = [typeOf(a), typeOf(b)];
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (!isScalarType(ta)) return JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0;
  return compareSingle(ta, a[ta] as string, b[tb] as string);
}

export function valuesEqual(a: TypedValue, b: TypedValue): boolean {
  if (typeOf(a) !== typeOf(b)) return false;
  const type = typeOf(a);
  if (isScalarType(type)) return compareSingle(type, a[type] as string, b[type] as string) === 0;
  return JSON.stringify(a[type]) === JSON.stringify(b[type]);
}
