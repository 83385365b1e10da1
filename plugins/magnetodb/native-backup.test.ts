// The NATIVE strategy of the MagnetoDB plugin against the emulator: one management backup row per table,
// recorded in the backup as external artifacts plus management-backup.json, and a warning that no data moved.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from '../../test/emulators/magnetodb/server.ts';
import { magnetoDbHttp, type MagnetoDbHttp } from '../../test/emulators/magnetodb/test-helpers.ts';
import { createTempStorage, createTestJob, progressProblems, runNativeBackup, type TempStorage } from '../../test/contract/harness.ts';
import { openNativeBackup } from '../../src/storage/native-sink.ts';
import { GatewayError } from '../../src/errors.ts';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { magnetodbPlugin } from './index.ts';
import { NO_DATA_WARNING } from './native-backup.ts';

const PROJECT = 'native';

describe('magnetodb native backup (management API, metadata only)', () => {
  let emulator: MagnetoDbEmulator;
  let api: MagnetoDbHttp;
  let temp: TempStorage;
  let instance: EngineInstance;

  const rows = async (table: string): Promise<Record<string, any>[]> => (await api.call('GET', `/v1/management/${PROJECT}/tables/${table}/backups`)).body.backups;

  beforeAll(async () => {
    temp = await createTempStorage();
    emulator = await startMagnetoDbEmulator({ createDelayMs: 5 });
    api = magnetoDbHttp({ url: emulator.url, token: emulator.token, project: PROJECT });
    for (const table of ['orders', 'customers']) {
      await api.createTable({
        table_name: table,
        attribute_definitions: [{ attribute_name: 'id', attribute_type: 'S' }],
        key_schema: [{ attribute_name: 'id', key_type: 'HASH' }],
      });
      await api.waitActive(table);
      await api.putItems(table, [{ id: { S: `${table}-1` } }, { id: { S: `${table}-2` } }]);
    }
    instance = magnetodbPlugin.create(magnetodbPlugin.config.parse({ url: emulator.url, projectId: PROJECT, token: emulator.token }), { logger: createTestJob().ctx.logger });
  });
  afterAll(async () => {
    await emulator?.close();
    await temp?.cleanup();
  });

  it('records a management backup per table, the answers in management-backup.json, and says no data moved', async () => {
    const requestId = randomUUID();
    const job = createTestJob();
    const run = await runNativeBackup(magnetodbPlugin, instance, temp.storage, { collections: ['orders'], name: 'nightly-native', requestId }, job);
    expect(run.result.warnings).toEqual([NO_DATA_WARNING]);
    expect(run.result.warnings[0]).toContain('moves no data');
    expect(run.result).toMatchObject({ engineVersion: null, externalId: null, collections: [{ name: 'orders', documentCount: 0, bytes: null }] });
    expect(progressProblems(job.updates)).toEqual([]);

    const [row] = await rows('orders');
    expect(row).toMatchObject({
      backup_name: 'nightly-native',
      table_name: 'orders',
      status: 'CREATING',
      location: 'location',
      strategy: { type: 'full', format: 'native', location: 'internal', request_id: requestId },
    });
    expect(run.manifest.external).toEqual([
      {
        path: `orders/${row!['backup_id']}`,
        location: `magnetodb-management:/v1/management/${PROJECT}/tables/orders/backups/${row!['backup_id']}`,
        bytes: null,
        description: `MagnetoDB management backup ${row!['backup_id']} of table orders: status CREATING, location "location" — a metadata row only, no data`,
      },
    ]);
    expect(run.manifest.files.map((file) => file.path)).toEqual(['native/management-backup.json']);
    const handle = await openNativeBackup({ storage: temp.storage, backupId: run.backupId });
    let text = '';
    for await (const chunk of await handle.openFile('native/management-backup.json')) text += chunk.toString();
    expect(JSON.parse(text)).toMatchObject({
      note: NO_DATA_WARNING,
      requestId,
      backups: [{ table: 'orders', reused: false, answer: { backup_id: row!['backup_id'], status: 'CREATING' } }],
    });
    // No token anywhere in what the backup keeps.
    expect(text).not.toContain(emulator.token);
    expect(JSON.stringify(run.manifest)).not.toContain(emulator.token);

    // The job run again (a gateway restart) finds the row it recorded instead of adding one.
    const again = await runNativeBackup(magnetodbPlugin, instance, temp.storage, { collections: ['orders'], name: 'nightly-native', requestId });
    expect(await rows('orders')).toHaveLength(1);
    expect(again.manifest.external[0]!.path).toBe(`orders/${row!['backup_id']}`);
    expect(again.result.warnings).toContain('reused the management backup row this job had already recorded for orders');
  });

  it('covers every table when none is named, and refuses an unknown one before recording anything', async () => {
    const all = await runNativeBackup(magnetodbPlugin, instance, temp.storage, { collections: null, name: 'everything', requestId: randomUUID() });
    expect(all.result.collections.map((c) => c.name)).toEqual(['customers', 'orders']);
    expect(all.manifest.external).toHaveLength(2);
    expect(await rows('customers')).toHaveLength(1);

    const before = await rows('orders');
    let error: unknown;
    try {
      await runNativeBackup(magnetodbPlugin, instance, temp.storage, { collections: ['orders', 'ghost'], name: 'partial', requestId: randomUUID() });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('collection_not_found');
    expect((error as GatewayError).details).toMatchObject({ collections: ['ghost'] });
    expect(await rows('orders')).toEqual(before);
    expect(await rows('ghost')).toEqual([]);
  });

  it('maps a wrong token to engine_auth_failed', async () => {
    const wrong = magnetodbPlugin.create(magnetodbPlugin.config.parse({ url: emulator.url, projectId: PROJECT, token: 'nope' }), { logger: createTestJob().ctx.logger });
    let error: unknown;
    try {
      await runNativeBackup(magnetodbPlugin, wrong, temp.storage, { collections: null, name: 'denied', requestId: randomUUID() });
    } catch (caught) {
      error = caught;
    }
    expect((error as GatewayError).code).toBe('engine_auth_failed');
  });
});
