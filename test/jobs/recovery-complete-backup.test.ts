// A gateway killed after the catalog marked a backup COMPLETE but before it ended the backup's job: at the next start
// the job ends SUCCEEDED and the backup keeps its files (found by the random-kill crash test). A job whose backup is
// still PENDING ends FAILED `interrupted` and its partial files go, as before.
import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway } from '../helpers/gateway.ts';

describe.each(DB_KINDS)('recovery of a backup job whose process died (%s)', (kind) => {
  it('ends SUCCEEDED when its backup is COMPLETE (files kept), FAILED interrupted when it is PENDING (files removed)', async () => {
    const g = await startTestGateway({ db: kind, runJobs: false });
    try {
      const { prisma, storage } = g.gateway;
      const engine = await prisma.engine.create({ data: { name: `e-${kind}`, plugin: 'meilisearch', config: { url: 'http://127.0.0.1:9' } } });
      const base = { plugin: 'meilisearch', strategy: 'LOGICAL' as const, type: 'FULL' as const, location: '', engineId: engine.id };
      const complete = await prisma.backup.create({ data: { ...base, name: 'complete', status: 'COMPLETE', completedAt: new Date() } });
      const pending = await prisma.backup.create({ data: { ...base, name: 'pending' } });
      for (const backup of [complete, pending]) {
        const file = await storage.openWrite(backup.id, 'manifest.json');
        file.stream.end('{}');
        await file.commit();
      }
      // A lease long expired, held by a process that is gone.
      const running = { engineId: engine.id, input: {}, progress: {}, timeoutMs: 60_000, createdBy: 'test', kind: 'BACKUP' as const, status: 'RUNNING' as const };
      const dead = { leaseOwner: 'gone:1', leaseExpiresAt: new Date(Date.now() - 3_600_000), startedAt: new Date() };
      const doneJob = await prisma.job.create({ data: { ...running, ...dead, backupId: complete.id } });
      const cutJob = await prisma.job.create({ data: { ...running, ...dead, backupId: pending.id } });

      const restarted = await createGateway({ config: g.gateway.config, database: g.gateway.db, logWrite: () => undefined });
      await restarted.close();

      const job = async (id: string) => prisma.job.findUniqueOrThrow({ where: { id } });
      const status = async (id: string) => (await prisma.backup.findUniqueOrThrow({ where: { id } })).status;
      expect((await job(doneJob.id)).status).toBe('SUCCEEDED');
      expect(await status(complete.id)).toBe('COMPLETE');
      expect(await storage.stat(complete.id, 'manifest.json')).not.toBeNull();
      const cut = await job(cutJob.id);
      expect([cut.status, cut.errorCode]).toEqual(['FAILED', 'interrupted']);
      expect(await status(pending.id)).toBe('FAILED');
      expect(await storage.stat(pending.id, 'manifest.json')).toBeNull();
      const events = await prisma.jobEvent.findMany({ where: { jobId: doneJob.id } });
      expect(events.map((e) => e.status)).toContain('SUCCEEDED');
    } finally {
      await g.close();
    }
  });
});
