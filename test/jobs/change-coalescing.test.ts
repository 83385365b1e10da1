// Progress coalescing on the job bus: every status change reaches a subscriber at once and in order, a burst of
// progress changes reaches it as a few events (the latest wins), the final 100 % always arrives. Counts, not time.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/db/client.ts';
import { ChangeCoalescer } from '../../src/jobs/change-coalescer.ts';
import { JobBus } from '../../src/jobs/job-bus.ts';

function job(id: string, status: Job['status'], completed: number, total = 1000): Job {
  return {
    id,
    kind: 'BACKUP',
    status,
    engineId: 'e1',
    backupId: null,
    input: {},
    progress: { phase: 'documents', completed, total, unit: 'documents', bytes: null, message: null, updatedAt: new Date(0).toISOString() },
    errorCode: null,
    errorMessage: null,
    errorType: null,
    cancelRequested: false,
    timeoutMs: 1000,
    leaseOwner: 'x',
    leaseExpiresAt: null,
    createdBy: 'test',
    createdAt: new Date(0),
    startedAt: null,
    finishedAt: null,
    parentId: null,
  } as Job;
}

const completedOf = (j: Job) => (j.progress as { completed: number }).completed;

/** Reads a feed until `stop` says so (a hung feed fails the test through vitest's own timeout). */
async function collect(feed: AsyncIterableIterator<Job>, stop: (j: Job) => boolean): Promise<Job[]> {
  const seen: Job[] = [];
  for await (const change of feed) {
    seen.push(change);
    if (stop(change)) break;
  }
  return seen;
}

describe('job bus progress coalescing', () => {
  it('a subscriber sees every status change in order and the final 100 %, the burst between coalesced', async () => {
    const bus = new JobBus();
    const all = bus.changes();
    const one = bus.changes({ jobId: 'j1' });
    bus.publish(job('j1', 'QUEUED', 0));
    bus.publish(job('j1', 'RUNNING', 0));
    for (let i = 1; i <= 1000; i++) bus.publish(job('j1', 'RUNNING', i));
    bus.publish(job('j1', 'SUCCEEDED', 1000));
    for (const feed of [all, one]) {
      const seen = await collect(feed, (j) => j.status === 'SUCCEEDED');
      const statuses = seen.map((j) => j.status).filter((status, i, list) => status !== list[i - 1]);
      expect(statuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
      expect(seen.length).toBeLessThan(20);
      expect(completedOf(seen.at(-1)!)).toBe(1000);
      // Never older progress after newer.
      const counts = seen.map(completedOf);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
    }
    await all.return?.();
    await one.return?.();
    bus.close();
  });

  it('a burst with no status change after it still arrives: the latest progress, coalesced', async () => {
    const bus = new JobBus();
    const feed = bus.changes();
    bus.publish(job('j2', 'RUNNING', 0));
    for (let i = 1; i <= 500; i++) bus.publish(job('j2', 'RUNNING', i));
    const seen = await collect(feed, (j) => completedOf(j) === 500);
    expect(seen.length).toBeLessThan(20);
    expect(completedOf(seen[0]!)).toBe(0);
    await feed.return?.();
    bus.close();
  });

  it('jobs are coalesced apart: one job’s waiting progress never holds another job’s status change', async () => {
    const bus = new JobBus();
    const feed = bus.changes();
    bus.publish(job('a', 'RUNNING', 0));
    for (let i = 1; i <= 100; i++) bus.publish(job('a', 'RUNNING', i));
    bus.publish(job('b', 'RUNNING', 0));
    bus.publish(job('b', 'FAILED', 0));
    const seen = await collect(feed, (j) => j.id === 'b' && j.status === 'FAILED');
    expect(seen.map((j) => `${j.id}:${j.status}`)).toEqual(expect.arrayContaining(['a:RUNNING', 'b:RUNNING', 'b:FAILED']));
    await feed.return?.();
    bus.close();
  });

  it('progressIntervalMs 0 sends every change', async () => {
    const bus = new JobBus({ progressIntervalMs: 0 });
    const feed = bus.changes();
    for (let i = 0; i < 50; i++) bus.publish(job('c', 'RUNNING', i));
    const seen = await collect(feed, (j) => completedOf(j) === 49);
    expect(seen).toHaveLength(50);
    await feed.return?.();
    bus.close();
  });
});

describe('change coalescer', () => {
  it('a status change replaces the waiting progress of its job and goes out at once, in order', () => {
    const sent: Job[] = [];
    const coalescer = new ChangeCoalescer((j) => sent.push(j));
    const id = randomUUID();
    coalescer.offer(job(id, 'RUNNING', 0));
    coalescer.offer(job(id, 'RUNNING', 1));
    coalescer.offer(job(id, 'RUNNING', 2));
    expect(sent.map(completedOf)).toEqual([0]);
    expect(coalescer.waitingCount).toBe(1);
    coalescer.offer(job(id, 'CANCELING', 3));
    coalescer.offer(job(id, 'CANCELED', 3));
    expect(sent.map((j) => j.status)).toEqual(['RUNNING', 'CANCELING', 'CANCELED']);
    expect(coalescer.waitingCount).toBe(0);
    coalescer.close();
  });

  it('close() drops what waits and delivers nothing after', async () => {
    const sent: Job[] = [];
    const coalescer = new ChangeCoalescer((j) => sent.push(j), 1);
    coalescer.offer(job('d', 'RUNNING', 0));
    coalescer.offer(job('d', 'RUNNING', 1));
    coalescer.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toHaveLength(1);
  });
});
