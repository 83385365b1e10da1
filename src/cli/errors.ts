// What makes the CLI exit non-zero: a coded error from the gateway (its own snake_case code) or from the CLI.

/** `usage` (exit 2): the command line is wrong. Anything else exits 1. */
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
    return this.code === 'usage' ? 2 : 1;
  }
}

export function usage(message: string): CliError {
  return new CliError('usage', message);
}
