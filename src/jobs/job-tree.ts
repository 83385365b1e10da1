// Parent jobs (a backup set's backup, restore or verification) follow their children: the parent's progress is the
// sum of its members', and it ends once every child has ended. Idempotent, so every replica may run it.
import type { Job, PrismaClient } from '../db/client.ts';
import { isTerminal } from '../db/job-status.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayLogger } from '../log.ts';
import type { JobBus } from './job-bus.ts';
import { PERSIST_INTERVAL_MS, PUBLISH_INTERVAL_MS, readProgress, type JobProgressState } from './progress.ts';

/** What a parent job's input holds: how many children it waits for (they are created one after the other). */
export interface ParentJobInput {
  setId?: string | null;
  members: number;
}

/** How often running parents are recomputed from their children's rows, whatever the bus said. */
const SWEEP_MS = 30_000;

export interface JobTreeDeps {
  prisma: PrismaClient;
  bus: JobBus;
  logger: GatewayLogger;
  /** Runs once when a parent has ended (the set's status, its verification time). */
  onParentEnded?: (parent: Job, children: Job[]) => Promise<void>;
}

export class JobTreeTracker {
  /** The newest state of each child seen on the bus (fresher than the row, persisted at most once a second). */
  private readonly seen = new Map<string, Map<string, Job>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly persistedAt = new Map<string, number>();
  private feed: AsyncIterableIterator<Job> | null = null;
  private running: Promise<void> = Promise.resolve();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: JobTreeDeps) {}

  start(): void {
    const feed = this.deps.bus.changes();
    this.feed = feed;
    this.running = (async () => {
      for await (const job of feed) if (job.parentId) this.observe(job.parentId, job);
    })().catch((error: unknown) => this.deps.logger.warn('job tree feed ended', { error }));
    // A change missed (a replica down when a member ended, a feed ended as too slow) is caught up here.
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    void this.sweep();
  }

  /** Recomputes every parent still running (parents hold no lease: no reaper ends them). */
  async sweep(): Promise<void> {
    try {
      const parents = await this.deps.prisma.job.findMany({ where: { status: { in: ['RUNNING', 'CANCELING'] }, leaseOwner: null, children: { some: {} } }, select: { id: true } });
      for (const parent of parents) await this.refresh(parent.id);
    } catch (error) {
      this.deps.logger.warn('parent job sweep failed', { error });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.feed?.return?.();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.running;
  }

  /** A child changed: the parent is recomputed at once when the child ended, otherwise at most ~10 times a second. */
  observe(parentId: string, child: Job): void {
    let children = this.seen.get(parentId);
    if (!children) this.seen.set(parentId, (children = new Map()));
    children.set(child.id, child);
    if (this.timers.has(parentId) && !isTerminal(child.status)) return;
    clearTimeout(this.timers.get(parentId));
    const delay = isTerminal(child.status) ? 0 : PUBLISH_INTERVAL_MS;
    this.timers.set(
      parentId,
      setTimeout(() => {
        this.timers.delete(parentId);
        this.refresh(parentId).catch((error: unknown) => this.deps.logger.warn('parent job update failed', { parentId, error }));
      }, delay),
    );
  }

  /** Recomputes one parent from its children; ends it when all have ended. Also used at startup for leftovers. */
  async refresh(parentId: string): Promise<void> {
    const { prisma } = this.deps;
    const parent = await prisma.job.findUnique({ where: { id: parentId } });
    if (!parent || isTerminal(parent.status)) return void this.seen.delete(parentId);
    const rows = await prisma.job.findMany({ where: { parentId }, orderBy: { createdAt: 'asc' } });
    const fresh = this.seen.get(parentId);
    const children = rows.map((row) => {
      const seen = fresh?.get(row.id);
      return seen && !isTerminal(row.status) ? { ...row, status: seen.status, progress: seen.progress } : row;
    });
    const expected = Math.max(parentMembers(parent), children.length);
    const progress = aggregateProgress(children, expected);
    if (children.length >= expected && children.every((c) => isTerminal(c.status))) return this.finish(parent, children, progress);
    const now = Date.now();
    if (now - (this.persistedAt.get(parentId) ?? 0) >= PERSIST_INTERVAL_MS) {
      this.persistedAt.set(parentId, now);
      await prisma.job.updateMany({ where: { id: parentId, status: { in: ['RUNNING', 'CANCELING'] } }, data: { progress: { ...progress } } });
    }
    this.deps.bus.publish({ ...parent, progress: { ...progress } });
  }

  private async finish(parent: Job, children: Job[], progress: JobProgressState): Promise<void> {
    const { prisma } = this.deps;
    const outcome = parentOutcome(parent, children);
    const ended = await prisma.job.updateMany({
      where: { id: parent.id, status: { in: ['RUNNING', 'CANCELING'] } },
      data: {
        status: outcome.status,
        finishedAt: new Date(),
        progress: { ...progress, phase: outcome.status === 'SUCCEEDED' ? 'done' : outcome.status.toLowerCase(), message: outcome.message },
        errorCode: outcome.error?.code ?? null,
        errorType: outcome.error?.type ?? null,
        errorMessage: outcome.error?.message ?? null,
      },
    });
    this.seen.delete(parent.id);
    this.persistedAt.delete(parent.id);
    if (ended.count === 0) return; // another replica ended it
    await prisma.jobEvent.create({ data: { jobId: parent.id, status: outcome.status, phase: outcome.status.toLowerCase(), message: outcome.message } });
    const done = await prisma.job.findUniqueOrThrow({ where: { id: parent.id } });
    try {
      await this.deps.onParentEnded?.(done, children);
    } catch (error) {
      this.deps.logger.warn('recording the end of a parent job failed', { jobId: parent.id, error });
    }
    this.deps.bus.publish(done);
  }
}

