// `npm start`: read the environment, open the gateway, serve it; stop gracefully on SIGTERM/SIGINT.
import { loadConfig } from './config.ts';
import { GatewayError } from './errors.ts';
import { createGateway } from './gateway.ts';
import { startTracing } from './observability/tracing.ts';
import { startServer } from './server.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before the gateway is built, so its first operations are traced; nothing is loaded when tracing is off.
  const tracing = await startTracing(config.otlpEndpoint);
  const gateway = await createGateway({ config });
  if (tracing && config.otlpEndpoint) gateway.logger.info('OpenTelemetry traces on', { endpoint: new URL(config.otlpEndpoint).origin });
  if (!config.masterKey) {
    gateway.logger.warn(
      '!!! NO GATEWAY_MASTER_KEY SET: the gateway is OPEN — anyone who can reach it can read, back up, restore and delete. ' +
        'Set GATEWAY_MASTER_KEY (16+ characters) before exposing it.',
    );
  }
  const running = await startServer(gateway, { port: config.port, host: config.host });
  gateway.logger.info('gateway listening', {
    url: running.url,
    graphql: `${running.url}/graphql`,
    database: gateway.db.kind,
    dataDir: config.dataDir,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.shutdownGraceMs;
    gateway.logger.info('shutting down: no new jobs here; running ones get the grace period', { signal, graceMs, running: gateway.runner.runningJobIds.length });
    // A shutdown never hangs: past the grace period and a margin, the process ends anyway.
    setTimeout(() => {
      gateway.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, graceMs + 20_000).unref();
    // Jobs first (the API keeps answering meanwhile, /health says shutting_down), then subscriptions and HTTP.
    await gateway.runner.stop(graceMs);
    await running.close();
    await gateway.close();
    await tracing?.shutdown().catch(() => undefined);
    gateway.logger.info('stopped', { signal });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof GatewayError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`backup-gateway failed to start: ${message}\n`);
  process.exit(1);
});
