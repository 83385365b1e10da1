// Validates engine config against a plugin's zod schema and splits secrets from the rest.
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import { withoutUserinfo } from '../redaction.ts';
import type { EnginePlugin } from './contract.ts';

export const REDACTED_SECRET = '[redacted]';

export function validKeysOf(plugin: EnginePlugin): string[] {
  return Object.keys(plugin.config.shape);
}

/** Parses raw config with the plugin's strict schema; the error lists the valid keys. */
export function parsePluginConfig(plugin: EnginePlugin, raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GatewayError('invalid_engine_config', `config must be an object; valid keys: ${validKeysOf(plugin).join(', ')}`, {
      details: { validKeys: validKeysOf(plugin) },
    });
  }
  const result = plugin.config.strict().safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue).join('; ');
    throw new GatewayError('invalid_engine_config', `Invalid ${plugin.name} engine config: ${problems}. Valid keys: ${validKeysOf(plugin).join(', ')}`, {
      details: { validKeys: validKeysOf(plugin) },
    });
  }
  return result.data as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : 'config';
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${where}: ${issue.message}`;
}

export function splitSecrets(
  plugin: EnginePlugin,
  config: Record<string, unknown>,
): {
  publicConfig: Record<string, unknown>;
  secrets: Record<string, unknown>;
} {
  const publicConfig: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  const secretKeys = new Set<string>(plugin.secretKeys);
  for (const [key, value] of Object.entries(config)) {
    if (secretKeys.has(key)) secrets[key] = value;
    else publicConfig[key] = value;
  }
  return { publicConfig, secrets };
}

/** What the API shows: public config plus a marker for each secret that is set. */
export function redactedConfig(publicConfig: Record<string, unknown>, secrets: Record<string, unknown>): Record<string, unknown> {
  // A password inside a URL (http://user:pass@host) is a secret too: URLs are shown without userinfo.
  const shown: Record<string, unknown> = Object.fromEntries(Object.entries(publicConfig).map(([key, value]) => [key, typeof value === 'string' ? withoutUserinfo(value) : value]));
  for (const [key, value] of Object.entries(secrets)) if (value !== undefined && value !== null) shown[key] = REDACTED_SECRET;
  return shown;
}
