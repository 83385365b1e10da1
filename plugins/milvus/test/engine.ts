// Test support: the milvus-backup emulator (and its emulated Milvus) as the contract suite's engine.
import { expect } from 'vitest';
import type { EngineInstance } from '../../../src/engines/contract.ts';
import { GatewayError } from '../../../src/errors.ts';
import type { CollectionDump, ContractEngine, SeedCollection } from '../../../test/contract/engine-plugin-contract.ts';
import { startMilvusBackupEmulator, type MilvusBackupEmulator, type MilvusBackupEmulatorOptions } from '../../../test/emulators/milvus-backup/server.ts';
import { createTestJob } from '../../../test/contract/harness.ts';
import { milvusPlugin } from '../index.ts';
import { displayName, parseNamespace } from '../names.ts';

export const FAST_STEP_MS = 2;
export const SLOW_STEP_MS = 40;

export interface MilvusTestEngine extends ContractEngine {
  emulator: MilvusBackupEmulator;
}

export async function startMilvusTestEngine(options: MilvusBackupEmulatorOptions = {}, config: Record<string, unknown> = {}): Promise<MilvusTestEngine> {
  const emulator = await startMilvusBackupEmulator({ stepDelayMs: FAST_STEP_MS, ...options });
  const milvus = emulator.milvus;
  return {
    emulator,
    config: { url: emulator.url, pollIntervalMs: 10, ...config },
    async seed(collections: SeedCollection[]) {
      for (const collection of collections) {
        const ns = parseNamespace(collection.name);
        milvus.create({ db: ns.db, name: ns.collection, documents: collection.documents });
      }
    },
    async dump(name: string): Promise<CollectionDump> {
      const ns = parseNamespace(name);
      const collection = milvus.get(ns.db, ns.collection);
      if (collection === undefined) throw new Error(`no collection ${name} in the emulated Milvus`);
      const documents = [...(collection.documents ?? [])].sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
      return {
        documents,
        settings: { fields: collection.schema.fields, enableDynamicField: collection.schema.enable_dynamic_field, rows: collection.rows, bytes: collection.bytes },
      };
    },
    async drop(name: string) {
      const ns = parseNamespace(name);
      milvus.drop(ns.db, ns.collection);
    },
    async list() {
      return milvus.collections().map((c) => displayName({ db: c.db, collection: c.name }));
    },
    setSlow: (on) => emulator.setOptions({ stepDelayMs: on ? SLOW_STEP_MS : FAST_STEP_MS }),
    stop: () => emulator.close(),
  };
}

export function pluginFor(config: unknown): EngineInstance {
  return milvusPlugin.create(milvusPlugin.config.parse(config), { logger: createTestJob().ctx.logger });
}

/** Awaits a call that must fail with a GatewayError and returns it. */
export async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}

/** Waits until `predicate` holds (e.g. the emulator recorded a request), polling every 5 ms for up to 10 s. */
export async function until(predicate: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !predicate();) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
