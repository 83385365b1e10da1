// v0.6's format axis as the emulator follows it (zilliztech/milvus-backup after v0.5.16: core/backup/task.go
// resolveFormat, core/restore/task.go privateExecute, internal/client/milvus/grpc.go Snapshot >= 3.0.0-0),
// MILVUS_BACKUP_VERSION parsing, and what a v0.5 tool does with a snapshot-format backup.
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseGeneration, startMilvusBackupEmulator, type MilvusBackupEmulatorOptions } from './server.ts';

type Answer = { code?: number; msg?: string; data?: Record<string, unknown> | null };

async function start(options: MilvusBackupEmulatorOptions) {
  const emulator = await startMilvusBackupEmulator({ stepDelayMs: 1, ...options });
  onTestFinished(() => emulator.close());
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${emulator.url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as Answer;
  };
  return { emulator, call };
}

describe('milvus-backup generations', () => {
  it('reads MILVUS_BACKUP_VERSION as people write it', () => {
    expect(['0.5.9', 'v0.5.8', '0.5.10', 'v0.5.16', '0.6', 'v0.6.0', '0.6.2'].map(parseGeneration)).toEqual([
      'v0.5.9',
      'v0.5.9',
      'v0.5.16',
      'v0.5.16',
      'v0.6.0',
      'v0.6.0',
      'v0.6.0',
    ]);
    expect(parseGeneration(undefined)).toBeUndefined();
    expect(() => parseGeneration('1.2')).toThrow(/0.5.x and 0.6.x/);
  });

  it('v0.6 on Milvus 3: auto writes snapshots, binlog stays possible, the brief names the format', async () => {
    const { emulator, call } = await start({ generation: 'v0.6.0' });
    expect(emulator.milvus.version).toBe('v3.0.1');
    const check = await (await fetch(`${emulator.url}/api/v1/check`)).text();
    expect(check).toMatch(/^Configuration:\nPARAMETER/);
    expect(check).toContain('Milvus version: v3.0.1');
    expect((await call('POST', '/create', { backup_name: 'snap', async: false })).code).toBeUndefined();
    expect((await call('POST', '/create', { backup_name: 'logs', async: false, format: 'binlog' })).code).toBeUndefined();
    expect(emulator.backups.get('snap')?.format).toBe('snapshot');
    expect(emulator.backups.get('logs')?.format).toBe('');
    expect((await call('POST', '/create', { backup_name: 'bad', async: true, format: 'zip' })).msg).toMatch(/invalid format zip/);
    // The brief of a finished task read from storage: format "snapshot"; binlogs ("") dropped by omitempty.
    const snap = (await call('GET', '/get_backup?backup_name=snap')).data!;
    expect(snap['format']).toBe('snapshot');
    expect('format' in (await call('GET', '/get_backup?backup_name=logs')).data!).toBe(false);
  });

  it('v0.6 on Milvus 2.5: auto falls back to binlogs, snapshot is refused by the task', async () => {
    const { emulator, call } = await start({ generation: 'v0.6.0', milvusVersion: 'v2.5.4' });
    await call('POST', '/create', { backup_name: 'auto_old', async: false });
    expect(emulator.backups.get('auto_old')?.format).toBe('');
    const refused = await call('POST', '/create', { backup_name: 'snap_old', async: false, format: 'snapshot' });
    expect(refused).toMatchObject({ code: 3, msg: 'backup: the snapshot format needs a milvus 3.0 or newer server' });
  });

  it('a snapshot-format backup restored into a pre-3.0 Milvus fails before any collection is created', async () => {
    const { emulator, call } = await start({ generation: 'v0.6.0' });
    await call('POST', '/create', { backup_name: 'snap', async: false, collection_names: ['book'] });
    emulator.setOptions({ milvusVersion: 'v2.5.4' });
    const answer = await call('POST', '/restore', { backup_name: 'snap', async: false, collection_suffix: '_back' });
    expect(answer).toMatchObject({ code: 3, msg: 'restore: a snapshot format backup needs a milvus 3.0 or newer server' });
    expect(emulator.milvus.has('default', 'book_back')).toBe(false);
    emulator.setOptions({ milvusVersion: 'v3.0.1' });
    expect((await call('POST', '/restore', { backup_name: 'snap', async: false, collection_suffix: '_back' })).code).toBeUndefined();
    expect(emulator.milvus.get('default', 'book_back')?.rows).toBe(emulator.milvus.get('default', 'book')?.rows);
  });

  it('a v0.5 tool reading a snapshot-format meta finds no binlogs: it creates the collections and imports nothing', async () => {
    const { emulator, call } = await start({ generation: 'v0.5.16', milvusVersion: 'v3.0.1' });
    emulator.backups.create('from_06', [{ db: 'default', name: 'book' }], 'snapshot');
    expect((await call('POST', '/restore', { backup_name: 'from_06', async: false, collection_suffix: '_back' })).code).toBeUndefined();
    expect(emulator.milvus.get('default', 'book_back')?.rows).toBe(0);
  });
});
