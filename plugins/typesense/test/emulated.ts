// Test support: the plugin against a fresh in-process emulator, with a snapshot directory the emulated
// server writes to and the gateway reads from (one machine, so one directory).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { startTypesenseEmulator, type TypesenseEmulator, type TypesenseEmulatorOptions } from '../../../test/emulators/typesense/server.ts';
import { createTestJob } from '../../../test/contract/harness.ts';
import { GatewayError } from '../../../src/errors.ts';
import type { EngineInstance } from '../../../src/engines/contract.ts';
import { typesensePlugin, type TypesenseConfig } from '../index.ts';
import { typesenseTestEngine, type TypesenseTestEngine } from './engine.ts';

export const API_KEY = 'contract-admin-key';
const SLOW = { exportDelayMs: 40, importDelayMs: 40 };
const FAST = { exportDelayMs: 0, importDelayMs: 0 };

export type EmulatedEngine = TypesenseTestEngine & { emulator: TypesenseEmulator; snapshots: string };

export async function startEngine(options: TypesenseEmulatorOptions = {}, config: Partial<TypesenseConfig> = {}): Promise<EmulatedEngine> {
  const emulator = await startTypesenseEmulator({ apiKey: API_KEY, ...options });
  const snapshots = await mkdtemp(path.join(tmpdir(), 'typesense-snapshots-'));
  const engine = typesenseTestEngine({
    url: emulator.url,
    apiKey: API_KEY,
    // Small batches so a few hundred documents already take several requests.
    config: { url: emulator.url, apiKey: API_KEY, batchSize: 100, snapshotPath: snapshots, snapshotDir: snapshots, ...config },
    setSlow: (on) => emulator.setOptions(on ? SLOW : FAST),
    stop: async () => {
      await emulator.close();
      await rm(snapshots, { recursive: true, force: true });
    },
  });
  return Object.assign(engine, { emulator, snapshots });
}

export function pluginFor(config: unknown): EngineInstance {
  return typesensePlugin.create(typesensePlugin.config.parse(config), { logger: createTestJob().ctx.logger });
}

export async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}
