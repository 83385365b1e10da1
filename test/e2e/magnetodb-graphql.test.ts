// Acceptance, end to end through GraphQL against the MagnetoDB emulator: tables with string, number, binary
// and set attributes and an LSI; full backup; drop; restore (schema and every typed item equal); restore
// under a new name; restore while MagnetoDB leaves items unprocessed (retries in the job events); an
// atomic restore over a live table refused, a non-atomic one replacing it; an INCREMENTAL backup of the changed
// items only and the restore of its chain; incremental_not_supported without an update-time attribute; a
// NATIVE backup (the management API's metadata, no data); a second job on a table under restore → table_locked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { createGatewayYoga, type GatewayYoga } from '../../src/graphql/yoga.ts';
import { plugins } from '../../plugins/index.ts';
import { magnetodbPlugin } from '../../plugins/magnetodb/index.ts';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from '../emulators/magnetodb/server.ts';
import { magnetoDbHttp, type MagnetoDbHttp, type TypedItem } from '../emulators/magnetodb/test-helpers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const PROJECT = 'e2e-project';
const JOB_FIELDS = 'id status progress { phase completed total unit } error { code message } events(last: 1000) { phase message status }';

const ORDERS = {
  table_name: 'orders',
  attribute_definitions: [
    { attribute_name: 'customer', attribute_type: 'S' },
    { attribute_name: 'order_no', attribute_type: 'N' },
    { attribute_name: 'placed_at', attribute_type: 'S' },
  ],
  key_schema: [
    { attribute_name: 'customer', key_type: 'HASH' },
    { attribute_name: 'order_no', key_type: 'RANGE' },
  ],
  local_secondary_indexes: [
    {
      index_name: 'by_placed_at',
      key_schema: [
        { attribute_name: 'customer', key_type: 'HASH' },
        { attribute_name: 'placed_at', key_type: 'RANGE' },
      ],
      projection: { projection_type: 'ALL' },
    },
  ],
};

const CUSTOMERS = {
  table_name: 'customers',
  attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }],
  key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
};

function order(i: number): TypedItem {
  return {
    customer: { S: `customer-${i % 7}` },
    order_no: { N: String(100_000 + i) },
    placed_at: { S: `2015-06-${String((i % 28) + 1).padStart(2, '0')}T10:00:${String(i % 60).padStart(2, '0')}` },
    total: { N: i % 3 === 0 ? '1.10' : `${i}.005` },
    ledger: { N: '98765432109876543210987654321' },
    receipt: { B: Buffer.from(`receipt ${i}`).toString('base64') },
    items: { SS: ['widget', `sku-${i % 11}`] },
    quantities: { NS: ['1', '2.50', String(i)] },
    scans: { BS: [Buffer.from([i % 256]).toString('base64'), 'AA=='] },
  };
}

