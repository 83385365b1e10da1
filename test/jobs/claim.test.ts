// Job claiming and leases on a real database: several replicas never take the same job; expired leases are reaped.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../src/db/client.ts';
import { openDatabase, type Database } from '../../src/db/open.ts';
import { claimNextJob, renewLeases } from '../../src/jobs/claim.ts';
import { JobBus } from '../../src/jobs/job-bus.ts';
import { endInterruptedJobs } from '../../src/jobs/recovery.ts';
import { createLogger, Redactor } from '../../src/log.ts';
import { LocalFsStorage } from '../../src/storage/local-fs.ts';
import { createRawTestDatabase, DB_KINDS, type RawTestDatabase } from '../helpers/db.ts';

const logger = createLogger({ level: 'silent', redactor: new Redactor() });

async function queueJobs(prisma: PrismaClient, count: number): Promise<string[]> {
  const engine = await prisma.engine.create({ data: { name: `e-${Math.random()}`, plugin: 'meilisearch', config: {} } });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const job = await prisma.job.create({
      data: { kind: 'BACKUP', engineId: engine.id, input: {}, progress: {}, timeoutMs: 60_000, createdBy: 'test' },
    });
    ids.push(job.id);
  }
  return ids;
}

describe.runIf(DB_KINDS.includes('postgres'))('claiming on PostgreSQL with several replicas', () => {
  let raw: RawTestDatabase;
  let replicas: Database[];
  let dataDir: string;

  beforeAll(async () => {
    raw = await createRawTestDatabase('postgres');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-claim-'));
    replicas = [];
    for (let i = 0; i < 4; i++) replicas.push(await openDatabase({ dataDir, databaseUrl: raw.url! }));
  });
  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.close();
    await raw?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives every job to exactly one replica', async () => {
    const queued = await queueJobs(replicas[0]!.prisma, 40);
    const claimed = await Promise.all(
      replicas.map(async (replica, n) => {
        const mine: string[] = [];
        for (let job = await claimNextJob(replica.prisma, `replica-${n}`, 30_000); job; job = await claimNextJob(replica.prisma, `replica-${n}`, 30_000)) {
          expect(job.status).toBe('RUNNING');
          expect(job.leaseOwner).toBe(`replica-${n}`);
          mine.push(job.id);
        }
        return mine;
      }),
    );
    const all = claimed.flat();
    expect(all.length).toBe(queued.length);
    expect(new Set(all)).toEqual(new Set(queued));
    expect(claimed.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
  });

  it('renews only its own leases and reports cancels asked elsewhere', async () => {
    const [id] = await queueJobs(replicas[0]!.prisma, 1);
    const job = await claimNextJob(replicas[1]!.prisma, 'owner-a', 1000);
    expect(job?.id).toBe(id);
    expect(await renewLeases(replicas[2]!.prisma, 'owner-b', [id!], 60_000)).toEqual([]);
    await replicas[3]!.prisma.job.update({ where: { id: id! }, data: { cancelRequested: true } });
    expect(await renewLeases(replicas[1]!.prisma, 'owner-a', [id!], 60_000)).toEqual([id]);
    const row = await replicas[0]!.prisma.job.findUniqueOrThrow({ where: { id: id! } });
    expect(row.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 30_000);
  });
});

for (const kind of DB_KINDS) {
  describe(`leases (${kind})`, () => {
    let raw: RawTestDatabase | undefined;
    let db: Database;
    let dataDir: string;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-lease-'));
      if (kind === 'postgres') {
        raw = await createRawTestDatabase('postgres');
        db = await openDatabase({ dataDir, databaseUrl: raw.url! });
      } else {
        db = await openDatabase({ dataDir });
      }
    });
    afterAll(async () => {
      await db?.close();
      await raw?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('ends a job whose lease expired as FAILED interrupted, and leaves live leases alone', async () => {
      const [dead, alive] = await queueJobs(db.prisma, 2);
      await claimNextJob(db.prisma, 'dead-replica', 1000);
      await claimNextJob(db.prisma, 'live-replica', 60_000);
      await db.prisma.job.update({ where: { id: dead! }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
      const storage = new LocalFsStorage({ root: path.join(dataDir, 'backups') });
      const ended = await endInterruptedJobs({ prisma: db.prisma, storage, bus: new JobBus(), logger, everyRunningJob: false });
      expect(ended).toBe(1);
      const rows = await db.prisma.job.findMany({ where: { id: { in: [dead!, alive!] } } });
      expect(rows.find((r) => r.id === dead)).toMatchObject({ status: 'FAILED', errorCode: 'interrupted' });
      expect(rows.find((r) => r.id === alive)).toMatchObject({ status: 'RUNNING', errorCode: null });
    });
  });
}

describe('finishing a backup after losing the lease', () => {
  it('refuses to mark anything COMPLETE when another replica ended the job', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-fence-'));
    const db = await openDatabase({ dataDir });
    try {
      const { assertStillOwned } = await import('../../src/jobs/backup-job.ts');
      const [id] = await queueJobs(db.prisma, 1);
      await claimNextJob(db.prisma, 'slow-replica', 1000);
      await db.prisma.$transaction((tx) => assertStillOwned(tx, id!, 'slow-replica'));
      await db.prisma.job.update({ where: { id: id! }, data: { status: 'FAILED', errorCode: 'interrupted' } });
      await expect(db.prisma.$transaction((tx) => assertStillOwned(tx, id!, 'slow-replica'))).rejects.toMatchObject({ code: 'interrupted' });
    } finally {
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
