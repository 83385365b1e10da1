// Acceptance for "am I protected?": protectionStatus against a real backup on the Meilisearch emulator — PENDING
// once scheduled, PROTECTED after a backup, OUTSIDE_RPO when the newest backup is older than 1.5 × the schedule's
// interval; /metrics and `backup-gateway status` (exit 1 when outside) tell the same. searchBackups pages,
// filters and sorts the catalog.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protectionState, scheduleIntervalSeconds } from '../../src/catalog/protection.ts';
import { runCli } from '../../src/cli/run.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'protection-master-key-0123456789';
const FIELDS = 'engineName state lastBackupAt ageSeconds rpoSeconds nextRunAt activeSchedules lastVerifiedAt failuresLast7Days storageBytes backupCount';

describe('protection rules', () => {
  it('takes the longest gap between slots as the interval (weekdays only: the weekend gap)', () => {
    const from = new Date('2026-03-02T00:00:00Z');
    expect(scheduleIntervalSeconds({ cron: '0 3 * * *', timezone: 'UTC' }, from)).toBe(86_400);
    expect(scheduleIntervalSeconds({ cron: '0 3 * * 1-5', timezone: 'UTC' }, from)).toBe(3 * 86_400);
    expect(scheduleIntervalSeconds({ cron: '*/15 * * * *', timezone: 'Europe/Paris' }, from)).toBe(900);
  });

  it('holds an engine to 1.5 × its RPO; no schedule means no RPO', () => {
    expect(protectionState({ ageSeconds: 100, rpoSeconds: null, scheduledSinceSeconds: null })).toBe('UNSCHEDULED');
    expect(protectionState({ ageSeconds: 3600 * 30, rpoSeconds: 86_400, scheduledSinceSeconds: 0 })).toBe('PROTECTED');
    expect(protectionState({ ageSeconds: 3600 * 37, rpoSeconds: 86_400, scheduledSinceSeconds: 0 })).toBe('OUTSIDE_RPO');
    expect(protectionState({ ageSeconds: null, rpoSeconds: 86_400, scheduledSinceSeconds: 3600 })).toBe('PENDING');
    expect(protectionState({ ageSeconds: null, rpoSeconds: 86_400, scheduledSinceSeconds: 86_400 * 2 })).toBe('OUTSIDE_RPO');
  });
});

