// The one error class of the gateway, with its closed catalogue of snake_case codes.

export type ErrorType = 'invalid_request' | 'auth' | 'engine' | 'internal';

export const ERROR_CATALOGUE = {
  // auth
  missing_authorization_header: { type: 'auth', status: 401 },
  invalid_api_key: { type: 'auth', status: 403 },
  insufficient_scope: { type: 'auth', status: 403 },
  rate_limited: { type: 'auth', status: 429 },
  // browser access (CSRF, CORS, DNS rebinding)
  csrf_check_failed: { type: 'invalid_request', status: 403 },
  unsupported_content_type: { type: 'invalid_request', status: 415 },
  host_not_allowed: { type: 'invalid_request', status: 421 },
  origin_not_allowed: { type: 'invalid_request', status: 403 },
  // invalid_request
  invalid_input: { type: 'invalid_request', status: 400 },
  invalid_name: { type: 'invalid_request', status: 400 },
  name_already_taken: { type: 'invalid_request', status: 409 },
  plugin_not_found: { type: 'invalid_request', status: 404 },
  engine_not_found: { type: 'invalid_request', status: 404 },
  invalid_engine_config: { type: 'invalid_request', status: 400 },
  job_not_found: { type: 'invalid_request', status: 404 },
  job_already_in_progress: { type: 'invalid_request', status: 409 },
  job_already_finished: { type: 'invalid_request', status: 409 },
  backup_not_found: { type: 'invalid_request', status: 404 },
  backup_not_complete: { type: 'invalid_request', status: 409 },
  backup_in_use: { type: 'invalid_request', status: 409 },
  collection_not_found: { type: 'invalid_request', status: 404 },
  api_key_not_found: { type: 'invalid_request', status: 404 },
  capability_not_supported: { type: 'invalid_request', status: 400 },
  target_exists: { type: 'invalid_request', status: 409 },
  restore_refused: { type: 'invalid_request', status: 400 },
  plugin_mismatch: { type: 'invalid_request', status: 400 },
  incremental_not_supported: { type: 'invalid_request', status: 400 },
  table_locked: { type: 'invalid_request', status: 423 },
  path_not_allowed: { type: 'invalid_request', status: 403 },
  file_not_found: { type: 'invalid_request', status: 404 },
  invalid_backup_file: { type: 'invalid_request', status: 400 },
  // a document longer than GATEWAY_MAX_DOCUMENT_LINE_BYTES: a backup of it could not be read back
  document_too_large: { type: 'invalid_request', status: 413 },
  backup_missing: { type: 'invalid_request', status: 410 },
  // engine upgrades (issue 18)
  engine_upgrading: { type: 'invalid_request', status: 409 },
  no_engine_upgrade: { type: 'invalid_request', status: 409 },
  upgrade_rollback_impossible: { type: 'engine', status: 409 },
  // request limits (issue 8)
  request_too_large: { type: 'invalid_request', status: 413 },
  query_too_complex: { type: 'invalid_request', status: 400 },
  subscriber_too_slow: { type: 'invalid_request', status: 429 },
  // storage locations, schedules, webhooks (issue 7)
  storage_not_found: { type: 'invalid_request', status: 404 },
  invalid_storage_config: { type: 'invalid_request', status: 400 },
  invalid_storage_location: { type: 'invalid_request', status: 400 },
  storage_unreachable: { type: 'invalid_request', status: 400 },
  storage_in_use: { type: 'invalid_request', status: 409 },
  storage_credentials_required: { type: 'invalid_request', status: 400 },
  invalid_cron: { type: 'invalid_request', status: 400 },
  schedule_too_frequent: { type: 'invalid_request', status: 400 },
  invalid_timezone: { type: 'invalid_request', status: 400 },
  schedule_not_found: { type: 'invalid_request', status: 404 },
  webhook_not_found: { type: 'invalid_request', status: 404 },
  // backup sets (issue 20)
  backup_set_not_found: { type: 'invalid_request', status: 404 },
  set_member_failed: { type: 'engine', status: 502 },
  // gateway dumps (the gateway's own state)
  dump_already_in_progress: { type: 'invalid_request', status: 409 },
  invalid_gateway_dump: { type: 'invalid_request', status: 400 },
  database_not_empty: { type: 'invalid_request', status: 409 },
  // engine
  engine_unreachable: { type: 'engine', status: 502 },
  engine_error: { type: 'engine', status: 502 },
  engine_auth_failed: { type: 'engine', status: 502 },
  engine_timeout: { type: 'engine', status: 504 },
  restore_failed: { type: 'engine', status: 502 },
  // storage / integrity
  checksum_mismatch: { type: 'internal', status: 500 },
  archive_invalid: { type: 'internal', status: 500 },
  storage_error: { type: 'internal', status: 500 },
  decryption_failed: { type: 'internal', status: 500 },
  // job lifecycle
  job_canceled: { type: 'invalid_request', status: 409 },
  job_timeout: { type: 'engine', status: 504 },
  interrupted: { type: 'internal', status: 500 },
  // startup
  data_dir_locked: { type: 'internal', status: 500 },
  migration_failed: { type: 'internal', status: 500 },
  invalid_configuration: { type: 'internal', status: 500 },
  internal: { type: 'internal', status: 500 },
} as const satisfies Record<string, { type: ErrorType; status: number }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly type: ErrorType;
  readonly status: number;
  /** Extra machine-readable facts (valid keys, engine error code, plugin/operation names). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.type = ERROR_CATALOGUE[code].type;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = options?.details;
  }

  toJSON(): { code: ErrorCode; type: ErrorType; message: string } {
    return { code: this.code, type: this.type, message: this.message };
  }
}

/** Turns anything thrown into a GatewayError, keeping coded errors as they are. */
export function toGatewayError(error: unknown, fallback: ErrorCode = 'internal'): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(fallback, message, { cause: error });
}
