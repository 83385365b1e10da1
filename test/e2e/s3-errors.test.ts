// Issue 13 point 4: a backup to a wrong bucket or a dead endpoint ends its job with the S3 error's code and message
// (not "aborting backup … left files behind: "), the backup is FAILED, never left PENDING; and a gateway starting
// up marks FAILED the backups older versions left PENDING after their job ended.
import { createServer } from 'node:net';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { S3_CREDENTIALS, startS3Server, type TestS3Server } from '../helpers/s3.ts';

const MEILI_KEY = 'emulator-master-key-0123456789';
const START = `mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('S3 destination errors', () => {
  let s3: TestS3Server;
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let engineId: string;

  beforeAll(async () => {
    [s3, emulator] = await Promise.all([startS3Server(), startMeilisearchEmulator({ masterKey: MEILI_KEY })]);
    const client = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    await client.createIndex('books', { primaryKey: 'id' }).waitTask();
    await client
      .index('books')
      .addDocuments(Array.from({ length: 20 }, (_, id) => ({ id, title: `Book ${id}` })))
      .waitTask();
    t = await startTestGateway();
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY } },
    });
    engineId = engine.data!.registerEngine.id;
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([s3?.close(), emulator?.close()]);
  });

  async function backupTo(location: Record<string, unknown>): Promise<{ job: Record<string, any>; status: string }> {
    const started = await t.gql(START, { i: { engineId, name: 'to-s3', location: { ...location, credentials: S3_CREDENTIALS } } });
    expect(started.errors).toBeUndefined();
    const job = await waitForJob(t, started.data!.startBackup.id);
    const backup = await t.gateway.prisma.backup.findUniqueOrThrow({ where: { id: started.data!.startBackup.backup.id } });
    return { job, status: backup.status };
  }

  it('a bucket that does not exist: the job error names NoSuchBucket, the backup is FAILED', async () => {
    const { job, status } = await backupTo({ url: 's3://no-such-bucket/gw', endpoint: s3.endpoint });
    expect(job.status).toBe('FAILED');
    expect(job.error.code).toBe('storage_error');
    expect(job.error.message).toMatch(/NoSuchBucket/);
    expect(job.error.message).toMatch(/bucket does not exist/i);
    expect(status).toBe('FAILED');
    expect(await s3.listKeys()).toEqual([]);
  });

  it('an endpoint nobody listens on: the job error names the connection failure, the backup is FAILED', async () => {
    const { job, status } = await backupTo({ url: `s3://${s3.bucket}/gw`, endpoint: `http://127.0.0.1:${await closedPort()}` });
    expect(job.status).toBe('FAILED');
    expect(job.error.message).toMatch(/ECONNREFUSED/);
    expect(status).toBe('FAILED');
  });

  it.each(DB_KINDS)('at startup (%s), backups whose job ended are marked FAILED; those with a queued job stay PENDING', async (kind) => {
    // No runner on this gateway: a runner would claim the queued job and end it before the restart is simulated.
    const g = await startTestGateway({ db: kind, runJobs: false });
    try {
      const prisma = g.gateway.prisma;
      const engine = await prisma.engine.create({ data: { name: `e-${kind}`, plugin: 'meilisearch', config: { url: 'http://127.0.0.1:9' } } });
      const job = { engineId: engine.id, input: {}, progress: {}, timeoutMs: 60_000, createdBy: 'test' };
      const base = { plugin: 'meilisearch', strategy: 'LOGICAL' as const, type: 'FULL' as const, location: '', engineId: engine.id };
      const stranded = await prisma.backup.create({ data: { ...base, name: 'stranded' } });
      await prisma.job.create({
        data: {
          ...job,
          kind: 'BACKUP',
          status: 'FAILED',
          backupId: stranded.id,
          finishedAt: new Date(),
          errorCode: 'storage_error',
          errorType: 'internal',
          errorMessage: 'aborting backup left files behind: ',
        },
      });
      const jobless = await prisma.backup.create({ data: { ...base, name: 'import-cut-short' } });
      const queued = await prisma.backup.create({ data: { ...base, name: 'queued' } });
      await prisma.job.create({ data: { ...job, kind: 'BACKUP', status: 'QUEUED', backupId: queued.id } });

      // A second start on the same database, as after a restart; it runs no jobs.
      const restarted = await createGateway({ config: g.gateway.config, database: g.gateway.db, runJobs: false, logWrite: () => undefined });
      await restarted.close();
      const status = async (id: string) => (await prisma.backup.findUniqueOrThrow({ where: { id } })).status;
      expect(await status(stranded.id)).toBe('FAILED');
      // A backup without any job is an import in progress; only the embedded database (one process) knows it is dead.
      expect(await status(jobless.id)).toBe(kind === 'pglite' ? 'FAILED' : 'PENDING');
      expect(await status(queued.id)).toBe('PENDING');
    } finally {
      await g.close();
    }
  });
});
