// The static checks `npm test` runs before vitest — typecheck, ESLint, prettier and the incremental build —
// side by side instead of one after another (on CI's two cores they took ~115 s in a row). Each one's output is
// printed whole when it ends, so logs never interleave; the exit code is non-zero if any check failed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const checks = [
  { name: 'typecheck', command: 'npx', args: ['tsc', '--noEmit'] },
  { name: 'eslint', command: 'npx', args: ['eslint', '.'] },
  { name: 'prettier', command: 'npx', args: ['prettier', '--check', '--log-level', 'warn', '.'] },
  { name: 'build', command: process.execPath, args: ['scripts/build.mjs', '--if-stale'] },
];

function run({ name, command, args }) {
  const started = performance.now();
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ name, ok: false, output: `${output}${error.message}\n`, seconds: 0 }));
    child.once('close', (code) => resolve({ name, ok: code === 0, output, seconds: (performance.now() - started) / 1000 }));
  }).then((result) => {
    process.stdout.write(`${result.ok ? 'ok  ' : 'FAIL'} ${name} (${result.seconds.toFixed(1)} s)\n${result.output}`);
    return result;
  });
}

const results = await Promise.all(checks.map(run));
const failed = results.filter((result) => !result.ok).map((result) => result.name);
if (failed.length > 0) {
  process.stderr.write(`checks failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
