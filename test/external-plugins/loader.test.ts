// GATEWAY_PLUGINS in process: packages resolved from the gateway's working directory, checked against the
// contract, each fault stopping createGateway — before the database is touched — with a message naming the
// package and the fault; a good package listed by `plugins` exactly like the built-in ones.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plugins as builtInPlugins } from '../../plugins/index.ts';
import { loadConfig } from '../../src/config.ts';
import { loadExternalPlugins } from '../../src/engines/external-plugins.ts';
import { GatewayError } from '../../src/errors.ts';
import { createGateway } from '../../src/gateway.ts';
import { createGatewayYoga } from '../../src/graphql/yoga.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { createTempProject, fixturePlugin, type TempProject } from './project.ts';

let project: TempProject;

beforeAll(async () => {
  project = await createTempProject();
  await project.linkDependency('zod');
  await project.addPackage('gateway-plugin-good', { 'index.js': fixturePlugin({ name: 'good' }) });
  await project.addPackage(
    '@acme/gateway-plugin-scoped',
    { 'lib/main.js': fixturePlugin({ name: 'scoped' }) },
    { exports: { '.': { types: './lib/main.d.ts', import: './lib/main.js' } } },
  );
  await project.addPackage('gateway-plugin-named', { 'index.js': fixturePlugin({ name: 'named', exportAs: 'named' }) });
  await project.addPackage('gateway-plugin-v2', { 'index.js': fixturePlugin({ name: 'v2', apiVersion: 2 }) });
  await project.addPackage('gateway-plugin-meili', { 'index.js': fixturePlugin({ name: 'meilisearch' }) });
  await project.addPackage('gateway-plugin-good-again', { 'index.js': fixturePlugin({ name: 'good' }) });
  await project.addPackage('gateway-plugin-plainconfig', { 'index.js': fixturePlugin({ name: 'plainconfig', config: "{ url: 'string' }" }) });
  await project.addPackage('gateway-plugin-loose', { 'index.js': fixturePlugin({ name: 'loose', config: 'z.object({ url: z.string() })' }) });
  await project.addPackage('gateway-plugin-caps', { 'index.js': fixturePlugin({ name: 'caps', capabilities: ['logicalBackup', 'teleport', 'importBackup'] }) });
  await project.addPackage('gateway-plugin-halfdone', { 'index.js': fixturePlugin({ name: 'halfdone', capabilities: ['logicalBackup', 'logicalRestore'] }) });
  await project.addPackage('gateway-plugin-badname', { 'index.js': fixturePlugin({ name: 'Bad Name' }) });
  await project.addPackage('gateway-plugin-throws', { 'index.js': "throw new Error('no licence key');\n" });
  await project.addPackage('gateway-plugin-cjs-only', { 'index.cjs': 'module.exports = {};\n' }, { exports: { require: './index.cjs' } });
});

afterAll(async () => {
  await project.cleanup();
});

/** The message createGateway stops with, for a gateway whose GATEWAY_PLUGINS names these packages. */
async function startFailure(packages: string): Promise<GatewayError> {
  const dataDir = path.join(project.dir, 'data', packages.replace(/[^a-z0-9]+/gi, '_'));
  const config = loadConfig({ GATEWAY_DATA_DIR: dataDir, GATEWAY_PLUGINS: packages, GATEWAY_LOG_LEVEL: 'silent' });
  let error: unknown;
  try {
    await createGateway({ config, pluginsFrom: project.dir, runJobs: false });
  } catch (caught) {
    error = caught;
  }
  expect(error, 'the gateway started').toBeInstanceOf(GatewayError);
  expect((error as GatewayError).code).toBe('invalid_configuration');
  // Refused before anything else: no database was opened, no data directory written.
  expect(existsSync(path.join(dataDir, 'db'))).toBe(false);
  return error as GatewayError;
}

