// The job bus: in-process and through Redis (graphql-yoga's Redis event target on the local Redis).
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/db/client.ts';
import { GatewayError } from '../../src/errors.ts';
import { JobBus, type JobEventTarget } from '../../src/jobs/job-bus.ts';
import { connectRedisJobBus, type RedisJobBus } from '../../src/jobs/redis-bus.ts';
import { createLogger, Redactor } from '../../src/log.ts';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const logger = createLogger({ level: 'silent', redactor: new Redactor() });

function job(patch: Partial<Job> = {}): Job {
  return {
    id: randomUUID(),
    kind: 'BACKUP',
    status: 'RUNNING',
    engineId: 'e1',
    backupId: null,
    input: {},
    progress: { phase: 'documents', completed: 1 },
    errorCode: null,
    errorMessage: null,
    errorType: null,
    cancelRequested: false,
    timeoutMs: 1000,
    leaseOwner: 'x',
    leaseExpiresAt: new Date('2030-01-01T00:00:00.000Z'),
    createdBy: 'test',
    createdAt: new Date('2029-01-01T00:00:00.000Z'),
    startedAt: new Date('2029-01-01T00:00:01.000Z'),
    finishedAt: null,
    ...patch,
  } as Job;
}

// No deadline of its own: a change that never arrives fails on vitest's per-test timeout.
const next = <T>(iterator: AsyncIterator<T>) => iterator.next();

describe('job bus (in-process)', () => {
  it('receives from the moment changes() is called, before the first next()', async () => {
    const bus = new JobBus();
    const feed = bus.changes();
    const published = job();
    bus.publish(published);
    expect((await next(feed)).value).toMatchObject({ id: published.id });
    await feed.return?.();
    expect(bus.subscriberCount).toBe(0);
  });

  it('follow() misses no change made while it reads the current state', async () => {
    const bus = new JobBus();
    const first = job();
    const followed = bus.follow(first.id, async () => {
      // A change lands while the current state is being read.
      bus.publish({ ...first, status: 'SUCCEEDED' });
      return first;
    });
    const seen: string[] = [];
    for await (const change of followed) seen.push(change.status);
    expect(seen).toEqual(['RUNNING', 'SUCCEEDED']);
  });

  it('ends a subscriber that falls too far behind with subscriber_too_slow, never the publisher', async () => {
    const bus = new JobBus({ maxPending: 10 });
    const slow = bus.changes();
    const fine = bus.changes({ jobId: 'other' });
    for (let i = 0; i < 25; i++) bus.publish(job());
    await expect(slow.next()).rejects.toMatchObject({ code: 'subscriber_too_slow' });
    expect(bus.subscriberCount).toBe(1);
    await fine.return?.();
  });

  it('close() completes every subscription', async () => {
    const bus = new JobBus();
    const feed = bus.changes();
    const followed = bus.follow('some-job', async () => job({ id: 'some-job' }));
    expect((await next(followed)).value).toMatchObject({ id: 'some-job' });
    const pending = followed.next();
    bus.close();
    expect(await next(feed)).toEqual({ value: undefined, done: true });
    expect(await pending).toEqual({ value: undefined, done: true });
    bus.publish(job()); // after close: a no-op
  });

  it('drops what is not a job instead of throwing inside the event target', async () => {
    const dropped: string[] = [];
    const target = new EventTarget() as unknown as JobEventTarget;
    const bus = new JobBus({ eventTarget: target, channel: 'c', onDropped: (reason) => dropped.push(reason) });
    const feed = bus.changes();
    target.dispatchEvent(new CustomEvent('c', { detail: 'garbage' }));
    target.dispatchEvent(new CustomEvent('c', { detail: null }));
    const real = job();
    bus.publish(real);
    expect((await next(feed)).value).toMatchObject({ id: real.id });
    expect(dropped).toHaveLength(2);
    await feed.return?.();
  });
});

describe('job bus through Redis', () => {
  const channel = `gw-test-bus-${randomBytes(6).toString('hex')}`;
  const buses: RedisJobBus[] = [];
  afterAll(async () => {
    for (const bus of buses) await bus.close();
  });

  it('delivers one replica’s changes to another replica’s subscribers, dates revived', async () => {
    buses.push(await connectRedisJobBus({ url: REDIS_URL, channel, logger }), await connectRedisJobBus({ url: REDIS_URL, channel, logger }));
    const [a, b] = buses.map((r) => r.bus) as [JobBus, JobBus];
    const onB = b.changes();
    const onA = a.changes();
    const published = job({ status: 'SUCCEEDED', finishedAt: new Date('2029-01-01T00:00:02.000Z') });
    a.publish(published);
    for (const feed of [onB, onA]) {
      const received = (await next(feed)).value as Job;
      expect(received).toEqual(published);
      expect(received.finishedAt).toBeInstanceOf(Date);
    }
    await onA.return?.();
    await onB.return?.();
  });

  it('refuses to start on an unreachable Redis with invalid_configuration', async () => {
    const error = await connectRedisJobBus({ url: 'redis://127.0.0.1:1', logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('invalid_configuration');
  });

  it('a publish while Redis is gone is logged, not thrown, and never an unhandled rejection', async () => {
    // Redis behind a plain TCP forwarder the test can cut.
    const target = new URL(REDIS_URL);
    const sockets = new Set<net.Socket>();
    const forwarder = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    const redisBus = await connectRedisJobBus({
      url: `redis://127.0.0.1:${(forwarder.address() as net.AddressInfo).port}`,
      channel,
      logger: createLogger({ level: 'warn', redactor: new Redactor(), write: (line) => lines.push(line) }),
    });
    try {
      const closed = new Promise<void>((resolve) => forwarder.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      expect(() => redisBus.bus.publish(job())).not.toThrow();
      for (let i = 0; i < 100 && !lines.some((line) => line.includes('job change not published')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lines.some((line) => line.includes('job change not published'))).toBe(true);
    } finally {
      await redisBus.close();
    }
  });
});