interface GraphQLAnswer {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

describe('MagnetoDB logical backup and restore through GraphQL', () => {
  let emulator: MagnetoDbEmulator;
  let api: MagnetoDbHttp;
  let database: TestDatabase;
  let gateway: Gateway;
  let yoga: GatewayYoga;
  let engineId: string;
  let backupId: string;
  const originals = new Map<string, { schema: unknown; items: TypedItem[] }>();

  async function gql(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLAnswer;
  }

  async function waitForJob(id: string): Promise<Record<string, any>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = (await gql(`query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id })).data?.job;
      if (job && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} did not end: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function restore(input: Record<string, unknown>): Promise<Record<string, any>> {
    const started = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, ...input } });
    expect(started.errors).toBeUndefined();
    return waitForJob(started.data!.startRestore.id);
  }

  /** Starts a backup job and waits for it; `fields` are selected on the backup at start. */
  async function backUp(input: Record<string, unknown>, fields = 'id'): Promise<{ job: Record<string, any>; backup: Record<string, any> }> {
    const started = await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { ${fields} } } }`, { i: { engineId, ...input } });
    expect(started.errors).toBeUndefined();
    return { job: await waitForJob(started.data!.startBackup.id), backup: started.data!.startBackup.backup };
  }

  const BACKUP_FIELDS =
    'id type strategy status documentCount warnings createdAt changedSince parent { id } collections { name documentCount } artifacts { path external location }';
  async function backupRecord(id: string): Promise<Record<string, any>> {
    return (await gql(`query($id: ID!) { backup(id: $id) { ${BACKUP_FIELDS} } }`, { id })).data!.backup;
  }

  /** describe without ids, dates and always-zero counters; items sorted by key. */
  async function snapshot(table: string): Promise<{ schema: unknown; items: TypedItem[] }> {
    const { attribute_definitions, key_schema, local_secondary_indexes } = await api.describe(table);
    const keys = (key_schema as { attribute_name: string }[]).map((key) => key.attribute_name);
    const keyOf = (item: TypedItem): string => JSON.stringify(keys.map((key) => item[key]));
    const items = (await api.scanAll(table)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    return { schema: { attribute_definitions, key_schema, local_secondary_indexes: local_secondary_indexes ?? [] }, items };
  }

  beforeAll(async () => {
    emulator = await startMagnetoDbEmulator({ createDelayMs: 10 });
    api = magnetoDbHttp({ url: emulator.url, token: emulator.token, project: PROJECT });
    for (const [definition, items] of [
      [ORDERS, Array.from({ length: 700 }, (_, i) => order(i))],
      [CUSTOMERS, Array.from({ length: 40 }, (_, i) => ({ id: { S: `customer-${i}` }, name: { S: `Customer ${i}` }, vip: { N: String(i % 2) } }))],
    ] as const) {
      await api.createTable(definition);
      await api.waitActive(definition.table_name);
      await api.putItems(definition.table_name, [...items]);
      originals.set(definition.table_name, await snapshot(definition.table_name));
    }
    database = await createTestDatabase('pglite');
    gateway = await createGateway({
      config: loadConfig({ GATEWAY_DATA_DIR: database.dataDir, GATEWAY_LOG_LEVEL: 'warn' }),
      database,
      plugins: [...plugins.filter((plugin) => plugin.name !== magnetodbPlugin.name), magnetodbPlugin],
      logWrite: () => {},
    });
    yoga = createGatewayYoga(gateway);
    const registered = await gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id config health { ok version message } } }`, {
      i: {
        name: 'magneto',
        plugin: 'magnetodb',
        config: { url: emulator.url, projectId: PROJECT, token: emulator.token, pageSize: 150, retryBaseDelayMs: 5, updatedAtAttribute: { accounts: 'updated_at' } },
      },
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.registerEngine.health).toEqual({ ok: true, version: 'v1', message: null });
    expect(registered.data!.registerEngine.config.token).toBe('[redacted]');
    engineId = registered.data!.registerEngine.id;
  });

  afterAll(async () => {
    await gateway?.close();
    await database?.close();
    await emulator?.close();
  });

  it('lists the tables with their item counts', async () => {
    const res = await gql(`query($id: ID!) { engine(id: $id) { collections { name documentCount } } }`, { id: engineId });
    expect(res.data!.engine.collections).toEqual([
      { name: 'customers', documentCount: 40 },
      { name: 'orders', documentCount: 700 },
    ]);
  });

  it('backs up both tables and catalogs the result', async () => {
    const started = await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, {
      i: { engineId, name: 'nightly', collections: ['orders', 'customers'] },
    });
    expect(started.errors).toBeUndefined();
    backupId = started.data!.startBackup.backup.id;
    const job = await waitForJob(started.data!.startBackup.id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect((job.events as { phase: string }[]).map((event) => event.phase)).toEqual(expect.arrayContaining(['counting', 'items']));
    const backup = (await gql(`query($id: ID!) { backup(id: $id) { status documentCount collections { name documentCount } } }`, { id: backupId })).data!.backup;
    expect(backup).toMatchObject({ status: 'COMPLETE', documentCount: 740 });
    expect(backup.collections).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'orders', documentCount: 700 }), expect.objectContaining({ name: 'customers', documentCount: 40 })]),
    );
  });

  it('restores dropped tables: schema, LSI and every typed item equal', async () => {
    await api.dropTable('orders');
    await api.dropTable('customers');
    const job = await restore({});
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(job.progress).toMatchObject({ completed: 740, total: 740, unit: 'items' });
    for (const table of ['orders', 'customers']) expect(await snapshot(table)).toEqual(originals.get(table));
  });

  it('restores under a new name', async () => {
    const input = { collections: ['orders'], rename: [{ from: 'orders', to: 'orders_2015' }] };
    const planned = (
      await gql(
        `mutation($i: StartRestoreInput!) { planRestore(input: $i) { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } }`,
        { i: { backupId, ...input } },
      )
    ).data!.planRestore;
    expect(planned).toMatchObject({ verdict: 'OK', collections: [{ source: 'orders', target: 'orders_2015', action: 'CREATE', liveDocuments: null, backupDocuments: 700 }] });
    const job = await restore(input);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(
      (
        await gql(
          `query($id: ID!) { job(id: $id) { plan { verdict onExisting atomic targetEngineVersion conversions refusals { code } collections { source target action liveDocuments backupDocuments bytes reasons } } } }`,
          { id: job.id },
        )
      ).data!.job.plan,
    ).toEqual(planned);
    expect((await snapshot('orders_2015')).items).toHaveLength(planned.collections[0].backupDocuments);
    expect(await snapshot('orders_2015')).toEqual(originals.get('orders'));
    expect(await snapshot('orders')).toEqual(originals.get('orders'));
  });

  it('lands every item while MagnetoDB leaves some unprocessed, with the retries in the job events', async () => {
    await api.dropTable('orders');
    emulator.setOptions({ unprocessedRate: 0.25 });
    let job: Record<string, any>;
    try {
      job = await restore({ collections: ['orders'] });
    } finally {
      emulator.setOptions({ unprocessedRate: 0 });
    }
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(await snapshot('orders')).toEqual(originals.get('orders'));
    const retries = (job.events as { phase: string; message: string | null }[]).filter((event) => event.phase === 'retrying');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]!.message).toMatch(/^table orders: \d+ of \d+ item\(s\) unprocessed by batch_write_item; retry \d+\/8 in \d+ ms$/);
  });

  it('refuses an atomic restore over a live table, and replaces it when atomic is false', async () => {
    await api.putItems('orders', [{ ...order(5000), customer: { S: 'walk-in' } }]);
    const unasked = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, collections: ['orders'] } });
    expect(unasked.errors?.[0]?.extensions?.code).toBe('target_exists');
    const refused = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, collections: ['orders'], overwrite: true } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('capability_not_supported');
    expect(refused.errors?.[0]?.message).toContain('atomic: false');
    expect((await snapshot('orders')).items).toHaveLength(701);

    const replaced = await restore({ collections: ['orders'], atomic: false, overwrite: true });
    expect(replaced.status, JSON.stringify(replaced.error)).toBe('SUCCEEDED');
    expect(await snapshot('orders')).toEqual(originals.get('orders'));
  });
  it('takes an INCREMENTAL backup of the changed items only, and restores the chain to the live state', async () => {
    const stamped = (i: number, updatedAt: string, balance = String(i)): TypedItem => ({
      id: { S: `acct-${String(i).padStart(3, '0')}` },
      balance: { N: balance },
      flags: { SS: ['open', `tier-${i % 3}`] },
      updated_at: { S: updatedAt },
    });
    await api.createTable({
      table_name: 'accounts',
      attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }],
      key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
    });
    await api.waitActive('accounts');
    await api.putItems(
      'accounts',
      Array.from({ length: 80 }, (_, i) => stamped(i, '2024-01-15T09:30:00.000Z')),
    );

    const full = await backUp({ name: 'accounts-full', collections: ['accounts'] });
    expect(full.job.status, JSON.stringify(full.job.error)).toBe('SUCCEEDED');
    const parent = await backupRecord(full.backup.id);

    // The application changes 6 items and adds 4, stamping each with its own clock.
    const now = new Date().toISOString();
    const changed = [3, 11, 27, 40, 66, 79].map((i) => stamped(i, now, `${i}.99`));
    const added = [80, 81, 82, 83].map((i) => stamped(i, now));
    await api.putItems('accounts', [...changed, ...added]);
    const live = await snapshot('accounts');

    const increment = await backUp({ collections: ['accounts'], type: 'INCREMENTAL' }, 'id type parent { id } changedSince');
    expect(increment.backup).toMatchObject({ type: 'INCREMENTAL', parent: { id: full.backup.id }, changedSince: parent.createdAt });
    expect(increment.job.status, JSON.stringify(increment.job.error)).toBe('SUCCEEDED');
    const record = await backupRecord(increment.backup.id);
    expect(record).toMatchObject({
      type: 'INCREMENTAL',
      status: 'COMPLETE',
      documentCount: 10,
      collections: [{ name: 'accounts', documentCount: 10 }],
      parent: { id: full.backup.id },
    });
    expect(record.warnings.join('\n')).toContain('Items deleted since then are not captured');

    // Drop the table; restoring the increment replays full + increment as one archive.
    await api.dropTable('accounts');
    const restored = await restore({ backupId: increment.backup.id });
    expect(restored.status, JSON.stringify(restored.error)).toBe('SUCCEEDED');
    expect(await snapshot('accounts')).toEqual(live);
  });

  it('fails an INCREMENTAL backup of a table without the configured update-time attribute with incremental_not_supported', async () => {
    const { job, backup } = await backUp({ collections: ['customers'], type: 'INCREMENTAL' }, 'id parent { id }');
    expect(backup.parent).not.toBeNull();
    expect(job.status).toBe('FAILED');
    expect(job.error.code).toBe('incremental_not_supported');
    expect(job.error.message).toContain('updatedAtAttribute');
    expect(job.error.message).toContain('"customers"');
    expect((await backupRecord(backup.id)).status).toBe('FAILED');
  });

  it('records a NATIVE backup as the management API metadata, saying plainly that no data moved', async () => {
    const { job, backup } = await backUp({ name: 'customers-native', collections: ['customers'], strategy: 'NATIVE' });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const record = await backupRecord(backup.id);
    expect(record).toMatchObject({ strategy: 'NATIVE', status: 'COMPLETE', documentCount: 0, collections: [{ name: 'customers', documentCount: 0 }] });
    expect(record.warnings[0]).toContain("MagnetoDB's management backup API moves no data");
    expect(record.warnings[0]).toContain('cannot be restored');

    const rows = (await api.call('GET', `/v1/management/${PROJECT}/tables/customers/backups`)).body.backups;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ backup_name: 'customers-native', status: 'CREATING', location: 'location' });
    expect(record.artifacts).toEqual(
      expect.arrayContaining([
        {
          path: `external/customers/${rows[0].backup_id}`,
          external: true,
          location: `magnetodb-management:/v1/management/${PROJECT}/tables/customers/backups/${rows[0].backup_id}`,
        },
        expect.objectContaining({ path: 'native/management-backup.json', external: false }),
      ]),
    );
    // Nothing to restore from: the plugin has no native restore.
    const refused = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId: backup.id } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('capability_not_supported');
  });

  it('refuses a second job on a table under restore with table_locked, and shows the table locked', async () => {
    emulator.setOptions({ writeDelayMs: 150 });
    let restoreId: string;
    try {
      const started = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
        i: { backupId, collections: ['orders'], atomic: false, overwrite: true },
      });
      expect(started.errors).toBeUndefined();
      restoreId = started.data!.startRestore.id;
      // Wait until the restore writes items into the re-created table (each phase change is a job event at once).
      const deadline = Date.now() + 15_000;
      for (;;) {
        const job = (await gql(`query($id: ID!) { job(id: $id) { status events(last: 100) { phase } } }`, { id: restoreId })).data!.job;
        if ((job.events as { phase: string }[]).some((event) => event.phase === 'items')) break;
        if (job.status !== 'RUNNING' && job.status !== 'QUEUED') throw new Error(`restore ended early: ${JSON.stringify(job)}`);
        if (Date.now() > deadline) throw new Error('the restore never started writing');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      const second = await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: { engineId, collections: ['orders'] } });
      expect(second.errors?.[0]?.extensions?.code).toBe('table_locked');
      expect(second.errors?.[0]?.message).toContain(restoreId);
      const again = await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId, collections: ['orders'], atomic: false, overwrite: true } });
      expect(again.errors?.[0]?.extensions?.code).toBe('table_locked');
      const collections = (await gql(`query($id: ID!) { engine(id: $id) { collections { name locked lockedBy } } }`, { id: engineId })).data!.engine.collections;
      expect(collections).toContainEqual({ name: 'orders', locked: true, lockedBy: restoreId });
      expect(collections).toContainEqual({ name: 'customers', locked: false, lockedBy: null });
    } finally {
      emulator.setOptions({ writeDelayMs: 0 });
    }
    const finished = await waitForJob(restoreId);
    expect(finished.status, JSON.stringify(finished.error)).toBe('SUCCEEDED');
    expect(await snapshot('orders')).toEqual(originals.get('orders'));
    const unlocked = (await gql(`query($id: ID!) { engine(id: $id) { collections { name locked } } }`, { id: engineId })).data!.engine.collections;
    expect(unlocked).toContainEqual({ name: 'orders', locked: false });
  });
});
