// Conditions of put/delete `expected`, query `key_conditions` and scan `scan_filter` (api/openstack/v1/parser.py).
import { MagnetoError, rejectUnexpected, requireAttributeName, requireBoolean, requireList, requireObject, requireString } from './errors.ts';
import { compareValues, parseTypedValue, typeOf, valuesEqual, type Item, type TypedValue } from './values.ts';

type Operator = 'EQ' | 'NE' | 'LT' | 'LE' | 'GT' | 'GE' | 'IN' | 'CONTAINS' | 'NOT_CONTAINS' | 'NULL' | 'NOT_NULL' | 'BEGINS_WITH';

export interface Condition {
  op: Operator;
  args: TypedValue[];
}

export type ConditionMap = Map<string, Condition[]>;

/** The condition classes of storage/models.py: which operators each allows, with how many arguments. */
export type ConditionClass = 'IndexedCondition' | 'ScanCondition';

const INDEXED: Record<string, [number, number]> = { EQ: [1, 1], LT: [1, 1], LE: [1, 1], GT: [1, 1], GE: [1, 1] };
const ARG_COUNTS: Record<ConditionClass, Record<string, [number, number]>> = {
  IndexedCondition: INDEXED,
  ScanCondition: {
    ...INDEXED,
    // sys.maxint on the Python 2 the project ran on.
    IN: [1, Number.MAX_SAFE_INTEGER],
    CONTAINS: [1, 1],
    NOT_CONTAINS: [1, 1],
    NE: [1, 1],
    NOT_NULL: [0, 0],
    NULL: [0, 0],
  },
};
/** IndexedCondition makes all of its operators primitive-only; ScanCondition only the ordered ones and IN/CONTAINS. */
const PRIMITIVE_ONLY: Record<ConditionClass, Set<string>> = {
  IndexedCondition: new Set(Object.keys(INDEXED)),
  ScanCondition: new Set(['LT', 'LE', 'GT', 'GE', 'IN', 'CONTAINS', 'NOT_CONTAINS']),
};

/** `models.Condition.__init__`: the operator must belong to the class, with its argument count, primitive where required. */
function condition(conditionClass: ConditionClass, op: string, args: TypedValue[]): Condition {
  const counts = ARG_COUNTS[conditionClass][op];
  if (counts === undefined) throw MagnetoError.validation(`${conditionClass} of type['${op}'] is not allowed`);
  const [min, max] = counts;
  if (args.length < min || args.length > max) {
    throw MagnetoError.validation(
      min === max
        ? `${conditionClass} of type['${op}'] requires exactly ${min} arguments, but ${args.length} found`
        : `${conditionClass} of type['${op}'] requires from ${min} to ${max} arguments provided, but ${args.length} found`,
    );
  }
  if (PRIMITIVE_ONLY[conditionClass].has(op) && args.some((arg) => typeOf(arg).length > 1)) {
    throw MagnetoError.validation(`${conditionClass} of type['${op}'] allows only primitive arguments`);
  }
  return { op: op as Operator, args };
}

/**
 * `{attr: {"comparison_operator", "attribute_value_list"}}` (parser.parse_attribute_conditions): query's
 * key_conditions build IndexedConditions, scan's scan_filter ScanConditions. BETWEEN becomes GE + LE as in
 * MagnetoDB; BEGINS_WITH is checked like its GE half.
 */
export function parseConditions(json: unknown, what: string, conditionClass: ConditionClass): ConditionMap {
  const conditions: ConditionMap = new Map();
  for (const [attribute, raw] of Object.entries(requireObject(json, what))) {
    requireAttributeName(attribute);
    const { comparison_operator, attribute_value_list, ...rest } = requireObject(raw, attribute);
    const op = requireString(comparison_operator, 'comparison_operator');
    const args = attribute_value_list ? requireList(attribute_value_list, 'attribute_value_list').map(parseTypedValue) : [];
    if (op === 'BETWEEN') {
      if (args.length !== 2) throw MagnetoError.validation(`BETWEEN condition type requires exactly 2 arguments, but ${args.length} given`);
      if (typeOf(args[0]!) !== typeOf(args[1]!)) throw MagnetoError.validation('BETWEEN condition type requires arguments of the same type, but different types given');
      conditions.set(attribute, [condition(conditionClass, 'GE', [args[0]!]), condition(conditionClass, 'LE', [args[1]!])]);
    } else if (op === 'BEGINS_WITH') {
      condition(conditionClass, 'GE', args);
      if (typeOf(args[0]!) === 'N') throw MagnetoError.validation('BEGINS_WITH condition type is not allowed forargument of the N type');
      conditions.set(attribute, [{ op: 'BEGINS_WITH', args }]);
    } else {
      conditions.set(attribute, [condition(conditionClass, op, args)]);
    }
    rejectUnexpected(rest, attribute);
  }
  return conditions;
}

/** put_item/delete_item `expected`: `{attr: {"exists": bool} | {"value": typed}}`. */
export function parseExpected(json: unknown): ConditionMap {
  const conditions: ConditionMap = new Map();
  for (const [attribute, raw] of Object.entries(requireObject(json, 'expected'))) {
    requireAttributeName(attribute);
    const condition = requireObject(raw, attribute);
    if (Object.keys(condition).length !== 1) throw MagnetoError.validation(`Can't recognize attribute expected condition format: '${JSON.stringify(condition)}'`);
    const [type, value] = Object.entries(condition)[0]!;
    if (type === 'value') conditions.set(attribute, [{ op: 'EQ', args: [parseTypedValue(requireObject(value, 'value'))] }]);
    else if (type === 'exists') conditions.set(attribute, [{ op: requireBoolean(value, 'exists') ? 'NOT_NULL' : 'NULL', args: [] }]);
    else throw MagnetoError.validation(`Unsupported condition type found: ${type}`);
  }
  return conditions;
}

function contains(value: TypedValue, arg: TypedValue): boolean {
  const type = typeOf(value);
  const inner = value[type];
  if (type === 'S' || type === 'B') return typeof inner === 'string' && inner.includes(String(arg[typeOf(arg)]));
  if (type.length === 2) return (inner as string[]).some((element) => valuesEqual({ [type[0]!]: element }, arg));
  return false;
}

export function holds(condition: Condition, value: TypedValue | undefined): boolean {
  const [first] = condition.args;
  switch (condition.op) {
    case 'NULL':
      return value === undefined;
    case 'NOT_NULL':
      return value !== undefined;
    case 'IN':
      return value !== undefined && condition.args.some((arg) => valuesEqual(value, arg));
    case 'CONTAINS':
      return value !== undefined && first !== undefined && contains(value, first);
    case 'NOT_CONTAINS':
      return value !== undefined && first !== undefined && !contains(value, first);
    case 'BEGINS_WITH': {
      const type = first === undefined ? '' : typeOf(first);
      return value !== undefined && typeOf(value) === type && String(value[type]).startsWith(String(first![type]));
    }
    default: {
      if (value === undefined || first === undefined) return false;
      if (condition.op === 'NE') return !valuesEqual(value, first);
      if (typeOf(value) !== typeOf(first)) return false;
      const order = compareValues(value, first);
      return { EQ: order === 0, LT: order < 0, LE: order <= 0, GT: order > 0, GE: order >= 0 }[condition.op];
    }
  }
}

export function satisfies(item: Item | undefined, conditions: ConditionMap): boolean {
  for (const [attribute, list] of conditions) {
    for (const condition of list) if (!holds(condition, item?.[attribute])) return false;
  }
  return true;
}
