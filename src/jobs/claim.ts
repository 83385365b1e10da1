// Claiming and leasing jobs with row locks, so several replicas on one PostgreSQL never run a job twice.
import type { Job, PrismaClient } from '../db/client.ts';

/** Takes the oldest QUEUED job, or null. `FOR UPDATE SKIP LOCKED` lets replicas claim concurrently. */
export async function claimNextJob(prisma: PrismaClient, owner: string, leaseMs: number): Promise<Job | null> {
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    UPDATE "Job"
       SET "status" = 'RUNNING'::"JobStatus",
           "leaseOwner" = ${owner},
           "leaseExpiresAt" = now() + make_interval(secs => ${leaseMs / 1000}),
           "startedAt" = COALESCE("startedAt", now())
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

/** Extends the lease of this owner's jobs; returns the ones another replica asked to cancel. */
export async function renewLeases(prisma: PrismaClient, owner: string, jobIds: string[], leaseMs: number): Promise<string[]> {
  if (jobIds.length === 0) return [];
  const rows = await prisma.$queryRaw<Array<{ id: string; cancelRequested: boolean }>>`
    UPDATE "Job"
       SET "leaseExpiresAt" = now() + make_interval(secs => ${leaseMs / 1000})
     WHERE "leaseOwner" = ${owner} AND "id" = ANY(${jobIds}::text[])
       AND "status" IN ('RUNNING'::"JobStatus", 'CANCELING'::"JobStatus")
     RETURNING "id", "cancelRequested"`;
  return rows.filter((row) => row.cancelRequested).map((row) => row.id);
}
