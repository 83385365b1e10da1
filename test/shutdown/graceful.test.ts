// SIGTERM: the gateway stops taking jobs (health says shutting_down; a job queued meanwhile waits for the next
// start), lets running jobs finish within GATEWAY_SHUTDOWN_GRACE_MS, ends the rest FAILED `interrupted` itself,
// completes its subscription streams cleanly, and exits 0.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { openDatabase } from '../../src/db/open.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';
import { subscribeSse } from '../helpers/sse.ts';

const JOB = `id status error { code message } progress { phase completed } finishedAt events { status phase message }`;
const PAGE = 100;

describe('graceful shutdown on SIGTERM', () => {
  let emulator: MeilisearchEmulator;
  let dataDir: string;
  let gateway: ChildGateway | undefined;
  const engines: Record<string, string> = {};

  const spawn = (graceMs: number) => spawnGateway({ GATEWAY_DATA_DIR: dataDir, GATEWAY_DUMPS_DIR: path.join(dataDir, 'dumps'), GATEWAY_SHUTDOWN_GRACE_MS: String(graceMs) });
  const job = async (id: string) => (await gateway!.gql(`query($id: ID!) { job(id: $id) { ${JOB} } }`, { id })).data!.job as Record<string, any>;
  const until = async (id: string, done: (job: Record<string, any>) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await job(id);
      if (done(current)) return current;
      if (Date.now() > deadline) throw new Error(`job ${id} never got there: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const startBackup = async (engine: string) => {
    const res = await gateway!.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id status backup { id } } }`, { e: engines[engine] });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.startBackup as { id: string; status: string; backup: { id: string } };
  };
  /** The records as the stopped gateway left them, read straight from its embedded database (no restart needed). */
  const records = async <T>(read: (prisma: Awaited<ReturnType<typeof openDatabase>>['prisma']) => Promise<T>): Promise<T> => {
    const db = await openDatabase({ dataDir });
    try {
      return await read(db.prisma);
    } finally {
      await db.close();
    }
  };
  const terminate = async (): Promise<{ code: number | null; at: number; exitedAfterMs: number }> => {
    const child = gateway!.process;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const at = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    return { code, at, exitedAfterMs: Date.now() - at };
  };

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    const meili = new Meilisearch({ host: emulator.url });
    await meili.createIndex('movies', { primaryKey: 'id' }).waitTask();
    await meili
      .index('movies')
      .addDocuments(Array.from({ length: 6_000 }, (_, i) => ({ id: i, title: `Movie ${i}` })))
      .waitTask({ timeout: 60_000 });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-shutdown-'));
  });
  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await emulator?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lets a running job finish within the grace period, queues new work for later, completes subscriptions', async () => {
    // A grace longer than the test may run: the gateway only exits in time if it stops once the job is done.
    gateway = await spawn(600_000);
    for (const name of ['meili', 'meili-2']) {
      const res = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name, plugin: 'meilisearch', config: { url: emulator.url, pageSize: PAGE } },
      });
      engines[name] = res.data!.registerEngine.id;
    }
    emulator.setOptions({ documentsDelayMs: 25 }); // ~60 pages: ~1.5 s
    const first = await startBackup('meili');
    const follow = subscribeSse(gateway.url, `subscription($id: ID!) { jobUpdated(id: $id) { id status progress { phase completed } } }`, { id: first.id });
    const feed = subscribeSse(gateway.url, `subscription { jobEvents { id status } }`);
    await Promise.all([follow.opened, feed.opened]);
    await until(first.id, (j) => j.status === 'RUNNING' && j.progress.completed > 0);

    const url = gateway.url;
    const stopped = terminate();
    // Draining: health says so at once, the API still answers, and a job queued now is not taken here.
    let health: Response | undefined;
    for (let i = 0; i < 40; i++) {
      health = await fetch(`${url}/health`);
      if (health.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(health!.status).toBe(503);
    expect(await health!.json()).toEqual({ status: 'shutting_down' });
    const queuedMeanwhile = await startBackup('meili-2');
    expect(queuedMeanwhile.status).toBe('QUEUED');

    const { code } = await stopped;
    expect(code).toBe(0);
    expect(await follow.ended).toBe('complete');
    expect(follow.events.at(-1)).toMatchObject({ id: first.id, status: 'SUCCEEDED' });
    expect(await feed.ended).toBe('complete');
    expect(feed.events.some((e) => e.id === first.id && e.status === 'SUCCEEDED')).toBe(true);
    emulator.setOptions({ documentsDelayMs: 0 });

    // The job queued while draining was left for the next start.
    const left = await records((prisma) => prisma.job.findMany({ where: { id: { in: [first.id, queuedMeanwhile.id] } } }));
    expect(Object.fromEntries(left.map((j) => [j.id, j.status]))).toEqual({ [first.id]: 'SUCCEEDED', [queuedMeanwhile.id]: 'QUEUED' });
    expect(left.find((j) => j.id === queuedMeanwhile.id)!.leaseOwner).toBeNull();

    gateway = await spawn(600);
    const later = await until(queuedMeanwhile.id, (j) => ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(j.status));
    expect(later.status, JSON.stringify(later.error)).toBe('SUCCEEDED');
  }, 90_000);

  it('ends a job still running after the grace period FAILED interrupted by itself, streams that, and exits', async () => {
    emulator.setOptions({ documentsDelayMs: 100 }); // ~60 pages: ~6 s, far past the 600 ms grace
    const long = await startBackup('meili');
    const follow = subscribeSse(gateway!.url, `subscription($id: ID!) { jobUpdated(id: $id) { id status error { code } } }`, { id: long.id });
    await follow.opened;
    await until(long.id, (j) => j.status === 'RUNNING' && j.progress.completed > 0);

    const { code, at, exitedAfterMs } = await terminate();
    expect(code).toBe(0);
    expect(exitedAfterMs).toBeGreaterThanOrEqual(600); // it gave the job its grace first
    expect(await follow.ended).toBe('complete');
    expect(follow.events.at(-1)).toEqual({ id: long.id, status: 'FAILED', error: { code: 'interrupted' } });
    emulator.setOptions({ documentsDelayMs: 0 });

    gateway = undefined;
    // Ended by the process that shut down (after its grace), not found dead by a next start.
    const { ended, events, backup } = await records(async (prisma) => ({
      ended: await prisma.job.findUniqueOrThrow({ where: { id: long.id } }),
      events: await prisma.jobEvent.findMany({ where: { jobId: long.id } }),
      backup: await prisma.backup.findUniqueOrThrow({ where: { id: long.backup.id } }),
    }));
    expect(ended.status).toBe('FAILED');
    expect(ended.errorCode).toBe('interrupted');
    expect(ended.errorMessage).toContain('shutting down');
    const endedAfterMs = ended.finishedAt!.getTime() - at;
    expect(endedAfterMs).toBeGreaterThanOrEqual(500);
    // Cut short by the shutdown, not run to its end: documents were still to read.
    const progress = ended.progress as { completed?: number };
    expect(progress.completed).toBeGreaterThan(0);
    expect(progress.completed).toBeLessThan(6_000);
    expect(events.map((e) => e.message).join(' | ')).not.toContain('process died');
    expect(backup.status).toBe('FAILED');
    const left = (await readdir(path.join(dataDir, 'backups'), { recursive: true })).map(String);
    expect(left.filter((entry) => entry.startsWith(long.backup.id) || entry.includes('.tmp-'))).toEqual([]);
  }, 90_000);
});
