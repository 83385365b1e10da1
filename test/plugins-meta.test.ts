// Every registered plugin follows the house rules for plugin folders (docs: ../shared/design/style.md).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CAPABILITIES, PLUGIN_API_VERSION } from '../src/engines/contract.ts';
import { pluginFaults } from '../src/engines/plugin-validation.ts';
import { findPlugin, plugins } from '../plugins/index.ts';
import templatePlugin from '../examples/plugin-template/src/index.ts';

const pluginsDir = fileURLToPath(new URL('../plugins/', import.meta.url));
/** Format and validation libraries any plugin file may use; everything else is a vendor SDK, for client.ts only. */
const SHARED_PACKAGES = new Set(['zod', 'tar-stream']);
/** Core areas a plugin must never reach into: it gets a narrow context instead. */
const FORBIDDEN_IMPORTS = [/\/src\/(db|graphql|jobs|catalog|auth)\//, /^@prisma\//, /^prisma$/, /^graphql/, /^@pothos\//];

function importSpecifiers(source: string): string[] {
  const pattern = /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

function isBare(specifier: string): boolean {
  return !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:');
}

/** Tests and their helpers (`*.test.ts`, `test/**`) may drive the engine with its SDK directly. */
function isTestSupport(file: string): boolean {
  return file.endsWith('.test.ts') || file.startsWith('test/') || file.startsWith('test\\');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
}

describe('plugin registry', () => {
  it('has unique names and finds each plugin by name', () => {
    const names = plugins.map((plugin) => plugin.name);
    expect(new Set(names).size).toBe(names.length);
    for (const plugin of plugins) expect(findPlugin(plugin.name)).toBe(plugin);
    expect(findPlugin('no-such-engine')).toBeUndefined();
  });

  it('registers every plugin folder', () => {
    const folders = readdirSync(pluginsDir).filter((entry) => statSync(join(pluginsDir, entry)).isDirectory());
    expect(folders.sort()).toEqual(plugins.map((plugin) => plugin.name).sort());
  });
});

describe.each(plugins.map((plugin) => [plugin.name, plugin] as const))('plugin %s', (_name, plugin) => {
  const folder = join(pluginsDir, plugin.name);

  it('has a lowercase name equal to its folder, and the current API version', () => {
    expect(plugin.name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(existsSync(folder)).toBe(true);
    expect(plugin.apiVersion).toBe(PLUGIN_API_VERSION);
    expect(plugin.displayName.length).toBeGreaterThan(0);
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('has index.ts, client.ts, README.md and a test file', () => {
    for (const file of ['index.ts', 'client.ts', 'README.md']) expect(existsSync(join(folder, file)), file).toBe(true);
    expect(sourceFiles(folder).some((file) => file.endsWith('.test.ts'))).toBe(true);
  });

  it('imports the vendor SDK and speaks HTTP only in client.ts, and never reaches into the core', () => {
    for (const file of sourceFiles(folder).filter((name) => !isTestSupport(name))) {
      const source = readFileSync(join(folder, file), 'utf8');
      const specifiers = importSpecifiers(source);
      for (const specifier of specifiers) {
        for (const forbidden of FORBIDDEN_IMPORTS) expect(specifier, `${file} imports ${specifier}`).not.toMatch(forbidden);
      }
      if (file === 'client.ts') continue;
      const vendor = specifiers.filter((specifier) => isBare(specifier) && !SHARED_PACKAGES.has(specifier));
      expect(vendor, `${file} imports a vendor package`).toEqual([]);
      expect(/\bfetch\s*\(/.test(source), `${file} calls fetch`).toBe(false);
    }
  });

  it('has a strict zod object config whose secret keys are config keys', () => {
    expect(plugin.config).toBeInstanceOf(z.ZodObject);
    const result = plugin.config.safeParse({ notAConfigKey: 1 });
    expect(result.success).toBe(false);
    expect(result.error!.issues.some((issue) => issue.code === 'unrecognized_keys')).toBe(true);
    const keys = Object.keys(plugin.config.shape);
    for (const secret of plugin.secretKeys) expect(keys).toContain(secret);
  });

  it('documents every config key in a README table', () => {
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    const tableRows = readme.split('\n').filter((line) => line.trimStart().startsWith('|'));
    expect(tableRows.length).toBeGreaterThan(0);
    for (const key of Object.keys(plugin.config.shape)) {
      expect(
        tableRows.some((row) => row.includes(`\`${key}\``)),
        `README table row for ${key}`,
      ).toBe(true);
    }
  });

  it('declares only known capabilities, without duplicates', () => {
    for (const capability of plugin.capabilities) expect(CAPABILITIES).toContain(capability);
    expect(new Set(plugin.capabilities).size).toBe(plugin.capabilities.length);
  });
  it('passes the checks the gateway runs on external plugin packages (GATEWAY_PLUGINS)', () => {
    expect(pluginFaults(plugin)).toEqual([]);
  });
});

describe('the plugin template (examples/plugin-template)', () => {
  const templateDir = fileURLToPath(new URL('../examples/plugin-template/', import.meta.url));
  const manifest = JSON.parse(readFileSync(join(templateDir, 'package.json'), 'utf8')) as Record<string, any>;
  const files = (folder: string) => sourceFiles(join(templateDir, folder)).map((file) => join(folder, file));
  /** What a plugin package may import: its own files, Node, the gateway's public entries; tests also vitest. */
  const allowed = (file: string, specifier: string): boolean =>
    specifier.startsWith('.') ||
    specifier.startsWith('node:') ||
    specifier === 'backup-gateway/plugin' ||
    (file.startsWith('test') && (specifier === 'backup-gateway/testing' || specifier === 'vitest'));

  it('is a package whose entry exports the plugin by default, with the gateway as an optional peer', async () => {
    expect(manifest).toMatchObject({
      name: 'gateway-plugin-template',
      type: 'module',
      // Published compiled (tsc → dist/, JS + .d.ts): it loads into the compiled gateway with plain node.
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      peerDependencies: { 'backup-gateway': expect.any(String) },
      peerDependenciesMeta: { 'backup-gateway': { optional: true } },
      files: ['dist', 'README.md'],
    });
    // dist/index.js is compiled from src/index.ts (test/external-plugins builds and loads the compiled one).
    const entry = (await import(pathToFileURL(join(templateDir, 'src/index.ts')).href)) as { default: unknown };
    expect(entry.default).toBe(templatePlugin);
    expect(pluginFaults(templatePlugin)).toEqual([]);
    expect(templatePlugin.version).toBe(manifest.version);
  });

  it('reaches the gateway only through its public entries, and speaks HTTP only in client.ts', () => {
    for (const file of [...files('src'), ...files('test')]) {
      const source = readFileSync(join(templateDir, file), 'utf8');
      for (const specifier of importSpecifiers(source)) expect(allowed(file, specifier), `${file} imports ${specifier}`).toBe(true);
      if (file.startsWith('src') && file !== join('src', 'client.ts')) expect(/\bfetch\s*\(/.test(source), `${file} calls fetch`).toBe(false);
    }
  });

  it('documents every config key in its README table', () => {
    const readme = readFileSync(join(templateDir, 'README.md'), 'utf8');
    for (const key of Object.keys(templatePlugin.config.shape)) expect(readme, `README row for ${key}`).toContain(`| \`${key}\` |`);
  });
});

describe('the guide (plugins/README.md)', () => {
  const guide = readFileSync(join(pluginsDir, 'README.md'), 'utf8');
  const contract = readFileSync(fileURLToPath(new URL('../src/engines/contract.ts', import.meta.url)), 'utf8');

  /** Member names of an interface in contract.ts, read from its source so the guide follows every change. */
  function members(name: string): string[] {
    const body = new RegExp(`export interface ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(contract)?.[1];
    expect(body, `interface ${name} in contract.ts`).toBeDefined();
    const names = [...body!.matchAll(/^ {2}(\w+)\??\s*[(:<]/gm)].map((match) => match[1]!);
    expect(names.length, `members of ${name}`).toBeGreaterThan(0);
    return names;
  }

  /** The plugin object, the instance with every capability interface it extends, and what a job call gets. */
  const explained = [
    'EnginePlugin',
    'EngineInstance',
    ...[...contract.matchAll(/^export interface (\w+Capability)\b/gm)].map((match) => match[1]!),
    'JobContext',
    'ProgressUpdate',
    'LogicalBackupRequest',
    'LogicalRestoreRequest',
  ];

  it.each(explained)('explains every member of %s', (name) => {
    for (const member of members(name)) expect(guide, `${name}.${member}`).toMatch(new RegExp(`\`${member}[\`(]`));
  });

  it('explains every capability and every fault that stops the start', () => {
    for (const capability of CAPABILITIES) expect(guide).toContain(`| \`${capability}\` |`);
    const faultKinds = ['not_installed', 'missing_export', 'load_failed', 'duplicate_name', ...pluginFaultKinds()];
    for (const fault of faultKinds) expect(guide, fault).toContain(`| \`${fault.replaceAll('_', ' ')}\` |`);
  });

  function pluginFaultKinds(): string[] {
    const source = readFileSync(fileURLToPath(new URL('../src/engines/plugin-validation.ts', import.meta.url)), 'utf8');
    const union = /export type PluginFaultKind =([^;]+);/.exec(source)?.[1] ?? '';
    return [...union.matchAll(/'(\w+)'/g)].map((match) => match[1]!);
  }
});
