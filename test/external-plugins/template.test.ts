// Acceptance, as a user does it: examples/plugin-template is built with tsc, packed and `npm install`ed (offline)
// into a project directory, the compiled gateway (dist/, plain node) is started there as a child process with GATEWAY_PLUGINS naming the
// package, `plugins` lists it like the built-in ones, and a backup and a restore run through GraphQL against
// the template's TinyKV server. Broken packages stop that same gateway with a message naming package and fault.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTinyKv, type TinyKvServer } from '../../examples/plugin-template/test/tinykv-server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';
import { createTempProject, fixturePlugin, GATEWAY_COMMAND, installTemplate, type TempProject } from './project.ts';

const MASTER_KEY = 'template-e2e-master-key-0123';
const TOKEN = 'tinykv-e2e-token';

describe('the plugin template, installed as a package next to the gateway', () => {
  let project: TempProject;
  let tinykv: TinyKvServer;
  let gateway: ChildGateway;

  const kv = async (method: string, route: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${tinykv.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status >= 300) throw new Error(`${method} ${route} → ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  const items = async (bucket: string): Promise<unknown> => (await kv('GET', `/v1/buckets/${bucket}/items?limit=10000`)).items;

  async function gql(query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> {
    const answer = await gateway.gql(query, variables);
    expect(answer['errors'], JSON.stringify(answer['errors'])).toBeUndefined();
    return answer['data'];
  }

  async function finished(jobId: string): Promise<Record<string, any>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { job } = await gql(
        'query($id: ID!) { job(id: $id) { id status progress { phase completed total unit } error { code message } backup { id status documentCount } } }',
        { id: jobId },
      );
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    project = await createTempProject();
    await installTemplate(project);
    tinykv = await startTinyKv({ token: TOKEN });
    await kv('PUT', '/v1/buckets/sessions', { settings: { description: 'web sessions', ttlSeconds: 3600 } });
    await kv('POST', '/v1/buckets/sessions/items', {
      items: Array.from({ length: 1200 }, (_, i) => ({ key: `s${String(i).padStart(5, '0')}`, value: { user: i % 17, cart: [i, `item-${i}`] } })),
    });
    await kv('PUT', '/v1/buckets/flags', {});
    await kv('POST', '/v1/buckets/flags/items', {
      items: [
        { key: 'dark-mode', value: true },
        { key: 'beta', value: { rollout: 0.25 } },
      ],
    });
    gateway = await spawnGateway(
      { GATEWAY_DATA_DIR: path.join(project.dir, 'data'), GATEWAY_MASTER_KEY: MASTER_KEY, GATEWAY_PLUGINS: 'gateway-plugin-template' },
      GATEWAY_COMMAND,
      { cwd: project.dir },
    );
  });

  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await tinykv?.close();
    await project?.cleanup();
  });

  it('installed only what the package publishes, and no copy of the gateway', () => {
    const installed = path.join(project.dir, 'node_modules', 'gateway-plugin-template');
    // Compiled JavaScript and declarations only: the gateway runs plain node, without tsx.
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'package.json']);
    expect(readdirSync(path.join(installed, 'dist')).sort()).toEqual(['backup', 'client', 'index', 'restore'].flatMap((name) => [`${name}.d.ts`, `${name}.js`]));
    expect(GATEWAY_COMMAND).toEqual([process.execPath, expect.stringMatching(/dist\/src\/main\.js$/)]);
    // `backup-gateway/plugin` is answered by the gateway that loads the plugin (one GatewayError, one zod).
    expect(existsSync(path.join(project.dir, 'node_modules', 'backup-gateway'))).toBe(false);
    expect(gateway.output()).toMatch(/"msg":"external plugin loaded","package":"gateway-plugin-template","plugin":"tinykv","version":"0.1.0"/);
  });

  it('lists the plugin in `plugins`, alike the built-in ones', async () => {
    const { plugins } = await gql('{ plugins { name displayName version apiVersion capabilities secretKeys configSchema } }');
    expect(plugins.map((plugin: { name: string }) => plugin.name)).toEqual(['meilisearch', 'typesense', 'milvus', 'magnetodb', 'tinykv']);
    const tinykvPlugin = plugins.at(-1);
    expect(tinykvPlugin).toEqual({
      name: 'tinykv',
      displayName: 'TinyKV (plugin template)',
      version: '0.1.0',
      apiVersion: 1,
      capabilities: ['logicalBackup', 'logicalRestore'],
      secretKeys: ['token'],
      configSchema: expect.objectContaining({ type: 'object', additionalProperties: false, required: ['url'] }),
    });
    expect(Object.keys(tinykvPlugin.configSchema.properties).sort()).toEqual(['batchSize', 'pageSize', 'timeoutMs', 'token', 'url']);
    expect(Object.keys(tinykvPlugin).sort()).toEqual(Object.keys(plugins[0]).sort());
  });

  it('backs up and restores through GraphQL, and the restore is exact', async () => {
    const { registerEngine } = await gql(
      'mutation($input: RegisterEngineInput!) { registerEngine(input: $input) { id plugin config health { ok version } collections { name documentCount } } }',
      { input: { name: 'kv', plugin: 'tinykv', config: { url: tinykv.url, token: TOKEN, pageSize: 100, batchSize: 200 } } },
    );
    expect(registerEngine.health).toEqual({ ok: true, version: '1.4.2' });
    expect(registerEngine.config.token).toBe('[redacted]');
    expect(registerEngine.collections).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'sessions', documentCount: 1200 }), expect.objectContaining({ name: 'flags', documentCount: 2 })]),
    );
    const before = { sessions: await items('sessions'), flags: await items('flags'), settings: (await kv('GET', '/v1/buckets/sessions')).settings };

    const { startBackup } = await gql('mutation($engineId: ID!) { startBackup(input: {engineId: $engineId}) { id } }', { engineId: registerEngine.id });
    const backupJob = await finished(startBackup.id);
    expect(backupJob.error).toBeNull();
    expect(backupJob.status).toBe('SUCCEEDED');
    expect(backupJob.backup).toMatchObject({ status: 'COMPLETE', documentCount: 1202 });
    const { backup } = await gql('query($id: ID!) { backup(id: $id) { plugin engineVersion collections { name documentCount } artifacts { path bytes sha256 } } }', {
      id: backupJob.backup.id,
    });
    expect(backup.plugin).toBe('tinykv');
    expect(backup.engineVersion).toBe('1.4.2');
    expect(backup.collections).toEqual(
      expect.arrayContaining([
        { name: 'sessions', documentCount: 1200 },
        { name: 'flags', documentCount: 2 },
      ]),
    );
    expect(backup.artifacts.map((artifact: { path: string }) => artifact.path)).toEqual(
      expect.arrayContaining(['collections/sessions/schema.json', 'collections/sessions/documents-00001.jsonl.gz']),
    );

    // Lose the data, then restore it: one bucket in place, one under a new name.
    await kv('DELETE', '/v1/buckets/sessions');
    await kv('POST', '/v1/buckets/flags/items', { items: [{ key: 'dark-mode', value: false }] });
    const { startRestore } = await gql(
      'mutation($backupId: ID!) { startRestore(input: {backupId: $backupId, collections: ["sessions", "flags"], rename: [{from: "flags", to: "flags_restored"}]}) { id } }',
      { backupId: backupJob.backup.id },
    );
    const restoreJob = await finished(startRestore.id);
    expect(restoreJob.error).toBeNull();
    expect(restoreJob.status).toBe('SUCCEEDED');
    expect(restoreJob.progress).toMatchObject({ completed: 1202, total: 1202, unit: 'items' });

    expect(await items('sessions')).toEqual(before.sessions);
    expect((await kv('GET', '/v1/buckets/sessions')).settings).toEqual(before.settings);
    expect(await items('flags_restored')).toEqual(before.flags);
    expect((await kv('GET', '/v1/buckets')).buckets.map((bucket: { name: string }) => bucket.name).sort()).toEqual(['flags', 'flags_restored', 'sessions']);
  });
});

describe('a broken plugin package stops the real gateway', () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await createTempProject();
    await project.linkDependency('zod');
    await project.addPackage('gateway-plugin-noexport', { 'index.js': fixturePlugin({ name: 'noexport', exportAs: 'named' }) });
    await project.addPackage('gateway-plugin-v9', { 'index.js': fixturePlugin({ name: 'v9', apiVersion: 9 }) });
    await project.addPackage('gateway-plugin-typesense', { 'index.js': fixturePlugin({ name: 'typesense' }) });
    await project.addPackage('gateway-plugin-rawconfig', { 'index.js': fixturePlugin({ name: 'rawconfig', config: '{ url: String }' }) });
  });

  afterAll(async () => {
    await project?.cleanup();
  });

  async function refusedStart(packages: string): Promise<string> {
    const dataDir = path.join(project.dir, 'data');
    const error = await spawnGateway({ GATEWAY_DATA_DIR: dataDir, GATEWAY_PLUGINS: packages }, GATEWAY_COMMAND, { cwd: project.dir }).then(
      () => {
        throw new Error('the gateway started');
      },
      (caught: Error) => caught,
    );
    expect(error.message).toMatch(/^gateway exited with 1 before listening/);
    expect(existsSync(path.join(dataDir, 'db')), 'the database was opened').toBe(false);
    return error.message;
  }

  it('exits 1 before opening the database, naming each package and its fault: missing export, wrong apiVersion, duplicate name, invalid config schema', async () => {
    const output = await refusedStart('gateway-plugin-noexport,gateway-plugin-v9,gateway-plugin-typesense,gateway-plugin-rawconfig');
    expect(output).toContain('backup-gateway failed to start: invalid_configuration: GATEWAY_PLUGINS: 4 plugin packages cannot be used:');
    expect(output).toMatch(
      /- "gateway-plugin-noexport": missing export — its entry .*index\.js has no default export \(it exports: plugin\); the entry must `export default` the plugin object/,
    );
    expect(output).toContain('- "gateway-plugin-v9": wrong api version — apiVersion 9 is not supported: this gateway speaks plugin API version 1');
    expect(output).toContain('- "gateway-plugin-typesense": duplicate name — plugin name "typesense" is already taken by the built-in plugin Typesense');
    expect(output).toContain('- "gateway-plugin-rawconfig": invalid config schema — config is an object, not a zod object schema');
  });
});
