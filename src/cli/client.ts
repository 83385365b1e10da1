// The CLI's side of the gateway's GraphQL API: queries and mutations over POST, subscriptions over SSE.
import { CliError } from './errors.ts';

export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; type?: string };
}

export interface GatewayClientOptions {
  url: string;
  apiKey?: string | undefined;
}

export class GatewayClient {
  readonly endpoint: string;

  constructor(private readonly options: GatewayClientOptions) {
    this.endpoint = graphqlEndpoint(options.url);
  }

  /** Runs a query or mutation; a GraphQL error becomes a CliError with the gateway's code. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.post(query, variables, 'application/graphql-response+json, application/json');
    let body: { data?: T | null; errors?: GraphQLErrorBody[] };
    try {
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new CliError('internal', `The gateway at ${this.endpoint} answered ${response.status} without a GraphQL body`, { cause: error });
    }
    if (body.errors?.length) throw fromGraphQLError(body.errors[0]!);
    if (!body.data) throw new CliError('internal', `The gateway answered ${response.status} without data`);
    return body.data;
  }

  /** A subscription over Server-Sent Events: yields each payload's data until the server completes the stream. */
  async *subscribe<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): AsyncGenerator<T> {
    const response = await this.post(query, variables, 'text/event-stream', signal);
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      const parsed = safeJson(text) as { errors?: GraphQLErrorBody[] } | undefined;
      if (parsed?.errors?.[0]) throw fromGraphQLError(parsed.errors[0]);
      throw new CliError('internal', `The gateway refused the subscription (${response.status}): ${text.slice(0, 200)}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value.replaceAll('\r\n', '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: ?(.*)$/m.exec(block)?.[1];
          if (event === 'complete') return;
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).replace(/^ /, ''))
            .join('\n');
          if (!data) continue;
          const payload = JSON.parse(data) as { data?: T; errors?: GraphQLErrorBody[] };
          if (payload.errors?.length) throw fromGraphQLError(payload.errors[0]!);
          if (payload.data) yield payload.data;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  private async post(query: string, variables: Record<string, unknown>, accept: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-graphql-yoga-csrf': '1', // the gateway's CSRF check: JSON body plus this header
          accept,
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError('gateway_unreachable', `Cannot reach the gateway at ${this.endpoint}: ${reason?.code ?? reason?.message ?? (error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** `http://host:4000`, `http://host:4000/` or `http://host:4000/graphql` all mean the same endpoint. */
export function graphqlEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError('usage', `--url is not a URL: ${url}`);
  }
  if (!parsed.pathname.endsWith('/graphql')) parsed.pathname = `${parsed.pathname.replace(/\/$/, '')}/graphql`;
  return parsed.toString();
}

function fromGraphQLError(error: GraphQLErrorBody): CliError {
  return new CliError(error.extensions?.code ?? 'internal', error.message, { type: error.extensions?.type });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
