// `npm run build`: compiles the gateway, its plugins and the plugin kit to dist/ with tsc (tsconfig.build.json),
// from scratch. `--if-stale` (before `npm start`, `npm test`) compiles incrementally, and only when a source file
// is newer than the last build — or not at all where there is nothing to compile (an installed package ships
// dist/ and no TypeScript sources).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const buildInfo = path.join(dist, '.tsbuildinfo');
const ifStale = process.argv.includes('--if-stale');

/** Newest modification time of the inputs: TypeScript under src/ and plugins/, the tsconfigs, package.json. */
function newestSource() {
  let newest = 0;
  let sources = 0;
  const visit = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        sources++;
        newest = Math.max(newest, statSync(file).mtimeMs);
      }
    }
  };
  visit(path.join(root, 'src'));
  visit(path.join(root, 'plugins'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) {
    if (existsSync(path.join(root, file))) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
  }
  return { newest, sources };
}

const { newest, sources } = newestSource();
const fresh = () => existsSync(stamp) && statSync(stamp).mtimeMs >= newest;
if (ifStale) {
  if (sources === 0 || fresh()) process.exit(0);
  // Two test runs may start at once: one compiles, the other waits and then finds dist/ fresh.
  const lock = path.join(root, 'node_modules', '.cache', 'backup-gateway-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  process.on('exit', () => rmSync(lock, { recursive: true, force: true }));
  if (fresh()) process.exit(0);
  console.error('backup-gateway: compiling to dist/ (sources changed since the last build)…');
} else {
  rmSync(dist, { recursive: true, force: true });
}

let tsc;
try {
  tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  console.error('backup-gateway: TypeScript is not installed (a production install?); dist/ cannot be rebuilt here. Run `npm ci` first.');
  process.exit(1);
}
// The stamp carries the time the build started: a file saved during the build makes the next check compile again.
const startedAt = new Date();
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', buildInfo], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(dist, { recursive: true });
writeFileSync(stamp, `${startedAt.toISOString()}\n`);
utimesSync(stamp, startedAt, startedAt);
