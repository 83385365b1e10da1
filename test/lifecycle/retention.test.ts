// Retention: the planner over a fixed set of backup dates gives exactly the kept and deleted sets for each policy;
// through GraphQL the dry run deletes nothing, and applying it deletes through DELETE jobs with events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, planRetention, type RetentionCandidate, type RetentionPolicy } from '../../src/lifecycle/retention.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

// b01 … b10, newest last. 2026-01-01 is a Thursday: ISO week 1 runs Mon 2025-12-29 … Sun 2026-01-04.
const DATES: Record<string, string> = {
  b01: '2025-01-01T03:00:00Z',
  b02: '2025-06-15T03:00:00Z',
  b03: '2025-12-31T23:00:00Z',
  b04: '2026-01-05T03:00:00Z', // Mon, W02
  b05: '2026-01-11T03:00:00Z', // Sun, W02
  b06: '2026-01-12T03:00:00Z', // Mon, W03
  b07: '2026-02-01T03:00:00Z', // Sun, W05
  b08: '2026-02-02T03:00:00Z', // Mon, W06
  b09: '2026-02-02T15:00:00Z', // Mon, W06, same day as b08
  b10: '2026-02-03T03:00:00Z', // Tue, W06
};
const NOW = new Date('2026-02-04T00:00:00Z');
const ALL = Object.keys(DATES);

function candidates(options: { pinned?: string[]; parents?: Record<string, string> } = {}): RetentionCandidate[] {
  return ALL.map((id) => ({ id, createdAt: new Date(DATES[id]!), pinned: options.pinned?.includes(id) ?? false, parentId: options.parents?.[id] ?? null }));
}

const CASES: Array<{ name: string; policy: RetentionPolicy; keep: string[]; timeZone?: string; now?: Date; pinned?: string[]; parents?: Record<string, string> }> = [
  { name: 'keepLast 3', policy: { keepLast: 3 }, keep: ['b10', 'b09', 'b08'] },
  { name: 'keepDaily 3: the newest of each of the 3 most recent days', policy: { keepDaily: 3 }, keep: ['b10', 'b09', 'b07'] },
  { name: 'keepWeekly 2 (ISO weeks)', policy: { keepWeekly: 2 }, keep: ['b10', 'b07'] },
  { name: 'keepMonthly 3', policy: { keepMonthly: 3 }, keep: ['b10', 'b06', 'b03'] },
  { name: 'keepYearly 2', policy: { keepYearly: 2 }, keep: ['b10', 'b03'] },
  { name: 'maxAgeDays 30 alone keeps everything younger', policy: { maxAgeDays: 30 }, keep: ['b10', 'b09', 'b08', 'b07', 'b06', 'b05', 'b04'] },
  { name: 'keepDaily 7 cut by maxAgeDays 10', policy: { keepDaily: 7, maxAgeDays: 10 }, keep: ['b10', 'b09', 'b07'] },
  { name: 'keepLast 2 + keepMonthly 2 (union)', policy: { keepLast: 2, keepMonthly: 2 }, keep: ['b10', 'b09', 'b06'] },
  { name: 'days counted in the policy time zone', policy: { keepDaily: 2 }, timeZone: 'America/New_York', keep: ['b10', 'b08'] },
  { name: 'pinned backups are never deleted', policy: { keepLast: 1 }, pinned: ['b02'], keep: ['b10', 'b02'] },
  { name: 'the newest COMPLETE backup survives any max age', policy: { maxAgeDays: 1 }, now: new Date('2026-03-01T00:00:00Z'), keep: ['b10'] },
  { name: 'a kept incremental keeps its chain', policy: { keepLast: 2 }, parents: { b09: 'b08', b08: 'b06' }, keep: ['b10', 'b09', 'b08', 'b06'] },
];

