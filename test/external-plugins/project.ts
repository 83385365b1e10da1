// Test support: a temporary "gateway project" directory — where the gateway runs and plugin packages are
// installed — with helpers to add hand-written plugin packages and to pack + install the plugin template.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/child-gateway.ts';

const run = promisify(execFile);

export const TEMPLATE_DIR = path.join(REPO_ROOT, 'examples', 'plugin-template');

/** The gateway as `npm start` runs it — the compiled build, plain node, no tsx — but from the project's folder. */
export const GATEWAY_COMMAND = [process.execPath, path.join(REPO_ROOT, 'dist', 'src', 'main.js')];

export interface TempProject {
  dir: string;
  /** Writes node_modules/<name>/ with a package.json (`manifest` merged in) and the given files. */
  addPackage(name: string, files: Record<string, string>, manifest?: Record<string, unknown>): Promise<void>;
  /** Makes a package of the gateway's own node_modules resolvable here (hand-written fixtures import zod). */
  linkDependency(name: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createTempProject(): Promise<TempProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-plugins-'));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'gateway-site', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const modules = path.join(dir, 'node_modules');
  return {
    dir,
    async addPackage(name, files, manifest = {}) {
      const packageDir = path.join(modules, ...name.split('/'));
      await mkdir(packageDir, { recursive: true });
      await writeFile(path.join(packageDir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', exports: './index.js', ...manifest }, null, 2));
      for (const [file, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(packageDir, file)), { recursive: true });
        await writeFile(path.join(packageDir, file), content);
      }
    },
    async linkDependency(name) {
      await mkdir(modules, { recursive: true });
      await symlink(path.join(REPO_ROOT, 'node_modules', name), path.join(modules, name), 'dir');
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_offline: 'true' };

/**
 * As the template's author publishes it: a copy of examples/plugin-template with the gateway and its tools linked
 * into node_modules (as `npm install` there would), built with tsc (`npm run build`) and packed; then
 * `npm install <tarball>` in the project, offline. Returns the tarball's file name.
 */
export async function installTemplate(project: TempProject): Promise<string> {
  const author = await mkdtemp(path.join(os.tmpdir(), 'gw-template-build-'));
  try {
    const copy = path.join(author, 'gateway-plugin-template');
    await cp(TEMPLATE_DIR, copy, { recursive: true, filter: (source) => !['node_modules', 'dist'].includes(path.basename(source)) });
    await mkdir(path.join(copy, 'node_modules', '@types'), { recursive: true });
    await symlink(REPO_ROOT, path.join(copy, 'node_modules', 'backup-gateway'), 'dir');
    for (const tool of ['typescript', 'vitest', path.join('@types', 'node')]) {
      await symlink(path.join(REPO_ROOT, 'node_modules', tool), path.join(copy, 'node_modules', tool), 'dir');
    }
    // `npm run build`, with the linked TypeScript.
    await run(process.execPath, [path.join(copy, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: copy });
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', project.dir, '--silent'], { cwd: copy, env: NPM_ENV });
  } finally {
    await rm(author, { recursive: true, force: true });
  }
  const tarball = (await readdir(project.dir)).find((file) => file.startsWith('gateway-plugin-template-') && file.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no gateway-plugin-template tarball');
  await run('npm', ['install', '--ignore-scripts', '--no-package-lock', `./${tarball}`], { cwd: project.dir, env: NPM_ENV });
  return tarball;
}

export interface FixturePluginOptions {
  name?: string;
  apiVersion?: number;
  /** JS expression for `config` (zod is imported as `z`). */
  config?: string;
  secretKeys?: string[];
  capabilities?: string[];
  /** JS expression for the instance create() returns. */
  instance?: string;
  /** How the plugin leaves the module: `export default` (right) or only a named export (a fault). */
  exportAs?: 'default' | 'named';
}

const WORKING_INSTANCE =
  "{ health: async () => ({ ok: true, version: '1.0.0', message: null }), listCollections: async () => [], logicalBackup: async () => ({ engineVersion: '1.0.0', warnings: [] }) }";

/** An ESM module with a hand-written plugin object; every option bends one contract member. */
export function fixturePlugin(options: FixturePluginOptions = {}): string {
  const name = options.name ?? 'fixture';
  return `import { z } from 'zod';
const plugin = {
  name: ${JSON.stringify(name)},
  apiVersion: ${options.apiVersion ?? 1},
  displayName: ${JSON.stringify(`Fixture ${name}`)},
  version: '1.2.3',
  config: ${options.config ?? 'z.strictObject({ url: z.string(), token: z.string().optional() })'},
  secretKeys: ${JSON.stringify(options.secretKeys ?? (options.config === undefined ? ['token'] : []))},
  capabilities: ${JSON.stringify(options.capabilities ?? ['logicalBackup'])},
  create() { return ${options.instance ?? WORKING_INSTANCE}; },
};
${options.exportAs === 'named' ? 'export { plugin };' : 'export default plugin;'}
`;
}
