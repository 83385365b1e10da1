// Job change notifications for subscribers. In-process by default; graphql-yoga's Redis event target makes it
// cross-replica: every replica publishes to one channel and fans what arrives out to its own subscribers.
import { Repeater } from 'graphql-yoga';
import type { Job } from '../db/client.ts';
import { isTerminal } from '../db/job-status.ts';
import { GatewayError } from '../errors.ts';
import { ChangeCoalescer, COALESCE_INTERVAL_MS } from './change-coalescer.ts';

/** What createPubSub accepts as `eventTarget`: an in-process EventTarget or `createRedisEventTarget(...)`. */
export interface JobEventTarget {
  addEventListener(type: string, listener: ((event: CustomEvent) => void) | null): void;
  removeEventListener(type: string, listener: ((event: CustomEvent) => void) | null): void;
  dispatchEvent(event: CustomEvent): boolean;
}

export interface JobBusOptions {
  /** Default: in-process. */
  eventTarget?: JobEventTarget;
  /** Channel name (Redis channels are global to a server: deployments sharing one Redis need their own). */
  channel?: string;
  /** Changes a subscriber may have waiting before it is ended as too slow (it reconnects and reads the state). */
  maxPending?: number;
  /** A bad message from the event target (not a job) is dropped and told here. */
  onDropped?: (reason: string) => void;
  /**
   * Progress changes of one job reach subscribers at most once per this many ms (the latest wins); a status
   * change always goes out at once and in order. 0 sends every change. Default 100.
   */
  progressIntervalMs?: number;
}

export const DEFAULT_CHANNEL = 'backup-gateway:job:changed';

export class JobBus {
  private readonly target: JobEventTarget;
  private readonly channel: string;
  private readonly maxPending: number;
  private readonly feeds = new Set<JobFeed>();
  private readonly changeListeners = new Set<() => void>();
  private readonly listener: (event: CustomEvent) => void;
  private readonly coalescer: ChangeCoalescer;
  private closed = false;

  constructor(private readonly options: JobBusOptions = {}) {
    this.target = options.eventTarget ?? (new EventTarget() as unknown as JobEventTarget);
    this.channel = options.channel ?? DEFAULT_CHANNEL;
    this.maxPending = options.maxPending ?? 1000;
    this.coalescer = new ChangeCoalescer((job) => this.deliver(job), options.progressIntervalMs ?? COALESCE_INTERVAL_MS);
    // One listener for the whole process, registered once: a subscriber added later starts receiving at once,
    // without waiting for the event target (Redis SUBSCRIBE) to confirm anything.
    this.listener = (event) => this.fanOut(event.detail);
    this.target.addEventListener(this.channel, this.listener);
  }

  publish(job: Job): void {
    if (this.closed) return;
    this.target.dispatchEvent(new CustomEvent(this.channel, { detail: { ...job } }));
  }

  /**
   * Every change of every job, optionally of one engine or one job. Receiving starts when this is called, not
   * at the first next(); ends promptly on return(), and with `subscriber_too_slow` when its reader falls behind.
   */
  changes(only: { engineId?: string | null; jobId?: string } = {}): AsyncIterableIterator<Job> {
    const feed = new JobFeed(
      (job) => (!only.engineId || job.engineId === only.engineId) && (!only.jobId || job.id === only.jobId),
      this.maxPending,
      (ended) => this.feeds.delete(ended),
    );
    if (this.closed) feed.end();
    else this.feeds.add(feed);
    return feed;
  }

  /**
   * `listener` runs at every job change as it arrives (before coalescing), with no argument: for caches that
   * drop what they keep. It must not throw. Returns the function that stops it.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => void this.changeListeners.delete(listener);
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
      } finally {
        await changes.return?.();
      }
    });
  }

  /** Subscribers being served right now. */
  get subscriberCount(): number {
    return this.feeds.size;
  }

  /** Ends every subscription cleanly (their streams complete) and stops listening. For shutdown. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.coalescer.close();
    this.changeListeners.clear();
    for (const feed of [...this.feeds]) feed.end();
    this.target.removeEventListener(this.channel, this.listener);
  }

  /** Also runs from the coalescer's timer: it must never throw. */
  private deliver(job: Job): void {
    try {
      for (const feed of this.feeds) feed.offer(job);
    } catch (error) {
      this.options.onDropped?.(`job message could not be delivered: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private fanOut(detail: unknown): void {
    // Runs inside the event target's dispatch: it must never throw.
    try {
      if (!isJobLike(detail)) {
        this.options.onDropped?.('a message on the job channel is not a job');
        return;
      }
      for (const listener of this.changeListeners) listener();
      // Nobody listening: nothing to coalesce (a subscriber joining later gets the next change at once).
      if (this.feeds.size === 0) return;
      // Coalesced once for every subscriber, then the same object is offered to each.
      this.coalescer.offer(reviveJob(detail));
    } catch (error) {
      this.options.onDropped?.(`job message could not be delivered: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** One subscriber's queue: eager, bounded, and ended from either side. */
class JobFeed implements AsyncIterableIterator<Job> {
  private readonly queue: Job[] = [];
  private waiting: { resolve: (result: IteratorResult<Job>) => void; reject: (error: unknown) => void } | null = null;
  private failure: GatewayError | null = null;
  private done = false;

  constructor(
    private readonly accepts: (job: Job) => boolean,
    private readonly maxPending: number,
    private readonly detach: (feed: JobFeed) => void,
  ) {}

  offer(job: Job): void {
    if (this.done || !this.accepts(job)) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: job, done: false });
      return;
    }
    if (this.queue.length >= this.maxPending) {
      this.queue.length = 0;
      this.end(new GatewayError('subscriber_too_slow', `This subscriber fell ${this.maxPending} job changes behind and was ended; subscribe again to read the current state`));
      return;
    }
    this.queue.push(job);
  }

  /** No more changes: what is queued is still read, then the error (if any), then done. */
  end(error?: GatewayError): void {
    if (this.done) return;
    this.done = true;
    this.failure = error ?? null;
    this.detach(this);
    if (this.waiting) {
      const { resolve, reject } = this.waiting;
      this.waiting = null;
      if (this.failure) reject(this.takeFailure());
      else resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<Job>> {
    const job = this.queue.shift();
    if (job) return Promise.resolve({ value: job, done: false });
    if (this.failure) return Promise.reject(this.takeFailure());
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<Job>> {
    this.queue.length = 0;
    this.failure = null;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<Job>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Job> {
    return this;
  }

  private takeFailure(): GatewayError {
    const failure = this.failure!;
    this.failure = null;
    return failure;
  }
}

function isJobLike(value: unknown): value is Job {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { status?: unknown }).status === 'string';
}

/** A job that crossed Redis arrives with ISO strings where dates were. */
export function reviveJob(job: Job): Job {
  const date = (value: Date | string | null) => (typeof value === 'string' ? new Date(value) : value);
  return {
    ...job,
    createdAt: date(job.createdAt) as Date,
    startedAt: date(job.startedAt),
    finishedAt: date(job.finishedAt),
    leaseExpiresAt: date(job.leaseExpiresAt),
  };
}
