// Schedules through GraphQL with the Meilisearch emulator: a cron a few seconds ahead fires once and its retention
// runs after it; invalid cron and time zones are refused; next run times; slots missed while no gateway ran run
// once at start; and with two replicas on one database a slot is claimed by exactly one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { latestSlot } from '../../src/lifecycle/schedules.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { Meilisearch } from 'meilisearch';

const SCHEDULE_FIELDS = 'id name cron timezone paused nextRuns(count: 3) lastSlotAt lastJobId lastError retention { keepLast }';

describe('schedules', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let replica: Gateway | undefined;
  let engineId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    const client = new Meilisearch({ host: emulator.url });
    await client.createIndex('movies', { primaryKey: 'id' }).waitTask();
    await client
      .index('movies')
      .addDocuments(Array.from({ length: 50 }, (_, i) => ({ id: i, title: `Movie ${i}` })))
      .waitTask();
    t = await startTestGateway();
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url } },
    });
    engineId = engine.data!.registerEngine.id;
  });

  afterAll(async () => {
    await replica?.close();
    await t?.close();
    await emulator?.close();
  });

  async function create(input: Record<string, unknown>) {
    return t.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { ${SCHEDULE_FIELDS} } }`, { i: { engineId, ...input } });
  }

  it('refuses an invalid cron with invalid_cron and the parser message, and an unknown time zone', async () => {
    const bad = await create({ cron: '61 * * * *' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('invalid_cron');
    expect(bad.errors?.[0]?.message).toBe('CronPattern: Invalid value for minute: 61');
    const parts = await create({ cron: 'every day' });
    expect(parts.errors?.[0]?.message).toMatch(/^CronPattern: invalid configuration format/);
    const zone = await create({ cron: '0 3 * * *', timezone: 'Mars/Olympus_Mons' });
    expect(zone.errors?.[0]?.extensions?.code).toBe('invalid_timezone');
    expect(await t.gateway.prisma.schedule.count()).toBe(0);
  });

  it('shows the next run times in the schedule time zone', async () => {
    const res = await create({ cron: '0 3 * * *', timezone: 'Europe/Paris', paused: true, name: 'nightly' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createSchedule.nextRuns).toEqual([]); // paused
    const resumed = await t.gql(`mutation($id: ID!) { pauseSchedule(id: $id, paused: false) { ${SCHEDULE_FIELDS} } }`, { id: res.data!.createSchedule.id });
    const runs: string[] = resumed.data!.pauseSchedule.nextRuns;
    expect(runs).toHaveLength(3);
    const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hour12: false });
    for (const run of runs) expect(paris.format(new Date(run))).toBe('03:00');
    expect(new Date(runs[1]!).getTime() - new Date(runs[0]!).getTime()).toBe(24 * 3600 * 1000);
    const id = res.data!.createSchedule.id;
    const updated = await t.gql(`mutation($id: ID!, $i: UpdateScheduleInput!) { updateSchedule(id: $id, input: $i) { ${SCHEDULE_FIELDS} } }`, {
      id,
      i: { cron: '30 4 * * 1', timezone: 'UTC', retention: { keepLast: 5 } },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateSchedule).toMatchObject({ cron: '30 4 * * 1', timezone: 'UTC', retention: { keepLast: 5 } });
    expect(updated.data!.updateSchedule.nextRuns.map((run: string) => [new Date(run).getUTCDay(), new Date(run).getUTCHours()])).toEqual([
      [1, 4],
      [1, 4],
      [1, 4],
    ]);
    const invalid = await t.gql(`mutation($id: ID!) { updateSchedule(id: $id, input: {cron: "* * *"}) { id } }`, { id });
    expect(invalid.errors?.[0]?.extensions?.code).toBe('invalid_cron');
    expect(await t.gql(`mutation($id: ID!) { deleteSchedule(id: $id) }`, { id })).toMatchObject({ data: { deleteSchedule: true } });
    expect((await t.gql(`{ schedules { id } }`)).data!.schedules).toEqual([]);
  });

  it('a cron a few seconds ahead fires once, produces a backup, then applies its retention', async () => {
    const at = new Date(Math.ceil((Date.now() + 2500) / 1000) * 1000);
    const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
    const res = await create({ cron, timezone: 'UTC', retention: { keepLast: 1 }, name: 'soon' });
    expect(res.errors).toBeUndefined();
    const schedule = res.data!.createSchedule;
    expect(schedule.nextRuns[0]).toBe(at.toISOString());
    // Two older backups of this schedule: its retention (keep the last one) deletes them after the new one.
    for (const days of [2, 1]) {
      await t.gateway.prisma.backup.create({
        data: {
          name: `old-${days}`,
          engineId,
          scheduleId: schedule.id,
          plugin: 'meilisearch',
          strategy: 'LOGICAL',
          type: 'FULL',
          status: 'COMPLETE',
          location: 'file:///old',
          createdAt: new Date(Date.now() - days * 86_400_000),
        },
      });
    }
    const backup = await waitFor(() => t.gateway.prisma.backup.findFirst({ where: { scheduleId: schedule.id, name: { not: { startsWith: 'old-' } } } }), 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
    const job = await waitForJob(t, (await t.gateway.prisma.job.findFirstOrThrow({ where: { backupId: backup.id } })).id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(backup.labels).toMatchObject({ schedule: 'soon', slot: at.toISOString() });
    await waitFor(async () => (await t.gateway.prisma.backup.count({ where: { scheduleId: schedule.id, status: 'DELETED' } })) === 2 || null, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await t.gateway.prisma.backup.count({ where: { scheduleId: schedule.id, name: { not: { startsWith: 'old-' } } } })).toBe(1);
    const after = (await t.gql(`query($id: ID!) { schedule(id: $id) { ${SCHEDULE_FIELDS} } }`, { id: schedule.id })).data!.schedule;
    expect(after).toMatchObject({ lastSlotAt: at.toISOString(), lastJobId: job.id, lastError: null });
    expect(new Date(after.nextRuns[0]).getUTCFullYear()).toBe(at.getUTCFullYear() + 1);
    await t.gql(`mutation($id: ID!) { deleteSchedule(id: $id) }`, { id: schedule.id });
  });

  it('slots missed while no gateway ran run once at start, not once per slot', async () => {
    const res = await create({ cron: '*/5 * * * *', name: 'every five minutes' });
    const id = res.data!.createSchedule.id;
    // As if the gateway had been down for an hour: twelve slots passed since the schedule was made.
    await t.gateway.prisma.schedule.update({ where: { id }, data: { anchorAt: new Date(Date.now() - 3600_000) } });
    replica = await createGateway({ config: loadConfig({ GATEWAY_DATA_DIR: t.dataDir, GATEWAY_LOG_LEVEL: 'silent' }), database: t.gateway.db });
    const backup = await waitFor(() => t.gateway.prisma.backup.findFirst({ where: { scheduleId: id } }), 10_000);
    await waitForJob(t, (await t.gateway.prisma.job.findFirstOrThrow({ where: { backupId: backup.id } })).id);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await t.gateway.prisma.backup.count({ where: { scheduleId: id } })).toBe(1);
    const schedule = await t.gateway.prisma.schedule.findUniqueOrThrow({ where: { id } });
    expect(schedule.lastSlotAt).toEqual(latestSlot(schedule, new Date()));
    // One claim for the newest slot: no older slot was tried (it would have met the running backup and left an error).
    expect(schedule.lastError).toBeNull();
    await t.gql(`mutation($id: ID!) { deleteSchedule(id: $id) }`, { id });
  });

  it('with two replicas on one database, a slot is claimed by exactly one of them', async () => {
    const res = await create({ cron: '0 0 1 1 *', name: 'new year' });
    const schedule = await t.gateway.prisma.schedule.findUniqueOrThrow({ where: { id: res.data!.createSchedule.id } });
    const slot = new Date(res.data!.createSchedule.nextRuns[0]);
    const due = new Date(slot.getTime() + 1000);
    const claims = await Promise.all([t.gateway.scheduler.runDueSlot(schedule, due), replica!.scheduler.runDueSlot(schedule, due), t.gateway.scheduler.runDueSlot(schedule, due)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await t.gateway.prisma.schedule.findUniqueOrThrow({ where: { id: schedule.id } })).lastSlotAt).toEqual(slot);
    // Claimed once: asking again for the same slot does nothing.
    expect(await replica!.scheduler.runDueSlot(await t.gateway.prisma.schedule.findUniqueOrThrow({ where: { id: schedule.id } }), due)).toBe(false);
    const jobs = await t.gateway.prisma.job.findMany({ where: { backup: { scheduleId: schedule.id } } });
    expect(jobs).toHaveLength(1);
    await waitForJob(t, jobs[0]!.id);
  });
});

async function waitFor<T>(probe: () => Promise<T | null | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not there after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