describe('a broken plugin package stops the start with a message naming the package and the fault', () => {
  it.each([
    ['missing export', 'gateway-plugin-named', /"gateway-plugin-named" cannot be used: missing export — .*has no default export \(it exports: plugin\)/],
    ['wrong apiVersion', 'gateway-plugin-v2', /"gateway-plugin-v2" cannot be used: wrong api version — apiVersion 2 is not supported: this gateway speaks plugin API version 1/],
    [
      'duplicate name (a built-in)',
      'gateway-plugin-meili',
      /"gateway-plugin-meili" cannot be used: duplicate name — plugin name "meilisearch" is already taken by the built-in plugin Meilisearch/,
    ],
    [
      'duplicate name (another package)',
      'gateway-plugin-good,gateway-plugin-good-again',
      /"gateway-plugin-good-again" cannot be used: duplicate name — plugin name "good" is already taken by plugin package "gateway-plugin-good"/,
    ],
    [
      'invalid config schema (not zod)',
      'gateway-plugin-plainconfig',
      /"gateway-plugin-plainconfig" cannot be used: invalid config schema — config is an object, not a zod object schema/,
    ],
    ['invalid config schema (not strict)', 'gateway-plugin-loose', /"gateway-plugin-loose" cannot be used: invalid config schema — config must reject unknown keys/],
    ['invalid name', 'gateway-plugin-badname', /"gateway-plugin-badname" cannot be used: invalid name — name "Bad Name" is not a plugin name/],
    ['not installed', '@acme/gateway-plugin-absent', /"@acme\/gateway-plugin-absent" cannot be used: not installed — no node_modules\/@acme\/gateway-plugin-absent in /],
    ['an import that throws', 'gateway-plugin-throws', /"gateway-plugin-throws" cannot be used: load failed — importing .*index\.js failed: no licence key/],
    ['no entry for import', 'gateway-plugin-cjs-only', /"gateway-plugin-cjs-only" cannot be used: missing export — .*"exports" has no "\." entry for import/],
  ])('%s', async (_fault, packages, message) => {
    const error = await startFailure(packages);
    expect(error.message).toMatch(/^GATEWAY_PLUGINS: plugin package "/);
    expect(error.message).toMatch(message);
  });

  it('unknown capabilities and capabilities without their members', async () => {
    const { message } = await startFailure('gateway-plugin-caps');
    expect(message).toContain('unknown capability — unknown capabilities "teleport"');
    expect(message).toContain('capability not implemented — declares capability importBackup but has no inspectBackupFile() function');
  });

  it('lists every bad package at once, with its details', async () => {
    const error = await startFailure('gateway-plugin-good,gateway-plugin-named,gateway-plugin-v2');
    expect(error.message).toMatch(
      /^GATEWAY_PLUGINS: 2 plugin packages cannot be used:\n {2}- "gateway-plugin-named": missing export — .*\n {2}- "gateway-plugin-v2": wrong api version — /,
    );
    expect(error.details).toMatchObject({
      variable: 'GATEWAY_PLUGINS',
      resolvedFrom: project.dir,
      packages: [
        { package: 'gateway-plugin-named', faults: [{ fault: 'missing_export' }] },
        { package: 'gateway-plugin-v2', faults: [{ fault: 'wrong_api_version' }] },
      ],
    });
  });

  it('refuses names that are not npm package names, and a package listed twice, when reading the environment', () => {
    for (const [value, problem] of [
      ['../plugins/evil', '"../plugins/evil" is not an npm package name'],
      ['/abs/path', '"/abs/path" is not an npm package name'],
      ['Gateway-Plugin-X', '"Gateway-Plugin-X" is not an npm package name'],
      ['gateway-plugin-x, gateway-plugin-x', '"gateway-plugin-x" listed more than once'],
    ] as const) {
      expect(() => loadConfig({ GATEWAY_PLUGINS: value }), value).toThrowError(
        expect.objectContaining({ code: 'invalid_configuration', message: expect.stringContaining(`GATEWAY_PLUGINS: ${problem}`) }),
      );
    }
    expect(loadConfig({ GATEWAY_PLUGINS: ' gateway-plugin-a , @acme/gateway-plugin-b ,' }).pluginPackages).toEqual(['gateway-plugin-a', '@acme/gateway-plugin-b']);
    expect(loadConfig({}).pluginPackages).toEqual([]);
  });
});

describe('a good plugin package', () => {
  it('loads by its ESM entry (conditional exports too), logs where from, and checks the instance create() returns', async () => {
    const logged: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger = { debug() {}, info: (message: string, fields?: Record<string, unknown>) => logged.push({ message, ...(fields ? { fields } : {}) }), warn() {}, error() {} };
    const loaded = await loadExternalPlugins(['gateway-plugin-good', '@acme/gateway-plugin-scoped', 'gateway-plugin-halfdone'], {
      registered: builtInPlugins,
      fromDir: project.dir,
      logger,
    });
    expect(loaded.map((plugin) => plugin.name)).toEqual(['good', 'scoped', 'halfdone']);
    expect(logged.map((line) => line.fields?.['package'])).toEqual(['gateway-plugin-good', '@acme/gateway-plugin-scoped', 'gateway-plugin-halfdone']);
    expect(logged[1]!.fields!['entry']).toBe(path.join(project.dir, 'node_modules', '@acme', 'gateway-plugin-scoped', 'lib', 'main.js'));

    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const good = loaded[0]!.create({ url: 'http://127.0.0.1:1' }, { logger: silent });
    expect((await good.health(AbortSignal.timeout(1000))).ok).toBe(true);
    // Declares logicalRestore, returns no logicalRestore(): known only once there is a config, refused then.
    expect(() => loaded[2]!.create({ url: 'http://127.0.0.1:1' }, { logger: silent })).toThrowError(
      /plugin package "gateway-plugin-halfdone" \(halfdone\): declares capability logicalRestore but the instance has no logicalRestore\(\) method/,
    );
  });

  it('is listed by `plugins` next to the built-in ones, with the same fields', async () => {
    const database = await createTestDatabase('pglite');
    const config = loadConfig({ GATEWAY_DATA_DIR: database.dataDir, GATEWAY_PLUGINS: 'gateway-plugin-good', GATEWAY_LOG_LEVEL: 'silent' });
    const gateway = await createGateway({ config, database, pluginsFrom: project.dir, runJobs: false });
    try {
      const response = await createGatewayYoga(gateway).fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ plugins { name displayName version apiVersion capabilities secretKeys configSchema } }' }),
      });
      const { data } = (await response.json()) as { data: { plugins: Record<string, any>[] } };
      expect(data.plugins.map((plugin) => plugin['name'])).toEqual([...builtInPlugins.map((plugin) => plugin.name), 'good']);
      expect(data.plugins.at(-1)).toEqual({
        name: 'good',
        displayName: 'Fixture good',
        version: '1.2.3',
        apiVersion: 1,
        capabilities: ['logicalBackup'],
        secretKeys: ['token'],
        configSchema: expect.objectContaining({ type: 'object', required: ['url'], additionalProperties: false }),
      });
    } finally {
      await gateway.close();
      await database.close();
    }
  });
});
