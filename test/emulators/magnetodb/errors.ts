// MagnetoDB's FaultWrapper error body (common/middleware/fault.py): the exception class decides the
// HTTP status through `error_map`, unmapped classes (BackupNotExists, …) fall back to 500.

const WEBOB: Record<number, { title: string; explanation: string }> = {
  400: { title: 'Bad Request', explanation: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' },
  403: { title: 'Forbidden', explanation: 'Access was denied to this resource.' },
  404: { title: 'Not Found', explanation: 'The resource could not be found.' },
  429: { title: 'Too Many Requests', explanation: 'The client has sent too many requests in a given amount of time.' },
  500: { title: 'Internal Server Error', explanation: 'The server has either erred or is incapable of performing the requested operation.' },
  503: { title: 'Service Unavailable', explanation: 'The server is currently unavailable. Please try again at a later time.' },
};

const STATUS_BY_TYPE: Record<string, number> = {
  RequestQuotaExceeded: 429,
  ServiceUnavailable: 503,
  Forbidden: 403,
  InvalidQueryParameter: 400,
  ValidationError: 400,
  ResourceInUseException: 400,
  TableAlreadyExistsException: 400,
  TableNotExistsException: 404,
  ConditionalCheckFailedException: 400,
};

export interface FaultBody {
  code: number;
  title: string;
  explanation: string;
  error: { message: string; type: string; traceback: null };
}

export class MagnetoError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string) {
    super(message);
    this.type = type;
    this.status = STATUS_BY_TYPE[type] ?? 500;
  }

  static validation(message: string): MagnetoError {
    return new MagnetoError('ValidationError', message);
  }

  static tableNotFound(table: string): MagnetoError {
    return new MagnetoError('TableNotExistsException', `Table '${table}' does not exist`);
  }

  /** What FaultWrapper does with an exception it did not expect: the details are hidden. */
  static internal(type = 'Exception'): MagnetoError {
    return new MagnetoError(type, 'message="An Internal Error Occurred"');
  }

  toBody(): FaultBody {
    const webob = WEBOB[this.status] ?? WEBOB[500]!;
    return { code: this.status, title: webob.title, explanation: webob.explanation, error: { message: this.message, type: this.type, traceback: null } };
  }
}

/** validation.validate_unexpected_props */
export function rejectUnexpected(rest: Record<string, unknown>, what: string): void {
  if (Object.keys(rest).length > 0) {
    throw MagnetoError.validation(`Unexpected properties were found for '${what}': ${JSON.stringify(rest)}`);
  }
}

function wrongType(value: unknown, what: string, expected: string): MagnetoError {
  if (value === undefined || value === null) return MagnetoError.validation(`Required property '${what}' wasn't found or it's value is null`);
  return MagnetoError.validation(`Wrong '${what}' type. ${expected} is expected, but ${JSON.stringify(value)} found`);
}

export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw wrongType(value, what, 'Object');
  return value as Record<string, unknown>;
}

export function requireList(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw wrongType(value, what, 'List');
  return value;
}

export function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw wrongType(value, what, 'String');
  return value;
}

/** validate_integer: strings holding an int are accepted (query parameters). */
export function requireInteger(value: unknown, what: string, min?: number, max?: number): number {
  const parsed = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed)) throw wrongType(value, what, 'Integer');
  if (min !== undefined && parsed < min) throw MagnetoError.validation(`'${what}' property value[${parsed}] is less then min_value[${min}].`);
  if (max !== undefined && parsed > max) throw MagnetoError.validation(`'${what}' property value[${parsed}] is more then max_value[${max}].`);
  return parsed;
}

export function requireBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw wrongType(value, what, 'Boolean');
  return value;
}

const NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export function requireTableName(value: unknown): string {
  const name = requireString(value, 'table name');
  if (!NAME.test(name)) throw MagnetoError.validation(`Wrong table name '${name}' found`);
  return name;
}

export function requireIndexName(value: unknown): string {
  const name = requireString(value, 'index name');
  if (!NAME.test(name)) throw MagnetoError.validation(`Wrong index name '${name}' found`);
  return name;
}

export function requireAttributeName(value: unknown): string {
  const name = requireString(value, 'attribute name');
  if (!/^[a-zA-Z0-9_.-]{1,255}$/.test(name)) throw MagnetoError.validation(`Wrong attribute name '${name}' found`);
  return name;
}
