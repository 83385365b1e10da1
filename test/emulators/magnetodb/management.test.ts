// The management backup/restore API as MagnetoDB implemented it: metadata rows only (engine-api.md §4.7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from './server.ts';
import { magnetoDbHttp, type MagnetoDbHttp } from './test-helpers.ts';

describe('MagnetoDB emulator: management backup API (metadata only)', () => {
  let emulator: MagnetoDbEmulator;
  let api: MagnetoDbHttp;
  const base = '/v1/management/mgmt/tables/orders';

  beforeAll(async () => {
    emulator = await startMagnetoDbEmulator();
    api = magnetoDbHttp({ url: emulator.url, token: emulator.token, project: 'mgmt' });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('records a backup that stays CREATING at location "location", without checking the table exists', async () => {
    const created = await api.call('POST', `${base}/backups`, { backup_name: 'nightly', strategy: { name: 'full', type: 'FULL' } });
    expect(created.status).toBe(200);
    const backup = created.body;
    expect(backup).toMatchObject({ backup_name: 'nightly', table_name: 'orders', status: 'CREATING', strategy: { name: 'full', type: 'FULL' }, location: 'location' });
    expect(backup.backup_id).toMatch(/^[0-9a-f]{32}$/);
    expect(backup.start_date_time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(backup).not.toHaveProperty('finish_date_time');
    expect(backup.links).toEqual([
      { rel: 'self', href: `${emulator.url}${base}/backups/${backup.backup_id}` },
      { rel: 'location', href: 'location' },
    ]);
    // Nothing ever moves it on.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const described = await api.call('GET', `${base}/backups/${backup.backup_id}`);
    expect(described.body.status).toBe('CREATING');
    expect(described.body.links[0].href).toBe(`${emulator.url}${base}/backups/${backup.backup_id}/${backup.backup_id}`);
  });

  it('accepts an empty body object and refuses unknown keys', async () => {
    const bare = await api.call('POST', `${base}/backups`, {});
    expect(bare.body).toMatchObject({ backup_name: null, strategy: {}, status: 'CREATING' });
    const extra = await api.call('POST', `${base}/backups`, { name: 'spec-style' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toBe(`Unexpected properties were found for 'body': {"name":"spec-style"}`);
  });

  it('lists backups in pages and deletes one at once, returning the old record', async () => {
    const listed = await api.call('GET', `${base}/backups`);
    const ids = (listed.body.backups as { backup_id: string }[]).map((b) => b.backup_id);
    expect(ids).toHaveLength(2);
    expect(listed.body).not.toHaveProperty('last_evaluated_backup_id');
    const first = await api.call('GET', `${base}/backups?limit=1`);
    expect(first.body.last_evaluated_backup_id).toBe(ids[0]);
    const rest = await api.call('GET', `${base}/backups?limit=1&exclusive_start_backup_id=${ids[0]}`);
    expect(rest.body.backups.map((b: { backup_id: string }) => b.backup_id)).toEqual([ids[1]]);

    const deleted = await api.call('DELETE', `${base}/backups/${ids[0]}`);
    expect(deleted.body.backup_id).toBe(ids[0]);
    const gone = await api.call('GET', `${base}/backups/${ids[0]}`);
    // BackupNotExists is not in FaultWrapper's map: a 500 carrying the message.
    expect(gone.status).toBe(500);
    expect(gone.body.error).toEqual({ message: `Backup '${ids[0]}' for table 'orders' does not exist`, type: 'BackupNotExists', traceback: null });
    expect((await api.call('GET', `${base}/backups/not-a-uuid`)).body.error.message).toBe('message="An Internal Error Occurred"');
  });

  it('records restore jobs that stay RESTORING', async () => {
    const created = await api.call('POST', `${base}/restores`, { backup_id: '0123456789abcdef0123456789abcdef', source: 'swift://somewhere' });
    expect(created.body).toMatchObject({
      table_name: 'orders',
      status: 'RESTORING',
      backup_id: '0123456789abcdef0123456789abcdef',
      source: 'swift://somewhere',
    });
    expect(created.body.links[1]).toEqual({ rel: 'source', href: 'swift://somewhere' });
    const listed = await api.call('GET', `${base}/restores`);
    expect(listed.body.restore_jobs).toHaveLength(1);
    const described = await api.call('GET', `${base}/restores/${created.body.restore_job_id}`);
    expect(described.body.status).toBe('RESTORING');
    const missing = await api.call('GET', `${base}/restores/ffffffffffffffffffffffffffffffff`);
    expect(missing.status).toBe(500);
    expect(missing.body.error.type).toBe('RestoreJobNotExists');
  });
});
