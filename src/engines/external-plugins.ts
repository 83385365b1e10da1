// Engine plugins from installed npm packages (GATEWAY_PLUGINS). Each package is resolved the way an `import`
// in the gateway's working directory would find it, imported, and checked against the contract; any fault
// stops the start with a message naming the package and the problem.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import { packagePath } from '../package-files.ts';
import type { EngineInstance, EnginePlugin, Logger } from './contract.ts';
import { instanceFaults, PLUGIN_NAME_PATTERN, pluginFaults, type PluginFault } from './plugin-validation.ts';

/** npm's rules for a package name: lowercase, optional scope, no path (`./x`, `../x`, `/x` are refused). */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** `GATEWAY_PLUGINS`: a comma-separated list of package names (blank entries ignored). */
export const pluginPackageList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  )
  .superRefine((names, ctx) => {
    for (const name of names) {
      if (name.length > 214 || !PACKAGE_NAME.test(name))
        ctx.addIssue({ code: 'custom', message: `"${name.slice(0, 64)}" is not an npm package name (e.g. gateway-plugin-redis, @acme/gateway-plugin-qdrant)` });
    }
    const twice = names.filter((name, index) => names.indexOf(name) !== index);
    if (twice.length > 0) ctx.addIssue({ code: 'custom', message: `${twice.map((name) => `"${name}"`).join(', ')} listed more than once` });
  });

export interface LoadExternalPluginsOptions {
  /** Plugins already registered (the built-in ones): an external plugin may not take their names. */
  registered: readonly EnginePlugin[];
  /** Where packages are resolved from; default: the working directory. */
  fromDir?: string;
  logger?: Logger;
}

interface PackageOutcome {
  packageName: string;
  entry: string | null;
  /** The plugin's name when it has a usable one (checked for duplicates even when other faults exist). */
  name: string | null;
  plugin: EnginePlugin | null;
  faults: PluginFault[];
}

/** Loads and checks every listed package; throws `invalid_configuration` naming each bad package and its faults. */
export async function loadExternalPlugins(packageNames: readonly string[], options: LoadExternalPluginsOptions): Promise<EnginePlugin[]> {
  if (packageNames.length === 0) return [];
  const fromDir = path.resolve(options.fromDir ?? process.cwd());
  shareGatewayModules();
  const outcomes: PackageOutcome[] = [];
  for (const packageName of packageNames) outcomes.push(await loadPackage(packageName, fromDir));
  findDuplicateNames(outcomes, options.registered);

  const failed = outcomes.filter((outcome) => outcome.faults.length > 0);
  if (failed.length > 0) throw startError(failed, fromDir);
  return outcomes.map((outcome) => {
    const plugin = outcome.plugin!;
    options.logger?.info('external plugin loaded', { package: outcome.packageName, plugin: plugin.name, version: plugin.version, entry: outcome.entry });
    return checkedPlugin(plugin, outcome.packageName);
  });
}

async function loadPackage(packageName: string, fromDir: string): Promise<PackageOutcome> {
  const outcome: PackageOutcome = { packageName, entry: null, name: null, plugin: null, faults: [] };
  const fail = (fault: string, message: string): PackageOutcome => {
    outcome.faults.push({ fault, message });
    return outcome;
  };
  const resolved = resolvePackageEntry(packageName, fromDir);
  if ('fault' in resolved) return fail(resolved.fault, resolved.message);
  outcome.entry = resolved.entry;

  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(resolved.entry).href)) as Record<string, unknown>;
  } catch (error) {
    return fail('load_failed', `importing ${resolved.entry} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (exported['default'] === undefined) {
    const found = Object.keys(exported).filter((key) => key !== 'default');
    return fail(
      'missing_export',
      `its entry ${resolved.entry} has no default export (${found.length > 0 ? `it exports: ${found.join(', ')}` : 'it exports nothing'}); ` +
        'the entry must `export default` the plugin object',
    );
  }
  const candidate = exported['default'];
  outcome.faults.push(...pluginFaults(candidate));
  const name = (candidate as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && PLUGIN_NAME_PATTERN.test(name)) outcome.name = name;
  if (outcome.faults.length === 0) outcome.plugin = candidate as EnginePlugin;
  return outcome;
}

/** Node's search path for the package (node_modules of `fromDir` and its parents), then its ESM entry. */
function resolvePackageEntry(packageName: string, fromDir: string): { entry: string } | PluginFault {
  const searched = createRequire(path.join(fromDir, 'package.json')).resolve.paths(packageName) ?? [];
  for (const modulesDir of searched) {
    const packageDir = path.join(modulesDir, ...packageName.split('/'));
    const manifestFile = path.join(packageDir, 'package.json');
    if (!existsSync(manifestFile)) continue;
    let manifest: { exports?: unknown; main?: unknown };
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as typeof manifest;
    } catch (error) {
      return { fault: 'load_failed', message: `${manifestFile} is not valid JSON: ${(error as Error).message}` };
    }
    const target = entryTarget(manifest);
    if (target === null) return { fault: 'missing_export', message: `${manifestFile} "exports" has no "." entry for import (conditions: ${CONDITIONS.join(', ')})` };
    const entry = [target, `${target}.js`, path.join(target, 'index.js')].map((candidate) => path.resolve(packageDir, candidate)).find(isFile);
    if (entry === undefined) return { fault: 'missing_export', message: `its entry ${path.resolve(packageDir, target)} does not exist` };
    return { entry: realpathSync(entry) };
  }
  return { fault: 'not_installed', message: `no node_modules/${packageName} in ${fromDir} or above it; run \`npm install ${packageName}\` there` };
}

