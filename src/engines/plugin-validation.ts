// The rules every plugin object must meet before the gateway uses it — built-in or loaded from a package.
// Checked at start for external plugins (GATEWAY_PLUGINS), by the meta-test for built-in ones and by the
// public contract suite, so a plugin author sees the same faults in their own test run.
import { z } from 'zod';
import { CAPABILITIES, PLUGIN_API_VERSION, type Capability, type EngineInstance, type EnginePlugin } from './contract.ts';

export type PluginFaultKind =
  | 'not_a_plugin'
  | 'invalid_name'
  | 'wrong_api_version'
  | 'invalid_metadata'
  | 'invalid_config_schema'
  | 'invalid_secret_keys'
  | 'unknown_capability'
  | 'capability_not_implemented';

export interface PluginFault {
  fault: string;
  message: string;
}

/** Lowercase, starts with a letter: it names the engine kind in the API, the catalog and log lines. */
export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

/** What each capability needs: methods of the live instance, members of the plugin object, other capabilities. */
export const CAPABILITY_MEMBERS: Record<Capability, { instance: readonly (keyof EngineInstance)[]; plugin: readonly (keyof EnginePlugin)[]; requires: readonly Capability[] }> = {
  logicalBackup: { instance: ['logicalBackup'], plugin: [], requires: [] },
  logicalRestore: { instance: ['logicalRestore'], plugin: [], requires: [] },
  nativeBackup: { instance: ['nativeBackup'], plugin: [], requires: [] },
  nativeRestore: { instance: ['nativeRestore'], plugin: [], requires: [] },
  serverBackups: { instance: ['listServerBackups', 'deleteServerBackup'], plugin: [], requires: [] },
  importBackup: { instance: [], plugin: ['inspectBackupFile'], requires: [] },
  incrementalBackup: { instance: [], plugin: [], requires: ['logicalBackup'] },
  cancel: { instance: [], plugin: [], requires: [] },
};

const OPTIONAL_PLUGIN_FUNCTIONS = ['checkNativeBackupName', 'inspectBackupFile', 'validateCollectionName'] as const;

/** Every fault of a candidate plugin object; empty when the gateway can use it. */
export function pluginFaults(candidate: unknown): PluginFault[] {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return [{ fault: 'not_a_plugin', message: `the export is ${shown(candidate)}, not a plugin object` }];
  }
  const plugin = candidate as Record<string, unknown>;
  const faults: PluginFault[] = [];
  const add = (fault: PluginFaultKind, message: string): void => {
    faults.push({ fault, message });
  };

  if (typeof plugin['name'] !== 'string' || !PLUGIN_NAME_PATTERN.test(plugin['name'])) {
    add('invalid_name', `name ${shown(plugin['name'])} is not a plugin name (lowercase letters, digits and "-", starting with a letter, at most 64)`);
  }
  if (plugin['apiVersion'] !== PLUGIN_API_VERSION) {
    add('wrong_api_version', `apiVersion ${shown(plugin['apiVersion'])} is not supported: this gateway speaks plugin API version ${PLUGIN_API_VERSION}`);
  }
  if (typeof plugin['displayName'] !== 'string' || plugin['displayName'].trim() === '') add('invalid_metadata', 'displayName must be a non-empty string');
  if (typeof plugin['version'] !== 'string' || !/^\d+\.\d+\.\d+/.test(plugin['version'])) {
    add('invalid_metadata', `version ${shown(plugin['version'])} is not a semver version such as "1.0.0"`);
  }
  if (typeof plugin['create'] !== 'function') add('not_a_plugin', 'create(config, ctx) is missing or not a function');
  for (const member of OPTIONAL_PLUGIN_FUNCTIONS) {
    if (plugin[member] !== undefined && typeof plugin[member] !== 'function') add('invalid_metadata', `${member} is set but not a function`);
  }

  const configKeys = configSchemaFaults(plugin['config'], add);
  secretKeyFaults(plugin['secretKeys'], configKeys, add);
  capabilityFaults(plugin, add);
  return faults;
}

