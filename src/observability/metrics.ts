// Prometheus metrics of one gateway (prom-client, a registry per gateway so tests can run several).
// Counters and the duration histogram move when this process ends a job; everything the catalog already knows
// (jobs by status, last success, unverified backups, catalog size, queue) is read from the database at scrape
// time, so every replica reports the same truth and nothing drifts after a restart.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Job, PrismaClient } from '../db/client.ts';
import type { JobBus } from '../jobs/job-bus.ts';
import { readProgress } from '../jobs/progress.ts';
import { registerProtectionGauges } from './protection-metrics.ts';

const PREFIX = 'backup_gateway_';

export interface MetricsSources {
  prisma: PrismaClient;
  bus: JobBus;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'kind' | 'status'>;
  private readonly bytes: Counter<'kind'>;
  private readonly documents: Counter<'kind'>;
  private readonly failures: Counter<'kind' | 'code'>;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    this.duration = new Histogram({
      name: `${PREFIX}job_duration_seconds`,
      help: 'Run time of the jobs this process ended, from start to end',
      labelNames: ['kind', 'status'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
      registers,
    });
    this.bytes = new Counter({
      name: `${PREFIX}bytes_moved_total`,
      help: 'Bytes written (backup) or read (restore, verify) by jobs this process ended',
      labelNames: ['kind'],
      registers,
    });
    this.documents = new Counter({ name: `${PREFIX}documents_moved_total`, help: 'Documents copied by jobs this process ended', labelNames: ['kind'], registers });
    this.failures = new Counter({ name: `${PREFIX}job_failures_total`, help: 'Jobs this process ended FAILED, by error code', labelNames: ['kind', 'code'], registers });
    this.catalogGauges(registers);
    registerProtectionGauges(sources.prisma, registers);
  }

  /** Called by the runner when this process has ended a job (any status). */
  async jobEnded(job: Job): Promise<void> {
    const kind = job.kind;
    if (job.startedAt && job.finishedAt) {
      this.duration.observe({ kind, status: job.status }, Math.max(0, (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000));
    }
    if (job.status === 'FAILED') this.failures.inc({ kind, code: job.errorCode ?? 'internal' });
    // A finished backup's catalog entry has the exact totals; other jobs report what their progress counted.
    const backup =
      kind === 'BACKUP' && job.status === 'SUCCEEDED' && job.backupId
        ? await this.sources.prisma.backup.findUnique({ where: { id: job.backupId }, select: { sizeBytes: true, documentCount: true } })
        : null;
    const progress = readProgress(job.progress);
    const bytes = backup ? Number(backup.sizeBytes ?? 0n) : (progress.bytes ?? 0);
    const documents = backup ? Number(backup.documentCount ?? 0n) : progress.unit === 'documents' ? progress.completed : 0;
    if (bytes > 0) this.bytes.inc({ kind }, bytes);
    if (documents > 0) this.documents.inc({ kind }, documents);
  }

  /** The text exposition format, with its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  private catalogGauges(registers: Registry[]): void {
    const { prisma, bus } = this.sources;
    new Gauge({
      name: `${PREFIX}jobs`,
      help: 'Jobs in the database by kind and status',
      labelNames: ['kind', 'status'],
      registers,
      async collect() {
        this.reset();
        const groups = await prisma.job.groupBy({ by: ['kind', 'status'], _count: { _all: true } });
        for (const group of groups) this.set({ kind: group.kind, status: group.status }, group._count._all);
      },
    });
    new Gauge({
      name: `${PREFIX}queue_depth`,
      help: 'Jobs waiting to be claimed (QUEUED)',
      registers,
      async collect() {
        this.set(await prisma.job.count({ where: { status: 'QUEUED' } }));
      },
    });
    new Gauge({
      name: `${PREFIX}subscribers`,
      help: 'GraphQL subscriptions this process is serving',
      registers,
      collect() {
        this.set(bus.subscriberCount);
      },
    });
    new Gauge({
      name: `${PREFIX}catalog_backups`,
      help: 'Backups in the catalog by status',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const groups = await prisma.backup.groupBy({ by: ['status'], _count: { _all: true } });
        for (const group of groups) this.set({ status: group.status }, group._count._all);
      },
    });
    new Gauge({
      name: `${PREFIX}catalog_bytes`,
      help: 'Bytes held by COMPLETE backups',
      registers,
      async collect() {
        const sum = await prisma.backup.aggregate({ where: { status: 'COMPLETE' }, _sum: { sizeBytes: true } });
        this.set(Number(sum._sum.sizeBytes ?? 0n));
      },
    });
    new Gauge({
      name: `${PREFIX}last_successful_backup_timestamp_seconds`,
      help: 'When the newest COMPLETE backup of each engine was finished (Unix time)',
      labelNames: ['engine'],
      registers,
      async collect() {
        this.reset();
        const groups = await prisma.backup.groupBy({ by: ['engineId'], where: { status: 'COMPLETE', engineId: { not: null } }, _max: { completedAt: true } });
        const engines = new Map((await prisma.engine.findMany({ select: { id: true, name: true } })).map((e) => [e.id, e.name]));
        for (const group of groups) {
          const name = group.engineId ? engines.get(group.engineId) : undefined;
          if (name && group._max.completedAt) this.set({ engine: name }, group._max.completedAt.getTime() / 1000);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}schedule_last_successful_backup_timestamp_seconds`,
      help: 'When the newest COMPLETE backup of each schedule was finished (Unix time)',
      labelNames: ['schedule'],
      registers,
      async collect() {
        this.reset();
        const groups = await prisma.backup.groupBy({ by: ['scheduleId'], where: { status: 'COMPLETE', scheduleId: { not: null } }, _max: { completedAt: true } });
        const schedules = new Map((await prisma.schedule.findMany({ select: { id: true, name: true } })).map((s) => [s.id, s.name]));
        for (const group of groups) {
          const name = group.scheduleId ? schedules.get(group.scheduleId) : undefined;
          if (name && group._max.completedAt) this.set({ schedule: name }, group._max.completedAt.getTime() / 1000);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}oldest_unverified_backup_age_seconds`,
      help: 'Age of the oldest COMPLETE backup never verified (0 when every one is)',
      registers,
      async collect() {
        const oldest = await prisma.backup.findFirst({ where: { status: 'COMPLETE', verifiedAt: null }, orderBy: { createdAt: 'asc' }, select: { createdAt: true } });
        this.set(oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0);
      },
    });
  }
}
