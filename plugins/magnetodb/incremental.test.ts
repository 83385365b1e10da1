// Incremental backups of the MagnetoDB plugin against the emulator: only items stamped at or after the cut are
// written (ISO strings compared as strings, epoch numbers as numbers), a table without a configured
// update-time attribute is incremental_not_supported, and the chain (full + increment) restores to the newest
// state — also while MagnetoDB leaves items unprocessed, so writes of one key must land in layer order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from '../../test/emulators/magnetodb/server.ts';
import { magnetoDbHttp, type MagnetoDbHttp, type TypedItem } from '../../test/emulators/magnetodb/test-helpers.ts';
import { createTempStorage, createTestJob, openBackupSession, runBackup, type TempStorage } from '../../test/contract/harness.ts';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import { openChainReader } from '../../src/storage/chain-reader.ts';
import { GatewayError } from '../../src/errors.ts';
import type { EngineInstance, LogicalRestoreRequest } from '../../src/engines/contract.ts';
import { magnetodbPlugin } from './index.ts';
import { changeFilter } from './incremental.ts';

const PROJECT = 'incremental';
const OLD = '2024-03-01T08:00:00.000Z';

const hashTable = (name: string, extra: { attribute_name: string; attribute_type: string }[] = []) => ({
  table_name: name,
  attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }, ...extra],
  key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
});

function account(i: number, updatedAt: string, balance = String(i * 10)): TypedItem {
  return { id: { S: `acct-${String(i).padStart(3, '0')}` }, balance: { N: balance }, owner: { S: `owner ${i}` }, updated_at: { S: updatedAt } };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}