/** Faults of a live instance returned by `create()`: the required core and each declared capability's methods. */
export function instanceFaults(plugin: Pick<EnginePlugin, 'capabilities'>, instance: unknown): PluginFault[] {
  if (typeof instance !== 'object' || instance === null) {
    return [{ fault: 'not_a_plugin', message: `create() returned ${shown(instance)}, not an engine instance` }];
  }
  const methods = instance as Record<string, unknown>;
  const faults: PluginFault[] = [];
  for (const required of ['health', 'listCollections'] as const) {
    if (typeof methods[required] !== 'function') faults.push({ fault: 'not_a_plugin', message: `the instance has no ${required}() method` });
  }
  for (const optional of ['close', 'dropCollection'] as const) {
    if (methods[optional] !== undefined && typeof methods[optional] !== 'function') faults.push({ fault: 'not_a_plugin', message: `${optional} is set but not a function` });
  }
  for (const capability of plugin.capabilities) {
    for (const member of CAPABILITY_MEMBERS[capability]?.instance ?? []) {
      if (typeof methods[member] !== 'function') {
        faults.push({ fault: 'capability_not_implemented', message: `declares capability ${capability} but the instance has no ${member}() method` });
      }
    }
  }
  return faults;
}

/** A zod 4 object schema — checked by shape, not instanceof, so a plugin built with another copy of zod passes. */
export function isZodObjectSchema(value: unknown): value is z.ZodObject {
  if (typeof value !== 'object' || value === null) return false;
  const schema = value as { _zod?: { def?: { type?: unknown } }; shape?: unknown; safeParse?: unknown; strict?: unknown };
  return (
    schema._zod?.def?.type === 'object' &&
    typeof schema.shape === 'object' &&
    schema.shape !== null &&
    typeof schema.safeParse === 'function' &&
    typeof schema.strict === 'function'
  );
}

function configSchemaFaults(config: unknown, add: (fault: PluginFaultKind, message: string) => void): string[] | null {
  if (!isZodObjectSchema(config)) {
    add('invalid_config_schema', `config is ${shown(config)}, not a zod object schema (use z.strictObject({...}) from zod 4)`);
    return null;
  }
  try {
    const probe = config.safeParse({ '\u0000notAConfigKey': true });
    if (probe.success || !probe.error.issues.some((issue) => issue.code === 'unrecognized_keys')) {
      add('invalid_config_schema', 'config must reject unknown keys (use z.strictObject, not z.object)');
    }
    // The `plugins` query shows it as JSON Schema: a schema that cannot be described cannot be offered.
    z.toJSONSchema(config, { io: 'input', unrepresentable: 'any' });
  } catch (error) {
    add('invalid_config_schema', `config cannot be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  return Object.keys(config.shape);
}

function secretKeyFaults(secretKeys: unknown, configKeys: string[] | null, add: (fault: PluginFaultKind, message: string) => void): void {
  if (!Array.isArray(secretKeys) || !secretKeys.every((key) => typeof key === 'string')) {
    add('invalid_secret_keys', 'secretKeys must be an array of config key names ([] when there are none)');
    return;
  }
  if (configKeys === null) return;
  const unknown = secretKeys.filter((key) => !configKeys.includes(key));
  if (unknown.length > 0) add('invalid_secret_keys', `secretKeys ${unknown.join(', ')} are not config keys (config keys: ${configKeys.join(', ')})`);
}

function capabilityFaults(plugin: Record<string, unknown>, add: (fault: PluginFaultKind, message: string) => void): void {
  const declared = plugin['capabilities'];
  if (!Array.isArray(declared)) {
    add('unknown_capability', `capabilities must be an array of ${CAPABILITIES.join(', ')}`);
    return;
  }
  const known = declared.filter((capability): capability is Capability => (CAPABILITIES as readonly unknown[]).includes(capability));
  const unknown = declared.filter((capability) => !known.includes(capability));
  if (unknown.length > 0) add('unknown_capability', `unknown capabilities ${unknown.map(shown).join(', ')} (known: ${CAPABILITIES.join(', ')})`);
  if (new Set(declared).size !== declared.length) add('unknown_capability', 'capabilities lists a capability twice');
  for (const capability of known) {
    for (const member of CAPABILITY_MEMBERS[capability].plugin) {
      if (typeof plugin[member] !== 'function') add('capability_not_implemented', `declares capability ${capability} but has no ${member}() function`);
    }
    for (const needed of CAPABILITY_MEMBERS[capability].requires) {
      if (!known.includes(needed)) add('capability_not_implemented', `declares capability ${capability}, which needs ${needed} too`);
    }
  }
}

function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return `an object`;
}
