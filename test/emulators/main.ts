// `npm run emulators`: starts every engine emulator in this process and stops them on SIGINT/SIGTERM.
// Each engine is one entry of EMULATORS: its name, the env var for its port, its default port and a
// start function (later engines add one entry each).

import { startMagnetoDbEmulator } from './magnetodb/server.ts';
import { startMeilisearchEmulator } from './meilisearch/server.ts';
import { parseGeneration, startMilvusBackupEmulator } from './milvus-backup/server.ts';
import { startTypesenseEmulator } from './typesense/server.ts';

interface RunningEmulator {
  url: string;
  close(): Promise<void>;
}

interface EmulatorEntry {
  name: string;
  portEnv: string;
  defaultPort: number;
  start(port: number): Promise<RunningEmulator>;
}

const EMULATORS: readonly EmulatorEntry[] = [
  {
    name: 'meilisearch',
    portEnv: 'MEILISEARCH_PORT',
    defaultPort: 7700,
    // like Meilisearch itself: no MEILI_MASTER_KEY means an open instance; MEILISEARCH_VERSION picks the version (versions.ts)
    start: (port) =>
      startMeilisearchEmulator({
        port,
        masterKey: process.env.MEILI_MASTER_KEY || undefined,
        dumpsDir: process.env.MEILI_DUMP_DIR || undefined,
        upgradeFrom: process.env.MEILISEARCH_UPGRADE_FROM || undefined,
      }),
  },
  {
    name: 'typesense',
    portEnv: 'TYPESENSE_PORT',
    defaultPort: 8108,
    // like Typesense: an admin key is always required (--api-key); TYPESENSE_API_KEY, default xyz; TYPESENSE_VERSION 27–30, default 29.0
    start: (port) => startTypesenseEmulator({ port, apiKey: process.env.TYPESENSE_API_KEY || 'xyz', version: process.env.TYPESENSE_VERSION || undefined }),
  },
  {
    name: 'magnetodb',
    portEnv: 'MAGNETODB_PORT',
    defaultPort: 8480,
    // one accepted X-Auth-Token (standing in for Keystone), any project id
    start: (port) => startMagnetoDbEmulator({ port, token: process.env.MAGNETODB_TOKEN || undefined }),
  },
  {
    name: 'milvus-backup',
    portEnv: 'MILVUS_BACKUP_PORT',
    defaultPort: 8080,
    // MILVUS_BACKUP_VERSION=0.5.9 | 0.5.16 | 0.6.x picks the generation (MILVUS_BACKUP_GENERATION=v0.5.9 still works),
    // MILVUS_VERSION the emulated Milvus; 8080 taken (a real milvus-backup?) → any free port
    start: (port) => {
      const options = {
        generation: parseGeneration(process.env.MILVUS_BACKUP_VERSION ?? process.env.MILVUS_BACKUP_GENERATION) ?? ('v0.5.16' as const),
        ...(process.env.MILVUS_VERSION ? { milvusVersion: process.env.MILVUS_VERSION } : {}),
        stepDelayMs: Number(process.env.MILVUS_BACKUP_STEP_MS || 200),
      };
      return startMilvusBackupEmulator({ ...options, port }).catch((error: NodeJS.ErrnoException) =>
        error.code === 'EADDRINUSE' && !process.env.MILVUS_BACKUP_PORT ? startMilvusBackupEmulator({ ...options, port: 0 }) : Promise.reject(error),
      );
    },
  },
];

/** EMULATORS_ONLY=meilisearch,typesense starts just those. */
function selected(): readonly EmulatorEntry[] {
  const only = process.env.EMULATORS_ONLY?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!only || only.length === 0) return EMULATORS;
  const unknown = only.filter((name) => !EMULATORS.some((entry) => entry.name === name));
  if (unknown.length > 0) throw new Error(`EMULATORS_ONLY: unknown emulator(s) ${unknown.join(', ')}; known: ${EMULATORS.map((e) => e.name).join(', ')}`);
  return EMULATORS.filter((entry) => only.includes(entry.name));
}

function portFrom(entry: EmulatorEntry): number {
  const raw = process.env[entry.portEnv];
  if (raw === undefined || raw === '') return entry.defaultPort;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${entry.portEnv} must be a port number (0-65535), got "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  const running: RunningEmulator[] = [];
  const stop = async (signal: string): Promise<void> => {
    console.log(`${signal} received, stopping emulators`);
    await Promise.allSettled(running.map((e) => e.close()));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  for (const entry of selected()) {
    const emulator = await entry.start(portFrom(entry));
    running.push(emulator);
    console.log(`${entry.name} emulator listening on ${emulator.url}`);
  }
}

main().catch((error: unknown) => {
  console.error('emulators failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