const CONDITIONS = ['node', 'import', 'default'];

/** The `.` target of `exports` under import conditions, else `main`, else index.js; null when exports hides it. */
function entryTarget(manifest: { exports?: unknown; main?: unknown }): string | null {
  const { exports } = manifest;
  if (exports === undefined || exports === null) return typeof manifest.main === 'string' && manifest.main !== '' ? manifest.main : 'index.js';
  const isSubpathMap = typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports).some((key) => key.startsWith('.'));
  return pickTarget(isSubpathMap ? (exports as Record<string, unknown>)['.'] : exports);
}

function pickTarget(target: unknown): string | null {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const candidate of target) {
      const picked = pickTarget(candidate);
      if (picked !== null) return picked;
    }
    return null;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, candidate] of Object.entries(target)) {
      if (!CONDITIONS.includes(condition)) continue;
      const picked = pickTarget(candidate);
      if (picked !== null) return picked;
    }
  }
  return null;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A name must be unique among built-in plugins and every listed package. */
function findDuplicateNames(outcomes: PackageOutcome[], registered: readonly EnginePlugin[]): void {
  const taken = new Map<string, string>(registered.map((plugin) => [plugin.name, `the built-in plugin ${plugin.displayName}`]));
  for (const outcome of outcomes) {
    const { name } = outcome;
    if (name === null) continue;
    const owner = taken.get(name);
    if (owner !== undefined) {
      outcome.faults.push({ fault: 'duplicate_name', message: `plugin name "${name}" is already taken by ${owner}; choose another name` });
    } else {
      taken.set(name, `plugin package "${outcome.packageName}"`);
    }
  }
}

function startError(failed: PackageOutcome[], fromDir: string): GatewayError {
  const faultsOf = (outcome: PackageOutcome): string => outcome.faults.map((f) => `${f.fault.replaceAll('_', ' ')} — ${f.message}`).join('; ');
  const message =
    failed.length === 1
      ? `GATEWAY_PLUGINS: plugin package "${failed[0]!.packageName}" cannot be used: ${faultsOf(failed[0]!)}`
      : `GATEWAY_PLUGINS: ${failed.length} plugin packages cannot be used:${failed.map((outcome) => `\n  - "${outcome.packageName}": ${faultsOf(outcome)}`).join('')}`;
  return new GatewayError('invalid_configuration', message, {
    details: { variable: 'GATEWAY_PLUGINS', resolvedFrom: fromDir, packages: failed.map(({ packageName, faults }) => ({ package: packageName, faults })) },
  });
}

/**
 * The plugin as the core sees it: the contract members read once, and `create()` checked to return an
 * instance with every method its declared capabilities need (known only once there is a config).
 */
function checkedPlugin(plugin: EnginePlugin, packageName: string): EnginePlugin {
  const { checkNativeBackupName, inspectBackupFile, validateCollectionName } = plugin;
  return {
    name: plugin.name,
    apiVersion: plugin.apiVersion,
    displayName: plugin.displayName,
    version: plugin.version,
    config: plugin.config,
    secretKeys: [...plugin.secretKeys],
    capabilities: [...plugin.capabilities],
    create(config, ctx): EngineInstance {
      const instance = plugin.create(config, ctx);
      const faults = instanceFaults(plugin, instance);
      if (faults.length > 0) {
        throw new GatewayError('internal', `plugin package "${packageName}" (${plugin.name}): ${faults.map((f) => f.message).join('; ')}`, {
          details: { package: packageName, plugin: plugin.name, faults },
        });
      }
      return instance;
    },
    ...(checkNativeBackupName ? { checkNativeBackupName: (name: string) => checkNativeBackupName.call(plugin, name) } : {}),
    ...(inspectBackupFile ? { inspectBackupFile: (file: string, signal: AbortSignal) => inspectBackupFile.call(plugin, file, signal) } : {}),
    ...(validateCollectionName ? { validateCollectionName: (name: string) => validateCollectionName.call(plugin, name) } : {}),
  };
}

let gatewayModulesShared = false;

/**
 * A plugin imports `backup-gateway/plugin` (GatewayError, zod) at run time. It must get this very gateway's
 * modules — one GatewayError class, one zod — even when installed where no `backup-gateway` package is
 * (a plain `npm install gateway-plugin-x` next to the gateway): a resolve hook answers those specifiers
 * from the gateway's own package.json `exports`.
 */
function shareGatewayModules(): void {
  if (gatewayModulesShared) return;
  gatewayModulesShared = true;
  const manifestUrl = pathToFileURL(packagePath('package.json'));
  const { name } = JSON.parse(readFileSync(manifestUrl, 'utf8')) as { name: string };
  const hooks = `
    let gateway;
    export function initialize(data) { gateway = data; }
    export async function resolve(specifier, context, next) {
      if (specifier === gateway.name || specifier.startsWith(gateway.name + '/')) {
        const conditions = gateway.source ? ['backup-gateway-source', ...context.conditions] : context.conditions;
        return next(specifier, { ...context, parentURL: gateway.parentURL, conditions });
      }
      return next(specifier, context);
    }`;
  // Run from source (tsx), the gateway's own modules are the .ts files: the exports' `backup-gateway-source`
  // condition names them; compiled, the default condition names dist/.
  const source = import.meta.url.endsWith('.ts');
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { name, parentURL: manifestUrl.href, source } });
}