describe('magnetodb incremental backups', () => {
  let emulator: MagnetoDbEmulator;
  let api: MagnetoDbHttp;
  let temp: TempStorage;
  let config: Record<string, unknown>;
  let instance: EngineInstance;

  const create = (overrides: Record<string, unknown> = {}): EngineInstance =>
    magnetodbPlugin.create(magnetodbPlugin.config.parse({ ...config, ...overrides }), { logger: createTestJob().ctx.logger });

  const items = async (table: string): Promise<TypedItem[]> => (await api.scanAll(table)).sort((a, b) => String(a['id']!['S']).localeCompare(String(b['id']!['S'])));

  async function seed(definition: ReturnType<typeof hashTable>, rows: TypedItem[]): Promise<void> {
    await api.dropTable(definition.table_name);
    await api.createTable(definition);
    await api.waitActive(definition.table_name);
    await api.putItems(definition.table_name, rows);
  }

  async function archived(backupId: string, table: string): Promise<TypedItem[]> {
    const archive = await openArchiveReader({ storage: temp.storage, backupId });
    const stored: TypedItem[] = [];
    for await (const batch of archive.readDocuments(table, 100)) stored.push(...(batch as TypedItem[]));
    return stored.sort((a, b) => String(a['id']!['S']).localeCompare(String(b['id']!['S'])));
  }

  beforeAll(async () => {
    temp = await createTempStorage();
    emulator = await startMagnetoDbEmulator({ createDelayMs: 5 });
    api = magnetoDbHttp({ url: emulator.url, token: emulator.token, project: PROJECT });
    config = {
      url: emulator.url,
      projectId: PROJECT,
      token: emulator.token,
      // Small pages: filtered pages come back short or empty with a marker, and paging must go on.
      pageSize: 7,
      retryBaseDelayMs: 5,
      updatedAtAttribute: {
        accounts: 'updated_at',
        meters: { attribute: 'read_ms', format: 'epochMillis' },
        ticks: { attribute: 'at', format: 'epochSeconds' },
        mistyped: { attribute: 'changed', format: 'epochSeconds' },
        keyed: 'id',
      },
    };
    instance = create();
  });
  afterAll(async () => {
    await emulator?.close();
    await temp?.cleanup();
  });

  it('backs up only the items stamped since the cut, then restores full + increment to the newest state', async () => {
    await seed(
      hashTable('accounts'),
      Array.from({ length: 60 }, (_, i) => account(i, OLD)),
    );
    const full = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['accounts'] });
    expect(full.manifest.collections).toMatchObject([{ name: 'accounts', documentCount: 60 }]);

    // The core passes the parent backup's start as changedSince; the writers stamp their changes after it.
    const changedSince = new Date(Date.now() - 1000).toISOString();
    const now = new Date().toISOString();
    const changed = [
      account(3, now, '-5'),
      account(17, now, '1.25'),
      // Any ISO-8601 UTC spelling compares right: seconds only, or more fraction digits than JS writes.
      account(41, `${now.slice(0, 19)}Z`, '41000'),
      account(59, `${now.slice(0, 23)}999Z`, '0'),
      account(60, now),
      account(61, now),
    ];
    await api.putItems('accounts', changed);
    // Changed without a stamp: never captured by an increment, and the backup says how many.
    await api.putItems('accounts', [{ id: { S: 'acct-unstamped' }, balance: { N: '1' } }]);
    // Deleted since the full backup: increments do not carry deletions.
    await api.data('accounts', 'delete_item', { key: { id: { S: 'acct-005' } } });
    const live = await items('accounts');

    const job = createTestJob();
    const increment = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['accounts'], changedSince }, job);
    expect(increment.manifest.collections).toMatchObject([{ name: 'accounts', documentCount: changed.length }]);
    const ids = (list: TypedItem[]) => list.map((item) => item['id']!['S']);
    expect(ids(await archived(increment.backupId, 'accounts'))).toEqual(ids(changed).sort());
    expect(await archived(increment.backupId, 'accounts')).toEqual(live.filter((item) => ids(changed).includes(item['id']!['S'])));
    // The progress total is the number of changed items, counted with the same filter.
    expect(job.updates.filter((update) => update.unit === 'items').at(-1)).toMatchObject({ completed: changed.length, total: changed.length });
    expect(increment.result.warnings).toContain('table accounts: 1 item(s) have no updated_at attribute; no incremental backup captures them, only a FULL one');
    const summary = increment.result.warnings.find((warning) => warning.startsWith('incremental since'))!;
    expect(summary).toContain(`items of accounts whose updated_at (iso8601) is >= ${changedSince.slice(0, 19)}`);
    expect(summary).toContain('Items deleted since then are not captured');

    // Restore the chain as the core does: one archive, base layer first, then the increment, while MagnetoDB
    // leaves half of every batch unprocessed (fill.test.ts pins the per-key write order this relies on).
    await api.dropTable('accounts');
    emulator.setOptions({ unprocessedRate: 0.5 });
    try {
      const chain = await openChainReader(temp.storage, [full.backupId, increment.backupId]);
      const request: LogicalRestoreRequest = { collections: ['accounts'], rename: {}, atomic: true };
      await create({ batchSize: 10 }).logicalRestore!(request, chain, createTestJob().ctx);
    } finally {
      emulator.setOptions({ unprocessedRate: 0 });
    }
    const deleted = (await archived(full.backupId, 'accounts')).find((item) => item['id']!['S'] === 'acct-005')!;
    const expected = [...live.filter((item) => item['id']!['S'] !== 'acct-unstamped'), deleted].sort((a, b) => String(a['id']!['S']).localeCompare(String(b['id']!['S'])));
    expect(await items('accounts')).toEqual(expected);
  });

  it('compares epoch numbers numerically, and takes the configured overlap before the cut', async () => {
    const cut = Date.parse('2025-05-01T00:00:00.000Z');
    const meter = (id: string, readMs: string) => ({ id: { S: id }, read_ms: { N: readMs }, kwh: { N: '1.5' } });
    // '999' is after the cut as a string ('9' > '1'), long before it as a number.
    await seed(hashTable('meters'), [meter('tiny', '999'), meter('before', String(cut - 30_000)), meter('at', String(cut)), meter('after', String(cut + 1))]);
    const since = new Date(cut).toISOString();

    const exact = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['meters'], changedSince: since });
    expect((await archived(exact.backupId, 'meters')).map((item) => item['id']!['S'])).toEqual(['after', 'at']);
    const overlapping = await runBackup(magnetodbPlugin, create({ incrementalOverlapMs: 60_000 }), temp.storage, { collections: ['meters'], changedSince: since });
    expect((await archived(overlapping.backupId, 'meters')).map((item) => item['id']!['S'])).toEqual(['after', 'at', 'before']);
    expect(overlapping.result.warnings.find((warning) => warning.startsWith('incremental since'))).toContain('minus an overlap of 60000 ms');

    await seed(hashTable('ticks'), [
      { id: { S: 'old' }, at: { N: String(cut / 1000 - 1) } },
      { id: { S: 'same-second' }, at: { N: String(cut / 1000) } },
      { id: { S: 'fractional' }, at: { N: `${cut / 1000}.25` } },
    ]);
    const ticks = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['ticks'], changedSince: new Date(cut + 400).toISOString() });
    expect((await archived(ticks.backupId, 'ticks')).map((item) => item['id']!['S'])).toEqual(['fractional', 'same-second']);
  });

  it('spells the scan_filter in the attribute type: GE the second-prefix for ISO strings, GE the number for epochs', () => {
    const since = '2025-05-01T10:20:30.456Z';
    expect(changeFilter({ table: 't', attribute: 'u', format: 'iso8601' }, since, 0).filter).toEqual({
      u: { comparison_operator: 'GE', attribute_value_list: [{ S: '2025-05-01T10:20:30' }] },
    });
    expect(changeFilter({ table: 't', attribute: 'u', format: 'epochMillis' }, since, 1000).filter).toEqual({
      u: { comparison_operator: 'GE', attribute_value_list: [{ N: String(Date.parse(since) - 1000) }] },
    });
    expect(changeFilter({ table: 't', attribute: 'u', format: 'epochSeconds' }, since, 0).filter['u']!.attribute_value_list).toEqual([{ N: '1746094830' }]);
    expect(() => changeFilter({ table: 't', attribute: 'u', format: 'iso8601' }, 'yesterday', 0)).toThrow(/not an ISO-8601 instant/);
  });

  it('refuses a table without a configured update-time attribute with incremental_not_supported, writing nothing', async () => {
    await seed(hashTable('plain'), [{ id: { S: 'a' } }]);
    const since = new Date().toISOString();
    const { session } = openBackupSession(temp.storage);
    try {
      const error = await failure(instance.logicalBackup!({ collections: ['accounts', 'plain'], changedSince: since }, session, createTestJob().ctx));
      expect(error.code).toBe('incremental_not_supported');
      expect(error.message).toContain('set updatedAtAttribute.<table> in the engine config for "plain"');
      expect(error.details).toMatchObject({ collections: ['plain'], configKey: 'updatedAtAttribute' });
      expect(session.files()).toEqual([]);
      // Every table: each one without the attribute is named.
      const all = await failure(instance.logicalBackup!({ collections: null, changedSince: since }, session, createTestJob().ctx));
      expect(all.code).toBe('incremental_not_supported');
      expect(all.details?.['collections']).toContain('plain');
      expect(all.details?.['collections']).not.toContain('accounts');
      // A FULL backup of the same table is fine.
      const fullJob = createTestJob();
      await instance.logicalBackup!({ collections: ['plain'] }, session, fullJob.ctx);
    } finally {
      await session.abort();
    }
  });

  it('refuses an attribute the table schema contradicts: another declared type, or the hash key', async () => {
    await seed(hashTable('mistyped', [{ attribute_name: 'changed', attribute_type: 'S' }]), []);
    await seed(hashTable('keyed'), []);
    const { session } = openBackupSession(temp.storage);
    try {
      const error = await failure(instance.logicalBackup!({ collections: ['mistyped', 'keyed'], changedSince: new Date().toISOString() }, session, createTestJob().ctx));
      expect(error.code).toBe('incremental_not_supported');
      expect(error.message).toContain('mistyped: changed is declared S in the table schema, but format epochSeconds is stored as N');
      expect(error.message).toContain('keyed: id is the hash key');
      expect(error.details).toMatchObject({ collections: ['mistyped', 'keyed'], configKey: 'updatedAtAttribute' });
    } finally {
      await session.abort();
    }
  });

  it("applies an archive on top of a live table with mode 'apply', deleting nothing", async () => {
    await seed(hashTable('ledger'), [account(1, OLD), account(2, OLD)]);
    const full = await runBackup(magnetodbPlugin, instance, temp.storage, { collections: ['ledger'] });
    await api.putItems('ledger', [account(1, OLD, '999'), account(3, OLD)]);
    const result = await instance.logicalRestore!(
      { collections: ['ledger'], rename: {}, atomic: true, mode: 'apply' },
      await openArchiveReader({ storage: temp.storage, backupId: full.backupId }),
      createTestJob().ctx,
    );
    expect(result.collections).toEqual([{ source: 'ledger', target: 'ledger', documentCount: 2 }]);
    expect(await items('ledger')).toEqual([account(1, OLD), account(2, OLD), account(3, OLD)]);
  });

  it('validates the updatedAtAttribute config: a name, or an attribute with its format', () => {
    const base = { url: 'http://localhost:8480', projectId: 'p', token: 't' };
    const parse = (updatedAtAttribute: unknown) => magnetodbPlugin.config.safeParse({ ...base, updatedAtAttribute });
    expect(parse({ orders: 'updated_at' }).success).toBe(true);
    expect(parse({ orders: { attribute: 'updated_ms', format: 'epochMillis' } }).success).toBe(true);
    expect(parse({ orders: { attribute: 'updated_at' } }).data?.updatedAtAttribute).toEqual({ orders: { attribute: 'updated_at', format: 'iso8601' } });
    expect(parse({ orders: { attribute: 'updated_at', format: 'rfc2822' } }).success).toBe(false);
    expect(parse({ orders: { attribute: 'updated_at', unit: 'ms' } }).success).toBe(false);
    expect(parse({ 'no!': 'updated_at' }).success).toBe(false);
    expect(magnetodbPlugin.config.parse(base).incrementalOverlapMs).toBe(0);
    expect(magnetodbPlugin.capabilities).toEqual(expect.arrayContaining(['incrementalBackup', 'nativeBackup']));
    expect(magnetodbPlugin.capabilities).not.toContain('nativeRestore');
  });
});
