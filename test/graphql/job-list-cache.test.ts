// Job query answers are kept briefly (issue 17): one execution per change, not per request. A row written behind
// the gateway's back shows what is served from the cache; a job change on the bus, a mutation, another caller,
// another root field or an expired entry each read afresh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER = 'master-key-for-job-list-cache-tests';
const LIST = `{ jobs(first: 10) { nodes { id status } } }`;

describe('job list cache', () => {
  let t: TestGateway;
  let jobId: string;
  const statusSeen = async (query = LIST, key?: string) => {
    const answer = await t.gql(query, {}, key);
    expect(answer.errors).toBeUndefined();
    return answer.data!.jobs.nodes.find((job: { id: string }) => job.id === jobId)?.status as string;
  };
  // Written behind the gateway's back: no bus message, no mutation.
  const setStatus = (status: 'SUCCEEDED' | 'FAILED') => t.gateway.prisma.job.update({ where: { id: jobId }, data: { status } });

  beforeAll(async () => {
    t = await startTestGateway({ runJobs: false, masterKey: MASTER, env: { GATEWAY_JOB_LIST_CACHE_MS: '60000' } });
    const job = await t.gateway.prisma.job.create({
      data: { kind: 'BACKUP', status: 'SUCCEEDED', input: {}, progress: {}, timeoutMs: 60_000, createdBy: 'test' },
    });
    jobId = job.id;
  });
  afterAll(() => t.close());

  it('serves the kept answer until a job change arrives on the bus', async () => {
    expect(await statusSeen()).toBe('SUCCEEDED');
    const changed = await setStatus('FAILED');
    expect(await statusSeen()).toBe('SUCCEEDED');
    t.gateway.bus.publish(changed);
    expect(await statusSeen()).toBe('FAILED');
  });

  it('reads afresh after any mutation', async () => {
    expect(await statusSeen()).toBe('FAILED');
    await setStatus('SUCCEEDED');
    const created = await t.gql(`mutation { createApiKey(input: {name: "cache-test", scope: VIEWER}) { key } }`);
    expect(created.errors).toBeUndefined();
    expect(await statusSeen()).toBe('SUCCEEDED');
  });

  it('runs one execution for requests that miss together, and shares its answer', async () => {
    t.gateway.bus.publish(await t.gateway.prisma.job.findUniqueOrThrow({ where: { id: jobId } }));
    const page = t.gateway.jobs.page.bind(t.gateway.jobs);
    let calls = 0;
    t.gateway.jobs.page = ((...args: Parameters<typeof page>) => (calls++, page(...args))) as typeof page;
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => t.gql(LIST)));
      expect(new Set(answers.map((answer) => JSON.stringify(answer.data)))).toHaveProperty('size', 1);
      expect(calls).toBe(1);
    } finally {
      t.gateway.jobs.page = page;
    }
  });

  it('keeps answers per caller, and never for operations with other root fields', async () => {
    const viewer = (await t.gql(`mutation { createApiKey(input: {name: "cache-viewer", scope: VIEWER}) { key } }`)).data!.createApiKey.key as string;
    expect(await statusSeen()).toBe('SUCCEEDED');
    await setStatus('FAILED');
    expect(await statusSeen()).toBe('SUCCEEDED');
    expect(await statusSeen(LIST, viewer)).toBe('FAILED');
    const mixed = `{ jobs(first: 10) { nodes { id status } } gatewayInfo { version } }`;
    expect(await statusSeen(mixed)).toBe('FAILED');
    await setStatus('SUCCEEDED');
    expect(await statusSeen(mixed)).toBe('SUCCEEDED');
  });
});

describe('job list cache, short lifetime and off', () => {
  it('reads afresh once the lifetime has passed, and every time when GATEWAY_JOB_LIST_CACHE_MS is 0', async () => {
    for (const ttl of ['50', '0']) {
      const t = await startTestGateway({ runJobs: false, env: { GATEWAY_JOB_LIST_CACHE_MS: ttl } });
      try {
        const job = await t.gateway.prisma.job.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', input: {}, progress: {}, timeoutMs: 60_000, createdBy: 'test' } });
        const status = async () => (await t.gql(`{ job(id: "${job.id}") { status } }`)).data!.job.status as string;
        expect(await status()).toBe('SUCCEEDED');
        await t.gateway.prisma.job.update({ where: { id: job.id }, data: { status: 'FAILED' } });
        if (ttl !== '0') await new Promise((resolve) => setTimeout(resolve, 80));
        expect(await status()).toBe('FAILED');
      } finally {
        await t.close();
      }
    }
  });
});
