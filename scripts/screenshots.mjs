// npm run screenshots: runs the dashboard's Chromium console test (test/dashboard/console.test.ts), which writes a
// screenshot of every view to test-output/, then copies the three the README embeds to docs/screenshots/.
// Needs Debian Chromium at /usr/bin/chromium (the test skips without it, and then this script fails).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = ['console-overview', 'console-catalog', 'console-restore'];
const started = Date.now();

const run = spawnSync('npx', ['vitest', 'run', 'test/dashboard/console.test.ts', '--maxWorkers=1'], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

const target = path.join(root, 'docs', 'screenshots');
mkdirSync(target, { recursive: true });
for (const name of SHOTS) {
  const file = path.join(root, 'test-output', `${name}.png`);
  // Only a screenshot this run wrote: a skipped test leaves old files behind.
  if (!existsSync(file) || statSync(file).mtimeMs < started) {
    console.error(`screenshots: ${file} was not written by this run (is Chromium installed?)`);
    process.exit(1);
  }
  copyFileSync(file, path.join(target, `${name}.png`));
  console.log(`screenshots: docs/screenshots/${name}.png`);
}
