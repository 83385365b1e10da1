// Two gateway replicas (child processes) on one PostgreSQL and one Redis, sharing one storage directory:
// 200 backup jobs over 10 engines each run exactly once, one job per engine at a time (from the job timestamps),
// a subscriber on either replica sees every change of the jobs the other runs, and a replica killed mid-job has
// its job ended `interrupted` by the other within the lease.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';
import { createRawTestDatabase, DB_KINDS, type RawTestDatabase } from '../helpers/db.ts';
import { subscribeSse, type SseSubscription } from '../helpers/sse.ts';
import { startFaultProxy, type FaultProxy } from '../faults/fault-proxy.ts';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const ENGINES = 10;
const JOBS_PER_ENGINE = 20;
const LEASE_MS = 3_000;
const DOCS = 30;
const FEED = `subscription { jobEvents { id status progress { phase completed total unit bytes } } }`;

interface JobRow extends Record<string, unknown> {
  id: string;
  engineId: string;
  status: string;
  leaseOwner: string | null;
  startedAt: Date;
  finishedAt: Date;
}

type Change = { id: string; status: string; progress: { phase: string; completed: number; total: number | null; unit: string; bytes: number | null } };

describe.runIf(DB_KINDS.includes('postgres'))('two replicas on PostgreSQL and Redis', () => {
  let db: RawTestDatabase;
  let dataDir: string;
  const replicas: ChildGateway[] = [];
  const emulators: MeilisearchEmulator[] = [];
  const proxies: FaultProxy[] = [];
  const engineIds: string[] = [];
  const channel = `gw-test-${randomBytes(6).toString('hex')}`;
  let redis: Redis;
  /** Every job change as Redis carried it: the ground truth of what was published. */
  const published: Change[] = [];
  const feeds: SseSubscription<Change>[] = [];
  const pidOf = (owner: string | null) => Number(owner?.split('-')[0]);

  const sql = <Row extends Record<string, unknown>>(text: string, params: unknown[] = []) => db.executor.query<Row>(text, params);
  const waitEnded = async (id: string, timeoutMs = 30_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await sql<{ status: string }>('SELECT "status" FROM "Job" WHERE "id" = $1', [id]);
      if (row && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(row.status)) return row.status;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${row?.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  };

  beforeAll(async () => {
    db = await createRawTestDatabase('postgres');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-replicas-'));
    redis = new Redis(REDIS_URL);
    await redis.subscribe(channel);
    redis.on('message', (_channel: string, message: string) => {
      const job = JSON.parse(message) as Change;
      published.push({ id: job.id, status: job.status, progress: pick(job.progress) });
    });
    for (let i = 0; i < ENGINES; i++) {
      const emulator = await startMeilisearchEmulator();
      const meili = new Meilisearch({ host: emulator.url });
      await meili.createIndex('docs', { primaryKey: 'id' }).waitTask();
      await meili
        .index('docs')
        .addDocuments(Array.from({ length: DOCS }, (_, n) => ({ id: n, engine: i, text: `document ${n} of engine ${i}` })))
        .waitTask();
      emulators.push(emulator);
      // A pass-through proxy counts the requests each engine received.
      proxies.push(await startFaultProxy(emulator.url));
    }
    const env = {
      DATABASE_URL: db.url!,
      REDIS_URL,
      GATEWAY_REDIS_CHANNEL: channel,
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_DUMPS_DIR: path.join(dataDir, 'dumps'),
      GATEWAY_SECRET_KEY: 'replica-test-secret-0123456789',
      GATEWAY_LEASE_MS: String(LEASE_MS),
      GATEWAY_JOB_CONCURRENCY: '5',
      GATEWAY_MIN_SCHEDULE_INTERVAL: '0', // the schedule test below fires every second
    };
    // Started together: the migration runner's advisory lock lets one migrate while the other waits.
    replicas.push(...(await Promise.all([spawnGateway(env), spawnGateway(env)])));
    for (let i = 0; i < ENGINES; i++) {
      const res = await replicas[i % 2]!.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: `engine-${i}`, plugin: 'meilisearch', config: { url: proxies[i]!.url, pageSize: 1000 } },
      });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      engineIds.push(res.data!.registerEngine.id);
    }
    for (const replica of replicas) feeds.push(subscribeSse<Change>(replica.url, FEED));
    await Promise.all(feeds.map((feed) => feed.opened));
  }, 120_000);

  afterAll(async () => {
    for (const feed of feeds) feed.close();
    for (const replica of replicas) await replica.kill('SIGKILL');
    await redis?.quit();
    for (const proxy of proxies) await proxy.close();
    for (const emulator of emulators) await emulator.close();
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`runs ${ENGINES * JOBS_PER_ENGINE} backup jobs exactly once, one per engine at a time, and each replica's subscriber sees every change of the other's jobs`, async () => {
    const started = Date.now();
    let refused = 0;
    const startBackup = async (replica: ChildGateway, engineId: string) => replica.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
    // Per engine: both replicas are asked at the same moment; the engine row lock lets exactly one start win.
    await Promise.all(
      engineIds.map(async (engineId, e) => {
        for (let accepted = 0, round = 0; accepted < JOBS_PER_ENGINE; round++) {
          const targets = accepted < JOBS_PER_ENGINE - 1 ? replicas : [replicas[(e + round) % 2]!];
          const answers = await Promise.all(targets.map((replica) => startBackup(replica, engineId)));
          const ids: string[] = [];
          for (const answer of answers) {
            if (answer.errors) {
              expect(answer.errors[0].extensions.code).toBe('job_already_in_progress');
              refused++;
            } else ids.push(answer.data.startBackup.id);
          }
          expect(ids.length).toBeGreaterThan(0);
          accepted += ids.length;
          for (const id of ids) expect(await waitEnded(id)).toBe('SUCCEEDED');
        }
      }),
    );
    const elapsedMs = Date.now() - started;

    const jobs = await sql<JobRow>('SELECT "id", "engineId", "status", "leaseOwner", "createdAt", "startedAt", "finishedAt" FROM "Job" WHERE "kind" = \'BACKUP\'');
    const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
    const waitMs = mean(jobs.map((job) => +new Date(job.startedAt) - +new Date(job.createdAt as Date)));
    const runMs = mean(jobs.map((job) => +new Date(job.finishedAt) - +new Date(job.startedAt)));
    expect(jobs.length).toBe(ENGINES * JOBS_PER_ENGINE);
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);

    // Exactly once: one claim per job, and each engine read its documents once per job.
    const claims = await sql<{ jobId: string; claims: number }>('SELECT "jobId", count(*)::int AS claims FROM "JobEvent" WHERE "phase" = \'started\' GROUP BY "jobId"');
    expect(claims.length).toBe(jobs.length);
    expect(claims.filter((row) => row.claims !== 1)).toEqual([]);
    for (const proxy of proxies) expect(proxy.count('GET', /^\/indexes\/docs\/documents/)).toBe(JOBS_PER_ENGINE);
    const complete = await sql<{ n: number }>('SELECT count(*)::int AS n FROM "Backup" WHERE "status" = \'COMPLETE\'');
    expect(complete[0]!.n).toBe(jobs.length);

    // One job per engine at a time, from the timestamps.
    const overlaps: string[] = [];
    for (const engineId of engineIds) {
      const mine = jobs.filter((job) => job.engineId === engineId).sort((a, b) => +new Date(a.startedAt) - +new Date(b.startedAt));
      for (let i = 1; i < mine.length; i++) {
        if (+new Date(mine[i]!.startedAt) < +new Date(mine[i - 1]!.finishedAt)) overlaps.push(`${mine[i - 1]!.id} / ${mine[i]!.id}`);
      }
    }
    expect(overlaps).toEqual([]);

    // Both replicas did a real share of the work.
    const pids = replicas.map((replica) => replica.process.pid!);
    const ranBy = pids.map((pid) => jobs.filter((job) => pidOf(job.leaseOwner) === pid));
    expect(ranBy[0]!.length + ranBy[1]!.length).toBe(jobs.length);
    for (const share of ranBy) expect(share.length).toBeGreaterThanOrEqual(10);

    // Every change Redis carried reached the subscriber on the other replica, in order.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && feeds.some((feed) => jobs.some((job) => !feed.events.some((e) => e.id === job.id && e.status === 'SUCCEEDED')))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const events = await sql<{ jobId: string; phase: string }>('SELECT "jobId", "phase" FROM "JobEvent"');
    let compared = 0;
    for (const [r, feed] of feeds.entries()) {
      const otherJobs = ranBy[1 - r]!;
      for (const job of otherJobs) {
        const seen = feed.events.filter((e) => e.id === job.id).map((e) => ({ ...e, progress: pick(e.progress) }));
        const sent = published.filter((e) => e.id === job.id);
        // Progress is coalesced per job before the fan-out: the subscriber sees, in order, a part of what was sent
        // holding every change of status and of phase, and the last change.
        const keyed = (list: typeof seen) => list.map((e) => JSON.stringify(e));
        expect(isSubsequence(keyed(seen), keyed(sent)), `job ${job.id} as replica ${r} saw it`).toBe(true);
        expect(turns(seen), `job ${job.id} as replica ${r}: statuses and phases`).toEqual(turns(sent));
        expect(seen.at(-1)).toEqual(sent.at(-1));
        const phases = new Set(seen.map((e) => e.progress.phase));
        for (const event of events.filter((e) => e.jobId === job.id && e.phase !== 'started')) expect(phases, `phase ${event.phase} of ${job.id}`).toContain(event.phase);
        expect(seen.at(-1)?.status).toBe('SUCCEEDED');
        compared += seen.length;
      }
    }
    expect(feeds.every((feed) => feed.errors.length === 0)).toBe(true);
    console.info(
      `replicas: ${jobs.length} jobs in ${elapsedMs} ms (${ranBy.map((share) => share.length).join(' + ')} by replica; mean ${waitMs} ms queued, ${runMs} ms running), ${refused} concurrent starts refused, ` +
        `${published.length} changes published, ${compared} checked on the other replica's subscriber`,
    );
  }, 180_000);

  it('fires a schedule once per slot across both replicas', async () => {
    const res = await replicas[0]!.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'scheduled', plugin: 'meilisearch', config: { url: proxies[1]!.url, pageSize: 1000 } },
    });
    const engineId = res.data!.registerEngine.id as string;
    // Every second (croner's 6-field form); both replicas' schedulers race for each slot.
    const created = await replicas[1]!.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }`, {
      i: { engineId, cron: '* * * * * *', name: 'every-second' },
    });
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    const scheduleId = created.data!.createSchedule.id as string;
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    await replicas[0]!.gql(`mutation($id: ID!) { pauseSchedule(id: $id) { id } }`, { id: scheduleId });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const slots = await sql<{ slot: string; n: number }>(`SELECT b."labels"->>'slot' AS slot, count(*)::int AS n FROM "Backup" b WHERE b."engineId" = $1 GROUP BY 1`, [engineId]);
    expect(slots.length).toBeGreaterThanOrEqual(3);
    expect(slots.filter((row) => row.n !== 1)).toEqual([]);
    const jobs = await sql<{ id: string; status: string }>(`SELECT "id", "status" FROM "Job" WHERE "engineId" = $1`, [engineId]);
    for (const job of jobs) expect(await waitEnded(job.id)).toBe('SUCCEEDED');
    console.info(`schedule: ${slots.length} slots fired, each once, by ${new Set(jobs.map((j) => j.id)).size} jobs`);
  }, 30_000);

  it('ends the job of a replica killed mid-job FAILED interrupted from the other, once the lease expires', async () => {
    const slow = emulators[0]!;
    const res = await replicas[0]!.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'slow', plugin: 'meilisearch', config: { url: proxies[0]!.url, pageSize: 1 } },
    });
    slow.setOptions({ documentsDelayMs: 200 }); // 30 pages: ~6 s, longer than the lease
    const started = await replicas[1]!.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id backup { id } } }`, { e: res.data!.registerEngine.id });
    const jobId: string = started.data!.startBackup.id;
    const backupId: string = started.data!.startBackup.backup.id;
    let owner: string | null = null;
    for (let i = 0; i < 200 && !owner; i++) {
      const [row] = await sql<{ leaseOwner: string | null; progress: { completed?: number } }>('SELECT "leaseOwner", "progress" FROM "Job" WHERE "id" = $1', [jobId]);
      if (row?.leaseOwner && (row.progress.completed ?? 0) > 0) owner = row.leaseOwner;
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(owner).not.toBeNull();
    const victim = replicas.find((replica) => replica.process.pid === pidOf(owner))!;
    const survivor = replicas.find((replica) => replica !== victim)!;
    const readsBefore = proxies[0]!.count('GET', /documents/);
    const killedAt = Date.now();
    await victim.kill('SIGKILL');

    expect(await waitEnded(jobId)).toBe('FAILED');
    const detectedMs = Date.now() - killedAt;
    const [row] = await sql<{ errorCode: string; finishedAt: Date; leaseOwner: string }>('SELECT "errorCode", "finishedAt", "leaseOwner" FROM "Job" WHERE "id" = $1', [jobId]);
    expect(row!.errorCode).toBe('interrupted');
    const endedAfterKillMs = +new Date(row!.finishedAt) - killedAt;
    // The lease had up to LEASE_MS left at the kill (renewed every LEASE_MS / 3): it was not ended long before it expired.
    expect(endedAfterKillMs).toBeGreaterThan(LEASE_MS / 2);
    // Ended by the expired-lease reaper (a process that died mid-job), not by the job running out or a restart.
    const jobEvents = await sql<{ status: string; phase: string | null; message: string | null }>(
      'SELECT "status", "phase", "message" FROM "JobEvent" WHERE "jobId" = $1 ORDER BY "id"',
      [jobId],
    );
    expect(jobEvents.at(-1)).toMatchObject({ status: 'FAILED', phase: 'interrupted', message: 'process died mid-job' });
    // Nobody ran it again, and its partial files are gone.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(proxies[0]!.count('GET', /documents/)).toBeLessThanOrEqual(readsBefore + 1);
    const [backup] = await sql<{ status: string }>('SELECT "status" FROM "Backup" WHERE "id" = $1', [backupId]);
    expect(backup!.status).toBe('FAILED');
    expect((await readdir(path.join(dataDir, 'backups'))).includes(backupId)).toBe(false);
    // The survivor's subscriber saw it end.
    const survivorFeed = feeds[replicas.indexOf(survivor)]!;
    expect(survivorFeed.events.filter((e) => e.id === jobId).at(-1)?.status).toBe('FAILED');
    slow.setOptions({ documentsDelayMs: 0 });
    console.info(`replica killed: its job ended interrupted ${endedAfterKillMs} ms after the kill (seen ${detectedMs} ms after; lease ${LEASE_MS} ms)`);
  }, 60_000);
});

function pick(progress: Change['progress']): Change['progress'] {
  return { phase: progress.phase, completed: progress.completed, total: progress.total, unit: progress.unit, bytes: progress.bytes };
}

/** Whether `part` is `whole` with some items left out, order kept. */
function isSubsequence(part: string[], whole: string[]): boolean {
  let at = 0;
  for (const item of whole) if (at < part.length && part[at] === item) at++;
  return at === part.length;
}

/** The status and phase of each change where one of them changed. */
function turns(list: Array<{ status: string; progress: { phase?: unknown } }>): string[] {
  const out: string[] = [];
  for (const e of list) {
    const turn = `${e.status} ${String(e.progress.phase)}`;
    if (out.at(-1) !== turn) out.push(turn);
  }
  return out;
}
