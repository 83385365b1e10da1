// The emulator's own behaviour: milvus-backup's progress formulas, the two response generations, task state
// lost on restart while storage and Milvus stay, and the quirks the plugin has to live with.
import { describe, expect, it, onTestFinished } from 'vitest';
import { startMilvusBackupEmulator, type MilvusBackupEmulatorOptions } from './server.ts';
import { backupProgress, restoreProgress } from './progress.ts';
import type { BackupTask, RestoreTask } from './tasks.ts';

type Answer = { requestId?: string; code?: number; msg?: string; data?: Record<string, unknown> | Record<string, unknown>[] | null };

async function start(options: MilvusBackupEmulatorOptions = {}) {
  const emulator = await startMilvusBackupEmulator({ stepDelayMs: 2, ...options });
  onTestFinished(() => emulator.close());
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${emulator.url}/api/v1${path}`, init);
    const text = await response.text();
    return text.startsWith('{') ? (JSON.parse(text) as Answer) : { msg: `${response.status} ${text}` };
  };
  const poll = async (path: string): Promise<number[]> => {
    const seen: number[] = [];
    for (;;) {
      const data = (await call('GET', path)).data as { state_code: number; progress: number };
      seen.push(data.progress);
      if (data.state_code >= 2) return seen;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  return { emulator, call, poll };
}

describe('milvus-backup emulator', () => {
  it('starts with two collections in database default, and answers hello', async () => {
    const { emulator } = await start();
    expect(emulator.milvus.databases()).toEqual(['default']);
    expect(emulator.milvus.collections().map((c) => [c.db, c.name, c.rows > 0, c.bytes > 0])).toEqual([
      ['default', 'book', true, true],
      ['default', 'medium_articles', true, true],
    ]);
    expect(await (await fetch(`${emulator.url}/api/v1/hello`)).text()).toBe('Hello, This is backup service');
  });

  it('computes progress as milvus-backup does', () => {
    const coll = (stage: string, copiedSegments = 0) => ({ ns: { db: 'default', name: 'c' }, stage, snapshot: { bytes: 100 }, copiedSegments });
    const task = (state: string, colls: unknown[] = []) => ({ state, colls }) as unknown as BackupTask;
    expect(backupProgress(task('initial'), 'v0.5.16')).toBe(1);
    expect(backupProgress(task('database'), 'v0.5.16')).toBe(5);
    // 5 + 0.95 × mean(collection progress); a collection copying is 15 + 0.85 × copied/total.
    expect(backupProgress(task('collection', [coll('pending'), coll('ddlDone')]), 'v0.5.16')).toBe(Math.trunc(5.5 * 0.95) + 5);
    expect(backupProgress(task('collection', [coll('dml', 2), coll('dmlDone')]), 'v0.5.16')).toBe(Math.trunc(((Math.trunc(42.5) + 15 + 100) / 2) * 0.95) + 5);
    expect(backupProgress(task('success'), 'v0.5.16')).toBe(100);
    expect(backupProgress(task('fail'), 'v0.5.16')).toBe(0);
    expect(backupProgress(task('collection', [coll('dml', 1), coll('dml', 3)]), 'v0.5.9')).toBe(50);
    const restoring = {
      state: 1,
      colls: [
        { state: 1, source: { bytes: 300 }, importProgress: 50 },
        { state: 2, source: { bytes: 100 } },
      ],
    } as unknown as RestoreTask;
    expect(restoreProgress(restoring)).toBe(62);
    expect(restoreProgress({ ...restoring, state: 2 })).toBe(100);
  });

  it('v0.5.16: brief answers, progress 1 → 100, code omitted on success, sync create without data', async () => {
    const { call, poll } = await start();
    const created = await call('POST', '/create', { backup_name: 'b1', async: true }, { request_id: 'task-1' });
    expect(created).toEqual({ requestId: 'task-1', msg: 'create backup is executing asynchronously', data: null });
    const seen = await poll('/get_backup?backup_id=task-1');
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
    const done = await call('GET', '/get_backup?backup_name=b1');
    expect(done).not.toHaveProperty('code');
    expect(done.data).toMatchObject({
      id: 'task-1',
      name: 'b1',
      state_code: 2,
      progress: 100,
      collection_backups: [{ collection_name: 'book' }, { collection_name: 'medium_articles' }],
    });
    expect(done.data).not.toHaveProperty('collection_backups.0.partition_backups');
    expect(await call('POST', '/create', { backup_name: 'b2' })).toEqual({ msg: 'success', data: null });
    expect(((await call('GET', '/list')).data as unknown[]).map((b) => Object.keys(b as object).sort())).toEqual([
      ['id', 'milvus_version', 'name', 'size'],
      ['id', 'milvus_version', 'name', 'size'],
    ]);
  });

  it('v0.5.9: full BackupInfo with segments, times in ms, progress by copied bytes, 404 for unknown names', async () => {
    const { call, poll } = await start({ generation: 'v0.5.9' });
    const created = await call('POST', '/create', { backup_name: 'b1', async: true, db_collections: '{"default":["book"]}' }, { request_id: 'task-1' });
    expect(created.data).toMatchObject({ id: 'task-1', name: 'b1', state_code: 0, progress: 0 });
    const seen = await poll('/get_backup?backup_id=task-1');
    expect(seen.every((progress) => [0, 25, 50, 75, 100].includes(progress)) && seen.at(-1) === 100, seen.join()).toBe(true);
    const done = (await call('GET', '/get_backup?backup_name=b1')).data as {
      start_time: number;
      collection_backups: { partition_backups: { segment_backups: { num_of_rows: number }[] }[] }[];
    };
    expect(done.start_time).toBeGreaterThan(1e12);
    expect(done.collection_backups[0]!.partition_backups[0]!.segment_backups.reduce((sum, s) => sum + s.num_of_rows, 0)).toBe(2000);
    expect(await call('GET', '/get_backup?backup_name=nope')).toMatchObject({ code: 404, msg: 'not found', data: null });
    expect(await call('GET', '/get_backup?backup_id=nope')).toMatchObject({ msg: 'success', data: null });
  });

  it('restart drops tasks but keeps storage: by id "task not found", by name the empty brief, list still has it', async () => {
    const { emulator, call, poll } = await start();
    await call('POST', '/create', { backup_name: 'kept', async: true }, { request_id: 'task-1' });
    await poll('/get_backup?backup_id=task-1');
    await call('POST', '/restore', { backup_name: 'kept', async: true, id: 'r1', collection_suffix: '_r' });
    emulator.restart();
    expect(await call('GET', '/get_backup?backup_id=task-1')).toMatchObject({ code: 3, msg: expect.stringContaining('task not found') });
    expect((await call('GET', '/get_backup?backup_name=kept')).data).toEqual({ state_code: 0, progress: 0, size: 0, meta_size: 0 });
    expect((await call('GET', '/list')).data).toEqual([expect.objectContaining({ id: 'task-1', name: 'kept' })]);
    expect(await call('GET', '/get_restore?id=r1')).toMatchObject({ code: 3, msg: 'task not found' });
  });

  it('v0.5.16: an async create over a name already in storage stays INITIAL forever; a sync one fails', async () => {
    const { emulator, call } = await start();
    emulator.backups.create('from_cli');
    expect(await call('POST', '/create', { backup_name: 'from_cli' })).toMatchObject({ code: 3, msg: 'backup: backup with name from_cli already exist' });
    await call('POST', '/create', { backup_name: 'from_cli', async: true }, { request_id: 'stuck' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await call('GET', '/get_backup?backup_id=stuck')).data).toMatchObject({ state_code: 0, progress: 1 });
    // The task manager now holds a live task of that name: the next create is refused up front.
    expect(await call('POST', '/create', { backup_name: 'from_cli', async: true })).toMatchObject({ code: 3, msg: expect.stringContaining('existing task stuck') });
  });

  it('restores with suffix or renames, refuses existing targets unless dropExistCollection', async () => {
    const { emulator, call, poll } = await start();
    emulator.backups.create('snap');
    await call('POST', '/restore', { backup_name: 'snap', async: true, id: 'r1', collection_names: ['default.book'], collection_renames: { 'default.book': 'other.book2' } });
    await poll('/get_restore?id=r1');
    expect(emulator.milvus.get('other', 'book2')?.rows).toBe(2000);
    await call('POST', '/restore', { backup_name: 'snap', async: true, id: 'r2' });
    expect(await poll('/get_restore?id=r2')).toContain(1);
    expect((await call('GET', '/get_restore?id=r2')).data).toMatchObject({ state_code: 3, errorMessage: expect.stringContaining('collection already exist') });
    await call('POST', '/restore', { backup_name: 'snap', async: true, id: 'r3', dropExistCollection: true });
    expect((await poll('/get_restore?id=r3')).at(-1)).toBe(100);
  });

  it('answers an empty backup name with a 500 on v0.5.16 (the server indexes its first rune) and a default name on v0.5.9', async () => {
    const { emulator, call } = await start();
    expect((await call('POST', '/create', { async: true })).msg).toBe('500 ');
    emulator.setOptions({ generation: 'v0.5.9' });
    expect((await call('POST', '/create', { async: true })).data).toMatchObject({ name: expect.stringMatching(/^backup_\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d_\d+$/) });
  });
});
