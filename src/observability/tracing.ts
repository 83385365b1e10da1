// OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Spans are made through the API package
// (a no-op until a provider is registered, so nothing is paid when tracing is off); the SDK, with its exporters,
// is imported only when tracing is on. One span per GraphQL operation and one per job this process ran.
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Job } from '../db/client.ts';

const TRACER = 'backup-gateway';

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK when an OTLP endpoint is configured. It reads the standard OTEL_* variables
 * itself (endpoint, headers, protocol, sampler); the service name defaults to backup-gateway.
 */
export async function startTracing(otlpEndpoint: string | undefined): Promise<Tracing | null> {
  if (!otlpEndpoint) return null;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ serviceName: process.env.OTEL_SERVICE_NAME ?? 'backup-gateway', instrumentations: [] });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

function operationOf(args: ExecutionArgs): { type: string; name: string | undefined } {
  for (const definition of args.document.definitions) {
    if (definition.kind !== 'OperationDefinition') continue;
    if (args.operationName && definition.name?.value !== args.operationName) continue;
    return { type: definition.operation, name: definition.name?.value };
  }
  return { type: 'unknown', name: undefined };
}

function operationSpan(args: ExecutionArgs): Span {
  const { type, name } = operationOf(args);
  return trace.getTracer(TRACER).startSpan(name ? `${type} ${name}` : type, {
    kind: SpanKind.SERVER,
    attributes: { 'graphql.operation.type': type, ...(name ? { 'graphql.operation.name': name } : {}) },
  });
}

function endWithErrors(span: Span, errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined): void {
  if (errors && errors.length > 0) {
    const code = errors[0]!.extensions?.code;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'error' });
    span.setAttribute('graphql.error.count', errors.length);
  }
  span.end();
}

/** A span per executed operation (queries, mutations) and per subscription set-up. Documents and variables stay out. */
export function useOperationSpans(): Plugin {
  return {
    onExecute({ args }) {
      const span = operationSpan(args);
      return {
        onExecuteDone({ result }) {
          endWithErrors(span, Symbol.asyncIterator in Object(result) ? undefined : (result as { errors?: readonly { message: string }[] }).errors);
        },
      };
    },
    onSubscribe({ args }) {
      const span = operationSpan(args);
      return {
        onSubscribeResult({ result }) {
          endWithErrors(span, Symbol.asyncIterator in Object(result) ? undefined : (result as { errors?: readonly { message: string }[] }).errors);
        },
      };
    },
  };
}

/** The span of a job this process ran, from its start to its end, told after it ended. */
export function recordJobSpan(job: Job): void {
  if (!job.startedAt) return;
  const span = trace.getTracer(TRACER).startSpan(`job ${job.kind}`, {
    kind: SpanKind.INTERNAL,
    startTime: job.startedAt,
    attributes: { 'job.id': job.id, 'job.kind': job.kind, 'job.status': job.status, ...(job.engineId ? { 'job.engine_id': job.engineId } : {}) },
  });
  if (job.status === 'FAILED') span.setStatus({ code: SpanStatusCode.ERROR, message: job.errorCode ?? 'failed' });
  span.end(job.finishedAt ?? new Date());
}
