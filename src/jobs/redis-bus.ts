// The job bus across replicas: graphql-yoga's Redis event target on two ioredis connections (one publishes, one
// is subscribed). A Redis hiccup never takes the gateway down: failed publishes are logged, ioredis reconnects
// and re-subscribes by itself; changes published while Redis is away are not delivered (subscribers re-read state).
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import { GatewayError } from '../errors.ts';
import type { GatewayLogger } from '../log.ts';
import { DEFAULT_CHANNEL, JobBus, type JobEventTarget } from './job-bus.ts';
import type { JobRunner } from './runner.ts';

export interface RedisJobBus {
  bus: JobBus;
  close(): Promise<void>;
}

export async function connectRedisJobBus(options: { url: string; channel?: string | undefined; logger: GatewayLogger }): Promise<RedisJobBus> {
  const log = options.logger.child({ component: 'redis' });
  const channel = options.channel ?? DEFAULT_CHANNEL;
  const connect = async (role: 'publish' | 'subscribe'): Promise<Redis> => {
    const client = new Redis(options.url, {
      lazyConnect: true,
      connectionName: `backup-gateway-${role}`,
      // Reconnect forever, at most every 2 s; a publish waits for at most one reconnect before it fails (and is logged).
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      maxRetriesPerRequest: 1,
    });
    let lastError = '';
    client.on('error', (error: Error) => {
      // ioredis repeats the same error at every reconnect attempt: log each new one once.
      if (error.message !== lastError) log.warn('redis connection error', { role, error: error.message });
      lastError = error.message;
    });
    client.on('ready', () => {
      if (lastError) log.info('redis connection back', { role });
      lastError = '';
    });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new GatewayError('invalid_configuration', `REDIS_URL: cannot connect to Redis (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    return client;
  };

  const publisher = await connect('publish');
  let subscriber: Redis;
  try {
    subscriber = await connect('subscribe');
    // Subscribed before the gateway serves anything, so no subscriber ever waits on Redis to confirm.
    await subscriber.subscribe(channel);
  } catch (error) {
    publisher.disconnect();
    throw error;
  }

  const eventTarget = createRedisEventTarget({
    publishClient: catching(publisher, ['publish'], (error) => log.warn('job change not published to redis', { error: error.message })),
    subscribeClient: catching(subscriber, ['subscribe', 'unsubscribe'], (error) => log.warn('redis subscription change failed', { error: error.message })),
  });
  const bus = new JobBus({
    eventTarget: eventTarget as unknown as JobEventTarget,
    channel,
    onDropped: (reason) => log.warn('job message dropped', { reason }),
  });
  return {
    bus,
    async close() {
      bus.close();
      await Promise.all([publisher, subscriber].map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}

/**
 * The event target calls these and drops their promises: a rejection (Redis away for longer than a retry)
 * would be unhandled and end the process. The proxy hands the same client on, with those calls caught.
 */
function catching(client: Redis, methods: string[], onError: (error: Error) => void): Redis {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !methods.includes(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) result.catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
        return result;
      };
    },
  });
}

/**
 * Other replicas' news, acted on at once instead of at the next poll or heartbeat: a job queued anywhere wakes
 * this runner; a cancel asked on another replica reaches the job running here.
 */
export function actOnReplicaNews(bus: JobBus, runner: JobRunner, logger: GatewayLogger): () => void {
  let feed = bus.changes();
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        for await (const job of feed) {
          if (job.status === 'QUEUED') runner.wake();
          else if (job.status === 'CANCELING' && runner.runningJobIds.includes(job.id)) runner.requestCancel(job.id);
        }
        return; // the bus closed
      } catch (error) {
        logger.warn('replica news feed ended; listening again', { error });
        feed = bus.changes();
      }
    }
  })();
  return () => {
    stopped = true;
    void feed.return?.();
  };
}
