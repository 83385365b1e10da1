// GraphQL errors always carry extensions { code, type }; anything uncoded is masked as `internal` and logged.
import { GraphQLError } from 'graphql';
import { GatewayError } from '../errors.ts';

export function toGraphQLError(error: GatewayError, base?: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: base?.nodes,
    source: base?.source,
    positions: base?.positions,
    path: base?.path,
    originalError: error,
    extensions: {
      code: error.code,
      type: error.type,
      ...(error.details ? { details: error.details } : {}),
      ...(error.type === 'auth' ? { http: { status: error.status } } : {}),
    },
  });
}

/** yoga's maskError: keeps coded errors, hides the rest behind `internal`. */
export function maskGraphQLError(error: unknown, log: (message: string, fields: Record<string, unknown>) => void, redact: (text: string) => string): Error {
  const graphQLError = error instanceof GraphQLError ? error : null;
  const original = graphQLError?.originalError ?? error;
  if (original instanceof GatewayError) {
    const redacted = new GatewayError(original.code, redact(original.message), { details: original.details });
    return toGraphQLError(redacted, graphQLError ?? undefined);
  }
  if (graphQLError && (!graphQLError.originalError || graphQLError.originalError instanceof GraphQLError)) {
    // Raised by graphql-js itself (variable coercion, validation): the client sent something wrong.
    codeUncodedErrors([graphQLError]);
    return graphQLError;
  }
  if (isUnstorableCharacter(original)) {
    // PostgreSQL cannot store U+0000 in text or jsonb: input the client sent, not a fault of the gateway.
    return toGraphQLError(new GatewayError('invalid_input', 'Strings may not contain the NUL character (U+0000)'), graphQLError ?? undefined);
  }
  log('unexpected error in a resolver', { error: original });
  return toGraphQLError(new GatewayError('internal', 'Unexpected error.'), graphQLError ?? undefined);
}

/** SQLSTATE 22021 (a NUL byte in text) or 22P05 (`\u0000` in jsonb), as Prisma reports them. */
function isUnstorableCharacter(error: unknown): boolean {
  return error instanceof Error && /Code: `22(021|P05)`/.test(error.message);
}

/** Parse and validation errors from graphql-js come without a code: give them one. */
export function codeUncodedErrors(errors: readonly GraphQLError[]): void {
  for (const error of errors) {
    if (typeof error.extensions.code !== 'string') {
      (error.extensions as Record<string, unknown>).code = 'invalid_input';
      (error.extensions as Record<string, unknown>).type = 'invalid_request';
    }
  }
}
