// Coalesces job changes on their way to subscribers: per job, at most one change with an unchanged status (a
// progress update) per interval goes out — the latest wins, later, at the end of the interval — while a change of
// status or of phase goes out at once, in order, replacing a progress change of that job still waiting (it is newer):
// a subscriber sees every status and every phase (each one a job event), and the last change.
// Done once per event for all subscribers of a replica, before the fan-out, so the cost does not grow with them.
import type { Job } from '../db/client.ts';
import { isTerminal } from '../db/job-status.ts';

export const COALESCE_INTERVAL_MS = 100;
/** Idle jobs (nothing waiting, last change older than the interval) are forgotten above this many. */
const SWEEP_ABOVE = 1000;

interface Track {
  status: string;
  phase: string | null;
  lastSent: number;
  waiting: Job | null;
  timer: NodeJS.Timeout | null;
}

export class ChangeCoalescer {
  private readonly jobs = new Map<string, Track>();
  private sweepAbove = SWEEP_ABOVE;

  constructor(
    private readonly deliver: (job: Job) => void,
    private readonly intervalMs = COALESCE_INTERVAL_MS,
  ) {}

  offer(job: Job): void {
    const track = this.jobs.get(job.id);
    if (!track || track.status !== job.status || isTerminal(job.status)) return this.sendStatusChange(job, track);
    if (phaseOf(job) !== track.phase) {
      if (track.timer) clearTimeout(track.timer);
      return this.send(job, track);
    }
    const wait = this.intervalMs - (Date.now() - track.lastSent);
    if (wait <= 0 && !track.timer) return this.send(job, track);
    track.waiting = job;
    track.timer ??= setTimeout(() => this.flush(job.id), Math.max(wait, 0));
  }

  /** Progress changes waiting for their tick (for tests and metrics). */
  get waitingCount(): number {
    let count = 0;
    for (const track of this.jobs.values()) if (track.waiting) count++;
    return count;
  }

  /** Drops what is waiting; nothing is delivered afterwards. */
  close(): void {
    for (const track of this.jobs.values()) if (track.timer) clearTimeout(track.timer);
    this.jobs.clear();
  }

  private sendStatusChange(job: Job, track: Track | undefined): void {
    if (track?.timer) clearTimeout(track.timer);
    if (isTerminal(job.status)) {
      this.jobs.delete(job.id);
      this.deliver(job);
      return;
    }
    const fresh: Track = { status: job.status, phase: phaseOf(job), lastSent: 0, waiting: null, timer: null };
    this.jobs.set(job.id, fresh);
    if (this.jobs.size > this.sweepAbove) this.sweep();
    this.send(job, fresh);
  }

  private send(job: Job, track: Track): void {
    track.lastSent = Date.now();
    track.phase = phaseOf(job);
    track.waiting = null;
    track.timer = null;
    this.deliver(job);
  }

  private flush(jobId: string): void {
    const track = this.jobs.get(jobId);
    if (!track) return;
    track.timer = null;
    if (track.waiting) this.send(track.waiting, track);
  }

  /** Forgets idle jobs (a job run elsewhere whose end this replica never saw); its next change just goes out at once. */
  private sweep(): void {
    const idleBefore = Date.now() - this.intervalMs;
    for (const [id, track] of this.jobs) if (!track.waiting && !track.timer && track.lastSent < idleBefore) this.jobs.delete(id);
    this.sweepAbove = Math.max(SWEEP_ABOVE, this.jobs.size * 2);
  }
}

function phaseOf(job: Job): string | null {
  const progress = job.progress as { phase?: unknown } | null;
  return typeof progress?.phase === 'string' ? progress.phase : null;
}
