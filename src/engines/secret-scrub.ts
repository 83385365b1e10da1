// Nothing a plugin says leaves it with one of its engine's secrets in it. An engine (or a proxy in front of it)
// may echo the Authorization header into an error body; the plugin passes that text on; the core wraps every
// instance so each error message, health message and warning is scrubbed of that engine's secret values — raw,
// JSON-escaped and URL-encoded — before it reaches job.error, health.message, webhooks, dumps or logs.
import { GatewayError } from '../errors.ts';
import { redactStructure, scrub, secretForms, stringsIn, urlSecrets } from '../redaction.ts';
import type { EngineInstance } from './contract.ts';

/** The secret values of one engine's config: its plugin's secret keys (nested records too) and URL passwords. */
export function engineSecretValues(config: Record<string, unknown>, secretKeys: readonly string[]): string[] {
  const values: string[] = [];
  for (const key of secretKeys) values.push(...stringsIn(config[key]));
  for (const text of stringsIn(config)) values.push(...urlSecrets(text));
  return [...new Set(values)].filter((value) => value.length >= 4);
}

export function scrubberFor(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  return (text) => scrub(text, forms);
}

/** An error as it may leave the plugin: same code and details, message scrubbed, the raw cause dropped. */
export function scrubbedError(error: unknown, clean: (text: string) => string): unknown {
  if (error instanceof GatewayError) {
    const details = error.details ? (redactStructure(error.details, clean) as Record<string, unknown>) : undefined;
    return new GatewayError(error.code, clean(error.message), details ? { details } : undefined);
  }
  if (error instanceof Error) {
    const copy = new Error(clean(error.message));
    copy.name = error.name;
    const code = (error as { code?: unknown }).code;
    if (code !== undefined) Object.assign(copy, { code });
    return copy;
  }
  return typeof error === 'string' ? clean(error) : error;
}

/** Health and job results carry text the engine wrote: `message`, `warnings`. */
function scrubbedResult(result: unknown, clean: (text: string) => string): unknown {
  if (!result || typeof result !== 'object' || Array.isArray(result) || Object.getPrototypeOf(result) !== Object.prototype) return result;
  const record = result as Record<string, unknown>;
  const out: Record<string, unknown> = { ...record };
  if (typeof record['message'] === 'string') out['message'] = clean(record['message']);
  if (Array.isArray(record['warnings'])) out['warnings'] = record['warnings'].map((warning) => (typeof warning === 'string' ? clean(warning) : warning));
  return out;
}

export function scrubbingInstance(instance: EngineInstance, secrets: readonly string[]): EngineInstance {
  if (secrets.length === 0) return instance;
  const clean = scrubberFor(secrets);
  return new Proxy(instance, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw scrubbedError(error, clean);
        }
        if (result instanceof Promise) {
          return result.then(
            (resolved) => scrubbedResult(resolved, clean),
            (error: unknown) => {
              throw scrubbedError(error, clean);
            },
          );
        }
        return result;
      };
    },
  });
}
