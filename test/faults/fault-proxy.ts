// A fault-injecting TCP proxy on 127.0.0.1 between a plugin and an engine emulator. It reads just enough HTTP/1.1
// to see where each request ends, asks the test's plan what to do with it, and then passes it on, answers it
// itself, resets the connection, never answers, or trickles or cuts the engine's answer.
import net from 'node:net';

export type Fault =
  | { kind: 'pass' }
  /** Answer this status without asking the engine (a proxy's 502, an overloaded engine's 503). */
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  /** TCP RST as soon as the request has arrived: nothing answered. */
  | { kind: 'reset' }
  /** FIN without an answer ("socket hang up"). */
  | { kind: 'close' }
  /** Read the request, never answer, keep the connection open. */
  | { kind: 'hang' }
  /** Wait before passing the request on (a slow first byte). */
  | { kind: 'delay'; ms: number }
  /** Pass it on, then hand the answer back `bytes` at a time every `everyMs`. */
  | { kind: 'slow'; bytes: number; everyMs: number }
  /** Pass it on, then RST after `afterBytes` bytes of the answer (a cut body). */
  | { kind: 'cut'; afterBytes: number };

export interface ProxiedRequest {
  /** 0-based, over the proxy's life. */
  index: number;
  method: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export type FaultPlan = (request: ProxiedRequest) => Fault;

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request seen, with the fault applied to it. */
  log: Array<{ method: string; path: string; fault: Fault['kind']; at: number }>;
  setPlan(plan: FaultPlan): void;
  /** Requests seen whose method and path match. */
  count(method: string, pathPattern: RegExp): number;
  close(): Promise<void>;
}

export const passAll: FaultPlan = () => ({ kind: 'pass' });

/** The first `times` requests matching get `fault`, the rest pass. */
export function faultFirst(times: number, matches: (request: ProxiedRequest) => boolean, fault: Fault): FaultPlan {
  let left = times;
  return (request) => {
    if (left > 0 && matches(request)) {
      left--;
      return fault;
    }
    return { kind: 'pass' };
  };
}

/** Every request matching gets `fault`. */
export function faultAll(matches: (request: ProxiedRequest) => boolean, fault: Fault): FaultPlan {
  return (request) => (matches(request) ? fault : { kind: 'pass' });
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  if (upstream.hostname !== '127.0.0.1') throw new Error(`the fault proxy only forwards to 127.0.0.1, not ${upstream.hostname}`);
  const upstreamPort = Number(upstream.port);
  let plan: FaultPlan = passAll;
  let seen = 0;
  const log: FaultProxy['log'] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let engine: net.Socket | null = null;
    /** How the engine's bytes for the request in flight reach the client. */
    let answer: Fault = { kind: 'pass' };
    let answered = 0;
    const trickle: Buffer[] = [];
    let trickling = false;

    const toClient = (chunk: Buffer) => {
      if (client.destroyed) return;
      if (answer.kind === 'cut') {
        const room = answer.afterBytes - answered;
        if (chunk.length >= room) {
          client.write(chunk.subarray(0, room), () => client.resetAndDestroy());
          answered += room;
          return;
        }
      }
      answered += chunk.length;
      if (answer.kind !== 'slow') {
        client.write(chunk);
        return;
      }
      const slow = answer;
      for (let at = 0; at < chunk.length; at += slow.bytes) trickle.push(chunk.subarray(at, at + slow.bytes));
      if (trickling) return;
      trickling = true;
      const drip = () => {
        const piece = trickle.shift();
        if (!piece || client.destroyed) {
          trickling = false;
          return;
        }
        client.write(piece);
        later(slow.everyMs, drip);
      };
      later(slow.everyMs, drip);
    };

    const engineSocket = (): net.Socket => {
      if (engine && !engine.destroyed) return engine;
      const socket = net.connect(upstreamPort, '127.0.0.1');
      sockets.add(socket);
      socket.on('close', () => {
        sockets.delete(socket);
        if (engine === socket) engine = null;
        // The engine ended the connection: so does the proxy, once the trickle is out.
        const end = () => (trickling ? later(20, end) : client.end());
        end();
      });
      socket.on('error', () => client.destroy());
      socket.on('data', toClient);
      engine = socket;
      return socket;
    };

    const forward = (raw: Buffer, fault: Fault) => {
      answer = fault;
      answered = 0;
      engineSocket().write(raw);
    };

    const handle = (request: ProxiedRequest, raw: Buffer) => {
      const fault = plan(request);
      log.push({ method: request.method, path: request.path, fault: fault.kind, at: Date.now() });
      switch (fault.kind) {
        case 'pass':
        case 'slow':
        case 'cut':
          return forward(raw, fault);
        case 'delay':
          return later(fault.ms, () => !client.destroyed && forward(raw, { kind: 'pass' }));
        case 'status': {
          const body = Buffer.from(fault.body ?? `<html><body><h1>${fault.status}</h1>injected by the fault proxy</body></html>`);
          client.write(
            `HTTP/1.1 ${fault.status} Injected\r\ncontent-type: ${fault.contentType ?? 'text/html'}\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n`,
          );
          client.write(body);
          return;
        }
        case 'reset':
          return client.resetAndDestroy();
        case 'close':
          return client.end();
        case 'hang':
          return;
      }
    };

    client.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = takeRequest(buffered);
        if (!parsed) return;
        buffered = buffered.subarray(parsed.length);
        handle({ ...parsed.request, index: seen++ }, parsed.raw);
        if (client.destroyed) return;
      }
    });
    client.on('close', () => engine?.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setPlan(next) {
      plan = next;
    },
    count(method, pathPattern) {
      return log.filter((entry) => entry.method === method && pathPattern.test(entry.path)).length;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One whole request at the start of `data` (head + content-length or chunked body), or null while incomplete. */
function takeRequest(data: Buffer): { request: Omit<ProxiedRequest, 'index'>; raw: Buffer; length: number } | null {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const [requestLine = '', ...headerLines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const [method = '', path = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyStart = headEnd + 4;
  let bodyEnd: number;
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    let at = bodyStart;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
      at = lineEnd + 2 + size + 2;
      if (at > data.length) return null;
      if (size === 0) break;
    }
    bodyEnd = at;
  } else {
    bodyEnd = bodyStart + Number(headers['content-length'] ?? 0);
    if (bodyEnd > data.length) return null;
  }
  return { request: { method, path, headers, body: data.subarray(bodyStart, bodyEnd) }, raw: Buffer.from(data.subarray(0, bodyEnd)), length: bodyEnd };
}
