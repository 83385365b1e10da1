// Acceptance of backup sets (issue 20 §1), end to end through GraphQL against the emulators: Meilisearch, Typesense
// and MagnetoDB backed up as one set followed by one subscription to 100 %; one member's engine down → PARTIAL with
// that member's coded error; the set restored into fresh emulators equal to the sources; verify; delete keeps pinned.
import { createServer } from 'node:net';
import { Meilisearch } from 'meilisearch';
import { Client } from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from '../emulators/magnetodb/server.ts';
import { magnetoDbHttp, type MagnetoDbHttp, type TypedItem } from '../emulators/magnetodb/test-helpers.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { runCli } from '../../src/cli/run.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

type Json = Record<string, any>;
const PROJECT = 'sets';

interface Engines {
  meili: MeilisearchEmulator;
  typesense: TypesenseEmulator;
  magneto: MagnetoDbEmulator;
  meiliClient: Meilisearch;
  typesenseClient: Client;
  magnetoApi: MagnetoDbHttp;
}

async function startEngines(): Promise<Engines> {
  const meili = await startMeilisearchEmulator();
  const typesense = await startTypesenseEmulator();
  const magneto = await startMagnetoDbEmulator({ createDelayMs: 5 });
  return {
    meili,
    typesense,
    magneto,
    meiliClient: new Meilisearch({ host: meili.url, defaultWaitOptions: { interval: 5, timeout: 10_000 } }),
    typesenseClient: new Client({ nodes: [{ url: typesense.url }], apiKey: typesense.apiKey, numRetries: 0, logLevel: 'silent' }),
    magnetoApi: magnetoDbHttp({ url: magneto.url, token: magneto.token, project: PROJECT }),
  };
}

const MOVIES = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, title: `Film ${i + 1}`, year: 1950 + (i % 70), genres: [`g${i % 5}`] }));
const PRODUCTS = Array.from({ length: 250 }, (_, i) => ({ id: String(i), name: `Product ${i}`, price: i * 3 }));
const ACCOUNTS: TypedItem[] = Array.from({ length: 120 }, (_, i) => ({
  id: { S: `acct-${i}` },
  balance: { N: `${i}.0100000000000000000000001` },
  avatar: { B: Buffer.from(`avatar ${i}`).toString('base64') },
  tags: { SS: ['a', `t${i % 4}`] },
}));

async function seed(engines: Engines): Promise<void> {
  await engines.meiliClient.createIndex('movies', { primaryKey: 'id' }).waitTask();
  await engines.meiliClient.index('movies').addDocuments(MOVIES).waitTask();
  await engines.typesenseClient.collections().create({
    name: 'products',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'price', type: 'int32', facet: true },
    ],
  });
  await engines.typesenseClient.collections('products').documents().import(PRODUCTS, { action: 'create' });
  await engines.magnetoApi.createTable({
    table_name: 'accounts',
    attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }],
    key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
  });
  await engines.magnetoApi.waitActive('accounts');
  await engines.magnetoApi.putItems('accounts', ACCOUNTS);
}

/** What the test compares: every document of every seeded collection, sorted by id. */
async function contents(engines: Engines): Promise<Json> {
  const movies = (await engines.meiliClient.index('movies').getDocuments({ limit: 1000 })).results.sort((a, b) => Number(a['id']) - Number(b['id']));
  const exported = await engines.typesenseClient.collections('products').documents().export();
  const products = exported
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Json)
    .sort((a, b) => Number(a['id']) - Number(b['id']));
  const accounts = (await engines.magnetoApi.scanAll('accounts')).sort((a, b) => String(a['id']!['S']).localeCompare(String(b['id']!['S'])));
  return { movies, products, accounts };
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const SET_FIELDS = 'id name status memberCount documentCount sizeBytes verification job { id status } members { id status pinned engine { name } documentCount }';

