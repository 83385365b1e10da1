// Runs schedules: at each slot one replica claims it in the database (moving lastSlotAt with a conditional UPDATE)
// and starts the backup. Slots missed while no gateway ran collapse into one run at start, not one per slot.
// A schedule whose backups fail FAILURE_LIMIT times in a row pauses itself, saying why (pausedReason).
import type { Job, PrismaClient, Schedule } from '../db/client.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import type { JobService } from '../jobs/job-service.ts';
import { SetMemberSpec, type BackupSetService } from '../jobs/backup-sets.ts';
import type { GatewayLogger } from '../log.ts';
import { latestSlot, nextRuns } from './schedules.ts';

/** Changes made on another replica are picked up within this long. */
const MAX_SLEEP_MS = 15_000;

/** Failed slots in a row after which a schedule pauses itself. */
export const FAILURE_LIMIT = 10;

export class Scheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(private readonly deps: { prisma: PrismaClient; jobs: JobService; logger: GatewayLogger; sets?: BackupSetService }) {}

  start(): void {
    this.#stopped = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Looks at the schedules now (after a change, or when a slot is due). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.tick()
      .then(
        (sleepMs) => this.#sleep(sleepMs),
        (error: unknown) => {
          this.deps.logger.error('schedule tick failed', { error });
          this.#sleep(MAX_SLEEP_MS);
        },
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Starts every due slot this replica wins; returns how long to sleep until the next one. */
  async tick(now = new Date()): Promise<number> {
    const schedules = await this.deps.prisma.schedule.findMany({ where: { paused: false } });
    let next = now.getTime() + MAX_SLEEP_MS;
    for (const schedule of schedules) {
      try {
        await this.runDueSlot(schedule, now);
        const upcoming = nextRuns(schedule, 1, now)[0];
        if (upcoming) next = Math.min(next, upcoming.getTime());
      } catch (error) {
        this.deps.logger.warn('schedule could not be evaluated', { scheduleId: schedule.id, error });
      }
    }
    return Math.max(0, next - Date.now());
  }

  /** Runs the newest slot at or before `now` once, if it is after the schedule's anchor and last claimed slot. */
  async runDueSlot(schedule: Schedule, now: Date): Promise<boolean> {
    const slot = latestSlot(schedule, now);
    if (!slot || slot <= schedule.anchorAt || (schedule.lastSlotAt && slot <= schedule.lastSlotAt)) return false;
    const claimed = await this.deps.prisma.schedule.updateMany({
      where: { id: schedule.id, paused: false, anchorAt: { lt: slot }, OR: [{ lastSlotAt: null }, { lastSlotAt: { lt: slot } }] },
      data: { lastSlotAt: slot, lastRunAt: new Date() },
    });
    if (claimed.count === 0) return false; // another replica took this slot
    const log = this.deps.logger.child({ scheduleId: schedule.id, slot: slot.toISOString() });
    try {
      const labels = { schedule: schedule.name.slice(0, 1024), slot: slot.toISOString() };
      const job = schedule.setMembers
        ? await this.startSet(schedule, labels)
        : await this.deps.jobs.startBackup(
            {
              engineId: schedule.engineId,
              collections: schedule.collections.length > 0 ? schedule.collections : null,
              strategy: schedule.strategy,
              type: schedule.type,
              storageId: schedule.storageId,
              scheduleId: schedule.id,
              labels,
            },
            `schedule:${schedule.id}`,
          );
      await this.deps.prisma.schedule.updateMany({ where: { id: schedule.id }, data: { lastJobId: job.id, lastError: null } });
      log.info('scheduled backup started', { jobId: job.id });
    } catch (error) {
      const coded = toGatewayError(error);
      await this.deps.prisma.schedule.updateMany({ where: { id: schedule.id }, data: { lastError: `${coded.code}: ${coded.message}` } });
      log.warn('scheduled backup could not start', { code: coded.code, error: coded.message });
      // A busy engine skips the slot (the running backup is not a failure); anything else is one.
      if (coded.code !== 'job_already_in_progress') await this.recordFailure(schedule.id, `${coded.code}: ${coded.message}`);
    }
    return true;
  }

  /** A set schedule's slot: the set named after the schedule, its members as stored. */
  private startSet(schedule: Schedule, labels: Record<string, string>) {
    if (!this.deps.sets) throw new GatewayError('capability_not_supported', 'backup sets are not available in this process');
    const members = SetMemberSpec.array().parse(schedule.setMembers);
    return this.deps.sets.start({ name: schedule.name, members, labels, scheduleId: schedule.id }, `schedule:${schedule.id}`);
  }

  /** After a job: a scheduled backup that succeeded resets its schedule's failure count, one that failed adds to it. */
  async afterJob(job: Job): Promise<void> {
    if (job.kind !== 'BACKUP' || !job.backupId || (job.status !== 'SUCCEEDED' && job.status !== 'FAILED')) return;
    const backup = await this.deps.prisma.backup.findUnique({ where: { id: job.backupId }, select: { scheduleId: true } });
    if (!backup?.scheduleId) return;
    if (job.status === 'SUCCEEDED') {
      await this.deps.prisma.schedule.updateMany({ where: { id: backup.scheduleId }, data: { consecutiveFailures: 0 } });
    } else {
      await this.recordFailure(backup.scheduleId, `${job.errorCode ?? 'internal'}: ${job.errorMessage ?? 'the backup failed'}`);
    }
  }

  /** Counts one more failure in a row; at FAILURE_LIMIT the schedule pauses itself with the reason. */
  async recordFailure(scheduleId: string, reason: string): Promise<void> {
    const counted = await this.deps.prisma.schedule.updateMany({ where: { id: scheduleId }, data: { consecutiveFailures: { increment: 1 } } });
    if (counted.count === 0) return; // deleted meanwhile
    // Only a schedule still running and at the limit is paused (once, whichever replica gets here first).
    const paused = await this.deps.prisma.schedule.updateMany({
      where: { id: scheduleId, paused: false, consecutiveFailures: { gte: FAILURE_LIMIT } },
      data: {
        paused: true,
        pausedReason: `Paused by the gateway after ${FAILURE_LIMIT} failed backups in a row; the last: ${reason}`.slice(0, 2000),
      },
    });
    if (paused.count > 0) {
      this.deps.logger.warn('schedule paused after failing too often', { scheduleId, failures: FAILURE_LIMIT, lastError: reason.slice(0, 500) });
    }
  }

  #sleep(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    // A few ms late, so the clock has surely passed the slot when the tick reads it.
    this.#timer = setTimeout(() => this.wake(), Math.min(ms + 10, MAX_SLEEP_MS));
    this.#timer.unref?.();
  }
}
