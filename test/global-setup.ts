// Once per test run, before any test: dist/ is compiled when a source is newer than the last build, because
// the `backup-gateway` bin, the plugin-template and the packed-tarball tests run the compiled gateway.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('`node scripts/build.mjs --if-stale` failed: dist/ could not be compiled');
}
