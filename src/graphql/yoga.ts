// The GraphQL HTTP handler: schema, auth context, scope checks, error coding, /health.
import type { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { dashboardResponse } from '../dashboard/serve.ts';
import { artifactResponse, isArtifactRequest } from '../http/artifact-download.ts';
import type { Gateway } from '../gateway.ts';
import { corsFor, requestGuardPlugin, revocationPlugin } from './access-guards.ts';
import { observabilityResponse } from '../observability/endpoints.ts';
import { useOperationSpans } from '../observability/tracing.ts';
import { useScopeCheck } from './auth-plugin.ts';
import { useRequestMemoPerEvent, type GraphQLContext } from './context.ts';
import { codeUncodedErrors, maskGraphQLError } from './errors.ts';
import { graphiqlOptions, renderOfflineGraphiQL } from './graphiql.ts';
import { useJobListCache } from './job-list-cache.ts';
import { queryComplexityPlugins, requestLimitsPlugin } from './limits.ts';
import { requestLogPlugin, yogaLogging } from './request-log.ts';
import { schema } from './schema/index.ts';
import { useSharedSubscriptionEvents } from './shared-events.ts';
import { useDirectSseSubscriptions } from './sse-results.ts';

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

interface InitialContext {
  request?: Request;
  req?: { headers?: Record<string, string | string[] | undefined>; socket?: { remoteAddress?: string } };
  connectionParams?: Record<string, unknown>;
}

/**
 * Authorization from an HTTP header, a WebSocket upgrade request, or graphql-ws connection params. A WebSocket
 * authenticates once, in connection_init (server.ts); GraphiQL subscribes over SSE with its typed headers.
 */
export function authorizationOf(initial: InitialContext): string | null {
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
    graphiql: graphiqlOptions(),
    renderGraphiQL: renderOfflineGraphiQL,
    cors: corsFor(gateway.config.corsOrigins),
    logging: yogaLogging(log),
    maskedErrors: {
      maskError: (error) =>
        maskGraphQLError(
          error,
          (message, fields) => log.error(message, fields),
          (text) => gateway.redactor.redact(text),
        ),
    },
    context: async (initial) => ({
      gateway,
      auth: await gateway.apiKeys.authenticate(authorizationOf(initial as InitialContext), { remoteAddress: (initial as InitialContext).req?.socket?.remoteAddress }),
    }),
    plugins: [
      requestGuardPlugin(),
      revocationPlugin(gateway.apiKeys),
      requestLogPlugin(log),
      {
        async onRequest({ request, url, endResponse, fetchAPI }) {
          if (url.pathname === '/health') {
            // A draining replica (SIGTERM received) answers 503 so load balancers stop sending it work.
            endResponse(gateway.runner.isDraining ? fetchAPI.Response.json({ status: 'shutting_down' }, { status: 503 }) : fetchAPI.Response.json({ status: 'available' }));
            return;
          }
          const probe = await observabilityResponse(gateway, request, url, fetchAPI.Response); // /livez, /readyz, /metrics
          if (probe) return endResponse(probe);
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
      useJobListCache({ ttlMs: gateway.config.jobListCacheMs, onJobChange: (listener) => gateway.bus.onChange(listener) }),
      useOperationSpans(),
      useRequestMemoPerEvent(),
      useSharedSubscriptionEvents(),
      useDirectSseSubscriptions(),
      ...queryComplexityPlugins(),
      requestLimitsPlugin(),
    ],
  });
}
