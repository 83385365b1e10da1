// What makes the CLI exit non-zero: a coded error from the gateway (its own snake_case code) or from the CLI.

/** Codes worth trying again unchanged: another job holds the engine, the gateway could not be reached. */
const RETRYABLE = new Set(['job_already_in_progress', 'gateway_unreachable']);
const AUTH = new Set(['missing_authorization_header', 'invalid_api_key', 'insufficient_scope']);

/** Exit codes: 1 failed, 2 usage (the command line is wrong), 3 busy or unreachable (retry), 4 auth. */
export class CliError extends Error {
  readonly code: string;
  readonly type: string;

  constructor(code: string, message: string, options?: { cause?: unknown; type?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.type = options?.type ?? (code === 'usage' ? 'invalid_request' : 'internal');
  }

  get exitCode(): number {
    if (this.code === 'usage') return 2;
    if (RETRYABLE.has(this.code)) return 3;
    if (AUTH.has(this.code) || this.type === 'auth') return 4;
    return 1;
  }
}

export function usage(message: string): CliError {
  return new CliError('usage', message);
}
