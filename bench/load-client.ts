// `tsx bench/load-client.ts …`: the clients of the load rows of `npm run bench`, in their own process so their
// CPU is not counted as the gateway's. Two modes, results as one JSON line on stdout:
//   subscribe <url> <count>: opens <count> SSE subscriptions to jobEvents, prints {"ready":true} once all are open,
//     records when each event arrives (`${id}:${status}:${completed}` → Date.now()) and, on SIGTERM or stdin end,
//     prints {"arrivals": {key: [ms, …]}, "events": n}.
//   rate <url> <perSecond> <seconds>: POSTs `jobs(first: 50)` at a fixed rate (open loop: a slow answer never
//     delays the next request), 10 s timeout each, prints {"latencies": [ms, …], "timeouts": n, "failures": n, "seconds": s}.
import { JOBS_PAGE } from './queries.ts';

const [mode, url, a, b] = process.argv.slice(2) as [string, string, string, string | undefined];

const JOB_EVENTS = 'subscription { jobEvents { id status progress { completed total percent phase } } }';

async function subscribe(count: number): Promise<void> {
  const arrivals: Record<string, number[]> = {};
  let events = 0;
  const controller = new AbortController();
  const open = async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: JOB_EVENTS }),
      signal: controller.signal,
    });
    if (response.status !== 200 || !response.body) throw new Error(`subscription refused: ${response.status}`);
    return response.body;
  };
  const read = async (body: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        const now = Date.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split('\n').find((line) => line.startsWith('data:'));
          if (!data || !message.startsWith('event: next')) continue;
          const job = (JSON.parse(data.slice(5)) as { data?: { jobEvents?: { id: string; status: string; progress: { completed: number } } } }).data?.jobEvents;
          if (!job) continue;
          events++;
          (arrivals[`${job.id}:${job.status}:${job.progress.completed}`] ??= []).push(now);
        }
      }
    } catch {
      // aborted at the end
    }
  };
  const bodies: Array<ReadableStream<Uint8Array>> = [];
  // Opened in batches: a thousand handshakes at once would only queue in the gateway's accept backlog.
  for (let i = 0; i < count; i += 100) bodies.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, open))));
  const reading = bodies.map(read);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.stdin.once('end', resolve).resume();
  });
  controller.abort();
  await Promise.all(reading);
  process.stdout.write(`${JSON.stringify({ arrivals, events })}\n`);
}

async function rate(perSecond: number, seconds: number): Promise<void> {
  const latencies: number[] = [];
  let timeouts = 0;
  let failures = 0;
  const body = JSON.stringify({ query: JOBS_PAGE });
  const one = async () => {
    const started = performance.now();
    try {
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
      const result = (await response.json()) as { errors?: unknown; data?: { jobs?: { nodes: unknown[] } } };
      if (!response.ok || result.errors || result.data?.jobs?.nodes.length !== 50) failures++;
      else latencies.push(performance.now() - started);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') timeouts++;
      else failures++;
    }
  };
  const total = Math.round(perSecond * seconds);
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(one());
  }
  await Promise.all(inFlight);
  process.stdout.write(`${JSON.stringify({ latencies, timeouts, failures, seconds: (performance.now() - started) / 1000 })}\n`);
}

if (mode === 'subscribe') await subscribe(Number(a));
else if (mode === 'rate') await rate(Number(a), Number(b ?? 5));
else throw new Error(`unknown mode ${mode}`);
