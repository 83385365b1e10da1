// Wires the gateway to an HTTP server: GraphQL over HTTP/SSE, GraphQL over WebSocket (graphql-ws), /health.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Gateway } from './gateway.ts';
import { REQUEST_LIMITS } from './graphql/limits.ts';
import { createGatewayYoga, type GatewayYoga } from './graphql/yoga.ts';

export interface RunningServer {
  server: Server;
  yoga: GatewayYoga;
  url: string;
  close(): Promise<void>;
}

type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

export async function startServer(gateway: Gateway, options: { port: number; host: string }): Promise<RunningServer> {
  const yoga = createGatewayYoga(gateway);
  // yoga answers every request itself (errors included); the promise it returns only says when it is done.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  const server = createServer(yoga);
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: REQUEST_LIMITS.maxBodyBytes });
  const wsServer = useServer(
    {
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