export function parentMembers(parent: Job): number {
  const members = (parent.input as Partial<ParentJobInput> | null)?.members;
  return typeof members === 'number' && Number.isInteger(members) && members > 0 ? members : 0;
}

/**
 * Members count as units: an ended member is 1, a running one its own fraction (0 while its total is unknown),
 * so the set's percent reaches 100 exactly when the last member ends. Bytes add up.
 */
export function aggregateProgress(children: Job[], expected: number): JobProgressState {
  let completed = 0;
  let bytes: number | null = null;
  let ended = 0;
  for (const child of children) {
    const p = readProgress(child.progress);
    if (p.bytes !== null) bytes = (bytes ?? 0) + p.bytes;
    if (isTerminal(child.status)) {
      ended++;
      completed += 1;
    } else if (p.total !== null && p.total > 0) completed += Math.min(1, p.completed / p.total);
  }
  const phase = ended === expected ? 'done' : ended === 0 && children.every((c) => c.status === 'QUEUED') ? 'queued' : 'running members';
  return {
    phase,
    completed: Math.round(completed * 10_000) / 10_000,
    total: expected,
    unit: 'members',
    bytes,
    message: `${ended} of ${expected} members ended`,
    updatedAt: new Date().toISOString(),
  };
}

/** SUCCEEDED only when every member did; a cancel asked of the parent ends it CANCELED; otherwise FAILED naming each failed member. */
export function parentOutcome(parent: Job, children: Job[]): { status: Job['status']; error: GatewayError | null; message: string } {
  const failed = children.filter((c) => c.status !== 'SUCCEEDED');
  if (failed.length === 0) return { status: 'SUCCEEDED', error: null, message: `all ${children.length} members succeeded` };
  if (parent.cancelRequested) {
    return {
      status: 'CANCELED',
      error: new GatewayError('job_canceled', 'Canceled by request'),
      message: `canceled; ${children.length - failed.length} of ${children.length} members had succeeded`,
    };
  }
  const list = failed.map((c) => `job ${c.id} ${c.status}${c.errorCode ? ` (${c.errorCode}: ${c.errorMessage ?? ''})` : ''}`).join('; ');
  const message = `${children.length - failed.length} of ${children.length} members succeeded; ${list}`;
  return { status: 'FAILED', error: new GatewayError('set_member_failed', message.slice(0, 2000)), message: message.slice(0, 2000) };
}
