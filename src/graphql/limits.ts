// What a request may cost the gateway: body size, parser tokens, query depth and cost (graphql-armor); and the
// promise that every error a client sees carries a catalogue code, including graphql-yoga's own protocol errors.
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, Kind, visit, type ASTVisitor, type ParseOptions, type Source, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from '../errors.ts';
import { costLimitRule } from './cost.ts';
import { MAX_ITEM_PAGE, MAX_PAGE_SIZE } from './schema/pagination.ts';

export const REQUEST_LIMITS = {
  /** Bytes of one request body (and of one WebSocket message). The largest legitimate input is a restore's rename list. */
  maxBodyBytes: 1024 * 1024,
  /** Tokens the parser reads before giving up: bounds the work of a huge query before depth and cost are known. */
  maxTokens: 10_000,
  /** Field nesting (`jobs { nodes { backup { parent { … } } } }`); introspection is exempt. */
  maxDepth: 10,
  /**
   * graphql-armor's cost (./cost.ts): objects 2, scalars 1, ×1.5 per level, × `first`/`last` (a variable one at the
   * field's maximum). The dashboard's pages
   * cost ~4,000; a full page of 500 backups with every field ~50,000.
   */
  maxCost: 100_000,
  /** Aliased fields in one document: each runs its resolver again (a cheap way to multiply work). */
  maxAliases: 100,
} as const;

type CodedExtensions = Record<string, unknown> & { code?: unknown; type?: unknown };

function coded(message: string, code: ErrorCode, status: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, type: ERROR_CATALOGUE[code].type, http: { status } } });
}

function markTooComplex(error: GraphQLError): void {
  const extensions = error.extensions as CodedExtensions;
  extensions.code = 'query_too_complex';
  extensions.type = 'invalid_request';
}

/**
 * graphql-armor's depth and cost rules and an alias count, their rejections coded `query_too_complex`; a page size
 * out of range is `invalid_input` (as the resolvers say it), reported first. Rejections are reported, not thrown,
 * so a document gets all its validation errors at once.
 */
export function queryComplexityPlugins(): Plugin[] {
  const onReject = [
    (context: ValidationContext | null, error: GraphQLError) => {
      markTooComplex(error);
      context?.reportError(error);
    },
  ];
  return [
    {
      onValidate({ addValidationRule }) {
        addValidationRule(pageSizeRule);
        addValidationRule(aliasCountRule);
        addValidationRule(costLimitRule(REQUEST_LIMITS.maxCost, onReject[0]!));
      },
    },
    maxDepthPlugin({ n: REQUEST_LIMITS.maxDepth, onReject, propagateOnRejection: false }) as Plugin,
  ];
}

/** Fields whose `first` the resolvers refuse outside 1..max. */
const PAGED_FIELDS = new Map([
  ['jobs', MAX_PAGE_SIZE],
  ['backups', MAX_PAGE_SIZE],
  ['collections', MAX_ITEM_PAGE],
  ['artifacts', MAX_ITEM_PAGE],
]);

/** Checked on the whole document before graphql-armor prices it: its cost multiplies by `first`. */
function pageSizeRule(context: ValidationContext): ASTVisitor {
  return {
    Document(document) {
      visit(document, {
        Field(field) {
          const max = PAGED_FIELDS.get(field.name.value);
          if (max === undefined) return;
          for (const argument of field.arguments ?? []) {
            if (argument.name.value !== 'first' || argument.value.kind !== Kind.INT) continue;
            const first = Number(argument.value.value);
            if (first < 1 || first > max) {
              context.reportError(new GraphQLError(`first must be between 1 and ${max}`, { nodes: [argument], extensions: { code: 'invalid_input', type: 'invalid_request' } }));
            }
          }
        },
      });
    },
  };
}

function aliasCountRule(context: ValidationContext): ASTVisitor {
  return {
    Document(document) {
      let aliases = 0;
      visit(document, {
        Field(field) {
          if (field.alias) aliases++;
        },
      });
      if (aliases > REQUEST_LIMITS.maxAliases) {
        context.reportError(
          new GraphQLError(`Query alias limit of ${REQUEST_LIMITS.maxAliases} exceeded, found ${aliases}.`, { extensions: { code: 'query_too_complex', type: 'invalid_request' } }),
        );
      }
    },
  };
}

