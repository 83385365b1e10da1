// A GraphQL subscription over Server-Sent Events against a real server (a child gateway), recording every event
// and how the stream ended: `complete` from the server, the connection cut, or closed by the test.
export interface SseSubscription<T = Record<string, any>> {
  /** Every `next` payload's data, in order. */
  events: T[];
  /** Errors carried by `next` payloads. */
  errors: unknown[];
  /** Resolves with how the stream ended. */
  ended: Promise<'complete' | 'eof' | 'cut' | 'closed'>;
  /** Resolves once the server accepted the subscription (HTTP 200 and headers received). */
  opened: Promise<void>;
  close(): void;
}

export function subscribeSse<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): SseSubscription<T> {
  const controller = new AbortController();
  const events: T[] = [];
  const errors: unknown[] = [];
  let markOpened!: () => void;
  let failOpen!: (error: unknown) => void;
  const opened = new Promise<void>((resolve, reject) => {
    markOpened = resolve;
    failOpen = reject;
  });
  opened.catch(() => undefined);
  const ended = (async (): Promise<'complete' | 'eof' | 'cut' | 'closed'> => {
    let response: Response;
    try {
      response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query, variables }),
        signal: controller.signal,
      });
    } catch (error) {
      failOpen(error);
      return controller.signal.aborted ? 'closed' : 'cut';
    }
    if (response.status !== 200) {
      failOpen(new Error(`subscription refused: HTTP ${response.status} ${await response.text()}`));
      return 'cut';
    }
    markOpened();
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'eof';
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'complete') return 'complete';
          if (!data) continue;
          const payload = JSON.parse(data) as { data?: Record<string, T>; errors?: unknown[] };
          if (payload.errors) errors.push(...payload.errors);
          const value = payload.data ? Object.values(payload.data)[0] : undefined;
          if (value !== undefined) events.push(value);
        }
      }
    } catch {
      return controller.signal.aborted ? 'closed' : 'cut';
    }
  })();
  return { events, errors, ended, opened, close: () => controller.abort() };
}
