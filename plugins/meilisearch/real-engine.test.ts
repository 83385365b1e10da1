// Opt-in: the contract suite against a real Meilisearch. Set MEILISEARCH_URL (and MEILISEARCH_API_KEY
// when the server has a master key). Only indexes named ct<random>_… are created and dropped.
import { describe } from 'vitest';
import { describeEnginePluginContract } from '../../test/contract/engine-plugin-contract.ts';
import { meilisearchPlugin } from './index.ts';
import { meilisearchTestEngine, sampleSettings } from './test/engine.ts';

const url = process.env['MEILISEARCH_URL'];
const apiKey = process.env['MEILISEARCH_API_KEY'];

describe.skipIf(!url)('meilisearch plugin against a real server (MEILISEARCH_URL)', () => {
  describeEnginePluginContract({
    plugin: meilisearchPlugin,
    sampleSettings,
    // A real server cannot be slowed down: cancel is triggered by the plugin's own progress instead.
    startEngine: async () =>
      meilisearchTestEngine({
        url: url!,
        ...(apiKey === undefined ? {} : { apiKey }),
        config: { url: url!, ...(apiKey === undefined ? {} : { apiKey }), pageSize: 200, batchSize: 500 },
        setSlow: () => {},
        stop: async () => {},
      }),
    // Port 9 (discard) is closed on any sane test machine.
    unreachableConfig: () => ({ url: 'http://127.0.0.1:9', timeoutMs: 2000 }),
  });
});
