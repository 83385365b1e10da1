// Leases on a real database: the database's clock decides expiry, a renewal between the reaper's read and its
// update keeps the job alive, a heartbeat tells a replica which jobs it lost, and shutdown ends its own stuck jobs.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../src/db/client.ts';
import { openDatabase, type Database } from '../../src/db/open.ts';
import { claimNextJob, heartbeatLeases, releaseJob } from '../../src/jobs/claim.ts';
import { JobBus } from '../../src/jobs/job-bus.ts';
import { endInterruptedJobs, endOwnJobs } from '../../src/jobs/recovery.ts';
import { createLogger, Redactor } from '../../src/log.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { createRawTestDatabase, DB_KINDS, type RawTestDatabase } from '../helpers/db.ts';

const logger = createLogger({ level: 'silent', redactor: new Redactor() });

async function queueJob(prisma: PrismaClient): Promise<string> {
  const engine = await prisma.engine.create({ data: { name: `e-${Math.random()}`, plugin: 'meilisearch', config: {} } });
  const job = await prisma.job.create({ data: { kind: 'BACKUP', engineId: engine.id, input: {}, progress: {}, timeoutMs: 60_000, createdBy: 'test' } });
  return job.id;
}

for (const kind of DB_KINDS) {
  describe(`leases and recovery (${kind})`, () => {
    let raw: RawTestDatabase | undefined;
    let db: Database;
    let dataDir: string;
    let deps: Parameters<typeof endOwnJobs>[0];

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-leases-'));
      if (kind === 'postgres') {
        raw = await createRawTestDatabase('postgres');
        db = await openDatabase({ dataDir, databaseUrl: raw.url! });
      } else {
        db = await openDatabase({ dataDir });
      }
      deps = { prisma: db.prisma, storage: new LocalFsStorage({ root: path.join(dataDir, 'backups') }), bus: new JobBus(), logger };
    });
    afterAll(async () => {
      await db?.close();
      await raw?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('claims with lease times in UTC from the database clock', async () => {
      const id = await queueJob(db.prisma);
      const before = Date.now();
      await claimNextJob(db.prisma, 'clock', 10_000);
      const row = await db.prisma.job.findUniqueOrThrow({ where: { id } });
      const after = Date.now();
      // Prisma reads TIMESTAMP(3) as UTC: a lease written in another zone would be hours off. The database clock
      // read during the claim lies between the two local readings (1 ms either side for the rounding to milliseconds).
      expect(row.startedAt!.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(row.startedAt!.getTime()).toBeLessThanOrEqual(after + 1);
      expect(row.leaseExpiresAt!.getTime() - row.startedAt!.getTime()).toBe(10_000);
    });

    it('a heartbeat renews its own jobs and reports those it lost', async () => {
      const mine = await queueJob(db.prisma);
      await claimNextJob(db.prisma, 'owner-hb', 1_000);
      const taken = await queueJob(db.prisma);
      await claimNextJob(db.prisma, 'owner-hb', 1_000);
      // Another replica ended `taken` after its lease expired.
      await db.prisma.job.update({ where: { id: taken }, data: { status: 'FAILED', errorCode: 'interrupted' } });
      const renewal = await heartbeatLeases(db.prisma, 'owner-hb', [mine, taken], 60_000);
      expect(renewal).toEqual({ cancelRequested: [], lost: [taken] });
      const row = await db.prisma.job.findUniqueOrThrow({ where: { id: mine } });
      expect(row.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 30_000);
    });

    it('the reaper leaves a job whose owner renewed it after the lease had expired', async () => {
      const id = await queueJob(db.prisma);
      await claimNextJob(db.prisma, 'slow-owner', 1_000);
      await db.prisma.job.update({ where: { id }, data: { leaseExpiresAt: new Date(Date.now() - 5_000) } });
      // The owner's heartbeat lands between the reaper's read and its update: the update re-checks expiry.
      const read = await db.prisma.job.findMany({ where: { id } });
      expect(read).toHaveLength(1);
      await heartbeatLeases(db.prisma, 'slow-owner', [id], 60_000);
      expect(await endInterruptedJobs({ ...deps, everyRunningJob: false })).toBe(0);
      expect((await db.prisma.job.findUniqueOrThrow({ where: { id } })).status).toBe('RUNNING');
      await db.prisma.job.update({ where: { id }, data: { leaseExpiresAt: new Date(Date.now() - 5_000) } });
      const before = Date.now();
      expect(await endInterruptedJobs({ ...deps, everyRunningJob: false })).toBe(1);
      const ended = await db.prisma.job.findUniqueOrThrow({ where: { id } });
      const after = Date.now();
      expect(ended).toMatchObject({ status: 'FAILED', errorCode: 'interrupted', leaseExpiresAt: null });
      // finishedAt is the database clock at the reaper's update, in UTC.
      expect(ended.finishedAt!.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(ended.finishedAt!.getTime()).toBeLessThanOrEqual(after + 1);
    });

    it('shutdown ends only its own jobs; a job claimed during stop goes back to the queue', async () => {
      const mine = await queueJob(db.prisma);
      await claimNextJob(db.prisma, 'stopping', 60_000);
      const theirs = await queueJob(db.prisma);
      await claimNextJob(db.prisma, 'other', 60_000);
      expect(await endOwnJobs(deps, 'stopping', [mine, theirs])).toBe(1);
      expect((await db.prisma.job.findUniqueOrThrow({ where: { id: mine } })).errorMessage).toContain('shut down');
      expect((await db.prisma.job.findUniqueOrThrow({ where: { id: theirs } })).status).toBe('RUNNING');
      const late = await queueJob(db.prisma);
      await claimNextJob(db.prisma, 'stopping', 60_000);
      await releaseJob(db.prisma, 'stopping', late);
      expect(await db.prisma.job.findUniqueOrThrow({ where: { id: late } })).toMatchObject({ status: 'QUEUED', leaseOwner: null, startedAt: null });
    });

    it("a dead replica's job that recorded an engine task is queued again to follow it; canceling or task-less ones end interrupted", async () => {
      const expired = new Date(Date.now() - 5_000);
      const running = (progress: object, status: 'RUNNING' | 'CANCELING' = 'RUNNING') => ({ status, leaseOwner: 'dead-replica', leaseExpiresAt: expired, progress });
      const follows = await queueJob(db.prisma);
      const canceling = await queueJob(db.prisma);
      const plain = await queueJob(db.prisma);
      await db.prisma.job.update({ where: { id: follows }, data: running({ phase: 'copying', completed: 40, total: 100, unit: 'percent', engineTask: 'task-1' }) });
      await db.prisma.job.update({ where: { id: canceling }, data: running({ phase: 'copying', engineTask: 'task-2' }, 'CANCELING') });
      await db.prisma.job.update({ where: { id: plain }, data: running({ phase: 'copying' }) });
      expect(await endInterruptedJobs({ ...deps, everyRunningJob: false })).toBe(2);
      const requeued = await db.prisma.job.findUniqueOrThrow({ where: { id: follows }, include: { events: true } });
      expect(requeued).toMatchObject({ status: 'QUEUED', leaseOwner: null, leaseExpiresAt: null, errorCode: null });
      expect(requeued.progress).toMatchObject({ completed: 40, engineTask: 'task-1' });
      expect(requeued.events.map((e) => [e.status, e.phase])).toEqual([['QUEUED', 'requeued']]);
      for (const id of [canceling, plain]) expect(await db.prisma.job.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'FAILED', errorCode: 'interrupted' });
    });
  });
}
