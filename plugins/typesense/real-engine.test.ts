// Opt-in: the contract suite against a real Typesense. Set TYPESENSE_URL and TYPESENSE_API_KEY (default
// 'xyz'). Only collections named ct<random>_… are created and dropped. TYPESENSE_SNAPSHOT_PATH (a directory
// on the server) and TYPESENSE_SNAPSHOT_DIR (the same directory as this machine sees it) are passed through
// when set, for native snapshots.
import { describe } from 'vitest';
import { describeEnginePluginContract } from '../../test/contract/engine-plugin-contract.ts';
import { typesensePlugin } from './index.ts';
import { sampleSettings, typesenseTestEngine } from './test/engine.ts';

const url = process.env['TYPESENSE_URL'];
const apiKey = process.env['TYPESENSE_API_KEY'] ?? 'xyz';
const snapshot = {
  ...(process.env['TYPESENSE_SNAPSHOT_PATH'] ? { snapshotPath: process.env['TYPESENSE_SNAPSHOT_PATH'] } : {}),
  ...(process.env['TYPESENSE_SNAPSHOT_DIR'] ? { snapshotDir: process.env['TYPESENSE_SNAPSHOT_DIR'] } : {}),
};

describe.skipIf(!url)('typesense plugin against a real server (TYPESENSE_URL)', () => {
  describeEnginePluginContract({
    plugin: typesensePlugin,
    sampleSettings,
    // A real server cannot be slowed down: cancel is triggered by the plugin's own progress instead.
    startEngine: async () =>
      typesenseTestEngine({
        url: url!,
        apiKey,
        config: { url: url!, apiKey, batchSize: 200, ...snapshot },
        setSlow: () => {},
        stop: async () => {},
      }),
    // Port 9 (discard) is closed on any sane test machine.
    unreachableConfig: () => ({ url: 'http://127.0.0.1:9', apiKey, timeoutMs: 2000, snapshotPath: '/tmp/unused' }),
  });
});