describe('backup sets across Meilisearch, Typesense and MagnetoDB', () => {
  let t: TestGateway;
  let server: RunningServer;
  let source: Engines;
  let fresh: Engines;
  const ids: Record<string, string> = {};
  let setId = '';

  const register = async (name: string, plugin: string, config: Json): Promise<string> => {
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, { i: { name, plugin, config } });
    expect(res.errors).toBeUndefined();
    return res.data!['registerEngine'].id as string;
  };
  const registerAll = async (prefix: string, engines: Engines) => {
    ids[`${prefix}meili`] = await register(`${prefix}meili`, 'meilisearch', { url: engines.meili.url });
    ids[`${prefix}typesense`] = await register(`${prefix}typesense`, 'typesense', { url: engines.typesense.url, apiKey: engines.typesense.apiKey });
    ids[`${prefix}magneto`] = await register(`${prefix}magneto`, 'magnetodb', { url: engines.magneto.url, projectId: PROJECT, token: engines.magneto.token });
  };
  const startSet = async (name: string, engineIds: string[]) => {
    const res = await t.gql(`mutation($i: StartBackupSetInput!) { startBackupSet(input: $i) { id kind status children { id } } }`, {
      i: { name, members: engineIds.map((engineId) => ({ engineId })), labels: { purpose: 'test' } },
    });
    expect(res.errors).toBeUndefined();
    return res.data!['startBackupSet'] as Json;
  };
  const set = async (id: string): Promise<Json> => (await t.gql(`query($id: ID!) { backupSet(id: $id) { ${SET_FIELDS} } }`, { id })).data!['backupSet'] as Json;

  beforeAll(async () => {
    source = await startEngines();
    fresh = await startEngines();
    await seed(source);
    t = await startTestGateway();
    await registerAll('', source);
    await registerAll('fresh-', fresh);
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    for (const engines of [source, fresh]) await Promise.all([engines?.meili.close(), engines?.typesense.close(), engines?.magneto.close()]);
  });

  it('backs up three engines as one set, followed by one subscription to 100 %', async () => {
    const parent = await startSet('nightly', [ids['meili']!, ids['typesense']!, ids['magneto']!]);
    expect(parent).toMatchObject({ kind: 'BACKUP', status: 'RUNNING' });
    expect(parent['children']).toHaveLength(3);
    const seen: Json[] = [];
    for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status progress { completed total unit percent } } }`, { id: parent['id'] })) {
      seen.push(message.data!['jobUpdated'] as Json);
    }
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ status: 'SUCCEEDED', progress: { completed: 3, total: 3, unit: 'members', percent: 100 } });
    // Percent only grows.
    const percents = seen.map((s) => s['progress'].percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const listed = (await t.gql(`{ backupSets { totalCount nodes { id name status } } }`)).data!['backupSets'];
    expect(listed.nodes).toEqual([expect.objectContaining({ name: 'nightly', status: 'COMPLETE' })]);
    setId = listed.nodes[0].id;
    const record = await set(setId);
    expect(record).toMatchObject({
      status: 'COMPLETE',
      memberCount: 3,
      documentCount: 300 + 250 + 120,
      verification: 'UNVERIFIED',
      job: { id: parent['id'], status: 'SUCCEEDED' },
    });
    expect(record['members'].map((m: Json) => m.engine.name).sort()).toEqual(['magneto', 'meili', 'typesense']);
    expect(record['members'].every((m: Json) => m.status === 'COMPLETE')).toBe(true);
    expect(record['sizeBytes']).toBeGreaterThan(0);
  });

  it('one member engine down: the set is PARTIAL and the parent names the member and its code', async () => {
    const dead = await register('dead-typesense', 'typesense', { url: `http://127.0.0.1:${await closedPort()}`, apiKey: 'xyz', timeoutMs: 500 });
    const parent = await startSet('with-a-dead-engine', [ids['meili']!, dead]);
    const ended = await waitForJob(t, parent['id'] as string);
    expect(ended).toMatchObject({ status: 'FAILED', error: { code: 'set_member_failed' } });
    expect(ended['error'].message).toMatch(/1 of 2 members succeeded.*engine_unreachable/);
    const children = (await t.gql(`query($id: ID!) { job(id: $id) { children { status engine { name } error { code } } } }`, { id: parent['id'] })).data!['job'].children;
    expect(children).toEqual(
      expect.arrayContaining([
        { status: 'SUCCEEDED', engine: { name: 'meili' }, error: null },
        { status: 'FAILED', engine: { name: 'dead-typesense' }, error: { code: 'engine_unreachable' } },
      ]),
    );
    const partial = (await t.gql(`{ backupSets { nodes { name status members { status } } } }`)).data!['backupSets'].nodes.find((s: Json) => s.name === 'with-a-dead-engine');
    expect(partial.status).toBe('PARTIAL');
    expect(partial.members.map((m: Json) => m.status).sort()).toEqual(['COMPLETE', 'FAILED']);
  });

  it('refuses a set naming one engine twice, and a set whose member cannot start, as a whole', async () => {
    const twice = await t.gql(`mutation($i: StartBackupSetInput!) { startBackupSet(input: $i) { id } }`, {
      i: { name: 'twice', members: [{ engineId: ids['meili'] }, { engineId: ids['meili'] }] },
    });
    expect(twice.errors?.[0]?.extensions?.code).toBe('invalid_input');
    const unknown = await t.gql(`mutation($i: StartBackupSetInput!) { startBackupSet(input: $i) { id } }`, {
      i: { name: 'unknown', members: [{ engineId: ids['meili'] }, { engineId: '00000000-0000-4000-8000-000000000000' }] },
    });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('engine_not_found');
  });

  it('a schedule can target a set: its slot starts the set, members carrying the schedule', async () => {
    const created = await t.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id name setMembers engine { name } } }`, {
      i: { name: 'hourly-set', cron: '0 * * * *', set: { members: [{ engineId: ids['typesense'] }, { engineId: ids['magneto'], collections: ['accounts'] }] } },
    });
    expect(created.errors).toBeUndefined();
    const schedule = created.data!['createSchedule'];
    expect(schedule.engine.name).toBe('typesense');
    expect(schedule.setMembers).toHaveLength(2);
    const both = await t.gql(`mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }`, {
      i: { cron: '0 * * * *', engineId: ids['meili'], set: { members: [{ engineId: ids['meili'] }] } },
    });
    expect(both.errors?.[0]?.extensions?.code).toBe('invalid_input');
    const row = await t.gateway.prisma.schedule.findUniqueOrThrow({ where: { id: schedule.id } });
    expect(await t.gateway.scheduler.runDueSlot(row, new Date(Date.now() + 3_600_000))).toBe(true);
    const { lastJobId, lastError } = await t.gateway.prisma.schedule.findUniqueOrThrow({ where: { id: schedule.id } });
    expect(lastError).toBeNull();
    expect(await waitForJob(t, lastJobId!)).toMatchObject({ status: 'SUCCEEDED', progress: { total: 2, unit: 'members' } });
    const sets = (await t.gql(`{ backupSets { nodes { name status members { scheduleId } } } }`)).data!['backupSets'].nodes as Json[];
    expect(sets.find((x) => x.name === 'hourly-set')).toEqual({ name: 'hourly-set', status: 'COMPLETE', members: [{ scheduleId: schedule.id }, { scheduleId: schedule.id }] });
    await t.gql(`mutation($id: ID!) { deleteSchedule(id: $id) }`, { id: schedule.id });
  });

  it('plans and restores the set into fresh emulators, equal to the sources', async () => {
    const members = (await set(setId))['members'].map((m: Json) => ({ backupId: m.id, engineId: ids[`fresh-${m.engine.name}`] }));
    const planned = await t.gql(
      `mutation($i: BackupSetRestoreInput!) { planBackupSetRestore(input: $i) { allStaged notes members { engineId staging note plan { verdict collections { target action } } } } }`,
      { i: { setId, members } },
    );
    expect(planned.errors).toBeUndefined();
    const plan = planned.data!['planBackupSetRestore'];
    expect(plan.members).toHaveLength(3);
    for (const member of plan.members) expect(member.plan.collections.every((c: Json) => c.action === 'CREATE')).toBe(true);
    expect(plan.allStaged).toBe(plan.members.every((m: Json) => m.staging === 'STAGED'));
    const started = await t.gql(`mutation($i: BackupSetRestoreInput!) { startBackupSetRestore(input: $i) { id kind children { id } } }`, { i: { setId, members } });
    expect(started.errors).toBeUndefined();
    expect(started.data!['startBackupSetRestore']).toMatchObject({ kind: 'RESTORE' });
    const ended = await waitForJob(t, started.data!['startBackupSetRestore'].id as string);
    expect(ended, JSON.stringify(ended['error'])).toMatchObject({ status: 'SUCCEEDED', progress: { completed: 3, total: 3 } });
    expect(await contents(fresh)).toEqual(await contents(source));
  });

  it('restores a staged set all or nothing: a member failing while another waits to swap leaves both live sides untouched', async () => {
    const parent = await startSet('pair', [ids['meili']!, ids['typesense']!]);
    expect(await waitForJob(t, parent['id'] as string)).toMatchObject({ status: 'SUCCEEDED' });
    const pairId = (await t.gql(`{ backupSets { nodes { id name } } }`)).data!['backupSets'].nodes.find((x: Json) => x.name === 'pair').id as string;
    const members = (await set(pairId))['members'].map((m: Json) => ({ backupId: m.id, engineId: ids[`fresh-${m.engine.name}`] }));
    // The fresh Meilisearch holds something the backup does not: it must still be there after the failed restore.
    await fresh.meiliClient
      .index('movies')
      .addDocuments([{ id: 9999, title: 'only on the target' }])
      .waitTask();
    const before = await contents(fresh);
    const planned = await t.gql(`mutation($i: BackupSetRestoreInput!) { planBackupSetRestore(input: $i) { allStaged notes members { staging } } }`, {
      i: { setId: pairId, members, overwrite: true },
    });
    expect(planned.data!['planBackupSetRestore']).toMatchObject({ allStaged: true, members: [{ staging: 'STAGED' }, { staging: 'STAGED' }] });
    expect(planned.data!['planBackupSetRestore'].notes[0]).toMatch(/^all or nothing/);
    fresh.typesense.setOptions({ importFailure: () => ({ code: 500, error: 'Could not write to on-disk storage.' }) });
    try {
      const started = await t.gql(`mutation($i: BackupSetRestoreInput!) { startBackupSetRestore(input: $i) { id } }`, { i: { setId: pairId, members, overwrite: true } });
      expect(started.errors).toBeUndefined();
      const ended = await waitForJob(t, started.data!['startBackupSetRestore'].id as string);
      expect(ended).toMatchObject({ status: 'FAILED', error: { code: 'set_member_failed' } });
      const children = (
        await t.gql(`query($id: ID!) { job(id: $id) { children { status engine { name } error { code message } } } }`, { id: started.data!['startBackupSetRestore'].id })
      ).data!['job'].children as Json[];
      const meiliMember = children.find((c) => c.engine.name === 'fresh-meili')!;
      expect(meiliMember).toMatchObject({ status: 'FAILED', error: { code: 'restore_failed' } });
      expect(meiliMember.error.message).toContain('nothing of this member was swapped in');
    } finally {
      fresh.typesense.setOptions({ importFailure: null });
    }
    expect(await contents(fresh)).toEqual(before);
  });

  it('the CLI creates, lists, shows and plans a set restore', async () => {
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, { stdout: { write: (x: string) => (stdout += x) }, stderr: { write: (x: string) => (stderr += x) }, env: { GATEWAY_URL: server.url } });
      return { code, stdout, stderr };
    };
    const created = await cli(['set', 'create', '--name', 'from-cli', '--engine', 'meili,magneto', '--label', 'team=search', '--wait', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ kind: 'BACKUP', status: 'SUCCEEDED' });
    const listed = await cli(['set', 'list']);
    expect(listed.stdout).toMatch(/from-cli\s+COMPLETE\s+(meili:COMPLETE magneto:COMPLETE|magneto:COMPLETE meili:COMPLETE)/);
    const id = /^(\S+)\s+from-cli/m.exec(listed.stdout)![1]!;
    const shown = await cli(['set', 'get', id, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'from-cli', status: 'COMPLETE', memberCount: 2 });
    const plan = await cli(['set', 'restore', id, '--into', 'meili=fresh-meili', '--into', 'magneto=fresh-magneto', '--suffix', '_cli', '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/movies\s+movies_cli\s+CREATE/);
    expect(plan.stdout).toMatch(/accounts\s+accounts_cli\s+CREATE/);
    const restored = await cli(['set', 'restore', id, '--into', 'meili=fresh-meili', '--into', 'magneto=fresh-magneto', '--suffix', '_cli', '--wait']);
    expect(restored.code, restored.stderr).toBe(0);
    expect((await fresh.meiliClient.index('movies_cli').getStats()).numberOfDocuments).toBe(MOVIES.length);
  });

  it('verifies the set, then deletes it keeping the pinned member', async () => {
    const verify = await t.gql(`mutation($id: ID!) { verifyBackupSet(id: $id) { id kind } }`, { id: setId });
    expect(verify.errors).toBeUndefined();
    expect(await waitForJob(t, verify.data!['verifyBackupSet'].id as string)).toMatchObject({ status: 'SUCCEEDED', kind: 'VERIFY' });
    expect((await set(setId))['verification']).toBe('VERIFIED');
    const pinnedId = (await set(setId))['members'].find((m: Json) => m.engine.name === 'magneto').id as string;
    expect((await t.gql(`mutation($id: ID!) { pinBackup(id: $id) { pinned } }`, { id: pinnedId })).errors).toBeUndefined();
    const deleted = await t.gql(`mutation($id: ID!) { deleteBackupSet(id: $id) { status members { id status pinned } } }`, { id: setId });
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!['deleteBackupSet'].status).toBe('DELETED');
    for (const member of deleted.data!['deleteBackupSet'].members) expect(member.status).toBe(member.id === pinnedId ? 'COMPLETE' : 'DELETED');
    expect((await t.gql(`{ backupSets { nodes { id } } }`)).data!['backupSets'].nodes.map((s: Json) => s.id)).not.toContain(setId);
  });
});
