// `npm run emulators`: starts every engine emulator in this process and stops them on SIGINT/SIGTERM.
// Each engine is one entry of EMULATORS: its name, the env var for its port, its default port and a
// start function (later engines add one entry each).

import { startMeilisearchEmulator } from './meilisearch/server.ts';

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
    // like Meilisearch itself: no MEILI_MASTER_KEY means an open instance
    start: (port) => startMeilisearchEmulator({ port, masterKey: process.env.MEILI_MASTER_KEY || undefined }),
  },
];

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

  for (const entry of EMULATORS) {
    const emulator = await entry.start(portFrom(entry));
    running.push(emulator);
    console.log(`${entry.name} emulator listening on ${emulator.url}`);
  }
}

main().catch((error: unknown) => {
  console.error('emulators failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
