import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupStatus, JobStatus, Prisma } from '../../src/db/client.ts';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../helpers/db.ts';

const BIG = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a JS number

for (const kind of DB_KINDS) {
  describe(`Prisma on ${kind}`, () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase(kind);
    });
    afterAll(async () => {
      await db?.close();
    });

    it('reports its kind and starts empty', async () => {
      expect(db.kind).toBe(kind);
      expect(await db.prisma.engine.count()).toBe(0);
    });

    it('round-trips an engine, a job with events, and a backup with collections and artifacts', async () => {
      const engine = await db.prisma.engine.create({
        data: { name: 'search-1', plugin: 'typesense', config: { url: 'http://localhost:8108', nested: { a: [1, 2] } } },
      });
      expect(engine.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(engine.config).toEqual({ url: 'http://localhost:8108', nested: { a: [1, 2] } });
      expect(engine.updatedAt).toBeInstanceOf(Date);

      const backup = await db.prisma.backup.create({
        data: {
          name: 'nightly',
          engineId: engine.id,
          plugin: 'typesense',
          strategy: 'LOGICAL',
          type: 'FULL',
          location: 'file:///data/backups/x',
          sizeBytes: BIG,
          documentCount: 12n,
          labels: { env: 'test' },
          warnings: ['secret masked', 'another'],
          collections: { create: [{ name: 'books', documentCount: BIG, bytes: 1n }, { name: 'authors' }] },
          artifacts: { create: [{ path: 'books/documents.jsonl.gz', bytes: BIG, sha256: 'a'.repeat(64), collection: 'books' }] },
        },
      });
      expect(backup.status).toBe(BackupStatus.PENDING);
      expect(backup.formatVersion).toBe(1);

      const job = await db.prisma.job.create({
        data: {
          kind: 'BACKUP',
          engineId: engine.id,
          backupId: backup.id,
          input: { collections: ['books'] },
          progress: { phase: 'queued', completed: 0, total: null },
          timeoutMs: 60_000,
          createdBy: 'master',
          events: {
            create: [
              { status: 'QUEUED', phase: 'queued' },
              { status: 'RUNNING', phase: 'documents', message: 'go' },
            ],
          },
        },
      });
      expect(job.status).toBe(JobStatus.QUEUED);
      expect(job.cancelRequested).toBe(false);

      const read = await db.prisma.backup.findUniqueOrThrow({
        where: { id: backup.id },
        include: { collections: { orderBy: { name: 'asc' } }, artifacts: true, engine: true, jobs: { include: { events: { orderBy: { id: 'asc' } } } } },
      });
      expect(read.sizeBytes).toBe(BIG);
      expect(read.documentCount).toBe(12n);
      expect(read.warnings).toEqual(['secret masked', 'another']);
      expect(read.labels).toEqual({ env: 'test' });
      expect(read.engine?.name).toBe('search-1');
      expect(read.collections.map((c) => [c.name, c.documentCount, c.bytes])).toEqual([
        ['authors', null, null],
        ['books', BIG, 1n],
      ]);
      expect(read.artifacts).toEqual([expect.objectContaining({ path: 'books/documents.jsonl.gz', bytes: BIG, collection: 'books' })]);
      const events = read.jobs[0]!.events;
      expect(events.map((e) => e.status)).toEqual(['QUEUED', 'RUNNING']);
      expect(typeof events[0]!.id).toBe('bigint');
      expect(events[1]!.id).toBeGreaterThan(events[0]!.id);

      // Deleting the backup cascades to its collections and artifacts and detaches the job.
      await db.prisma.backup.delete({ where: { id: backup.id } });
      expect(await db.prisma.backupCollection.count({ where: { backupId: backup.id } })).toBe(0);
      expect(await db.prisma.artifact.count({ where: { backupId: backup.id } })).toBe(0);
      expect((await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).backupId).toBeNull();
    });

    it('maps a unique violation to P2002 and rolls back an interactive transaction', async () => {
      await db.prisma.engine.create({ data: { name: 'unique-1', plugin: 'meilisearch', config: {} } });
      const duplicate = await db.prisma.engine.create({ data: { name: 'unique-1', plugin: 'meilisearch', config: {} } }).catch((error: unknown) => error);
      expect(duplicate).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
      expect((duplicate as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');

      const failed = await db.prisma
        .$transaction(async (tx) => {
          await tx.engine.create({ data: { name: 'in-tx', plugin: 'meilisearch', config: {} } });
          throw new Error('abort');
        })
        .catch((error: unknown) => error);
      expect((failed as Error).message).toBe('abort');
      expect(await db.prisma.engine.count({ where: { name: 'in-tx' } })).toBe(0);
    });

    it('runs raw SQL against the same tables', async () => {
      await db.prisma.auditEntry.create({ data: { actor: 'master', action: 'engine.create', details: { n: 1 } } });
      const rows = await db.prisma.$queryRaw<{ count: bigint }[]>`SELECT count(*) AS count FROM "AuditEntry"`;
      expect(rows).toEqual([{ count: 1n }]);
    });
  });
}
