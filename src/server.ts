// Wires the gateway to an HTTP server: GraphQL over HTTP/SSE, GraphQL over WebSocket (graphql-ws), /health.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ApiKeyService } from './auth/authenticate.ts';
import { hostAllowed, isProbePath, originAllowed, type HttpGuardSettings } from './auth/http-guard.ts';
import { ERROR_CATALOGUE } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { REQUEST_LIMITS } from './graphql/limits.ts';
import { requestIdOf } from './graphql/request-log.ts';
import { authorizationOf, createGatewayYoga, type GatewayYoga } from './graphql/yoga.ts';
import { logScope } from './log.ts';

export interface RunningServer {
  server: Server;
  yoga: GatewayYoga;
  url: string;
  close(): Promise<void>;
}

type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

export async function startServer(gateway: Gateway, options: { port: number; host: string }): Promise<RunningServer> {
  const yoga = createGatewayYoga(gateway);
  const guard: HttpGuardSettings = { open: gateway.apiKeys.open, allowedHosts: gateway.config.allowedHosts, corsOrigins: gateway.config.corsOrigins };
  const server = createServer((req, res) => {
    // DNS rebinding: in open mode a page on any site could reach us through a name pointing at 127.0.0.1.
    if (!hostAllowed(req.headers.host, guard) && !isProbePath(req.url)) {
      const { type, status } = ERROR_CATALOGUE.host_not_allowed;
      const message = 'This Host is not served: list it in GATEWAY_ALLOWED_HOSTS (open mode serves loopback names only)';
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message, extensions: { code: 'host_not_allowed', type } }] }));
      return;
    }
    // Every line logged for this request carries its id (given by the caller as x-request-id, or new).
    logScope.run({ requestId: requestIdOf(req.headers['x-request-id'], randomUUID) }, () => void yoga(req, res));
  });
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: REQUEST_LIMITS.maxBodyBytes,
    // A browser page of another site must not open a socket that speaks with the operator's network position.
    verifyClient: ({ req }, done) => {
      if (!hostAllowed(req.headers.host, guard)) return done(false, ERROR_CATALOGUE.host_not_allowed.status, 'host_not_allowed');
      if (!originAllowed(req.headers.origin, req.headers.host, guard)) return done(false, 403, 'origin_not_allowed');
      done(true);
    },
  });
  const unwatchSocket = new WeakMap<object, () => void>();
  const wsServer = useServer(
    {
      connectionInitWaitTimeout: gateway.config.wsInitTimeoutMs,
      // connection_init must authenticate (connectionParams.authorization or the upgrade's Authorization header):
      // a socket that does not is closed, and one whose stored key is revoked later is closed then.
      onConnect: async (ctx) => {
        const request = ctx.extra.request;
        const auth = await gateway.apiKeys.authenticate(authorizationOf({ connectionParams: ctx.connectionParams ?? {}, req: request }), {
          remoteAddress: request.socket.remoteAddress,
        });
        if (!auth.ok) {
          ctx.extra.socket.close(4403, `${auth.error.code}: ${auth.error.message}`.slice(0, 120));
          return false;
        }
        const keyId = ApiKeyService.keyIdOf(auth.principal);
        if (keyId) {
          const socket = ctx.extra.socket;
          unwatchSocket.set(
            socket,
            gateway.apiKeys.revocations.watch(keyId, () => socket.close(4403, 'invalid_api_key: the API key of this connection was revoked')),
          );
        }
        return true;
      },
      onClose: (ctx) => unwatchSocket.get(ctx.extra.socket)?.(),
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
        } catch (error) {
          return [error as GraphQLError]; // a syntax error (or too many tokens) is the client's: an error message, not a closed socket
        }
        const args = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        return args;
      },
    },
    wss,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    yoga,
    url: `http://${host}:${address.port}`,
    async close() {
      // Subscriptions end first, so their streams complete (SSE `complete`, graphql-ws `complete`) instead of being cut.
      gateway.bus.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await wsServer.dispose();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      server.closeAllConnections();
      await closed;
    },
  };
}
