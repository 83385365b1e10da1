// Engine-specific job options (startBackup/startRestore `options`): validated at the edge by the plugin's own zod
// schema, so a typo fails before a job is queued and the plugin receives typed values with defaults applied.
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import type { EnginePlugin } from './contract.ts';

export function parsePluginOptions(plugin: EnginePlugin, kind: 'backup' | 'restore', raw: unknown): Record<string, unknown> | undefined {
  const schema = kind === 'backup' ? plugin.backupOptions : plugin.restoreOptions;
  if (raw === null || raw === undefined) return schema ? (schema.parse({}) as Record<string, unknown>) : undefined;
  if (!schema) throw new GatewayError('invalid_input', `The ${plugin.name} plugin takes no ${kind} options`);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new GatewayError('invalid_input', `${kind} options must be an object`);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const valid = Object.keys(schema.shape).join(', ');
    throw new GatewayError('invalid_input', `invalid ${plugin.name} ${kind} options: ${z.prettifyError(parsed.error)} (valid keys: ${valid})`);
  }
  return parsed.data as Record<string, unknown>;
}
