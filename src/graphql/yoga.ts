// The GraphQL HTTP handler: schema, auth context, scope checks, error coding, /health.
import type { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { dashboardResponse } from '../dashboard/serve.ts';
import { artifactResponse, isArtifactRequest } from '../http/artifact-download.ts';
import type { Gateway } from '../gateway.ts';
import { useScopeCheck } from './auth-plugin.ts';
import type { GraphQLContext } from './context.ts';
import { codeUncodedErrors, maskGraphQLError } from './errors.ts';
import { queryComplexityPlugins, requestLimitsPlugin } from './limits.ts';
import { schema } from './schema/index.ts';

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

interface InitialContext {
  request?: Request;
  req?: { headers?: Record<string, string | string[] | undefined> };
  connectionParams?: Record<string, unknown>;
}

/** Authorization from an HTTP header, a WebSocket upgrade request, or graphql-ws connection params. */
function authorizationOf(initial: InitialContext): string | null {
  const params = initial.connectionParams ?? {};
  const fromParams = params.authorization ?? params.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  const fromRequest = initial.request?.headers.get('authorization');
  if (fromRequest) return fromRequest;
  const fromUpgrade = initial.req?.headers?.authorization;
  return typeof fromUpgrade === 'string' ? fromUpgrade : null;
}

export function createGatewayYoga(gateway: Gateway): GatewayYoga {
  const log = gateway.logger.child({ component: 'graphql' });
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/yoga-health',
    landingPage: false,
    graphiql: { title: 'Backup gateway', subscriptionsProtocol: 'WS' },
    logging: {
      debug: (...args: unknown[]) => log.debug(args.map(String).join(' ')),
      info: (...args: unknown[]) => log.info(args.map(String).join(' ')),
      warn: (...args: unknown[]) => log.warn(args.map(String).join(' ')),
      error: (...args: unknown[]) => log.error(args.map(String).join(' ')),
    },
    maskedErrors: {
      maskError: (error) => maskGraphQLError(error, (message, fields) => log.error(message, fields), (text) => gateway.redactor.redact(text)),
    },
    context: async (initial) => ({
      gateway,
      auth: await gateway.apiKeys.authenticate(authorizationOf(initial as InitialContext)),
    }),
    plugins: [
      {
        async onRequest({ request, url, endResponse, fetchAPI }) {
          if (url.pathname === '/health') {
            // A draining replica (SIGTERM received) answers 503 so load balancers stop sending it work.
            endResponse(gateway.runner.isDraining ? fetchAPI.Response.json({ status: 'shutting_down' }, { status: 503 }) : fetchAPI.Response.json({ status: 'available' }));
            return;
          }
          // Stored files of a native backup (backup download), with its own auth and scope check.
          if (isArtifactRequest(url.pathname)) return endResponse(await artifactResponse(gateway, request, url.pathname));
          // The web dashboard: static files at / and /dashboard/* (it asks the API itself, with its key).
          const page = await dashboardResponse(request, url, fetchAPI.Response);
          if (page) endResponse(page);
        },
        onValidate() {
          return ({ result }: { result: readonly GraphQLError[] }) => codeUncodedErrors(result);
        },
      },
      useScopeCheck(),
      ...queryComplexityPlugins(),
      requestLimitsPlugin(),
    ],
  });
}