describe('protectionStatus, /metrics and backup-gateway status', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let server: RunningServer;
  let engineId: string;

  const status = async () => {
    const answer = await t.gql(`{ protectionStatus { outsideRpo generatedAt engines { ${FIELDS} } } }`);
    expect(answer.errors).toBeUndefined();
    return answer.data!.protectionStatus;
  };
  const cli = async (args: string[]) => {
    let stdout = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => undefined },
      env: { GATEWAY_URL: server.url, GATEWAY_API_KEY: MASTER },
    });
    return { code, stdout };
  };
  const metrics = async () => (await (await t.yoga.fetch('http://gateway.test/metrics', { headers: { authorization: `Bearer ${MASTER}` } })).text()).split('\n');

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({});
    await new Meilisearch({ host: emulator.url })
      .index('movies')
      .addDocuments(
        Array.from({ length: 300 }, (_, i) => ({ id: i, title: `movie ${i}` })),
        { primaryKey: 'id' },
      )
      .waitTask();
    t = await startTestGateway({ masterKey: MASTER });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url } },
    });
    engineId = registered.data!.registerEngine.id;
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    await emulator?.close();
  });

  it('shows an engine without a schedule as UNSCHEDULED, and PENDING once a schedule is active', async () => {
    expect((await status()).engines).toEqual([expect.objectContaining({ engineName: 'meili', state: 'UNSCHEDULED', rpoSeconds: null, lastBackupAt: null, backupCount: 0 })]);
    const created = await t.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }`, { i: { engineId, cron: '0 3 * * *', timezone: 'Europe/Paris' } });
    expect(created.errors).toBeUndefined();
    const [engine] = (await status()).engines;
    expect(engine).toMatchObject({ state: 'PENDING', rpoSeconds: 86_400, activeSchedules: 1 });
    // The next 03:00 in Paris is 01:00 or 02:00 UTC.
    expect(new Date(engine.nextRunAt).getUTCHours()).toBeOneOf([1, 2]);
    expect((await status()).outsideRpo).toBe(false);
  });

  it('turns PROTECTED after a backup, and OUTSIDE_RPO when that backup is 2 days old', async () => {
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId } });
    const job = await waitForJob(t, started.data!.startBackup.id);
    expect(job.status).toBe('SUCCEEDED');
    let [engine] = (await status()).engines;
    expect(engine).toMatchObject({ state: 'PROTECTED', backupCount: 1 });
    expect(engine.ageSeconds).toBeLessThan(3600);
    expect(Number(engine.storageBytes)).toBeGreaterThan(0);

    const ok = await cli(['status']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/meili\s+meilisearch\s+PROTECTED/);
    expect(ok.stdout).toContain('Every scheduled engine is within its RPO.');
    expect(await metrics()).toEqual(
      expect.arrayContaining([
        'backup_gateway_protection_outside_rpo 0',
        'backup_gateway_engine_protected{engine="meili",state="PROTECTED"} 1',
        'backup_gateway_engine_rpo_seconds{engine="meili"} 86400',
      ]),
    );

    // The same backup, finished two days ago: older than 1.5 × 24 h.
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await t.gateway.prisma.backup.updateMany({ where: { engineId }, data: { completedAt: twoDaysAgo, createdAt: twoDaysAgo } });
    const now = await status();
    [engine] = now.engines;
    expect(now.outsideRpo).toBe(true);
    expect(engine.state).toBe('OUTSIDE_RPO');
    expect(engine.ageSeconds).toBeGreaterThan(2 * 86_400 - 60);

    const late = await cli(['status']);
    expect(late.code).toBe(1);
    expect(late.stdout).toContain('OUTSIDE RPO: meili');
    const json = await cli(['status', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ outsideRpo: true, engines: [{ engineName: 'meili', state: 'OUTSIDE_RPO' }] });
    expect(await metrics()).toEqual(expect.arrayContaining(['backup_gateway_protection_outside_rpo 1', 'backup_gateway_engine_protected{engine="meili",state="OUTSIDE_RPO"} 0']));
  });

  it('counts failed jobs of the last 7 days', async () => {
    await t.gateway.prisma.job.create({
      data: { kind: 'BACKUP', status: 'FAILED', engineId, input: {}, progress: {}, timeoutMs: 1000, createdBy: 'test', finishedAt: new Date(), errorCode: 'engine_unreachable' },
    });
    await t.gateway.prisma.job.create({
      data: { kind: 'BACKUP', status: 'FAILED', engineId, input: {}, progress: {}, timeoutMs: 1000, createdBy: 'test', finishedAt: new Date(Date.now() - 8 * 86_400_000) },
    });
    expect((await status()).engines[0].failuresLast7Days).toBe(1);
  });

  it('searchBackups filters by name, label, strategy and dates, sorts, and pages by offset', async () => {
    const rows = Array.from({ length: 23 }, (_, i) => ({
      name: `nightly-${String(i).padStart(2, '0')}`,
      engineId,
      plugin: 'meilisearch',
      strategy: i % 2 === 0 ? ('LOGICAL' as const) : ('NATIVE' as const),
      type: 'FULL' as const,
      status: 'COMPLETE' as const,
      location: `test/${i}`,
      sizeBytes: BigInt(1000 + i),
      labels: { team: i < 5 ? 'search' : 'ops' },
      createdAt: new Date(Date.UTC(2026, 0, 1 + i)),
    }));
    await t.gateway.prisma.backup.createMany({ data: rows });
    const search = async (args: string) => {
      const answer = await t.gql(`{ searchBackups(${args}) { totalCount pageInfo { hasNextPage } nodes { name strategy sizeBytes } } }`);
      expect(answer.errors).toBeUndefined();
      return answer.data!.searchBackups;
    };
    const page1 = await search('filter: {text: "NIGHTLY"}, first: 10');
    expect(page1.totalCount).toBe(23);
    expect(page1.nodes.map((n: { name: string }) => n.name).slice(0, 2)).toEqual(['nightly-22', 'nightly-21']);
    const page3 = await search('filter: {text: "nightly"}, first: 10, offset: 20');
    expect(page3.nodes).toHaveLength(3);
    expect(page3.pageInfo.hasNextPage).toBe(false);
    expect((await search('filter: {text: "team=search"}')).totalCount).toBe(5);
    expect((await search('filter: {text: "nightly", strategy: NATIVE}')).totalCount).toBe(11);
    const january = await search('filter: {text: "nightly", createdAfter: "2026-01-10T00:00:00Z", createdBefore: "2026-01-20T00:00:00Z"}, sort: OLDEST');
    expect(january.nodes.map((n: { name: string }) => n.name)).toEqual(Array.from({ length: 10 }, (_, i) => `nightly-${String(i + 9).padStart(2, '0')}`));
    expect((await search('filter: {text: "nightly"}, sort: LARGEST, first: 1')).nodes[0].name).toBe('nightly-22');
    const bad = await t.gql(`{ searchBackups(first: 501) { totalCount } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('invalid_input');
  });
});
