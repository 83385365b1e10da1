// Acceptance: /metrics moves after a backup against the Meilisearch emulator and needs a key or the metrics
// token; /livez answers while the process runs; /readyz is 503 once the database is gone or the gateway drains.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'metrics-master-key-0123456789';
const TOKEN = 'metrics-scrape-token-0123456789';

async function get(t: TestGateway, path: string, authorization?: string): Promise<{ status: number; text: string }> {
  const response = await t.yoga.fetch(`http://gateway.test${path}`, { headers: authorization ? { authorization } : {} });
  return { status: response.status, text: await response.text() };
}

/** The value of one sample (`name{labels} value`), or null when the series is absent. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

for (const db of DB_KINDS) {
  describe(`/metrics, /livez, /readyz (${db})`, () => {
    let emulator: MeilisearchEmulator;
    let t: TestGateway;

    beforeAll(async () => {
      emulator = await startMeilisearchEmulator({});
      const docs = Array.from({ length: 1500 }, (_, i) => ({ id: i, title: `movie ${i}` }));
      await new Meilisearch({ host: emulator.url }).index('movies').addDocuments(docs, { primaryKey: 'id' }).waitTask();
      t = await startTestGateway({ db, masterKey: MASTER, env: { GATEWAY_METRICS_TOKEN: TOKEN, GATEWAY_JOB_CONCURRENCY: '1' } });
    });
    afterAll(async () => {
      await t?.close();
      await emulator?.close();
    });

    it('refuses /metrics without credentials (401) and with a wrong key (403)', async () => {
      const none = await get(t, '/metrics');
      expect(none.status).toBe(401);
      expect(JSON.parse(none.text).errors[0].extensions.code).toBe('missing_authorization_header');
      expect((await get(t, '/metrics', 'Bearer not-the-token-0123456789')).status).toBe(403);
    });

    it('shows the job counters move after a backup (token and VIEWER key both scrape)', async () => {
      const before = await get(t, '/metrics', `Bearer ${TOKEN}`);
      expect(before.status).toBe(200);
      expect(sample(before.text, 'backup_gateway_documents_moved_total{kind="BACKUP"}')).toBeNull();
      expect(sample(before.text, 'backup_gateway_queue_depth')).toBe(0);

      const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url } },
      });
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engine.data!.registerEngine.id });
      expect(started.errors).toBeUndefined();
      const job = await waitForJob(t, started.data!.startBackup.id);
      expect(job.status).toBe('SUCCEEDED');

      const viewer = (await t.gql(`mutation { createApiKey(input: {name: "scraper", scope: VIEWER}) { key } }`)).data!.createApiKey.key;
      // The counters move just after the job's end is published: wait for them, not for a time.
      await expect.poll(async () => sample((await get(t, '/metrics', `Bearer ${viewer}`)).text, 'backup_gateway_documents_moved_total{kind="BACKUP"}')).toBe(1500);
      const after = await get(t, '/metrics', `Bearer ${viewer}`);
      expect(after.status).toBe(200);
      const text = after.text;
      expect(sample(text, 'backup_gateway_jobs{kind="BACKUP",status="SUCCEEDED"}')).toBe(1);
      expect(sample(text, 'backup_gateway_job_duration_seconds_count{kind="BACKUP",status="SUCCEEDED"}')).toBe(1);
      expect(sample(text, 'backup_gateway_documents_moved_total{kind="BACKUP"}')).toBe(1500);
      expect(sample(text, 'backup_gateway_bytes_moved_total{kind="BACKUP"}')).toBeGreaterThan(0);
      expect(sample(text, 'backup_gateway_catalog_backups{status="COMPLETE"}')).toBe(1);
      expect(sample(text, 'backup_gateway_catalog_bytes')).toBeGreaterThan(0);
      const last = sample(text, 'backup_gateway_last_successful_backup_timestamp_seconds{engine="meili"}');
      expect(last).toBeGreaterThan(Date.now() / 1000 - 600);
      expect(sample(text, 'backup_gateway_oldest_unverified_backup_age_seconds')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'backup_gateway_subscribers')).toBeGreaterThanOrEqual(0); // the webhook dispatcher follows the bus too
      expect(text).toContain('# TYPE backup_gateway_job_failures_total counter');
    });

    it('counts a failed job by its error code', async () => {
      const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'gone', plugin: 'meilisearch', config: { url: 'http://127.0.0.1:1' } },
      });
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engine.data!.registerEngine.id });
      const job = await waitForJob(t, started.data!.startBackup.id);
      expect(job.status).toBe('FAILED');
      await expect
        .poll(async () => sample((await get(t, '/metrics', `Bearer ${TOKEN}`)).text, `backup_gateway_job_failures_total{kind="BACKUP",code="${job.error.code}"}`))
        .toBe(1);
    });

    it('counts an open subscription among the subscribers, and no longer once it is closed', async () => {
      const scrape = async () => sample((await get(t, '/metrics', `Bearer ${TOKEN}`)).text, 'backup_gateway_subscribers');
      const baseline = (await scrape())!;
      const response = await t.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'subscription { jobEvents { id status } }' }),
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const reading = reader.read().catch(() => undefined);
      await expect.poll(scrape).toBe(baseline + 1);
      await reader.cancel();
      await reading;
      await expect.poll(scrape).toBe(baseline);
    });

    it("a scheduled backup sets its schedule's last successful backup time", async () => {
      const engineId = ((await t.gql(`query { engines { id name } }`)).data!.engines as { id: string; name: string }[]).find((e) => e.name === 'meili')!.id;
      const created = await t.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id nextRuns } }`, {
        i: { engineId, name: 'metrics-nightly', cron: '0 0 1 1 *' },
      });
      expect(created.errors).toBeUndefined();
      const series = 'backup_gateway_schedule_last_successful_backup_timestamp_seconds{schedule="metrics-nightly"}';
      expect(sample((await get(t, '/metrics', `Bearer ${TOKEN}`)).text, series)).toBeNull();
      // Its next slot, run as the scheduler would once it is due.
      const schedule = await t.gateway.prisma.schedule.findUniqueOrThrow({ where: { id: created.data!.createSchedule.id } });
      const due = new Date(new Date(created.data!.createSchedule.nextRuns[0]).getTime() + 1000);
      expect(await t.gateway.scheduler.runDueSlot(schedule, due)).toBe(true);
      const [job] = await t.gateway.prisma.job.findMany({ where: { backup: { scheduleId: schedule.id } } });
      expect((await waitForJob(t, job!.id)).status).toBe('SUCCEEDED');
      await expect.poll(async () => sample((await get(t, '/metrics', `Bearer ${TOKEN}`)).text, series)).toBeGreaterThan(Date.now() / 1000 - 600);
      await t.gql(`mutation($id: ID!) { deleteSchedule(id: $id) }`, { id: schedule.id });
    });

    it('counts a job waiting for a free slot in the queue depth (GATEWAY_JOB_CONCURRENCY=1)', async () => {
      const scrape = async () => sample((await get(t, '/metrics', `Bearer ${TOKEN}`)).text, 'backup_gateway_queue_depth');
      expect(await scrape()).toBe(0);
      const engines = ((await t.gql(`query { engines { id name } }`)).data!.engines as { id: string; name: string }[]).filter((e) => e.name === 'meili');
      const second = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'meili-queued', plugin: 'meilisearch', config: { url: emulator.url } },
      });
      emulator.setOptions({ documentsDelayMs: 100 });
      const ids: string[] = [];
      try {
        for (const engineId of [engines[0]!.id, second.data!.registerEngine.id]) {
          const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
          expect(started.errors).toBeUndefined();
          ids.push(started.data!.startBackup.id);
        }
        await expect.poll(scrape).toBe(1);
      } finally {
        for (const id of ids.reverse()) await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id });
        for (const id of ids) await waitForJob(t, id);
        emulator.setOptions({ documentsDelayMs: 0 });
      }
      await expect.poll(scrape).toBe(0);
    });

    it('/livez and /readyz answer 200 while all is well, without credentials', async () => {
      expect(await get(t, '/livez')).toEqual({ status: 200, text: JSON.stringify({ status: 'alive' }) });
      expect(await get(t, '/readyz')).toEqual({ status: 200, text: JSON.stringify({ status: 'ready' }) });
      expect((await get(t, '/health')).status).toBe(200);
    });

    it('/readyz is 503 while draining', async () => {
      await t.gateway.runner.stop(0);
      const draining = await get(t, '/readyz');
      expect(draining.status).toBe(503);
      expect(JSON.parse(draining.text).reason).toBe('shutting down');
      expect((await get(t, '/livez')).status).toBe(200);
    });
  });
}

describe('/readyz when the database is stopped', () => {
  it('answers 503 naming the database, while /livez stays 200', async () => {
    const t = await startTestGateway({ db: 'pglite' });
    try {
      expect((await get(t, '/readyz')).status).toBe(200);
      await t.gateway.db.close(); // the embedded PostgreSQL stops
      const stopped = await get(t, '/readyz');
      expect(stopped.status).toBe(503);
      expect(JSON.parse(stopped.text)).toMatchObject({ status: 'not_ready', reason: expect.stringContaining('database unreachable') });
      expect((await get(t, '/livez')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