describe('retention planner', () => {
  it.each(CASES)('$name', ({ policy, keep, timeZone, now, pinned, parents }) => {
    const plan = planRetention(candidates({ pinned, parents }), policy, { now: now ?? NOW, timeZone: timeZone ?? 'UTC' });
    expect(plan.keep.map((d) => d.id).sort()).toEqual([...keep].sort());
    expect(plan.delete.map((d) => d.id).sort()).toEqual(ALL.filter((id) => !keep.includes(id)).sort());
  });

  it('says why each backup is kept', () => {
    const plan = planRetention(candidates({ pinned: ['b01'] }), { keepLast: 1, keepDaily: 2 }, { now: NOW });
    expect(Object.fromEntries(plan.keep.map((d) => [d.id, d.reasons.sort()]))).toEqual({ b10: ['daily', 'last', 'newest'], b09: ['daily'], b01: ['pinned'] });
  });

  it('buckets by ISO week across a year boundary', () => {
    expect(bucketOf(new Date('2025-12-29T12:00:00Z'), 'weekly', 'UTC')).toBe('2026-W01');
    expect(bucketOf(new Date('2027-01-01T12:00:00Z'), 'weekly', 'UTC')).toBe('2026-W53');
    expect(bucketOf(new Date('2026-02-02T03:00:00Z'), 'daily', 'Asia/Tokyo')).toBe('2026-02-02');
    expect(bucketOf(new Date('2026-02-02T03:00:00Z'), 'daily', 'America/Los_Angeles')).toBe('2026-02-01');
  });
});

