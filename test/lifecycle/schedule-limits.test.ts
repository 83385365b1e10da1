// Schedules that would flood the catalog (issue 13, point 12), through GraphQL: a cron firing more often than
// GATEWAY_MIN_SCHEDULE_INTERVAL is refused with schedule_too_frequent; a schedule whose backups fail 10 times in a
// row pauses itself and says why, a success in between starts the count afresh, and a resume clears the reason.
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const FIELDS = 'id cron paused pausedReason consecutiveFailures lastError lastJobId nextRuns(count: 1)';

describe('schedule limits', () => {
  let emulator: MeilisearchEmulator;
  let strict: TestGateway;
  let engineId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    const client = new Meilisearch({ host: emulator.url });
    await client.createIndex('movies', { primaryKey: 'id' }).waitTask();
    await client
      .index('movies')
      .addDocuments(Array.from({ length: 20 }, (_, i) => ({ id: i, title: `Movie ${i}` })))
      .waitTask();
    strict = await startTestGateway(); // the default minimum interval: 5 minutes
    const engine = await strict.gql('mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }', {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url } },
    });
    engineId = engine.data!.registerEngine.id;
  });

  afterAll(async () => {
    await strict?.close();
    await emulator?.close();
  });

  it('refuses crons firing more often than GATEWAY_MIN_SCHEDULE_INTERVAL (default 5 min), on create and on update', async () => {
    const create = (cron: string) => strict.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { ${FIELDS} } }`, { i: { engineId, cron } });
    for (const cron of ['* * * * * *', '* * * * *', '*/4 * * * *', '0,1 3 * * *']) {
      const refused = await create(cron);
      expect(refused.errors?.[0]?.extensions?.code, cron).toBe('schedule_too_frequent');
      expect(refused.errors?.[0]?.message).toMatch(/schedules may fire at most every 5 min \(GATEWAY_MIN_SCHEDULE_INTERVAL\)/);
    }
    expect(await strict.gateway.prisma.schedule.count()).toBe(0);

    const fiveMinutes = await create('*/5 * * * *');
    expect(fiveMinutes.errors).toBeUndefined();
    const id = fiveMinutes.data!.createSchedule.id;
    const update = await strict.gql(`mutation($id: ID!) { updateSchedule(id: $id, input: {cron: "*/2 * * * *"}) { ${FIELDS} } }`, { id });
    expect(update.errors?.[0]?.extensions?.code).toBe('schedule_too_frequent');
    expect((await strict.gql(`query($id: ID!) { schedule(id: $id) { ${FIELDS} } }`, { id })).data!.schedule.cron).toBe('*/5 * * * *');
    await strict.gql('mutation($id: ID!) { deleteSchedule(id: $id) }', { id });
  });

  it('pauses a schedule after 10 failed backups in a row, with the reason; a success resets the count; resume clears it', async () => {
    // A gateway that allows every-second schedules.
    const fast = await startTestGateway({ env: { GATEWAY_MIN_SCHEDULE_INTERVAL: '0' } });
    try {
      const engine = await fast.gql('mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }', {
        i: { name: 'meili-fast', plugin: 'meilisearch', config: { url: emulator.url } },
      });
      const fastEngine = engine.data!.registerEngine.id;
      const schedule = (q: string, variables: Record<string, unknown>) =>
        fast.gql(q, variables).then((answer) => {
          expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
          return answer.data!;
        });
      const read = async (id: string) => (await schedule(`query($id: ID!) { schedule(id: $id) { ${FIELDS} } }`, { id })).schedule;

      // Every second, of an index that does not exist: each backup fails with collection_not_found.
      const created = (
        await schedule(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { ${FIELDS} } }`, {
          i: { engineId: fastEngine, cron: '* * * * * *', collections: ['missing'], name: 'failing' },
        })
      ).createSchedule;
      const id: string = created.id;
      expect(created).toMatchObject({ consecutiveFailures: 0, pausedReason: null, paused: false });

      await until(async () => (await read(id)).consecutiveFailures >= 2);
      // Now it can succeed: the next good backup starts the count afresh.
      await schedule('mutation($id: ID!) { updateSchedule(id: $id, input: {collections: ["movies"]}) { id } }', { id });
      await until(async () => {
        const current = await read(id);
        if (current.consecutiveFailures !== 0) return false;
        const job = await fast.gateway.prisma.job.findUnique({ where: { id: current.lastJobId } });
        return job?.status === 'SUCCEEDED';
      });
      expect((await read(id)).pausedReason).toBeNull();

      await schedule('mutation($id: ID!) { updateSchedule(id: $id, input: {collections: ["missing"]}) { id } }', { id });
      await until(async () => (await read(id)).paused === true, 60_000);
      const paused = await read(id);
      expect(paused.consecutiveFailures).toBe(10);
      expect(paused.pausedReason).toMatch(/^Paused by the gateway after 10 failed backups in a row; the last: collection_not_found: /);
      expect(paused.nextRuns).toEqual([]);

      // Paused means no more FAILED backup rows.
      const failedRows = () => fast.gateway.prisma.backup.count({ where: { scheduleId: id, status: 'FAILED' } });
      const settled = await failedRows();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await failedRows()).toBe(settled);

      const resumed = (await schedule(`mutation($id: ID!) { pauseSchedule(id: $id, paused: false) { ${FIELDS} } }`, { id })).pauseSchedule;
      expect(resumed).toMatchObject({ paused: false, pausedReason: null, consecutiveFailures: 0 });
      await schedule('mutation($id: ID!) { deleteSchedule(id: $id) }', { id });
    } finally {
      await fast.close();
    }
  });
});

async function until(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