/**
 * Body size (by content-length, and while reading a body sent without one), parser tokens, a coded answer for
 * bodies no parser accepts, and catalogue codes on every error in every result.
 */
export function requestLimitsPlugin(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, endResponse, fetchAPI }) {
      const respond = (error: GraphQLError, status: number) => {
        const { http: _http, ...extensions } = error.extensions;
        endResponse(fetchAPI.Response.json({ errors: [{ message: error.message, extensions }] }, { status }));
      };
      if (!requestParser) {
        const type = request.headers.get('content-type') ?? 'none';
        return respond(coded(`Unsupported request: send GraphQL as JSON (content-type ${type.slice(0, 100)} is not accepted)`, 'invalid_input', 415), 415);
      }
      const declared = request.headers.get('content-length');
      if (declared !== null && Number(declared) > REQUEST_LIMITS.maxBodyBytes) {
        return respond(tooLarge(), 413);
      }
      // Counted while reading too: a body may come without content-length (chunked), and an in-process
      // Request (yoga.fetch) does not hold its body to the length it declares. Whatever the parser throws that
      // is not already a GraphQL error (yoga's GET parser lets JSON.parse's SyntaxError through) is the client's.
      const parser = requestParser;
      setRequestParser(async (incoming) => {
        const limited = incoming.body ? await withBodyLimit(incoming, fetchAPI.Request) : incoming;
        try {
          return await parser(limited);
        } catch (error) {
          if (error instanceof GraphQLError) throw error;
          throw coded(`Malformed request: ${error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200)}`, 'invalid_input', 400);
        }
      });
    },
    onParse({ parseFn, setParseFn }) {
      setParseFn((source: string | Source, options?: ParseOptions) => parseFn(source, { ...options, maxTokens: REQUEST_LIMITS.maxTokens }));
    },
    onResultProcess({ result, resultProcessor, setResultProcessor }) {
      if (!resultProcessor) {
        // No representation the client accepts (e.g. a subscription asked for as plain JSON): say so, coded.
        const error = {
          message: 'No response type in the Accept header fits this operation (subscriptions need text/event-stream or WebSocket)',
          extensions: { code: 'invalid_input', type: 'invalid_request' },
        };
        setResultProcessor((_result, fetchAPI) => fetchAPI.Response.json({ errors: [error] }, { status: 406 }), 'application/json');
        return;
      }
      if (Symbol.asyncIterator in Object(result)) return; // streamed results carry resolver errors, already coded
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of (single as { errors?: readonly unknown[] }).errors ?? []) codeError(error);
      }
    },
  };
}

function tooLarge(): GraphQLError {
  return coded(`Request body larger than ${REQUEST_LIMITS.maxBodyBytes} bytes`, 'request_too_large', 413);
}

/** A copy of the request whose body stream fails with `request_too_large` past the limit (chunked uploads). */
async function withBodyLimit(request: Request, RequestClass: typeof Request): Promise<Request> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > REQUEST_LIMITS.maxBodyBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new RequestClass(request.url, { method: request.method, headers: request.headers, body: Buffer.concat(chunks) });
}

/** Gives protocol errors (yoga's BAD_REQUEST, …) and anything else uncoded a catalogue code; hides internals. */
function codeError(error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const target = error as { extensions?: CodedExtensions };
  const extensions: CodedExtensions = target.extensions ?? {};
  if (/depth limit|cost limit|alias limit|tokens\. Parsing aborted/i.test(String((error as { message?: unknown }).message))) {
    extensions.code = 'query_too_complex';
    extensions.type = 'invalid_request';
  } else if (!isErrorCode(extensions.code)) {
    extensions.code = 'invalid_input';
    extensions.type = 'invalid_request';
  } else if (typeof extensions.type !== 'string') {
    extensions.type = ERROR_CATALOGUE[extensions.code].type;
  }
  delete extensions.originalError;
  if (!target.extensions) {
    try {
      target.extensions = extensions;
    } catch {
      // a frozen error without extensions: nothing to add them to
    }
  }
}
