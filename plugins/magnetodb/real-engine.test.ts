// Opt-in: the contract suite against a real MagnetoDB. Set MAGNETODB_URL, MAGNETODB_TOKEN (a Keystone token)
// and MAGNETODB_PROJECT_ID (the token's project). Only tables named ct<random>_… are created and dropped.
import { describe } from 'vitest';
import { describeEnginePluginContract } from '../../test/contract/engine-plugin-contract.ts';
import { magnetodbPlugin } from './index.ts';
import { magnetoDbTestEngine, sampleSettings } from './test/engine.ts';

const url = process.env['MAGNETODB_URL'];
const token = process.env['MAGNETODB_TOKEN'] ?? '';
const projectId = process.env['MAGNETODB_PROJECT_ID'] ?? '';

describe.skipIf(!url)('magnetodb plugin against a real server (MAGNETODB_URL)', () => {
  describeEnginePluginContract({
    plugin: magnetodbPlugin,
    sampleSettings,
    // A real server cannot be slowed down: cancel is triggered by the plugin's own progress instead.
    startEngine: async () =>
      magnetoDbTestEngine({
        url: url!,
        token,
        projectId,
        config: { url: url!, token, projectId, pageSize: 200 },
        // Cassandra schema changes take seconds.
        tableTimeoutMs: 300_000,
        setSlow: () => {},
        stop: async () => {},
      }),
    // Port 9 (discard) is closed on any sane test machine.
    unreachableConfig: () => ({ url: 'http://127.0.0.1:9', token, projectId, timeoutMs: 2000 }),
  });
});
