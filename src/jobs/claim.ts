// Claiming and leasing jobs with row locks, so several replicas on one PostgreSQL never run a job twice.
// Lease times come from the database's clock (in UTC, as Prisma stores DateTime), never a replica's own.
import { Prisma, type Job, type PrismaClient } from '../db/client.ts';

/** The database's now in UTC, comparable with the TIMESTAMP(3) columns whatever the server's time zone. */
export const DB_NOW = Prisma.sql`(now() AT TIME ZONE 'UTC')`;

/** Takes the oldest QUEUED job, or null. `FOR UPDATE SKIP LOCKED` lets replicas claim concurrently. */
export async function claimNextJob(prisma: PrismaClient, owner: string, leaseMs: number): Promise<Job | null> {
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    UPDATE "Job"
       SET "status" = 'RUNNING'::"JobStatus",
           "leaseOwner" = ${owner},
           "leaseExpiresAt" = ${DB_NOW} + make_interval(secs => ${leaseMs / 1000}),
           "startedAt" = COALESCE("startedAt", ${DB_NOW})
     WHERE "id" = (
       SELECT "id" FROM "Job"
        WHERE "status" = 'QUEUED'::"JobStatus"
        ORDER BY "createdAt", "id"
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
     RETURNING "id"`;
  const id = rows[0]?.id;
  return id ? prisma.job.findUnique({ where: { id } }) : null;
}

/** Gives a job claimed by mistake (the runner stopped meanwhile) back to the queue, untouched. */
export async function releaseJob(prisma: PrismaClient, owner: string, jobId: string): Promise<void> {
  await prisma.job.updateMany({
    where: { id: jobId, leaseOwner: owner, status: 'RUNNING' },
    data: { status: 'QUEUED', leaseOwner: null, leaseExpiresAt: null, startedAt: null },
  });
}

export interface LeaseRenewal {
  /** Jobs another replica asked to cancel. */
  cancelRequested: string[];
  /** Jobs this owner no longer holds (ended elsewhere after its lease expired): stop working on them. */
  lost: string[];
}

/** Extends the lease of this owner's jobs, telling which were cancelled elsewhere and which are no longer its own. */
export async function heartbeatLeases(prisma: PrismaClient, owner: string, jobIds: string[], leaseMs: number): Promise<LeaseRenewal> {
  if (jobIds.length === 0) return { cancelRequested: [], lost: [] };
  const rows = await prisma.$queryRaw<Array<{ id: string; cancelRequested: boolean }>>`
    UPDATE "Job"
       SET "leaseExpiresAt" = ${DB_NOW} + make_interval(secs => ${leaseMs / 1000})
     WHERE "leaseOwner" = ${owner} AND "id" = ANY(${jobIds}::text[])
       AND "status" IN ('RUNNING'::"JobStatus", 'CANCELING'::"JobStatus")
     RETURNING "id", "cancelRequested"`;
  const renewed = new Set(rows.map((row) => row.id));
  return {
    cancelRequested: rows.filter((row) => row.cancelRequested).map((row) => row.id),
    lost: jobIds.filter((id) => !renewed.has(id)),
  };
}

/** Extends the lease of this owner's jobs; returns the ones another replica asked to cancel. */
export async function renewLeases(prisma: PrismaClient, owner: string, jobIds: string[], leaseMs: number): Promise<string[]> {
  return (await heartbeatLeases(prisma, owner, jobIds, leaseMs)).cancelRequested;
}
