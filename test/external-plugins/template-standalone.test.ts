// The template's own test, run the way its author runs it: a copy of examples/plugin-template outside this
// repository, the gateway linked into its node_modules (as `npm install <path to the gateway>` does), its own
// vitest config, `backup-gateway/plugin` and `backup-gateway/testing` resolved through the gateway's
// package.json `exports` — no aliases. (The main run also runs that test file directly — vitest.config.ts
// includes examples/*/test — and the main typecheck covers the template through the same entries.)
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/child-gateway.ts';
import { TEMPLATE_DIR } from './project.ts';

const run = promisify(execFile);

describe('the plugin template on its own', () => {
  let dir: string;

  beforeAll(async () => {
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'gw-template-')), 'gateway-plugin-template');
    await cp(TEMPLATE_DIR, dir, { recursive: true, filter: (source) => !source.split(path.sep).includes('node_modules') });
    const modules = path.join(dir, 'node_modules');
    await mkdir(path.join(modules, '@types'), { recursive: true });
    await symlink(REPO_ROOT, path.join(modules, 'backup-gateway'), 'dir');
    // Its devDependencies, taken from the gateway's install instead of the registry.
    for (const dependency of ['vitest', path.join('@types', 'node')]) {
      await symlink(path.join(REPO_ROOT, 'node_modules', dependency), path.join(modules, dependency), 'dir');
    }
  });

  afterAll(async () => {
    if (dir) await rm(path.dirname(dir), { recursive: true, force: true });
  });

  it('passes its contract suite through the public kit', async () => {
    const vitest = path.join(dir, 'node_modules', 'vitest', 'vitest.mjs');
    const { stdout, stderr } = await run(process.execPath, [vitest, 'run'], {
      cwd: dir,
      // A fresh vitest, not a worker of this one: none of this run's VITEST_* variables.
      env: { ...withoutVitestVariables(process.env), CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', npm_config_update_notifier: 'false' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`the template's test failed:\n${error.stdout ?? ''}\n${error.stderr ?? error.message}`);
    });
    const output = `${stdout}\n${stderr}`;
    expect(output).toMatch(/Test Files\s+1 passed \(1\)/);
    expect(output).toMatch(/Tests\s+\d+ passed/);
  });
});

function withoutVitestVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_OPTIONS'));
}
