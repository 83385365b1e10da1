// Job change notifications for subscribers. In-process by default; graphql-yoga's event target makes it cross-replica.
import { Repeater, createPubSub, filter, map, pipe, type PubSub } from 'graphql-yoga';
import type { Job } from '../db/client.ts';

export const TERMINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELED'] as const;

export function isTerminal(status: Job['status']): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

type JobTopics = { 'job:changed': [job: Job] };

export class JobBus {
  private readonly pubsub: PubSub<JobTopics> = createPubSub<JobTopics>();

  publish(job: Job): void {
    this.pubsub.publish('job:changed', { ...job });
  }

  /** Every change of every job, optionally of one engine or one job. Ends promptly on return(). */
  changes(only: { engineId?: string | null; jobId?: string } = {}): AsyncIterableIterator<Job> {
    return pipe(
      this.pubsub.subscribe('job:changed'),
      map(reviveJob),
      filter((job: Job) => (!only.engineId || job.engineId === only.engineId) && (!only.jobId || job.id === only.jobId)),
    );
  }

  /** One job: its current state first, then each change, ending after the terminal status. */
  follow(jobId: string, current: () => Promise<Job>): AsyncIterableIterator<Job> {
    return new Repeater<Job>(async (push, stop) => {
      // Subscribe before reading the current state, so no change in between is lost; changes queue meanwhile.
      const changes = this.changes({ jobId });
      void stop.then(() => changes.return?.());
      try {
        const first = await current();
        await push(first);
        if (isTerminal(first.status)) return stop();
        for await (const job of changes) {
          await push(job);
          if (isTerminal(job.status)) break;
        }
        stop();
      } catch (error) {
        stop(error);
      }
    });
  }
}

/** A job that crossed Redis arrives with ISO strings where dates were. */
function reviveJob(job: Job): Job {
  const date = (value: Date | string | null) => (typeof value === 'string' ? new Date(value) : value);
  return {
    ...job,
    createdAt: date(job.createdAt) as Date,
    startedAt: date(job.startedAt),
    finishedAt: date(job.finishedAt),
    leaseExpiresAt: date(job.leaseExpiresAt),
  };
}
