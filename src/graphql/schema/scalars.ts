import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import { builder } from '../builder.ts';

builder.scalarType('DateTime', {
  description: 'ISO-8601 date and time',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'invalid_input' } });
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'invalid_input' } });
    }
    return new Date(ast.value);
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables ?? undefined),
});

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function bigIntInput(value: unknown): bigint {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value : null;
  if (text === null || !/^(0|[1-9][0-9]{0,30})$/.test(text)) {
    throw new GraphQLError('BigInt must be a non-negative integer (a number, or a string of digits)', { extensions: { code: 'invalid_input' } });
  }
  return BigInt(text);
}

// Byte counts pass 2^53 (9 PB) only in theory, but a Float would silently round them there: beyond that they
// travel as strings of digits. Readers that do Number(x) get the exact value whenever one exists.
builder.scalarType('BigInt', {
  description: 'A non-negative integer such as a byte count: a JSON number up to 2^53−1, a string of decimal digits beyond, never rounded',
  serialize: (value) => {
    if (typeof value === 'number') return Math.round(value);
    const big = typeof value === 'bigint' ? value : BigInt(String(value));
    return big <= SAFE && big >= -SAFE ? Number(big) : big.toString();
  },
  parseValue: bigIntInput,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT && ast.kind !== Kind.STRING) throw new GraphQLError('BigInt must be an integer or a string of digits', { extensions: { code: 'invalid_input' } });
    return bigIntInput(ast.kind === Kind.INT ? (Number.isSafeInteger(Number(ast.value)) ? Number(ast.value) : ast.value) : ast.value);
  },
});
