// The dashboard's GraphQL client: POST for queries and mutations, Server-Sent Events for subscriptions.
// The API key lives in sessionStorage: entered once per browser session (tab), gone when it closes.

const KEY_STORAGE = 'backup-gateway.apiKey';
const ENDPOINT = '/graphql';
export const AUTH_CODES = new Set(['missing_authorization_header', 'invalid_api_key']);

export class GatewayError extends Error {
  constructor(code, message, type = 'internal') {
    super(message);
    this.code = code;
    this.type = type;
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY_STORAGE),
  set: (key) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

function headers(accept) {
  const key = apiKey.get();
  // JSON bodies and the CSRF header: what the gateway requires of every browser request.
  return { 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', accept, ...(key ? { authorization: `Bearer ${key}` } : {}) };
}

function toError(error) {
  const ext = error.extensions ?? {};
  return new GatewayError(ext.code ?? 'internal', error.message ?? 'Unknown error', ext.type ?? 'internal');
}

async function post(query, variables, accept, signal) {
  try {
    return await fetch(ENDPOINT, { method: 'POST', headers: headers(accept), body: JSON.stringify({ query, variables }), signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new GatewayError('gateway_unreachable', `Cannot reach the gateway: ${error.message}`, 'internal');
  }
}

/** A query or mutation; a GraphQL error is thrown as a GatewayError with its extensions.code. */
export async function gql(query, variables = {}) {
  const response = await post(query, variables, 'application/graphql-response+json, application/json');
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GatewayError('internal', `The gateway answered HTTP ${response.status} without a GraphQL body`);
  }
  if (body.errors?.length) throw toError(body.errors[0]);
  return body.data;
}

/**
 * A subscription over SSE (graphql-yoga's distinct-connections mode). Calls onData for each payload,
 * onEnd when the server completes the stream or it breaks (with the error). Returns a function that stops it.
 */
export function subscribe(query, variables, { onOpen, onData, onEnd }) {
  const controller = new AbortController();
  (async () => {
    let failure = null;
    try {
      const response = await post(query, variables, 'text/event-stream', controller.signal);
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || !type.includes('text/event-stream')) {
        const body = await response.json().catch(() => null);
        throw body?.errors?.[0] ? toError(body.errors[0]) : new GatewayError('internal', `Subscription refused: HTTP ${response.status}`);
      }
      onOpen?.();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replaceAll('\r\n', '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event: ?complete$/m.test(block)) return;
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
          if (!data) continue;
          const payload = JSON.parse(data);
          if (payload.errors?.length) throw toError(payload.errors[0]);
          if (payload.data) onData(payload.data);
        }
      }
    } catch (error) {
      if (error.name !== 'AbortError') failure = error instanceof GatewayError ? error : new GatewayError('gateway_unreachable', error.message);
    } finally {
      if (!controller.signal.aborted) onEnd?.(failure);
    }
  })();
  return () => controller.abort();
}

/** Names of the Mutation fields this gateway offers: optional features (dry run, verify) show only when present. */
export async function mutationNames() {
  const data = await gql('{ __type(name: "Mutation") { fields { name } } }');
  return new Set((data.__type?.fields ?? []).map((f) => f.name));
}

/**
 * A selection set for a type, read from the schema (two levels deep): used to show the result of an
 * optional mutation whose result type this page does not know in advance (planRestore).
 */
export async function selectionFor(typeName, depth = 2) {
  const data = await gql(`query($n: String!) { __type(name: $n) { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`, { n: typeName });
  const fields = data.__type?.fields ?? [];
  const parts = [];
  for (const field of fields) {
    let type = field.type;
    while (type.ofType) type = type.ofType;
    if (type.kind === 'OBJECT') {
      if (depth > 1) parts.push(`${field.name} ${await selectionFor(type.name, depth - 1)}`);
    } else if (type.kind !== 'INTERFACE' && type.kind !== 'UNION') {
      parts.push(field.name);
    }
  }
  return `{ ${parts.join(' ') || '__typename'} }`;
}
