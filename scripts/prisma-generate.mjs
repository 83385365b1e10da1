// prepare (`npm ci` / `npm install` in the repository): `prisma generate` without the network, so a fresh clone's
// `npm ci` yields src/db/generated.
// The Prisma CLI insists on a native schema-engine binary it would download; generate never runs it,
// it only checks the path exists, so we point it at a stub (unless the user provides a real one).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stub = fileURLToPath(new URL('./schema-engine-offline.sh', import.meta.url));
// An installed package (the packed tarball: no TypeScript sources) runs the client compiled into dist/. npm may
// still install the Prisma CLI there, as an optional peer of @prisma/client; it must not generate anything.
if (!existsSync(path.join(root, 'src', 'main.ts'))) {
  console.log('backup-gateway: installed package; using the Prisma client compiled into dist/');
  process.exit(0);
}
const require = createRequire(import.meta.url);
let prismaCli;
try {
  prismaCli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
} catch {
  // A production install (`npm ci --omit=dev` of the packed package): the Prisma CLI is a devDependency, and the
  // client compiled into dist/ is the one the gateway runs.
  console.log('backup-gateway: Prisma CLI not installed (production install); using the client compiled into dist/');
  process.exit(0);
}

const result = spawnSync(process.execPath, [prismaCli, 'generate'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || stub,
    // No update check / telemetry request: the machine is offline and it would only add a timeout.
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
if (result.error) {
  console.error(`prisma generate could not start: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