describe('retention through GraphQL', () => {
  let t: TestGateway;
  let engineId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestGateway();
    const engine = await t.gql(`mutation { registerEngine(input: {name: "e", plugin: "meilisearch", config: {url: "http://127.0.0.1:9"}}) { id } }`);
    engineId = engine.data!.registerEngine.id;
    for (const name of ALL) {
      const backup = await t.gateway.prisma.backup.create({
        data: {
          name,
          engineId,
          plugin: 'meilisearch',
          strategy: 'LOGICAL',
          type: 'FULL',
          status: 'COMPLETE',
          location: 'file:///nowhere',
          createdAt: new Date(DATES[name]!),
          completedAt: new Date(DATES[name]!),
        },
      });
      ids[name] = backup.id;
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const names = (decisions: Array<{ backup: { name: string } }>) => decisions.map((d) => d.backup.name).sort();

  it('plans a dry run that deletes nothing', async () => {
    await t.gql(`mutation($id: ID!) { pinBackup(id: $id) { pinned } }`, { id: ids.b01 });
    const res = await t.gql(
      `query($e: ID!, $p: RetentionPolicyInput) { planRetention(engineId: $e, policy: $p) { scheduleId policy { keepLast } keep { backup { name } reasons } delete { backup { name } } } }`,
      {
        e: engineId,
        p: { keepLast: 3 },
      },
    );
    expect(res.errors).toBeUndefined();
    const [plan] = res.data!.planRetention;
    expect(plan.scheduleId).toBeNull();
    expect(names(plan.keep)).toEqual(['b01', 'b08', 'b09', 'b10']);
    expect(names(plan.delete)).toEqual(['b02', 'b03', 'b04', 'b05', 'b06', 'b07']);
    expect(await t.gateway.prisma.backup.count({ where: { engineId, status: 'COMPLETE' } })).toBe(10);
    expect(await t.gateway.prisma.job.count({ where: { kind: 'DELETE' } })).toBe(0);
    // No policy set and none given: nothing to plan.
    expect((await t.gql(`query($e: ID!) { planRetention(engineId: $e) { keep { backup { id } } } }`, { e: engineId })).data!.planRetention).toEqual([]);
    const bad = await t.gql(`query($e: ID!) { planRetention(engineId: $e, policy: {keepLast: -1}) { scheduleId } }`, { e: engineId });
    expect(bad.errors?.[0]?.extensions?.code).toBe('invalid_input');
  });

  it("applies the engine's policy as DELETE jobs with events; the kept ones stay", async () => {
    const set = await t.gql(`mutation($e: ID!) { setRetention(engineId: $e, policy: {keepDaily: 3}) { retention { keepDaily } } }`, { e: engineId });
    expect(set.data!.setRetention.retention).toEqual({ keepDaily: 3 });
    const applied = await t.gql(`mutation($e: ID!) { applyRetention(engineId: $e) }`, { e: engineId });
    expect(applied.data!.applyRetention).toBe(6); // b02…b06 and b08; b01 is pinned
    const jobs = await t.gql(`{ jobs(kind: [DELETE]) { nodes { id backup { name } } } }`);
    for (const job of jobs.data!.jobs.nodes) {
      const ended = await waitForJob(t, job.id);
      expect(ended.status, JSON.stringify(ended.error)).toBe('SUCCEEDED');
    }
    const events = await t.gql(`query($id: ID!) { job(id: $id) { kind events { status phase message } } }`, { id: jobs.data!.jobs.nodes[0].id });
    expect(events.data!.job.kind).toBe('DELETE');
    expect(events.data!.job.events.map((e: { phase: string }) => e.phase)).toEqual(['queued', 'started', 'deleting', 'done']);
    const left = await t.gateway.prisma.backup.findMany({ where: { engineId, status: 'COMPLETE' }, select: { name: true } });
    expect(left.map((b) => b.name).sort()).toEqual(['b01', 'b07', 'b09', 'b10']);
    expect(await t.gateway.prisma.backup.count({ where: { engineId, status: 'DELETED' } })).toBe(6);
  });
});

describe('retention keeps restorable backups apart from records', () => {
  it('plans each restorability kind on its own', () => {
    const plan = planRetention(
      [
        { id: 'logical-old', createdAt: new Date('2026-01-01T00:00:00Z'), pinned: false, parentId: null },
        { id: 'logical-older', createdAt: new Date('2025-12-01T00:00:00Z'), pinned: false, parentId: null },
        { id: 'record-new', createdAt: new Date('2026-01-02T00:00:00Z'), pinned: false, parentId: null, restorability: 'record' },
        { id: 'record-newer', createdAt: new Date('2026-01-03T00:00:00Z'), pinned: false, parentId: null, restorability: 'record' },
      ],
      { keepLast: 1 },
      { now: NOW },
    );
    expect(plan.keep.map((d) => [d.id, d.restorability])).toEqual([
      ['record-newer', 'record'],
      ['logical-old', 'restorable'],
    ]);
    expect(plan.delete.map((d) => d.id)).toEqual(['record-new', 'logical-older']);
  });

  // Reproduced: "keep last 1" kept a 0-document MagnetoDB NATIVE record and deleted the only logical backup.
  it('never deletes the only logical MagnetoDB backup for a newer metadata-only NATIVE record', async () => {
    const t = await startTestGateway();
    try {
      const engine = await t.gql(`mutation { registerEngine(input: {name: "m", plugin: "magnetodb", config: {url: "http://127.0.0.1:9", projectId: "p", token: "t"}}) { id } }`);
      expect(engine.errors).toBeUndefined();
      const engineId = engine.data!.registerEngine.id as string;
      const create = (name: string, strategy: 'LOGICAL' | 'NATIVE', at: string, documentCount: number) =>
        t.gateway.prisma.backup.create({
          data: {
            name,
            engineId,
            plugin: 'magnetodb',
            strategy,
            type: 'FULL',
            status: 'COMPLETE',
            location: 'file:///nowhere',
            documentCount,
            createdAt: new Date(at),
            completedAt: new Date(at),
          },
        });
      const logical = await create('logical', 'LOGICAL', '2026-01-01T00:00:00Z', 3);
      const native = await create('native', 'NATIVE', '2026-01-02T00:00:00Z', 0);
      await t.gateway.prisma.artifact.create({
        data: {
          backupId: native.id,
          path: 'external/orders/b1',
          bytes: 0n,
          sha256: '',
          external: true,
          location: 'magnetodb-management:/v1/management/p/tables/orders/backups/b1',
        },
      });
      await create('native-old', 'NATIVE', '2025-12-01T00:00:00Z', 0);

      const res = await t.gql(
        `query($e: ID!) { planRetention(engineId: $e, policy: {keepLast: 1}) { keep { backup { name } restorability reasons } delete { backup { name } restorability } } }`,
        { e: engineId },
      );
      expect(res.errors).toBeUndefined();
      const [plan] = res.data!.planRetention;
      expect(plan.keep).toEqual([
        { backup: { name: 'native' }, restorability: 'record', reasons: ['last', 'newest'] },
        { backup: { name: 'logical' }, restorability: 'restorable', reasons: ['last', 'newest'] },
      ]);
      expect(plan.delete).toEqual([{ backup: { name: 'native-old' }, restorability: 'record' }]);

      await t.gql(`mutation($e: ID!) { setRetention(engineId: $e, policy: {keepLast: 1}) { id } }`, { e: engineId });
      expect((await t.gql(`mutation($e: ID!) { applyRetention(engineId: $e) }`, { e: engineId })).data!.applyRetention).toBe(1);
      const jobs = await t.gql(`{ jobs(kind: [DELETE]) { nodes { id } } }`);
      for (const job of jobs.data!.jobs.nodes) expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
      expect((await t.gateway.prisma.backup.findUniqueOrThrow({ where: { id: logical.id } })).status).toBe('COMPLETE');
    } finally {
      await t.close();
    }
  });
});
