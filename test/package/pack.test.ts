// What the container image does, without Docker: `npm pack` of the gateway, the tarball unpacked into an empty
// temp folder with the lock file, `npm ci --omit=dev` there (no tsx, no TypeScript, no Prisma CLI), then the
// documented start command `npm start` — plain node on the compiled dist/. It must answer /readyz and /health and run a backup
// of a Meilisearch (emulator) through GraphQL. Slow (a real install), so it is one file.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { REPO_ROOT, spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';

const run = promisify(execFile);
const MASTER_KEY = 'packed-gateway-master-key-0123';
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_prefer_offline: 'true' };

describe('the packed gateway, installed with --omit=dev and started with npm start', () => {
  let tmp: string;
  let app: string;
  let files: string[];
  let emulator: MeilisearchEmulator;
  let gateway: ChildGateway | undefined;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gw-pack-'));
    // dist/ is fresh (test/global-setup.ts); --ignore-scripts: no second build while other tests use dist/.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: REPO_ROOT, env: NPM_ENV, maxBuffer: 64 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((file) => file.path);
    app = path.join(tmp, 'package');
    await run('tar', ['-xzf', path.join(tmp, packed!.filename), '-C', tmp]);
    // As the image's last stage: package.json + lock, production dependencies only.
    await copyFile(path.join(REPO_ROOT, 'package-lock.json'), path.join(app, 'package-lock.json'));
    await run('npm', ['ci', '--omit=dev'], { cwd: app, env: NPM_ENV, maxBuffer: 64 * 1024 * 1024 });

    emulator = await startMeilisearchEmulator();
    const client = new Meilisearch({ host: emulator.url });
    await client.createIndex('movies', { primaryKey: 'id' }).waitTask();
    await client
      .index('movies')
      .addDocuments(Array.from({ length: 300 }, (_, i) => ({ id: i, title: `Movie ${i}` })))
      .waitTask();
  }, 600_000);

  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await emulator?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('packs the compiled gateway, the plugin kit with declarations, migrations and the dashboard — no TypeScript sources, no tests', () => {
    for (const file of [
      'dist/src/main.js',
      'dist/src/cli/main.js',
      'dist/src/plugin.js',
      'dist/src/plugin.d.ts',
      'dist/src/testing/index.js',
      'dist/src/testing/index.d.ts',
      'dist/src/db/generated/client.js',
      'dist/plugins/index.js',
      'bin/backup-gateway.js',
      'src/dashboard/static/index.html',
      'prisma/schema.prisma',
      'LICENSE',
      'README.md',
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.some((file) => file.startsWith('prisma/migrations/') && file.endsWith('/migration.sql'))).toBe(true);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.startsWith('test/') || file.startsWith('examples/') || file.includes('.tsbuildinfo'))).toEqual([]);
  });

  // (npm still installs typescript and the prisma CLI: @prisma/client names them as optional peers. Nothing runs them:
  // the Prisma client is compiled into dist/, and no .ts file is generated or compiled on install or start.)
  it('installs without devDependencies: no tsx, no test tools; generates and compiles nothing', async () => {
    for (const tool of ['tsx', 'vitest', 'playwright-core', 's3rver']) expect(existsSync(path.join(app, 'node_modules', tool)), tool).toBe(false);
    expect(existsSync(path.join(app, 'src', 'db', 'generated'))).toBe(false);
    expect(existsSync(path.join(app, 'node_modules', '@prisma', 'client'))).toBe(true);
    const manifest = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8')) as { engines: { node: string }; exports: Record<string, unknown> };
    expect(manifest.engines.node).toBe('>=22.15');
    expect(manifest.exports['./plugin']).toMatchObject({ types: './dist/src/plugin.d.ts', default: './dist/src/plugin.js' });
    expect((await readdir(path.join(app, 'dist', 'src'))).includes('main.js')).toBe(true);
  });

  it('answers /readyz and /health after `npm start`, and a backup runs through GraphQL', async () => {
    gateway = await spawnGateway({ GATEWAY_DATA_DIR: path.join(tmp, 'data'), GATEWAY_MASTER_KEY: MASTER_KEY, NODE_OPTIONS: '' }, ['npm', 'start', '--silent'], { cwd: app });
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'available' });

    const registered = await gateway.gql('mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id health { ok } } }', {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url } },
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.registerEngine.health.ok).toBe(true);
    const started = await gateway.gql('mutation($id: ID!) { startBackup(input: {engineId: $id}) { id } }', { id: registered.data!.registerEngine.id });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.startBackup.id as string;
    let job: Record<string, any> = {};
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
      job = (await gateway.gql('query($id: ID!) { job(id: $id) { status error { code message } backup { status documentCount } } }', { id: jobId })).data!.job;
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) break;
    }
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ status: 'SUCCEEDED', backup: { status: 'COMPLETE', documentCount: 300 } });
    // The dashboard's files come from the package too.
    expect((await fetch(`${gateway.url}/`)).status).toBe(200);
  });
});
