// "Am I protected?": per engine, the newest COMPLETE backup against the interval of its schedules (the RPO), the
// next scheduled run, the newest verification, failed jobs of the last 7 days and the bytes its backups hold.
// One read of the catalog, shared by the protectionStatus query, `backup-gateway status` and /metrics.
import { Cron } from 'croner';
import type { PrismaClient, Schedule } from '../db/client.ts';

/** An engine is outside its RPO once its newest backup is older than this many schedule intervals. */
export const RPO_TOLERANCE = 1.5;
const WINDOW_MS = 7 * 24 * 3600 * 1000;
/** Slots looked at to find a schedule's longest gap (weekday-only and monthly patterns have uneven gaps). */
const SLOTS_FOR_INTERVAL = 32;

/**
 * PROTECTED: the newest backup is within the RPO; OUTSIDE_RPO: it is older, or there is none although a schedule
 * has been active for longer than the RPO; PENDING: scheduled, no backup yet, still within the first interval;
 * UNSCHEDULED: no active schedule, so no RPO to hold it to (its last backup is still reported).
 */
export type ProtectionState = 'PROTECTED' | 'OUTSIDE_RPO' | 'PENDING' | 'UNSCHEDULED';

export interface EngineProtection {
  engineId: string;
  engineName: string;
  plugin: string;
  state: ProtectionState;
  lastBackupAt: Date | null;
  lastBackupId: string | null;
  /** Seconds since the newest COMPLETE backup finished. */
  ageSeconds: number | null;
  /** The longest gap between slots of the engine's most frequent active schedule; null when unscheduled. */
  rpoSeconds: number | null;
  nextRunAt: Date | null;
  activeSchedules: number;
  lastVerifiedAt: Date | null;
  failuresLast7Days: number;
  storageBytes: bigint;
  backupCount: number;
}

export interface ProtectionStatus {
  generatedAt: Date;
  outsideRpo: boolean;
  engines: EngineProtection[];
}

/** The longest gap in seconds between the next slots of a cron; null when it fires fewer than twice more. */
export function scheduleIntervalSeconds(schedule: Pick<Schedule, 'cron' | 'timezone'>, from: Date): number | null {
  let runs: Date[];
  try {
    runs = new Cron(schedule.cron, { timezone: schedule.timezone }).nextRuns(SLOTS_FOR_INTERVAL, from);
  } catch {
    return null; // stored schedules were validated on write; a pattern that no longer parses has no interval
  }
  let longest: number | null = null;
  for (let i = 1; i < runs.length; i++) longest = Math.max(longest ?? 0, (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000);
  return longest;
}

function nextRunOf(schedule: Pick<Schedule, 'cron' | 'timezone'>, from: Date): Date | null {
  try {
    return new Cron(schedule.cron, { timezone: schedule.timezone }).nextRun(from) ?? null;
  } catch {
    return null;
  }
}

export function protectionState(input: { ageSeconds: number | null; rpoSeconds: number | null; scheduledSinceSeconds: number | null }): ProtectionState {
  const { ageSeconds, rpoSeconds, scheduledSinceSeconds } = input;
  if (rpoSeconds === null) return 'UNSCHEDULED';
  const limit = rpoSeconds * RPO_TOLERANCE;
  if (ageSeconds === null) return (scheduledSinceSeconds ?? 0) > limit ? 'OUTSIDE_RPO' : 'PENDING';
  return ageSeconds > limit ? 'OUTSIDE_RPO' : 'PROTECTED';
}

/** The protection of every registered engine, by engine name. */
export async function readProtectionStatus(prisma: PrismaClient, now = new Date()): Promise<ProtectionStatus> {
  const since = new Date(now.getTime() - WINDOW_MS);
  const [engines, schedules, newest, verified, sizes, failures] = await Promise.all([
    prisma.engine.findMany({ select: { id: true, name: true, plugin: true }, orderBy: { name: 'asc' } }),
    prisma.schedule.findMany({ where: { paused: false }, select: { engineId: true, cron: true, timezone: true, createdAt: true } }),
    prisma.backup.findMany({
      where: { status: 'COMPLETE', engineId: { not: null }, completedAt: { not: null } },
      distinct: ['engineId'],
      orderBy: [{ engineId: 'asc' }, { completedAt: 'desc' }],
      select: { id: true, engineId: true, completedAt: true },
    }),
    prisma.backup.groupBy({ by: ['engineId'], where: { engineId: { not: null }, verifiedAt: { not: null } }, _max: { verifiedAt: true } }),
    prisma.backup.groupBy({ by: ['engineId'], where: { status: 'COMPLETE', engineId: { not: null } }, _sum: { sizeBytes: true }, _count: { _all: true } }),
    prisma.job.groupBy({ by: ['engineId'], where: { status: 'FAILED', engineId: { not: null }, finishedAt: { gte: since } }, _count: { _all: true } }),
  ]);
  const newestBy = new Map(newest.map((b) => [b.engineId, b]));
  const verifiedBy = new Map(verified.map((v) => [v.engineId, v._max.verifiedAt]));
  const sizeBy = new Map(sizes.map((s) => [s.engineId, s]));
  const failuresBy = new Map(failures.map((f) => [f.engineId, f._count._all]));

  const rows = engines.map((engine): EngineProtection => {
    const own = schedules.filter((s) => s.engineId === engine.id);
    const intervals = own.map((s) => scheduleIntervalSeconds(s, now)).filter((i): i is number => i !== null);
    const rpoSeconds = intervals.length > 0 ? Math.min(...intervals) : null;
    const nextRuns = own.map((s) => nextRunOf(s, now)).filter((d): d is Date => d !== null);
    const nextRunAt = nextRuns.length > 0 ? new Date(Math.min(...nextRuns.map((d) => d.getTime()))) : null;
    const firstScheduled = own.length > 0 ? Math.min(...own.map((s) => s.createdAt.getTime())) : null;
    const last = newestBy.get(engine.id);
    const lastBackupAt = last?.completedAt ?? null;
    const ageSeconds = lastBackupAt ? Math.max(0, (now.getTime() - lastBackupAt.getTime()) / 1000) : null;
    const size = sizeBy.get(engine.id);
    return {
      engineId: engine.id,
      engineName: engine.name,
      plugin: engine.plugin,
      state: protectionState({ ageSeconds, rpoSeconds, scheduledSinceSeconds: firstScheduled === null ? null : (now.getTime() - firstScheduled) / 1000 }),
      lastBackupAt,
      lastBackupId: last?.id ?? null,
      ageSeconds,
      rpoSeconds,
      nextRunAt,
      activeSchedules: own.length,
      lastVerifiedAt: verifiedBy.get(engine.id) ?? null,
      failuresLast7Days: failuresBy.get(engine.id) ?? 0,
      storageBytes: size?._sum.sizeBytes ?? 0n,
      backupCount: size?._count._all ?? 0,
    };
  });
  return { generatedAt: now, outsideRpo: rows.some((r) => r.state === 'OUTSIDE_RPO'), engines: rows };
}
