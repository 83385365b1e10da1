// Rewraps what a plugin throws with the plugin and operation names, keeping the engine's own code and message.
import { GatewayError, isErrorCode } from '../errors.ts';

export async function callPlugin<T>(plugin: string, operation: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // A cancel or timeout is reported from the signal's reason, not from whatever the plugin threw — unless the
    // plugin says more about the cancel (e.g. "the server-side restore may have completed").
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      const pluginSaysCanceled = error instanceof GatewayError && error.code === 'job_canceled';
      const canceled = reason instanceof GatewayError && reason.code === 'job_canceled';
      throw canceled && pluginSaysCanceled ? wrapPluginError(plugin, operation, error) : reason;
    }
    throw wrapPluginError(plugin, operation, error);
  }
}

export function wrapPluginError(plugin: string, operation: string, error: unknown): GatewayError {
  const prefix = `[${plugin}.${operation}]`;
  if (error instanceof GatewayError) {
    if (error.message.startsWith(prefix)) return error;
    return new GatewayError(error.code, `${prefix} ${error.message}`, { cause: error, details: { ...error.details, plugin, operation } });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(isErrorCode(code) ? code : 'internal', `${prefix} ${message}`, { cause: error, details: { plugin, operation } });
}
