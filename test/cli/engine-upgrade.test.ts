// `engines upgrade-prepare|upgrade-status|upgrade-rollback` against a gateway on a real port and the Meilisearch
// emulator's dumpless upgrade.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER_KEY = 'cli-upgrade-master-key-0123456789';

describe('backup-gateway engines upgrade-*', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let server: RunningServer;

  const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GATEWAY_URL: server.url, GATEWAY_API_KEY: MASTER_KEY },
    });
    return { code, stdout, stderr };
  };

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ version: '1.15.0' });
    await new Meilisearch({ host: emulator.url })
      .index('books')
      .addDocuments([{ id: 1 }, { id: 2 }])
      .waitTask();
    t = await startTestGateway({ masterKey: MASTER_KEY });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    const added = await cli(['engines', 'add', 'meili', '--plugin', 'meilisearch', '--set', `url=${emulator.url}`, '--set', `dumpsDir=${emulator.dumpsDir}`]);
    expect(added.code, added.stderr).toBe(0);
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    await emulator?.close();
  });

  it('prepares the safety copy, shows the upgrade while it runs and rolls it back with --wait', async () => {
    expect((await cli(['engines', 'upgrade-prepare', 'meili'])).code).toBe(2);
    const prepared = await cli(['engines', 'upgrade-prepare', 'meili', '--to', '1.16.0']);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(prepared.stdout).toContain('Safety copy pre-upgrade:1.15.0→1.16.0 (verified, pinned)');
    expect(prepared.stdout).toMatch(/NATIVE\s+meili_pre_upgrade_1_15_0_1_16_0_native\s+Meilisearch v1\.15\.0 and newer/);
    expect(prepared.stdout).toMatch(/LOGICAL\s+meili_pre_upgrade_1_15_0_1_16_0_logical/);
    expect((await cli(['engines', 'upgrade-status', 'meili'])).stdout).toMatch(/^STATE.*\nNONE\s/);

    emulator.upgrade.controls.restartAfterRollback = true;
    emulator.setOptions({ taskDelayMs: 3_000 });
    emulator.upgrade.begin('1.15.0', '1.16.0');
    let status = '';
    for (let i = 0; i < 200 && !status.includes('PROCESSING'); i++) {
      status = (await cli(['engines', 'upgrade-status', 'meili'])).stdout;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(status).toMatch(/PROCESSING\s+1\.15\.0\s+1\.16\.0\s+\d+\s+Upgrading index `books` 0\/1/);
    expect(status).toMatch(/UPGRADE_WATCH \S+ (QUEUED|RUNNING)/);
    emulator.setOptions({ taskDelayMs: 200 });
    const rolled = await cli(['engines', 'upgrade-rollback', 'meili', '--wait']);
    emulator.setOptions({ taskDelayMs: 0 });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toMatch(/^Upgrade_rollback job \S+ SUCCEEDED\n$/);
    expect((await cli(['engines', 'upgrade-status', 'meili', '--json'])).stdout).toContain('"state": "ROLLED_BACK"');
  });
});
